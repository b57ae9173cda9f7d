"""R05: every model with personal data has an organisation-scoped manager, and a query of it
outside any scope raises instead of reading every organisation's rows."""

import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone
from django_scopes import ScopeError

from engage.cases.factories import CaseFactory
from engage.cases.models import Case, Contact, Person
from engage.lib.fields import EncryptedMixin
from engage.lib.scoping import outside_every_scope, scopes_disabled, user_scope
from tests.contexts import in_no_scope


def _personal_data_models() -> set[type[models.Model]]:
    """Models with an encrypted field, and every model that points at one of them.

    Found from the models themselves, so a new model that holds or hangs off personal data is
    checked without anyone remembering to list it.
    """
    found = {
        model
        for model in apps.get_models()
        if any(isinstance(field, EncryptedMixin) for field in model._meta.concrete_fields)
    }
    found |= {Person, Case}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model in found:
                continue
            targets = {
                field.related_model
                for field in model._meta.concrete_fields
                if field.is_relation and field.related_model is not None
            }
            if targets & found:
                found.add(model)
                grew = True
    return found


def _in_no_scope(function, *args, **kwargs):
    """Call `function` as a job or a request would start: with no scope set at all (the test
    suite otherwise runs with scopes switched off, see tests/conftest.py)."""
    return in_no_scope(function, *args, **kwargs)


def test_it_finds_the_models_with_personal_data():
    names = {model.__name__ for model in _personal_data_models()}
    assert {"Person", "Case", "Contact", "Assessment", "Consent", "Document"} <= names


# Encrypted, but nobody's personal data, so not scoped to an organisation:
# - mel.SubmissionRows: the network hub's de-identified rows, a submission's in one document
#   encrypted at rest against theft (issue 10, item 3), read only through
#   `mel.services.imported_rows`, which audits each read. mel.DatasetRow: where they were kept
#   before (one token a row), emptied by a migration and no longer read or written.
# - mel.ReportRun: a report made in the background, kept as counts after disclosure control
#   (never a row or a person), encrypted at rest like every report. The network coordinator's
#   runs belong to no organisation, which an organisation scope would hide from them. A person
#   reaches a run only through `ReportRunQuerySet.visible_to` (the task reads its own by id);
#   tests/security/test_isolation.py plays other organisations' people against its page and
#   downloads.
# - accounts.AppSecret: a member of staff's authenticator secret, read at their second step,
#   which a network coordinator (of no organisation) takes too; reached only through its device,
#   which django-otp loads for the person signing in.
NOT_PERSONAL_MODELS = {
    "mel.DatasetRow",
    "mel.SubmissionRows",
    "mel.ReportRun",
    "accounts.AppSecret",
}


@pytest.mark.parametrize(
    "model",
    sorted(
        (m for m in _personal_data_models() if m._meta.label not in NOT_PERSONAL_MODELS),
        key=lambda m: m._meta.label,
    ),
)
def test_it_scopes_the_default_manager_of_every_model_with_personal_data(model):
    manager = model._default_manager
    assert hasattr(manager, "with_scopes_disabled"), (
        f"{model._meta.label} holds or points at personal data: give it "
        "`objects = organisation_scoped(...)` (engage.lib.scoping)"
    )


@pytest.mark.django_db
def test_it_raises_on_a_query_outside_any_scope(organisation):
    for query in (
        lambda: list(Person.objects.all()),
        lambda: Case.objects.filter(stage="referred").count(),
        lambda: Contact.objects.first(),
    ):
        with pytest.raises(ScopeError):
            _in_no_scope(query)


@pytest.mark.django_db
def test_it_refuses_every_scoped_query_outside_every_scope_even_inside_one(alice):
    """`outside_every_scope`: for what is built once and shared between readers."""
    CaseFactory(organisation=alice.organisation, case_manager=alice)
    with user_scope(alice):
        assert Case.objects.count() == 1
        with outside_every_scope():
            for query in (
                lambda: Case.objects.filter(stage="referred"),  # refused as it is built
                lambda: Contact.objects.all().count(),
                lambda: list(Person.objects.all()),
            ):
                with pytest.raises(ScopeError):
                    query()
        assert Case.objects.count() == 1  # the reader's scope again
    with scopes_disabled(), outside_every_scope(), pytest.raises(ScopeError):
        Case.objects.count()  # whatever scope was active, disabled ones too


@pytest.mark.django_db
def test_it_keeps_a_forgotten_filter_inside_the_users_organisation(alice, charlie, nadia):
    mine = CaseFactory(organisation=alice.organisation, case_manager=alice)
    theirs = CaseFactory(organisation=charlie.organisation, case_manager=charlie)

    def everything_for(user):
        with user_scope(user):
            return set(Case.objects.values_list("pk", flat=True)), set(
                Person.objects.values_list("pk", flat=True)
            )

    assert _in_no_scope(everything_for, alice) == ({mine.pk}, {mine.person_id})
    assert _in_no_scope(everything_for, charlie) == ({theirs.pk}, {theirs.person_id})
    # The network coordinator belongs to no organisation, and so reads no one.
    assert _in_no_scope(everything_for, nadia) == (set(), set())


@pytest.mark.django_db
def test_it_scopes_related_lookups_too(alice, charlie):
    case = CaseFactory(organisation=charlie.organisation, case_manager=charlie)
    Contact.objects.create(
        case=case, date=case.referral_date, type="phone", recorded_by=charlie, note="x"
    )

    def contacts_seen_by(user):
        with user_scope(user):
            return case.contacts.count()

    assert _in_no_scope(contacts_seen_by, charlie) == 1
    assert _in_no_scope(contacts_seen_by, alice) == 0


@pytest.mark.django_db
def test_it_serves_a_request_in_the_users_scope(client, alice, as_user):
    CaseFactory(organisation=alice.organisation, case_manager=alice)
    response = _in_no_scope(as_user(alice).get, "/cases/")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "command, args",
    [
        ("run_shares", []),
        ("apply_retention", []),
        ("rotate_keys", []),
        ("dumpdata", ["cases", "--allow-personal-data"]),
    ],
)
def test_it_runs_the_jobs_across_organisations_outside_any_scope(
    command, args, alice, charlie, settings
):
    CaseFactory(organisation=alice.organisation, case_manager=alice)
    CaseFactory(organisation=charlie.organisation, case_manager=charlie)
    _in_no_scope(call_command, command, *args, verbosity=0)


@pytest.mark.django_db
def test_it_derives_and_reports_the_network_dataset_outside_any_scope(alice, tmp_path):
    CaseFactory(organisation=alice.organisation, case_manager=alice)
    # The period ends this month (the default), after the case's referral.
    _in_no_scope(call_command, "export_dataset", "--out", str(tmp_path))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    # One case alone would single its person out: derived, then withheld (mel/anonymity.py).
    assert manifest["rows"] + manifest["withheld"] == 1
    out = tmp_path / "report.json"
    _in_no_scope(
        call_command,
        "mel_report",
        "--start", "2025-01", "--end", timezone.localdate().strftime("%Y-%m"), "--disclosure", "network",
        "--format", "json", "--out", str(out),
    )  # fmt: skip
    assert out.exists()
