"""Offline visits: taking cases offline, the bundle, devices, and outbox items applied once."""

import json
import time
import uuid

import pytest
from django.test import Client

from engage.accounts import services as accounts
from engage.accounts.factories import UserFactory
from engage.accounts.middleware import LAST_SEEN, STARTED_AT
from engage.accounts.models import Role
from engage.audit.models import AuditEvent
from engage.cases import services as cases
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Action, Appointment, Assessment, Contact, EngagementRecord
from engage.offline import services as offline
from engage.offline.models import OfflineCase, OfflineSync
from tests.offline.conftest import NOTE

pytestmark = pytest.mark.django_db


def _take(client, case):
    return client.post(f"/offline/cases/{case.pk}/take/")


def _sync(client, device, case, kind, data, *, key=None, base=None):
    item = {
        "key": str(key or uuid.uuid4()),
        "kind": kind,
        "case": str(case.pk),
        "base": base or {},
        "data": data,
        "queued_at": "2026-01-01T10:00:00+00:00",
    }
    return client.post(
        "/offline/sync/", data=json.dumps(item), content_type="application/json", **device
    )


def _contact(case):
    return {"date": case.referral_date.isoformat(), "type": "home_visit", "note": "Seen at home"}


class TestTakingOffline:
    def test_it_marks_the_case_and_audits_it(self, client, alice, active):
        client.force_login(alice)
        assert _take(client, active).status_code == 302
        assert OfflineCase.objects.filter(user=alice, case=active).exists()
        assert AuditEvent.objects.filter(object_id=active.pk, detail="offline_taken").exists()
        client.post(f"/offline/cases/{active.pk}/release/")
        assert not OfflineCase.objects.filter(user=alice, case=active).exists()
        assert AuditEvent.objects.filter(object_id=active.pk, detail="offline_released").exists()

    def test_it_refuses_a_foreign_case_with_404(self, client, charlie, active):
        client.force_login(charlie)
        assert _take(client, active).status_code == 404
        assert not OfflineCase.objects.exists()

    def test_an_org_admin_cannot(self, client, ada, active):
        client.force_login(ada)
        assert _take(client, active).status_code == 404


class TestTheBundle:
    def test_it_holds_the_minimum_and_no_notes(self, client, alice, active, device):
        _take(client, active)
        response = client.get("/offline/bundle/", **device)
        assert response.status_code == 200
        (entry,) = response.json()["cases"]
        assert entry["name"] == "Amira Testova"
        assert entry["phone"] == "+359 000 111"
        assert entry["address"] == "1 Sample Street"
        assert [a["description"] for a in entry["actions"]] == ["See a lawyer"]
        assert len(entry["contacts"]) == 1 and set(entry["contacts"][0]) == {"date", "type"}
        assert NOTE not in response.content.decode()
        assert response.json()["expires_at"]
        events = AuditEvent.objects.filter(actor_id=alice.pk)
        assert events.filter(detail="offline_bundle:1").exists()
        assert events.filter(action=AuditEvent.Action.VIEW, object_id=active.pk).exists()

    def test_it_needs_a_registered_device(self, client, alice, active):
        client.force_login(alice)
        _take(client, active)
        assert client.get("/offline/bundle/").status_code == 404

    def test_it_leaves_out_a_case_reassigned_away(
        self, client, alice, bob, organisation, active, device
    ):
        _take(client, active)
        other = UserFactory(organisation=organisation, team=None)
        cases.reassign(active, by=bob, case_manager=other, expected_version=active.version)
        assert client.get("/offline/bundle/", **device).json()["cases"] == []

    def test_it_leaves_out_a_case_closed_since_it_was_taken(
        self, client, alice, bob, active, device
    ):
        _take(client, active)
        assert len(client.get("/offline/bundle/", **device).json()["cases"]) == 1
        closure = cases.request_closure(
            active, by=alice, data={"date": days_ago(0), "reason": "transferred", "outcome": ""}
        )
        cases.review_closure(closure, by=bob, approve=True)
        assert client.get("/offline/bundle/", **device).json()["cases"] == []


class TestTheOutbox:
    def test_the_same_key_twice_is_one_contact(self, client, alice, active, device):
        key = uuid.uuid4()
        first = _sync(client, device, active, "contact", _contact(active), key=key)
        again = _sync(client, device, active, "contact", _contact(active), key=key)
        assert first.status_code == 201 and again.status_code == 200
        assert first.json()["id"] == again.json()["id"]
        assert Contact.objects.filter(case=active, type="home_visit").count() == 1
        assert OfflineSync.objects.filter(user=alice, key=key).count() == 1
        assert (
            AuditEvent.objects.filter(object_id=active.pk, detail="offline_sync:contact").count()
            == 1
        )

    def test_a_contact_has_the_web_forms_fields_engagement_and_sensitivity_included(
        self, client, alice, active, device
    ):
        """The phone's contact is the web's: how long it took, the engagement seen (which the
        caseload's disengagement rule reads), whether what was said is recorded, and a note
        marked sensitive, which a colleague of the household does not read."""
        sent = {
            **_contact(active), "duration_minutes": "45", "engagement_level": "disengaged",
            "note": "Zzsentinel sensitive", "sensitive": True, "content_not_recorded": False,
        }  # fmt: skip
        assert _sync(client, device, active, "contact", sent).status_code == 201
        contact = Contact.objects.get(case=active, type="home_visit")
        assert (contact.duration_minutes, contact.engagement_level, contact.sensitive) == (
            45, "disengaged", True,
        )  # fmt: skip
        assert contact.note == "Zzsentinel sensitive"
        active.refresh_from_db()
        assert active.engagement_level == "disengaged"
        assert EngagementRecord.objects.filter(case=active, level="disengaged").exists()
        # "What was said is not recorded": the note is not kept, as on the web.
        unrecorded = {
            **_contact(active),
            "type": "phone",
            "note": "Kept?",
            "content_not_recorded": True,
        }
        assert _sync(client, device, active, "contact", unrecorded).status_code == 201
        assert Contact.objects.get(case=active, type="phone", note="").content_not_recorded

    def test_a_foreign_case_is_404(self, client, alice, device, other_organisation, charlie):
        foreign = CaseFactory(organisation=other_organisation, case_manager=charlie)
        response = _sync(client, device, foreign, "contact", _contact(foreign))
        assert response.status_code == 404
        assert not Contact.objects.filter(case=foreign).exists()

    def test_an_action_changed_meanwhile_is_a_conflict(self, client, alice, active, device):
        action = Action.objects.get(goal__plan__case=active)
        cases.set_action_status(
            action, by=alice, status=Action.Status.CANCELLED, expected_version=action.version
        )
        response = _sync(
            client,
            device,
            active,
            "action_status",
            {"action": str(action.pk), "status": "done"},
            base={"status": "open"},
        )
        assert response.status_code == 409
        assert response.json()["current"]["status"] == "cancelled"
        action.refresh_from_db()
        assert action.status == Action.Status.CANCELLED  # never overwritten
        assert AuditEvent.objects.filter(detail="offline_sync_conflict:action_status").exists()
        # Keep mine: sent again over what the server has now.
        response = _sync(
            client,
            device,
            active,
            "action_status",
            {"action": str(action.pk), "status": "done"},
            base={"status": "cancelled"},
        )
        assert response.status_code == 201
        action.refresh_from_db()
        assert action.status == Action.Status.DONE

    def test_an_assessment_recorded_meanwhile_is_a_conflict(self, client, alice, active, device):
        seen = Assessment.objects.get(case=active)
        data = {
            "date": active.referral_date.isoformat(),
            "trigger": "scheduled",
            "informed_decisions": 3,
            "engage_procedures": 3,
            "wellbeing": 4,
        }
        cases.record_assessment(
            active,
            by=alice,
            data={
                "date": active.inclusion_date,
                "informed_decisions": 2,
                "engage_procedures": 2,
                "wellbeing": 2,
            },
        )
        data["date"] = active.inclusion_date.isoformat()
        response = _sync(
            client, device, active, "assessment", data, base={"latest_assessment": str(seen.pk)}
        )
        assert response.status_code == 409
        assert Assessment.objects.filter(case=active).count() == 2
        current = response.json()["current"]["latest_assessment"]
        response = _sync(
            client, device, active, "assessment", data, base={"latest_assessment": current}
        )
        assert response.status_code == 201
        assert Assessment.objects.filter(case=active).count() == 3

    def test_a_contact_plans_the_next_appointment_agreed_on_the_visit(self, client, active, device):
        """As on the web: planned with the contact, in one step, or neither when it is wrong
        (a day gone by is refused under the name the phone sent it by)."""
        past = {**_contact(active), "next-date": days_ago(1).isoformat(), "next-kind": "meeting"}
        response = _sync(client, device, active, "contact", past)
        assert response.status_code == 422 and "next-date" in response.json()["errors"]
        assert not Contact.objects.filter(case=active, type="home_visit").exists()
        agreed = {
            **_contact(active), "next-date": days_ago(-7).isoformat(), "next-time": "10:30",
            "next-kind": "home_visit", "next-place": "Zzsentinel flat 4",
        }  # fmt: skip
        assert _sync(client, device, active, "contact", agreed).status_code == 201
        planned = Appointment.objects.get(case=active, date=days_ago(-7))
        assert (planned.kind, planned.place, planned.time.isoformat()) == (
            "home_visit", "Zzsentinel flat 4", "10:30:00",
        )  # fmt: skip
        assert Contact.objects.filter(case=active, type="home_visit").count() == 1

    def test_an_assessment_records_the_vulnerabilities_seen_on_the_visit(
        self, client, active, device
    ):
        """A concern first seen on a visit is recorded there, with its note, as on the web
        (the dataset's `vulnerable` reads every assessment's flags)."""
        latest = Assessment.objects.filter(case=active).latest("created_at")
        data = {
            "date": days_ago(0).isoformat(), "trigger": "scheduled", "informed_decisions": 3,
            "engage_procedures": 3, "wellbeing": 2, "vulnerability_health": True,
            "vulnerability_health_note": "Needs a doctor for the chest pain",
        }  # fmt: skip
        response = _sync(
            client, device, active, "assessment", data, base={"latest_assessment": str(latest.pk)}
        )
        assert response.status_code == 201
        recorded = Assessment.objects.get(pk=response.json()["id"])
        assert recorded.vulnerability_codes() == ["health"]
        assert recorded.vulnerability_health_note == "Needs a doctor for the chest pain"

    def test_an_invalid_item_is_refused_with_the_reason(self, client, active, device):
        response = _sync(client, device, active, "contact", {"date": "", "type": "phone"})
        assert response.status_code == 422
        assert "date" in response.json()["errors"]

    @pytest.mark.parametrize(
        "body",
        [
            # A day that does not exist, in when the phone queued it.
            {"queued_at": "2026-02-30T10:00:00+00:00"},
            # A time that is no time in UTC: before year 1 or after 9999 once converted.
            {"queued_at": "0001-01-01T00:00:00+14:00"},
            {"queued_at": "9999-12-31T23:59:59-14:00"},
            # JSON nested deeper than the parser goes, and an item that is not an object.
            "[" * 100_000 + "]" * 100_000,
            "[1]",
        ],
        ids=["impossible-day", "before-year-1", "after-9999", "nested", "not-an-object"],
    )
    def test_a_hostile_item_is_refused_as_bad_not_a_server_error(
        self, client, active, device, body
    ):
        """docs/security.md, item 49: a 500 logged a traceback and told the phone nothing."""
        if isinstance(body, dict):
            item = {"key": str(uuid.uuid4()), "kind": "contact", "case": str(active.pk),
                    "base": {}, "data": _contact(active), **body}  # fmt: skip
            body = json.dumps(item)
        client.raise_request_exception = False
        response = client.post(
            "/offline/sync/", data=body, content_type="application/json", **device
        )
        assert response.status_code == 400
        assert response.json()["errors"] == {"__all__": ["bad item"]}
        assert not Contact.objects.filter(case=active, type="home_visit").exists()

    @pytest.mark.parametrize("kind", ["contact", "assessment"])
    @pytest.mark.parametrize(
        "value", [["2026-01-01", {"day": 1}], {"day": 1}, 20260101, True, [[1]], ["1", "x"]]
    )
    def test_a_value_of_no_form_shape_is_refused_not_a_server_error(
        self, client, active, device, kind, value
    ):
        """The phone sends texts, ticks and lists of ticked values; a forged item with a number,
        a list or an object for a day reached the web's forms, which read text only: 500."""
        client.raise_request_exception = False
        response = _sync(client, device, active, kind, {**_contact(active), "date": value,
                                                        "next-date": value})  # fmt: skip
        assert response.status_code in (400, 422)
        assert not Contact.objects.filter(case=active, type="home_visit").exists()

    def test_a_queued_time_without_its_zone_is_kept_as_utc(self, client, alice, active, device):
        item = {"key": str(uuid.uuid4()), "kind": "contact", "case": str(active.pk),
                "base": {}, "data": _contact(active), "queued_at": "2026-01-01T10:00:00"}  # fmt: skip
        response = client.post(
            "/offline/sync/", data=json.dumps(item), content_type="application/json", **device
        )
        assert response.status_code == 201
        queued = OfflineSync.objects.get(user=alice).queued_at
        assert queued.isoformat() == "2026-01-01T10:00:00+00:00"


class TestWiping:
    def test_a_deactivated_account_is_told_to_wipe(self, alice, ada, device):
        phone = Client()  # the session ended by the idle limit: no sign-out, no session
        assert phone.get("/offline/status/", **device).json()["wipe"] is False
        accounts.deactivate_user(alice, by=ada)
        assert phone.get("/offline/status/", **device).json()["wipe"] is True

    def test_each_device_ended_is_in_the_audit_log_with_who_ended_it(
        self, client, alice, ada, device
    ):
        """Ending a person's devices wrote no audit entry: who ended them, and when, was known
        only from the device's row."""
        accounts.deactivate_user(alice, by=ada)
        events = AuditEvent.objects.filter(
            object_type="offline.offlinedevice", action=AuditEvent.Action.PERMISSION_CHANGE
        )
        (ended,) = events
        assert (ended.actor_id, ended.detail) == (ada.pk, "offline_device_sessions_ended")
        assert offline.revoke_devices(alice) == 0  # nothing more to end, nothing more written
        assert events.count() == 1

    def test_a_deactivated_then_reactivated_account_is_still_told_to_wipe(self, alice, ada, device):
        phone = Client()
        accounts.deactivate_user(alice, by=ada)
        accounts.reactivate_user(alice, by=ada)
        assert phone.get("/offline/status/", **device).json()["wipe"] is True

    def test_it_still_tells_a_device_to_wipe_after_a_role_away_from_cases_and_back(
        self, alice, ada, device
    ):
        """Made an organisation admin, a case manager's phone was told to wipe only while the
        role lasted: moved back before the phone asked, it kept the cases. Leaving case work
        ends the devices for good, as a deactivation does."""
        phone = Client()
        for role in (Role.ORG_ADMIN, Role.CASE_MANAGER):
            alice.refresh_from_db()
            accounts.update_user(
                alice, by=ada, expected_version=alice.version, role=role, team=alice.team,
                first_name=alice.first_name, last_name=alice.last_name, email=alice.email,
            )  # fmt: skip
        assert phone.get("/offline/status/", **device).json()["wipe"] is True

    def test_a_password_reset_wipes_and_sign_out_too(self, client, alice, device):
        alice.set_password("another long passphrase 42")
        alice.save()
        assert client.get("/offline/status/", **device).json()["wipe"] is True

    def test_signing_out_ends_the_device_and_clears_the_site(self, client, alice, device):
        response = client.post("/accounts/logout/")
        assert response["Clear-Site-Data"] == '"cache", "storage"'
        assert client.get("/offline/status/", **device).json()["wipe"] is True

    @pytest.mark.parametrize("limit", [LAST_SEEN, STARTED_AT])
    def test_it_keeps_the_device_when_a_limit_ends_the_session(
        self, client, alice, active, device, limit
    ):
        # The idle limit (or the 12-hour one) is not a sign-out: the phone must not be told to
        # delete the visits still waiting in its outbox, and once signed in again sends them.
        session = client.session
        session[limit] = time.time() - 13 * 60 * 60
        session.save()
        status = client.get("/offline/status/", **device).json()
        assert status["signed_in"] is False and status["wipe"] is False
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.LOGOUT, actor_id=alice.pk
        ).exists()
        client.force_login(alice)
        assert client.get("/offline/status/", **device).json()["wipe"] is False
        before = Contact.objects.filter(case=active).count()
        assert _sync(client, device, active, "contact", _contact(active)).status_code == 201
        assert Contact.objects.filter(case=active).count() == before + 1

    def test_another_person_signed_in_is_told_to_wipe(self, client, bob, device):
        client.force_login(bob)
        assert client.get("/offline/status/", **device).json()["wipe"] is True

    def test_every_signed_in_response_says_whether_offline_is_allowed(self, client, alice, ada):
        client.force_login(alice)
        assert client.get("/offline/status/")["Engage-Offline"] == "allowed"
        client.force_login(ada)
        assert client.get("/offline/status/")["Engage-Offline"] == "wipe"


class TestTheShell:
    def test_the_service_worker_is_served_at_the_root_under_the_csp(self, client):
        response = client.get("/sw.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert "/offline/" in response.content.decode()

    def test_the_manifest_and_shell_answer_without_a_session(self, client):
        assert client.get("/manifest.webmanifest").json()["start_url"] == "/"
        assert client.get("/offline/").status_code == 200
