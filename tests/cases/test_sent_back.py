"""Supervisor decisions reach the case manager: what is sent back stays in front of them, with
the note, until they act on it; sending back without a note is refused next to the field."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from engage.cases import services
from engage.cases.factories import RATINGS, CaseFactory, days_ago, to_active, to_included
from engage.cases.models import Case, CasePlan
from engage.cases.models.process import ApprovalStatus
from engage.cases.sent_back import sent_back
from tests.cases.test_next_step import _inclusion_proposed

pytestmark = pytest.mark.django_db

NOTE = "Zznote: tick the criteria that screening established."


def _pending_plan(case, alice, bob):
    to_included(case, alice, bob)
    services.record_assessment(case, by=alice, data={"date": days_ago(2), **RATINGS})
    plan = services.create_plan(case, by=alice, person=case.person)
    services.add_goal(plan, by=alice, data={"area": "health", "description": "See a doctor"})
    services.submit_plan(plan, by=alice)
    return plan


def _pending_closure(case, alice, bob):
    to_active(case, alice, bob)
    return services.request_closure(
        case,
        by=alice,
        data={"date": days_ago(0), "reason": "transferred", "disengagement_factors": []},
    )


def _one_of_each_sent_back(organisation, alice, bob) -> None:
    """A plan, a closure and an inclusion decision of Alice's, each sent back by Bob."""
    plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    services.review_plan(plan, by=bob, approve=False, note=NOTE)
    closure = _pending_closure(
        CaseFactory(organisation=organisation, case_manager=alice), alice, bob
    )
    services.review_closure(closure, by=bob, approve=False, note=NOTE)
    case = _inclusion_proposed(
        CaseFactory(organisation=organisation, case_manager=alice), alice, bob
    )
    services.review_inclusion(case.inclusion_decisions.get(), by=bob, approve=False, note=NOTE)


class TestSendingBackNeedsANote:
    def test_the_services_refuse_it_on_the_note_field(self, organisation, alice, bob):
        decision = _inclusion_proposed(CaseFactory(organisation=organisation, case_manager=alice),
                                       alice, bob).inclusion_decisions.get()  # fmt: skip
        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        closure = _pending_closure(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        for review, item in (
            (services.review_inclusion, decision),
            (services.review_plan, plan),
            (services.review_closure, closure),
        ):
            with pytest.raises(ValidationError) as refused:
                review(item, by=bob, approve=False, note="  ")
            assert refused.value.message_dict == {
                "review_note": ["Say what needs to change before approval."]
            }
            item.refresh_from_db()
            assert item.status == ApprovalStatus.PENDING

    def test_the_pages_say_so_next_to_the_note(self, as_user, organisation, alice, bob):
        case = _inclusion_proposed(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        client = as_user(bob)
        for url in (
            f"/cases/decisions/{case.inclusion_decisions.get().pk}/",
            f"/cases/plans/{plan.pk}/approval/",
        ):
            response = client.post(url, {"decision": "reject", "review_note": ""})
            assert response.status_code == 200
            body = response.content.decode()
            error = body.split('id="id_review_note_error"', 1)[1].split("</ul>", 1)[0]
            assert "Say what needs to change before approval." in error
        assert case.inclusion_decisions.get().status == ApprovalStatus.PENDING

    def test_a_plan_sent_back_without_a_note_keeps_its_goals_in_view(
        self, as_user, organisation, alice, bob
    ):
        """The refusal was a page of the note alone: the plan decided on had gone."""
        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        goal = plan.goals.first()
        body = (
            as_user(bob)
            .post(f"/cases/plans/{plan.pk}/approval/", {"decision": "reject", "review_note": ""})
            .content.decode()
        )
        assert goal.description in body
        assert 'value="approve"' in body and 'value="reject"' in body

    def test_a_plan_sent_again_shows_the_note_it_answers(self, as_user, organisation, alice, bob):
        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        services.review_plan(plan, by=bob, approve=False, note="Zzadd a goal on housing")
        plan.refresh_from_db()
        services.submit_plan(plan, by=alice)
        body = as_user(bob).get(f"/cases/plans/{plan.pk}/").content.decode()
        approval = body.split("Approve this plan", 1)[1]
        assert "Sent back on" in approval and "Zzadd a goal on housing" in approval


class TestTheCaseManagerSeesIt:
    def test_an_inclusion_sent_back_shows_until_a_new_decision(
        self, as_user, organisation, alice, bob
    ):
        case = _inclusion_proposed(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        services.review_inclusion(case.inclusion_decisions.get(), by=bob, approve=False, note=NOTE)
        client = as_user(alice)
        caseload = client.get("/").content.decode()
        top = caseload.split('id="sent-back-title"', 1)[1].split("</section>", 1)[0]
        assert NOTE in top and case.reference in top and "Inclusion decision sent back" in top
        assert f"/cases/{case.pk}/inclusion/" in top and "by Bob" in top
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert NOTE in page.split('id="sent-back"', 1)[1]
        services.propose_inclusion(
            case, by=alice, include=True, date=days_ago(0), criteria_met=[], reason=""
        )
        assert NOTE not in client.get("/").content.decode()
        assert NOTE not in client.get(f"/cases/{case.pk}/").content.decode().split("Timeline")[0]

    def test_a_plan_sent_back_shows_until_it_is_sent_again(self, as_user, organisation, alice, bob):
        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        services.review_plan(plan, by=bob, approve=False, note=NOTE)
        plan.refresh_from_db()
        assert plan.status == CasePlan.Status.DRAFT and plan.reviewed_by == bob
        client = as_user(alice)
        assert NOTE in client.get("/").content.decode()
        assert NOTE in client.get(f"/cases/{plan.case_id}/").content.decode()
        services.add_goal(plan, by=alice, data={"area": "migration", "description": "Legal stay"})
        assert NOTE in client.get("/").content.decode()  # changing is not yet acting on it
        services.submit_plan(plan, by=alice)
        assert NOTE not in client.get("/").content.decode()

    def test_a_closure_sent_back_shows_until_asked_again_or_kept_open(
        self, as_user, organisation, alice, bob
    ):
        closure = _pending_closure(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        case = closure.case
        services.review_closure(closure, by=bob, approve=False, note=NOTE)
        client = as_user(alice)
        assert NOTE in client.get("/").content.decode()
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert "Keep the case open" in page and "Ask again to close the case" in page
        response = client.post(f"/cases/closures/{closure.pk}/keep-open/", follow=True)
        assert "The case stays open." in response.content.decode()
        assert NOTE not in client.get("/").content.decode()
        closure.refresh_from_db()
        assert closure.kept_open_at is not None
        # Once acted on, it cannot be set aside again.
        with pytest.raises(ValidationError):
            services.keep_case_open(closure, by=alice)

    def test_asking_again_to_close_acts_on_it(self, organisation, alice, bob):
        closure = _pending_closure(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        services.review_closure(closure, by=bob, approve=False, note=NOTE)
        cases = Case.objects.filter(case_manager=alice)
        assert [entry.kind for entry in sent_back(cases)] == ["closure"]
        services.request_closure(
            closure.case,
            by=alice,
            data={"date": days_ago(0), "reason": "transferred", "disengagement_factors": []},
        )
        assert sent_back(cases) == []
        with pytest.raises(ValidationError):
            services.keep_case_open(closure, by=alice)

    def test_it_keeps_the_case_open_once_from_two_pages_loaded_before(
        self, organisation, alice, bob
    ):
        """Two tabs (or a double click) each loaded the closure sent back: the second acted on
        what its page had loaded, and wrote and audited the closure again."""
        from engage.audit.models import AuditEvent

        closure = _pending_closure(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        services.review_closure(closure, by=bob, approve=False, note=NOTE)
        first, second = (type(closure).objects.get(pk=closure.pk) for _ in range(2))
        services.keep_case_open(first, by=alice)
        with pytest.raises(ValidationError) as refused:
            services.keep_case_open(second, by=alice)
        assert refused.value.messages == ["This closure is not waiting for you to act on it."]
        kept = AuditEvent.objects.filter(object_id=str(closure.pk), detail="kept_open")
        assert kept.count() == 1

    def test_no_one_else_sees_it(self, as_user, organisation, other_organisation, alice, bob,
                                 charlie):  # fmt: skip
        from engage.accounts.factories import UserFactory

        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        services.review_plan(plan, by=bob, approve=False, note=NOTE)
        colleague = UserFactory(organisation=organisation, team=alice.team)
        assert NOTE not in as_user(colleague).get("/").content.decode()
        assert NOTE not in as_user(charlie).get("/").content.decode()
        assert as_user(charlie).get(f"/cases/plans/{plan.pk}/").status_code == 404

    def test_an_outsider_cannot_set_a_closure_note_aside(self, as_user, organisation, alice, bob,
                                                         charlie):  # fmt: skip
        closure = _pending_closure(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        services.review_closure(closure, by=bob, approve=False, note=NOTE)
        assert as_user(charlie).post(f"/cases/closures/{closure.pk}/keep-open/").status_code == 404
        closure.refresh_from_db()
        assert closure.kept_open_at is None

    def test_the_caseload_keeps_its_query_count_as_items_are_sent_back(
        self, as_user, organisation, alice, bob
    ):
        client = as_user(alice)
        plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
        services.review_plan(plan, by=bob, approve=False, note=NOTE)
        with CaptureQueriesContext(connection) as small:
            client.get("/")
        for _n in range(3):
            _one_of_each_sent_back(organisation, alice, bob)
        with CaptureQueriesContext(connection) as big:
            body = client.get("/").content.decode()
        assert body.count(NOTE) == 10
        assert len(big) == len(small)

    def test_the_case_page_keeps_its_query_count_with_a_note(
        self, as_user, organisation, alice, bob
    ):
        closure = _pending_closure(
            CaseFactory(organisation=organisation, case_manager=alice), alice, bob
        )
        case = closure.case
        client = as_user(alice)
        with CaptureQueriesContext(connection) as before:
            client.get(f"/cases/{case.pk}/")
        services.review_closure(closure, by=bob, approve=False, note=NOTE)
        with CaptureQueriesContext(connection) as after:
            assert NOTE in client.get(f"/cases/{case.pk}/").content.decode()
        # The supervisor who sent it back, named beside the note.
        assert len(after) <= len(before) + 1

    def test_it_reads_the_loaded_cases_records_in_three_queries_and_gives_them_those_cases(
        self, organisation, alice, bob, team
    ):
        from engage.accounts.factories import UserFactory

        _one_of_each_sent_back(organisation, alice, bob)
        # A colleague's case with a plan sent back: not among the cases given, so not found.
        colleague = UserFactory(organisation=organisation, team=team)
        theirs = _pending_plan(
            CaseFactory(organisation=organisation, case_manager=colleague), colleague, bob
        )
        services.review_plan(theirs, by=bob, approve=False, note=NOTE)

        loaded = list(Case.objects.filter(case_manager=alice).select_related("person"))
        with CaptureQueriesContext(connection) as queries:
            found = sent_back(loaded)
        assert len(queries) == 3
        assert not [q for q in queries if '"cases_person"' in q["sql"]]
        assert sorted(entry.kind for entry in found) == ["closure", "inclusion", "plan"]
        with CaptureQueriesContext(connection) as shown:
            for entry in found:
                assert any(entry.case is mine for mine in loaded)
                assert entry.item.case is entry.case
                assert str(entry.case.person) and entry.by == bob and entry.url
        assert len(shown) == 0


def test_it_speaks_the_case_managers_language(as_user, organisation, alice, bob):
    plan = _pending_plan(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    services.review_plan(plan, by=bob, approve=False, note=NOTE)
    services.log_contact(plan.case, by=alice, data={"date": days_ago(0), "type": "phone"})
    alice.language = "pl"
    alice.save(update_fields=["language"])
    client = as_user(alice)
    with translation.override("en"):  # the requests switch to Polish; later tests speak English
        body = client.get("/").content.decode()
        page = client.get(f"/cases/{plan.case_id}/").content.decode()
    assert "Plan wsparcia odesłano do poprawy" in body and "Popraw plan wsparcia" in body
    assert "Zmień plan zgodnie z notatką" in page and "Case plan sent back" not in page
