"""The rights of the people whose data we hold live in `privacy` (issue 16 #1): the requests
moved there without moving a row, their pages and the old addresses, and no view writes a model
itself."""

import ast
import datetime
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Person
from engage.history.models import Change
from engage.privacy.models import SubjectRequest

ENGAGE = Path(__file__).resolve().parents[2] / "engage"

BEFORE_THE_MOVE = [("sharing", "0004_snapshot_recipients_and_handovers"), ("privacy", None)]


def _request(case, alice, kind="access", **fields) -> SubjectRequest:
    return SubjectRequest.objects.create(
        person=case.person,
        case=case,
        kind=kind,
        requested_on=fields.pop("requested_on", days_ago(0)),
        identity_check=fields.pop("identity_check", "in person"),
        recorded_by=alice,
        **fields,
    )


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_requests_without_moving_a_row(organisation, alice):
    """A request recorded while the model was `sharing`'s is `privacy`'s after the migrations."""
    case = CaseFactory(organisation=organisation, case_manager=alice)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE_THE_MOVE)
    try:
        old_apps = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE[0]).apps
        Old = old_apps.get_model("sharing", "SubjectRequest")
        assert Old._meta.db_table == "sharing_subjectrequest"
        assert ("privacy", "subjectrequest") not in old_apps.all_models
        Old.objects.create(
            person_id=case.person_id,
            case_id=case.pk,
            kind="erasure",
            requested_on=datetime.date(2026, 3, 2),
            identity_check="passport seen",
            recorded_by_id=alice.pk,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert SubjectRequest._meta.db_table == "sharing_subjectrequest"
    entry = SubjectRequest.objects.get(case=case)
    assert (entry.kind, entry.requested_on, entry.identity_check, entry.recorded_by) == (
        "erasure",
        datetime.date(2026, 3, 2),
        "passport seen",
        alice,
    )
    # The history's triggers name the model where it lives now.
    entry.completed_at = datetime.datetime.now(datetime.UTC)
    entry.save(update_fields=["completed_at"])
    assert Change.objects.filter(model="privacy.subjectrequest", object_id=entry.pk).exists()


@pytest.mark.django_db
class TestPages:
    def test_it_shows_each_request_once(self, as_user, organisation, alice):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        _request(case, alice, identity_check="in person")
        _request(case, alice, kind="erasure", requested_on=days_ago(3))
        client = as_user(alice)
        page = client.get(reverse("privacy:case", kwargs={"pk": case.pk})).content.decode()
        assert page.count('class="subject-request"') == 2
        assert (
            page.count(
                reverse("privacy:export", args=[case.subject_requests.get(kind="access").pk, "pdf"])
            )
            == 1
        )
        sharing = client.get(reverse("sharing:case", kwargs={"pk": case.pk})).content.decode()
        # The sharing page sends to the requests' page and lists none of them itself.
        assert reverse("privacy:case", kwargs={"pk": case.pk}) in sharing
        assert "subject-request" not in sharing and "/export/" not in sharing

    def test_it_records_a_request_through_the_service(self, as_user, organisation, alice):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        response = as_user(alice).post(
            reverse("privacy:request_new", kwargs={"pk": case.pk}),
            {
                "person": case.person_id,
                "kind": "access",
                "requested_on": days_ago(0).isoformat(),
                "identity_check": "in person",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("privacy:case", kwargs={"pk": case.pk})
        entry = SubjectRequest.objects.get(case=case)
        assert entry.recorded_by == alice and entry.person == case.person
        assert AuditEvent.objects.filter(action="create", object_id=entry.pk).exists()

    def test_it_refuses_someone_outside_the_case_next_to_the_field(self, organisation, alice):
        from engage.privacy.services import record_request

        case = CaseFactory(organisation=organisation, case_manager=alice)
        stranger = CaseFactory(organisation=organisation, case_manager=alice).person
        with pytest.raises(Exception) as refused:
            record_request(
                case,
                by=alice,
                data={
                    "person": stranger,
                    "kind": "access",
                    "requested_on": days_ago(0),
                    "identity_check": "x",
                },
            )
        assert "person" in refused.value.message_dict
        assert not SubjectRequest.objects.exists()

    def test_it_marks_an_erasure_request_done(self, organisation, alice, bob, as_user):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        entry = _request(case, alice, kind="erasure")
        response = as_user(bob).post(reverse("privacy:erase", kwargs={"pk": entry.pk}))
        assert response["Location"] == reverse("privacy:case", kwargs={"pk": case.pk})
        entry.refresh_from_db()
        assert entry.completed_at is not None
        assert Person.objects.get(pk=case.person_id).erased_at is not None

    def test_it_keeps_the_old_addresses_working(self, as_user, organisation, alice, charlie):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        entry = _request(case, alice)
        client = as_user(alice)
        old_new = client.get(f"/sharing/cases/{case.pk}/requests/new/")
        assert old_new.status_code == 301
        assert old_new["Location"] == reverse("privacy:request_new", kwargs={"pk": case.pk})
        old_export = client.get(f"/sharing/subject-requests/{entry.pk}/export/json/")
        assert old_export["Location"] == reverse("privacy:export", args=[entry.pk, "json"])
        # Another organisation's id is still not found, not even redirected.
        outsider = as_user(charlie)
        assert outsider.get(f"/sharing/subject-requests/{entry.pk}/export/json/").status_code == 404


# Methods that write a model's rows. A view calls a service for them (docs/architecture.md).
WRITES = {
    "save",
    "update",
    "create",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
VIEWS = [
    ENGAGE / "privacy" / "views.py",
    ENGAGE / "sharing" / "views.py",
    ENGAGE / "sharing" / "export_views.py",
]


def _writes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
        ):
            found.append(f"{path.name}:{node.lineno} .{node.func.attr}(")
    return found


def test_no_view_of_the_persons_rights_or_of_sharing_writes_a_model():
    assert [write for path in VIEWS for write in _writes(path)] == []
