"""An action's status changes only from the action as it was shown (its version), and never
back to "to do" under a goal that ended: through the service, the plan page (with and without
htmx), the API and the offline sync."""

import re

import pytest
from django.core.exceptions import ValidationError

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import days_ago, to_active
from engage.cases.models import Action, Goal
from engage.lib.concurrency import ConcurrentEditError
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REFUSED_TO_DO = "Take the goal up again first"
STALE = "Someone else changed this record"


@pytest.fixture
def active(case, alice, bob):
    """Alice's active case: an agreed plan, its goal "Explore legal stay", one action to do."""
    case, plan = to_active(case, alice, bob)
    goal = plan.goals.get()
    return case, plan, goal, goal.actions.get()


def _status_audits(action):
    return AuditEvent.objects.filter(object_id=action.pk, detail__startswith="status=").count()


def _end(goal, by, status):
    services.set_goal_status(
        goal, by=by, status=status, date=days_ago(1), expected_version=goal.version
    )


def _done_under_an_ended_goal(active, alice, status):
    _case, _plan, goal, action = active
    services.set_action_status(
        action, by=alice, status=Action.Status.DONE, expected_version=action.version
    )
    _end(goal, alice, status)
    return Action.objects.get(pk=action.pk)


def _version_sent(html: str, action) -> str:
    form = re.search(
        rf'<form[^>]*action="/cases/actions/{action.pk}/status/".*?</form>', html, re.S
    )
    assert form, "no status form for the action"
    version = re.search(r'name="version" value="(\d+)"', form.group(0))
    assert version, "the status form sends no version"
    return version.group(1)


class TestTheService:
    def test_it_sets_the_status_moves_the_version_and_audits_it(self, active, alice):
        _case, _plan, _goal, action = active
        services.set_action_status(action, by=alice, status="done", expected_version=1)
        stored = Action.objects.get(pk=action.pk)
        assert (stored.status, stored.completed_on, stored.version) == ("done", days_ago(0), 2)
        assert action.version == 2
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE, object_id=action.pk, detail="status=done"
        ).exists()

    def test_it_refuses_a_change_made_on_an_old_version(self, active, alice, bob):
        _case, _plan, _goal, action = active
        services.set_action_status(
            Action.objects.get(pk=action.pk), by=bob, status="cancelled", expected_version=1
        )
        with pytest.raises(ConcurrentEditError):
            services.set_action_status(
                Action.objects.get(pk=action.pk), by=alice, status="done", expected_version=1
            )
        stored = Action.objects.get(pk=action.pk)
        assert (stored.status, stored.completed_on, stored.version) == ("cancelled", None, 2)
        assert _status_audits(action) == 1

    @pytest.mark.parametrize("ended", [Goal.Status.ACHIEVED, Goal.Status.DROPPED])
    def test_it_refuses_to_do_again_under_a_goal_that_ended(self, active, alice, ended):
        action = _done_under_an_ended_goal(active, alice, ended)
        with pytest.raises(ValidationError, match=REFUSED_TO_DO) as error:
            services.set_action_status(
                action, by=alice, status=Action.Status.OPEN, expected_version=action.version
            )
        assert "status" in error.value.message_dict
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE
        assert _status_audits(action) == 1

    def test_it_refuses_to_do_again_when_the_goal_ended_since_the_action_was_read(
        self, active, alice, bob
    ):
        _case, _plan, goal, action = active
        services.set_action_status(action, by=alice, status="done", expected_version=1)
        _end(Goal.objects.get(pk=goal.pk), bob, Goal.Status.ACHIEVED)
        # `action.goal` is the goal as it was read, still in progress: the stored one counts.
        assert action.goal.status == Goal.Status.OPEN
        with pytest.raises(ValidationError, match=REFUSED_TO_DO):
            services.set_action_status(action, by=alice, status="open", expected_version=2)
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE

    def test_it_sets_to_do_again_once_the_goal_is_taken_up_again(self, active, alice):
        action = _done_under_an_ended_goal(active, alice, Goal.Status.ACHIEVED)
        goal = Goal.objects.get(pk=action.goal_id)
        services.set_goal_status(
            goal, by=alice, status=Goal.Status.OPEN, date=None, expected_version=goal.version
        )
        action = Action.objects.get(pk=action.pk)
        services.set_action_status(
            action, by=alice, status=Action.Status.OPEN, expected_version=action.version
        )
        stored = Action.objects.get(pk=action.pk)
        assert (stored.status, stored.completed_on) == (Action.Status.OPEN, None)

    def test_an_action_of_an_ended_goal_can_still_be_recorded_done(self, active, alice):
        _case, _plan, goal, action = active
        _end(goal, alice, Goal.Status.ACHIEVED)  # its open action is cancelled
        action = Action.objects.get(pk=action.pk)
        assert action.status == Action.Status.CANCELLED
        services.set_action_status(
            action, by=alice, status=Action.Status.DONE, expected_version=action.version
        )
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE


def _stale_post(as_user, active, alice, bob, **headers):
    """Alice sends "done" from the row as it was before Bob cancelled the action."""
    _case, plan, _goal, action = active
    services.set_action_status(action, by=bob, status="cancelled", expected_version=1)
    client = as_user(alice)
    response = client.post(
        f"/cases/actions/{action.pk}/status/", {"status": "done", "version": 1}, **headers
    )
    return plan, action, client, response


class TestThePlanPage:
    def test_each_status_form_sends_the_version_its_row_was_shown_with(
        self, as_user, active, alice, bob
    ):
        _case, plan, _goal, action = active
        services.set_action_status(action, by=bob, status="done", expected_version=1)
        page = as_user(alice).get(f"/cases/plans/{plan.pk}/").content.decode()
        assert _version_sent(page, action) == "2"

    def test_with_htmx_the_row_comes_back_with_the_new_status_and_version(
        self, as_user, active, alice
    ):
        _case, _plan, _goal, action = active
        row = as_user(alice).post(
            f"/cases/actions/{action.pk}/status/", {"status": "done", "version": 1}, **HTMX
        )
        body = row.content.decode()
        assert body.strip().startswith(f'<tr id="action-{action.pk}">')
        assert '<option value="done" selected>' in body
        assert _version_sent(body, action) == "2"
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE

    def test_without_javascript_a_stale_row_is_refused_with_the_reason_on_the_plan(
        self, as_user, active, alice, bob
    ):
        plan, action, client, response = _stale_post(as_user, active, alice, bob)
        assert response["Location"] == f"/cases/plans/{plan.pk}/#action-{action.pk}"
        page = client.get(response["Location"]).content.decode()
        assert STALE in page
        assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED

    def test_with_htmx_a_stale_row_sends_the_whole_plan_with_the_reason(
        self, as_user, active, alice, bob
    ):
        plan, action, client, response = _stale_post(as_user, active, alice, bob, **HTMX)
        assert response.status_code == 204
        assert response["HX-Redirect"] == f"/cases/plans/{plan.pk}/#action-{action.pk}"
        assert STALE in client.get(f"/cases/plans/{plan.pk}/").content.decode()
        assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED

    def test_a_status_sent_without_a_version_is_refused_as_stale(self, as_user, active, alice):
        _case, plan, _goal, action = active
        client = as_user(alice)
        client.post(f"/cases/actions/{action.pk}/status/", {"status": "done"})
        assert STALE in client.get(f"/cases/plans/{plan.pk}/").content.decode()
        assert Action.objects.get(pk=action.pk).status == Action.Status.OPEN

    def test_to_do_again_under_an_ended_goal_is_refused_with_what_to_do_instead(
        self, as_user, active, alice
    ):
        _case, plan, _goal, _action = active
        action = _done_under_an_ended_goal(active, alice, Goal.Status.ACHIEVED)
        client = as_user(alice)
        page = client.get(f"/cases/plans/{plan.pk}/").content.decode()
        row = page[page.index(f'id="action-{action.pk}"') :]
        row = row[: row.index("</tr>")]
        assert 'value="open"' not in row and 'value="done" selected' in row
        client.post(
            f"/cases/actions/{action.pk}/status/",
            {"status": "open", "version": action.version},
            **HTMX,
        )
        assert REFUSED_TO_DO in client.get(f"/cases/plans/{plan.pk}/").content.decode()
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE


class TestOtherCallers:
    def test_the_api_sets_a_status_and_refuses_to_do_under_an_ended_goal(self, active, alice):
        case, _plan, goal, action = active
        api = ApiClient(make_token(alice))
        reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_id=case.pk)
        before = reads.count()
        read = api.get(f"/api/v1/actions/{action.pk}/")
        assert read.headers["ETag"] == '"v1"' and read.json()["version"] == 1
        assert reads.count() == before + 1  # a read of its case, audited
        response = api.patch(
            f"/api/v1/actions/{action.pk}/", {"status": "done"}, HTTP_IF_MATCH=read["ETag"]
        )
        assert response.status_code == 200 and response.json()["status"] == "done"
        assert response.headers["ETag"] == '"v2"'
        assert Action.objects.get(pk=action.pk).version == 2
        _end(Goal.objects.get(pk=goal.pk), alice, Goal.Status.ACHIEVED)
        response = api.patch(
            f"/api/v1/actions/{action.pk}/", {"status": "open"}, HTTP_IF_MATCH='"v2"'
        )
        assert response.status_code == 400
        assert REFUSED_TO_DO in response.content.decode()
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE

    def test_the_api_tells_a_client_whose_read_is_older_than_another_clients_write(
        self, active, alice, bob
    ):
        """Two API clients read the action; the second to write is refused, not silently
        undoing the first's change; without If-Match nothing is written either."""
        _case, _plan, _goal, action = active
        first, second = ApiClient(make_token(alice)), ApiClient(make_token(bob))
        path = f"/api/v1/actions/{action.pk}/"
        seen = first.get(path)["ETag"]
        assert second.get(path)["ETag"] == seen
        assert first.patch(path, {"status": "done"}, HTTP_IF_MATCH=seen).status_code == 200
        stale = second.patch(path, {"status": "cancelled"}, HTTP_IF_MATCH=seen)
        assert stale.status_code == 412
        missing = second.patch(path, {"status": "cancelled"})
        assert missing.status_code == 428
        assert Action.objects.get(pk=action.pk).status == Action.Status.DONE
        assert _status_audits(action) == 1
