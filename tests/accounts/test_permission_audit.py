"""Issue 10, item 13: a change of role or permission is logged with what changed, from what to
what, even though the edit form copies the new values onto the user before the service runs."""

import time

import pytest

from engage.accounts import services
from engage.accounts.models import Role
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    session = client.session
    session[AUTHENTICATED_AT] = time.time()  # the password was just typed again (step-up)
    session.save()
    return client


def _post_edit(client, user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "team": user.team_id or "",
        "may_override_consent": "on" if user.may_override_consent else "",
        "version": user.version,
    } | changes
    if not data["may_override_consent"]:
        del data["may_override_consent"]
    return client.post(f"/accounts/users/{user.pk}/", data)


def _permission_changes():
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_CHANGE).values_list(
            "detail", flat=True
        )
    )


def test_it_logs_a_role_change_made_in_the_form_from_what_to_what(admin_client, alice):
    team_id = alice.team_id
    response = _post_edit(admin_client, alice, role=Role.SUPERVISOR, team="")
    assert response.status_code == 302
    assert _permission_changes() == [f"role:case_manager>supervisor,team:{team_id}>-"]
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_id=alice.pk
    ).exists()


def test_it_logs_the_consent_override_grant_made_in_the_form(admin_client, alice):
    assert _post_edit(admin_client, alice, may_override_consent="on").status_code == 302
    assert _permission_changes() == ["may_override_consent:no>yes"]
    alice.refresh_from_db()
    assert _post_edit(admin_client, alice, may_override_consent="").status_code == 302
    assert sorted(_permission_changes()) == [
        "may_override_consent:no>yes",
        "may_override_consent:yes>no",
    ]


def test_it_logs_a_change_of_name_alone_as_a_plain_update(admin_client, alice):
    assert _post_edit(admin_client, alice, last_name="Martin").status_code == 302
    assert _permission_changes() == []
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, object_id=alice.pk).exists()


def test_it_compares_with_the_stored_row_not_the_instance_in_hand(alice, ada):
    alice.role = Role.SUPERVISOR  # as a ModelForm leaves it once valid
    alice.may_override_consent = True
    services.update_user(
        alice,
        by=ada,
        expected_version=alice.version,
        role=Role.SUPERVISOR,
        team=alice.team,
        first_name="Alice",
        last_name="",
        email="",
        may_override_consent=True,
    )
    assert _permission_changes() == ["role:case_manager>supervisor,may_override_consent:no>yes"]


def test_it_logs_deactivation_and_reactivation_from_what_to_what(alice, ada):
    services.deactivate_user(alice, by=ada)
    services.reactivate_user(alice, by=ada)
    assert sorted(_permission_changes()) == ["is_active:no>yes", "is_active:yes>no"]


def test_it_logs_a_new_team_leader_who_now_sees_the_teams_cases(admin_client, team, bob):
    """Red team (issue 10 #13): a team's leader sees every case of the team, yet giving the
    team another leader left no entry at all in the audit log."""
    from engage.accounts.factories import UserFactory

    other = UserFactory(organisation=team.organisation, role=Role.SUPERVISOR)
    response = admin_client.post(
        f"/accounts/teams/{team.pk}/",
        {"name": team.name, "leader": other.pk, "version": team.version},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_CHANGE)
    assert (event.object_id, event.detail) == (team.pk, f"leader:{bob.pk}>{other.pk}")
    # A new team is logged with its leader too; a change of name alone is a plain update.
    response = admin_client.post("/accounts/teams/new/", {"name": "Plovdiv", "leader": bob.pk})
    assert response.status_code == 302
    assert f"leader:->{bob.pk}" in _permission_changes()
