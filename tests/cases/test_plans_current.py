"""Plans that stay current (issue 11 #5): goals and actions change in place, with or without
JavaScript; the plan is not sent before the first assessment; the case page lists what is to do."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import days_ago, to_active, to_included
from engage.cases.models import Action, CasePlan, Goal
from engage.history.models import Change
from engage.lib.concurrency import ConcurrentEditError
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def duplicate_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return [value for value, count in Counter(parser.ids).items() if count > 1]


@pytest.fixture
def active(case, alice, bob):
    """Alice's active case: an agreed plan with a goal "Explore legal stay" and one action."""
    case, plan = to_active(case, alice, bob)
    goal = plan.goals.get()
    return case, plan, goal, goal.actions.get()


def _add_goal(plan, by, description="Find stable housing", actions=2):
    goal = services.add_goal(plan, by=by, data={"area": "basic_needs", "description": description})
    for n in range(actions):
        services.add_action(
            goal,
            by=by,
            data={
                "description": f"{description}: step {n}",
                "owner": "case_manager",
                "due_date": days_ago(5 - 10 * n),
            },
        )
    return goal


class TestGoalServices:
    def test_it_rewords_a_goal_and_keeps_the_plan_agreed_with_the_old_wording_in_history(
        self, active, alice
    ):
        _case, plan, goal, _action = active
        services.edit_goal(goal, by=alice, description="Apply for legal stay", expected_version=1)
        goal.refresh_from_db()
        plan.refresh_from_db()
        assert goal.description == "Apply for legal stay" and goal.version == 2
        assert plan.status == CasePlan.Status.APPROVED and plan.approved_by is not None
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE, object_id=goal.pk, detail="description"
        ).exists()
        changes = Change.objects.filter(model="cases.goal", object_id=goal.pk, operation="update")
        assert changes.exists()

    def test_the_case_history_shows_the_earlier_wording_and_status(self, as_user, active, alice):
        case, _plan, goal, _action = active
        services.edit_goal(goal, by=alice, description="Apply for legal stay", expected_version=1)
        services.set_goal_status(
            goal, by=alice, status=Goal.Status.ACHIEVED, date=days_ago(1), expected_version=2
        )
        body = as_user(alice).get(f"/history/cases/{case.pk}/").content.decode()
        for text in ("Explore legal stay", "Apply for legal stay", "Achieved", "In progress"):
            assert text in body, text
        assert "Date achieved or given up" in body

    def test_it_refuses_an_edit_made_on_an_old_version(self, active, alice, bob):
        _case, _plan, goal, _action = active
        services.edit_goal(goal, by=bob, description="Bob's wording", expected_version=1)
        stale = Goal.objects.get(pk=goal.pk)
        with pytest.raises(ConcurrentEditError):
            services.edit_goal(stale, by=alice, description="Alice's", expected_version=1)
        assert Goal.objects.get(pk=goal.pk).description == "Bob's wording"

    def test_it_refuses_an_empty_goal(self, active, alice):
        _case, _plan, goal, _action = active
        with pytest.raises(ValidationError) as error:
            services.edit_goal(goal, by=alice, description="   ", expected_version=1)
        assert "description" in error.value.message_dict

    def test_it_marks_a_goal_achieved_on_a_date_and_cancels_its_open_actions(self, active, alice):
        _case, _plan, goal, action = active
        done = services.add_action(
            goal, by=alice, data={"description": "Done", "owner": "client", "due_date": days_ago(3)}
        )
        services.set_action_status(
            done, by=alice, status=Action.Status.DONE, expected_version=done.version
        )
        cancelled = services.set_goal_status(
            goal, by=alice, status=Goal.Status.ACHIEVED, date=days_ago(1), expected_version=1
        )
        goal.refresh_from_db()
        assert (goal.status, goal.status_date, cancelled) == ("achieved", days_ago(1), 1)
        assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED
        assert Action.objects.get(pk=done.pk).status == Action.Status.DONE

    def test_it_reopens_a_goal_without_its_date(self, active, alice):
        _case, _plan, goal, _action = active
        services.set_goal_status(
            goal, by=alice, status=Goal.Status.DROPPED, date=days_ago(2), expected_version=1
        )
        services.set_goal_status(
            goal, by=alice, status=Goal.Status.OPEN, date=days_ago(2), expected_version=2
        )
        goal.refresh_from_db()
        assert (goal.status, goal.status_date) == ("open", None)

    @pytest.mark.parametrize("date", [days_ago(-1), None, days_ago(400)])
    def test_it_wants_a_real_date_for_an_ended_goal(self, active, alice, date):
        _case, _plan, goal, _action = active
        with pytest.raises(ValidationError) as error:
            services.set_goal_status(
                goal, by=alice, status=Goal.Status.ACHIEVED, date=date, expected_version=1
            )
        assert "status_date" in error.value.message_dict

    def test_nothing_changes_while_the_plan_waits_for_approval(self, case, alice, bob):
        to_included(case, alice, bob)
        services.record_assessment(
            case,
            by=alice,
            data={
                "date": days_ago(5),
                "informed_decisions": 2,
                "engage_procedures": 2,
                "wellbeing": 2,
            },
        )
        plan = services.create_plan(case, by=alice, person=case.person)
        goal = _add_goal(plan, alice, actions=1)
        services.submit_plan(plan, by=alice)
        goal = Goal.objects.get(pk=goal.pk)
        action = goal.actions.get()
        for attempt in (
            lambda: services.edit_goal(goal, by=alice, description="x", expected_version=1),
            lambda: services.set_goal_status(
                goal, by=alice, status="achieved", date=days_ago(0), expected_version=1
            ),
            lambda: services.edit_action(
                action,
                by=alice,
                data={
                    "description": "x",
                    "owner": "client",
                    "third_party": "",
                    "due_date": days_ago(0),
                },
                expected_version=1,
            ),
        ):
            with pytest.raises(ValidationError, match="waiting for approval"):
                attempt()


class TestActionServices:
    def test_it_edits_text_owner_and_date_and_forgets_an_earlier_third_party(self, active, alice):
        _case, _plan, goal, _action = active
        action = services.add_action(
            goal,
            by=alice,
            data={
                "description": "Legal aid",
                "owner": "third_party",
                "third_party": "Legal aid",
                "due_date": days_ago(-5),
            },
        )
        services.edit_action(
            action,
            by=alice,
            data={
                "description": "Call the lawyer",
                "owner": "client",
                "third_party": "Legal aid",
                "due_date": days_ago(-9),
            },
            expected_version=1,
        )
        action.refresh_from_db()
        assert (action.description, action.owner, action.third_party, action.due_date) == (
            "Call the lawyer",
            "client",
            "",
            days_ago(-9),
        )
        assert action.version == 2
        assert AuditEvent.objects.filter(object_id=action.pk, action="update").exists()

    def test_it_wants_the_third_party_named(self, active, alice):
        _case, _plan, _goal, action = active
        with pytest.raises(ValidationError) as error:
            services.edit_action(
                action,
                by=alice,
                data={
                    "description": "x",
                    "owner": "third_party",
                    "third_party": " ",
                    "due_date": days_ago(0),
                },
                expected_version=1,
            )
        assert "third_party" in error.value.message_dict

    def test_it_refuses_an_edit_made_on_an_old_version(self, active, alice, bob):
        _case, _plan, goal, action = active
        data = {"description": "x", "owner": "client", "third_party": "", "due_date": days_ago(0)}
        services.edit_action(
            action, by=bob, data=data | {"description": "Bob's"}, expected_version=1
        )
        stale = Action.objects.get(pk=action.pk)
        with pytest.raises(ConcurrentEditError):
            services.edit_action(stale, by=alice, data=data, expected_version=1)
        # cancelling by the goal's end counts as a change too
        services.set_goal_status(
            goal, by=alice, status="dropped", date=days_ago(0), expected_version=1
        )
        assert Action.objects.get(pk=action.pk).version == 3


class TestSubmission:
    def test_it_refuses_to_send_a_plan_before_the_first_assessment(self, case, alice, bob):
        to_included(case, alice, bob)
        plan = services.create_plan(case, by=alice, person=case.person)
        _add_goal(plan, alice)
        with pytest.raises(ValidationError, match="once the first assessment is recorded"):
            services.submit_plan(plan, by=alice)
        assert CasePlan.objects.get(pk=plan.pk).status == CasePlan.Status.DRAFT

    def test_the_page_says_why_instead_of_the_button_and_links_the_assessment(
        self, as_user, case, alice, bob
    ):
        to_included(case, alice, bob)
        plan = services.create_plan(case, by=alice, person=case.person)
        _add_goal(plan, alice)
        client = as_user(alice)
        body = client.get(f"/cases/plans/{plan.pk}/").content.decode()
        assert "once the first assessment is recorded" in body
        assert f'href="/cases/{case.pk}/assessments/new/"' in body
        assert "Send to a supervisor for approval" not in body
        # Sent anyway (an old page, a crafted form): refused with the same reason.
        response = client.post(f"/cases/plans/{plan.pk}/submit/", follow=True)
        assert "once the first assessment is recorded" in response.content.decode()
        assert CasePlan.objects.get(pk=plan.pk).status == CasePlan.Status.DRAFT

    def test_the_button_is_there_once_assessed(self, as_user, case, alice, bob):
        to_included(case, alice, bob)
        services.record_assessment(
            case,
            by=alice,
            data={
                "date": days_ago(5),
                "informed_decisions": 2,
                "engage_procedures": 2,
                "wellbeing": 2,
            },
        )
        plan = services.create_plan(case, by=alice, person=case.person)
        _add_goal(plan, alice)
        body = as_user(alice).get(f"/cases/plans/{plan.pk}/").content.decode()
        assert "Send to a supervisor for approval" in body and "plan-not-ready" not in body

    def test_the_api_refuses_it_too(self, case, alice, bob):
        to_included(case, alice, bob)
        plan = services.create_plan(case, by=alice, person=case.person)
        _add_goal(plan, alice)
        response = ApiClient(make_token(alice)).post(f"/api/v1/plans/{plan.pk}/submit/")
        assert response.status_code == 400
        assert "once the first assessment is recorded" in response.json()["error"]["message"]
        assert CasePlan.objects.get(pk=plan.pk).status == CasePlan.Status.DRAFT


class TestGoalPages:
    def test_without_javascript_it_edits_on_a_page_of_its_own_and_returns_to_the_goal(
        self, as_user, active, alice
    ):
        _case, plan, goal, _action = active
        client = as_user(alice)
        page = client.get(f"/cases/goals/{goal.pk}/edit/")
        body = page.content.decode()
        assert "<html" in body and "Explore legal stay" in body and 'name="version"' in body
        response = client.post(
            f"/cases/goals/{goal.pk}/edit/", {"description": "Apply for legal stay", "version": 1}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/cases/plans/{plan.pk}/#goal-{goal.pk}"
        body = client.get(response["Location"]).content.decode()
        assert "Apply for legal stay" in body and "Goal saved." in body

    def test_with_htmx_it_answers_with_the_goal_card_only(self, as_user, active, alice):
        _case, _plan, goal, action = active
        client = as_user(alice)
        form = client.get(f"/cases/goals/{goal.pk}/edit/", **HTMX).content.decode()
        assert "<html" not in form and f'id="goal-{goal.pk}"' in form
        assert f'hx-post="/cases/goals/{goal.pk}/edit/"' in form
        saved = client.post(
            f"/cases/goals/{goal.pk}/edit/",
            {"description": "Apply for legal stay", "version": 1},
            **HTMX,
        )
        body = saved.content.decode()
        assert saved.status_code == 200 and "<html" not in body
        assert "<h2>Apply for legal stay</h2>" in body and f'id="action-{action.pk}"' in body
        # No message waits for the next page: the card showed the change.
        assert "Goal saved." not in client.get(f"/cases/{_case.pk}/").content.decode()

    def test_with_htmx_it_shows_what_is_wrong_in_the_card(self, as_user, active, alice, bob):
        _case, _plan, goal, _action = active
        client = as_user(alice)
        empty = client.post(
            f"/cases/goals/{goal.pk}/edit/", {"description": "", "version": 1}, **HTMX
        ).content.decode()
        assert "This field is required." in empty and "<html" not in empty
        services.edit_goal(goal, by=bob, description="Bob's wording", expected_version=1)
        stale = client.post(
            f"/cases/goals/{goal.pk}/edit/", {"description": "Mine", "version": 1}, **HTMX
        ).content.decode()
        assert "Someone else changed this record" in stale
        assert Goal.objects.get(pk=goal.pk).description == "Bob's wording"

    def test_it_marks_achieved_and_reopens_with_and_without_htmx(self, as_user, active, alice):
        _case, plan, goal, action = active
        client = as_user(alice)
        body = client.post(
            f"/cases/goals/{goal.pk}/status/",
            {"status": "achieved", "status_date": days_ago(1).isoformat(), "version": 1},
            **HTMX,
        ).content.decode()
        assert "Achieved on" in body and "Its open action was cancelled." in body
        assert "Take the goal up again" in body and "<html" not in body
        assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED
        response = client.post(f"/cases/goals/{goal.pk}/reopen/", {"version": 2})
        assert response["Location"] == f"/cases/plans/{plan.pk}/#goal-{goal.pk}"
        assert Goal.objects.get(pk=goal.pk).status == Goal.Status.OPEN

    def test_without_javascript_a_refused_status_comes_back_on_its_own_page(
        self, as_user, active, alice
    ):
        _case, _plan, goal, _action = active
        response = as_user(alice).post(
            f"/cases/goals/{goal.pk}/status/",
            {"status": "dropped", "status_date": days_ago(-3).isoformat(), "version": 1},
        )
        body = response.content.decode()
        assert response.status_code == 200 and "<html" in body
        assert "This date is in the future." in body
        assert Goal.objects.get(pk=goal.pk).status == Goal.Status.OPEN

    def test_a_plan_waiting_for_approval_sends_back_to_the_plan_with_the_reason(
        self, as_user, case, alice, bob
    ):
        to_included(case, alice, bob)
        services.record_assessment(
            case,
            by=alice,
            data={
                "date": days_ago(5),
                "informed_decisions": 2,
                "engage_procedures": 2,
                "wellbeing": 2,
            },
        )
        plan = services.create_plan(case, by=alice, person=case.person)
        goal = _add_goal(plan, alice, actions=1)
        services.submit_plan(plan, by=alice)
        client = as_user(alice)
        htmx = client.get(f"/cases/goals/{goal.pk}/edit/", **HTMX)
        assert htmx.status_code == 204
        assert htmx["HX-Redirect"] == f"/cases/plans/{plan.pk}/#goal-{goal.pk}"
        page = client.get(f"/cases/goals/{goal.pk}/edit/", follow=True).content.decode()
        assert "waiting for approval" in page


class TestActionPages:
    def test_without_javascript_it_edits_on_a_page_of_its_own(self, as_user, active, alice):
        _case, plan, _goal, action = active
        client = as_user(alice)
        assert "<html" in client.get(f"/cases/actions/{action.pk}/edit/").content.decode()
        response = client.post(
            f"/cases/actions/{action.pk}/edit/",
            {
                "description": "See the lawyer at the legal aid office",
                "owner": "case_manager",
                "third_party": "",
                "due_date": days_ago(-12).isoformat(),
                "version": 1,
            },
        )
        assert response["Location"] == f"/cases/plans/{plan.pk}/#action-{action.pk}"
        action.refresh_from_db()
        assert (action.description, action.owner, action.due_date) == (
            "See the lawyer at the legal aid office",
            "case_manager",
            days_ago(-12),
        )

    def test_with_htmx_it_swaps_the_row(self, as_user, active, alice):
        _case, _plan, _goal, action = active
        client = as_user(alice)
        editing = client.get(f"/cases/actions/{action.pk}/edit/", **HTMX).content.decode()
        assert editing.strip().startswith(f'<tr id="action-{action.pk}" class="editing">')
        body = client.post(
            f"/cases/actions/{action.pk}/edit/",
            {
                "description": "Call the lawyer",
                "owner": "client",
                "third_party": "",
                "due_date": days_ago(3).isoformat(),
                "version": 1,
            },
            **HTMX,
        ).content.decode()
        assert body.strip().startswith(f'<tr id="action-{action.pk}">')
        assert "Call the lawyer" in body and "overdue by 3 days" in body
        missing = client.post(
            f"/cases/actions/{action.pk}/edit/",
            {
                "description": "x",
                "owner": "third_party",
                "due_date": days_ago(3).isoformat(),
                "version": 2,
            },
            **HTMX,
        ).content.decode()
        assert "Name the third party who owns this action." in missing and "editing" in missing


class TestScope:
    @pytest.mark.parametrize(
        "url",
        [
            "goals/{goal}/edit/",
            "goals/{goal}/status/",
            "goals/{goal}/reopen/",
            "actions/{action}/edit/",
        ],
    )
    def test_other_organisations_and_readers_get_404(
        self, as_user, active, alice, charlie, ada, url
    ):
        _case, _plan, goal, action = active
        path = "/cases/" + url.format(goal=goal.pk, action=action.pk)
        for person in (charlie, ada):
            client = as_user(person)
            # Sending only (405 whatever the id) or editing (404: not found, as for any id).
            assert client.get(path).status_code == (405 if "edit" not in url else 404)
            data = {"description": "x", "status": "achieved", "version": 1}
            assert client.post(path, data).status_code == 404
            assert client.post(path, data, **HTMX).status_code == 404
        goal.refresh_from_db()
        assert (goal.description, goal.status) == ("Explore legal stay", "open")


class TestPagesAsAWhole:
    def _rich(self, case, plan, alice, bob):
        second = _add_goal(plan, alice)
        services.set_goal_status(
            _add_goal(plan, alice, "Join a language course", actions=1),
            by=alice,
            status="achieved",
            date=days_ago(2),
            expected_version=1,
        )
        services.log_contact(case, by=alice, data={"date": days_ago(1), "type": "phone"})
        return second

    def test_no_id_is_used_twice_on_the_plan_page_or_the_case_page(
        self, as_user, active, alice, bob
    ):
        case, plan, _goal, _action = active
        self._rich(case, plan, alice, bob)
        draft = services.create_plan(case, by=alice, person=case.person)
        _add_goal(draft, alice)
        client = as_user(alice)
        for url in (
            f"/cases/plans/{plan.pk}/",
            f"/cases/plans/{draft.pk}/",
            f"/cases/{case.pk}/",
        ):
            body = client.get(url).content.decode()
            assert duplicate_ids(body) == [], url
        # A supervisor's view of a plan waiting for approval carries the approval form too.
        to_review = CasePlan.objects.create(
            case=case, person=case.person, created_by=alice, status=CasePlan.Status.PENDING
        )
        waiting = Goal.objects.create(plan=to_review, area="family", description="Family")
        Action.objects.create(
            goal=waiting, description="Call", owner="client", due_date=days_ago(0)
        )
        assert (
            duplicate_ids(as_user(bob).get(f"/cases/plans/{to_review.pk}/").content.decode()) == []
        )

    def test_the_plan_page_keeps_its_query_count_as_goals_and_actions_grow(
        self, as_user, active, alice, bob
    ):
        case, plan, _goal, _action = active
        client = as_user(alice)
        with CaptureQueriesContext(connection) as small:
            client.get(f"/cases/plans/{plan.pk}/")
        self._rich(case, plan, alice, bob)
        for n in range(3):
            _add_goal(plan, alice, f"Goal {n}", actions=3)
        with CaptureQueriesContext(connection) as big:
            client.get(f"/cases/plans/{plan.pk}/")
        assert len(big) == len(small)

    def test_the_case_page_lists_what_is_to_do_with_its_lateness_linked_to_the_plan(
        self, as_user, active, alice, bob, ada
    ):
        case, plan, _goal, _action = active
        second = self._rich(case, plan, alice, bob)
        late, _soon = second.actions.order_by("due_date")
        already = services.add_action(
            second,
            by=alice,
            data={"description": "Already done", "owner": "client", "due_date": days_ago(1)},
        )
        services.set_action_status(
            already, by=alice, status="done", expected_version=already.version
        )
        body = as_user(alice).get(f"/cases/{case.pk}/").content.decode()
        section = body[body.index('id="open-actions"') :]
        assert f'href="/cases/plans/{plan.pk}/#action-{late.pk}"' in section
        assert "Find stable housing: step 0" in section and "overdue by 5 days" in section
        assert "Find stable housing: step 1" in section and "due in 5 days" in section
        assert "See a lawyer" in section and "due in 30 days" in section
        assert "Already done" not in section and "Join a language course" not in section
        assert section.index("step 0") < section.index("step 1") < section.index("See a lawyer")
        assert "Case manager" in section and "Client" in section
        # The org admin does not read plans: no actions listed.
        assert 'id="open-actions"' not in as_user(ada).get(f"/cases/{case.pk}/").content.decode()

    def test_the_case_page_keeps_its_query_count_as_actions_grow(self, as_user, active, alice, bob):
        case, plan, _goal, _action = active
        # One contact already: the notes of the contacts shown are read in one query, which a
        # case without contacts does not need.
        services.log_contact(case, by=alice, data={"date": days_ago(9), "type": "phone"})
        client = as_user(alice)
        with CaptureQueriesContext(connection) as small:
            client.get(f"/cases/{case.pk}/")
        self._rich(case, plan, alice, bob)
        other = services.create_plan(case, by=alice, person=case.person)
        _add_goal(other, alice, "Other plan's goal", actions=3)
        with CaptureQueriesContext(connection) as big:
            client.get(f"/cases/{case.pk}/")
        assert len(big) == len(small)
