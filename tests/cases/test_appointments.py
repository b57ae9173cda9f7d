"""Appointments: planned on their own or with a contact, changed, held or cancelled."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import days_ago, to_active
from engage.cases.models import Appointment, Contact
from engage.lib.concurrency import ConcurrentEditError

pytestmark = pytest.mark.django_db

PLACE = "Zzplace 12 Rue Royale"


def _contact(**overrides) -> dict:
    return {"date": days_ago(0).isoformat(), "type": "face_to_face", **overrides}


def _next(**overrides) -> dict:
    data = {
        "next-date": days_ago(-3).isoformat(),
        "next-time": "10:30",
        "next-kind": "home_visit",
        "next-place": PLACE,
    }
    return data | overrides


def plan(case, by, *, days_ahead=2, **data) -> Appointment:
    return services.plan_appointment(
        case, by=by, data={"date": days_ago(-days_ahead), "kind": "meeting", **data}
    )


class TestServices:
    def test_it_plans_an_appointment_with_its_place_encrypted(self, case, alice):
        appointment = plan(case, alice, time=datetime.time(9, 0), place=PLACE)
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.PLANNED
        assert appointment.place == PLACE and appointment.created_by == alice
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT place FROM cases_appointment")
            (stored,) = cursor.fetchone()
        assert "Zzplace" not in stored
        assert AuditEvent.objects.filter(object_id=appointment.pk, action="create").exists()

    def test_the_audit_log_names_it_by_the_case_reference(self, case, alice):
        from engage.audit.labels import labels_for

        appointment = plan(case, alice, place=PLACE)
        event = AuditEvent.objects.get(object_id=appointment.pk, action="create")
        label = labels_for(case.organisation_id, [event])[("cases.appointment", appointment.pk)]
        assert label == f"Appointment · {case.reference}"

    def test_it_refuses_a_day_in_the_past_or_an_unknown_kind(self, case, alice):
        with pytest.raises(ValidationError) as past:
            plan(case, alice, days_ahead=-1)
        assert "date" in past.value.error_dict
        with pytest.raises(ValidationError) as kind:
            plan(case, alice, kind="party")
        assert "kind" in kind.value.error_dict
        assert not Appointment.objects.exists()

    def test_it_plans_nothing_on_a_closed_case(self, case, alice, bob):
        case, _plan = to_active(case, alice, bob)
        appointment = plan(case, alice)
        closure = services.request_closure(
            case,
            by=alice,
            data={"date": days_ago(0), "reason": "transferred", "outcome": ""},
        )
        services.review_closure(closure, by=bob, approve=True)
        case.refresh_from_db()
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED
        with pytest.raises(ValidationError):
            plan(case, alice)

    def test_it_changes_a_planned_appointment_once_per_version(self, case, alice):
        appointment = plan(case, alice)
        data = {"date": days_ago(-5), "time": None, "place": "Office", "kind": "call"}
        services.edit_appointment(appointment, by=alice, data=data, expected_version=1)
        appointment.refresh_from_db()
        assert (appointment.kind, appointment.version) == ("call", 2)
        with pytest.raises(ConcurrentEditError):
            services.edit_appointment(appointment, by=alice, data=data, expected_version=1)
        event = AuditEvent.objects.get(object_id=appointment.pk, action="update")
        assert event.detail == "date,kind,place"

    def test_it_marks_held_only_from_its_day_and_then_freezes_it(self, case, alice):
        appointment = plan(case, alice, days_ahead=0)
        later = plan(case, alice, days_ahead=1)
        with pytest.raises(ValidationError):
            services.mark_appointment_done(later, by=alice, expected_version=1)
        services.mark_appointment_done(appointment, by=alice, expected_version=1)
        assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.DONE
        with pytest.raises(ValidationError):
            services.cancel_appointment(appointment, by=alice, expected_version=2)
        services.cancel_appointment(later, by=alice, expected_version=1)
        assert Appointment.objects.get(pk=later.pk).status == Appointment.Status.CANCELLED

    def test_a_contact_with_a_next_appointment_saves_both_or_neither(self, case, alice):
        contact = {"date": days_ago(0), "type": "phone"}
        with pytest.raises(ValidationError):
            services.log_contact(
                case, by=alice, data=contact, next_appointment={"date": days_ago(1), "kind": "call"}
            )
        assert not Contact.objects.exists()
        services.log_contact(
            case, by=alice, data=contact, next_appointment={"date": days_ago(-7), "kind": "call"}
        )
        assert Contact.objects.count() == 1
        assert Appointment.objects.get().date == days_ago(-7)


class TestPages:
    def test_it_logs_a_contact_with_the_next_appointment(self, as_user, case, alice):
        client = as_user(alice)
        response = client.post(f"/cases/{case.pk}/contacts/new/", _contact() | _next())
        assert response.status_code == 302
        appointment = Appointment.objects.get()
        assert (appointment.kind, appointment.time, appointment.place) == (
            "home_visit",
            datetime.time(10, 30),
            PLACE,
        )
        body = client.get(case.get_absolute_url()).content.decode()
        assert "Home visit" in body and PLACE in body and "10:30" in body

    def test_the_next_appointment_is_optional(self, as_user, case, alice):
        response = as_user(alice).post(f"/cases/{case.pk}/contacts/new/", _contact())
        assert response.status_code == 302
        assert Contact.objects.count() == 1 and not Appointment.objects.exists()

    def test_a_half_filled_next_appointment_is_said_next_to_its_fields(self, as_user, case, alice):
        data = _contact() | _next(**{"next-date": "", "next-kind": ""})
        body = as_user(alice).post(f"/cases/{case.pk}/contacts/new/", data).content.decode()
        assert 'id="id_next-date_error"' in body and 'id="id_next-kind_error"' in body
        assert not Contact.objects.exists()
        past = _contact() | _next(**{"next-date": days_ago(2).isoformat()})
        body = as_user(alice).post(f"/cases/{case.pk}/contacts/new/", past).content.decode()
        assert 'id="id_next-date_error"' in body and "Choose today or a later day." in body

    def test_the_case_page_reads_the_appointments_only_when_one_is_planned(
        self, as_user, case, alice
    ):
        client = as_user(alice)

        def page() -> tuple[list[str], str]:
            with CaptureQueriesContext(connection) as queries:
                body = client.get(case.get_absolute_url()).content.decode()
            return [q["sql"] for q in queries], body

        read, body = page()
        assert not [sql for sql in read if sql.startswith('SELECT "cases_appointment".')]
        plan(case, alice, place=PLACE)
        read_with, body = page()
        assert PLACE in body
        assert len([sql for sql in read_with if sql.startswith('SELECT "cases_appointment".')]) == 1
        assert len(read_with) == len(read) + 1

    def test_the_case_page_offers_the_next_appointment_fields(self, as_user, case, alice):
        body = as_user(alice).get(case.get_absolute_url()).content.decode()
        assert 'name="next-date"' in body and "Next appointment (optional)" in body

    def test_it_plans_changes_and_cancels_an_appointment_on_its_own(self, as_user, case, alice):
        client = as_user(alice)
        response = client.post(
            f"/cases/{case.pk}/appointments/new/",
            {"date": days_ago(-4).isoformat(), "kind": "accompaniment", "place": "Court"},
        )
        assert response.status_code == 302
        appointment = Appointment.objects.get()
        url = f"/cases/appointments/{appointment.pk}/"
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {
                "date": days_ago(-6).isoformat(),
                "time": "14:00",
                "kind": "accompaniment",
                "place": "Court",
                "version": 1,
            },
        )
        assert response.status_code == 302
        appointment.refresh_from_db()
        assert appointment.date == days_ago(-6) and appointment.version == 2
        stale = client.post(
            url, {"date": days_ago(-7).isoformat(), "kind": "call", "version": 1}
        ).content.decode()
        assert "Someone else changed this record" in stale
        client.post(f"{url}status/", {"status": "cancelled", "version": 2})
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED
        body = client.get(case.get_absolute_url()).content.decode()
        assert "No appointment planned." in body

    def test_it_asks_whether_a_past_appointment_was_held(self, as_user, case, alice):
        appointment = plan(case, alice, days_ahead=0)
        Appointment.objects.filter(pk=appointment.pk).update(date=days_ago(2))
        client = as_user(alice)
        body = client.get(case.get_absolute_url()).content.decode()
        assert "Their day has passed: held or not?" in body
        client.post(
            f"/cases/appointments/{appointment.pk}/status/", {"status": "done", "version": 1}
        )
        assert Appointment.objects.get().status == Appointment.Status.DONE

    def test_an_admin_sees_no_place_and_cannot_plan(self, as_user, case, alice, ada):
        plan(case, alice, place=PLACE)
        client = as_user(ada)
        body = client.get(case.get_absolute_url()).content.decode()
        assert PLACE not in body and "Plan an appointment" not in body
        assert client.get(f"/cases/{case.pk}/appointments/new/").status_code == 404

    def test_another_organisation_gets_404(self, as_user, case, alice, charlie):
        appointment = plan(case, alice)
        client = as_user(charlie)
        for url in (
            f"/cases/{case.pk}/appointments/new/",
            f"/cases/appointments/{appointment.pk}/",
        ):
            assert client.get(url).status_code == 404, url
        response = client.post(
            f"/cases/appointments/{appointment.pk}/status/", {"status": "cancelled", "version": 1}
        )
        assert response.status_code == 404
        assert Appointment.objects.get().status == Appointment.Status.PLANNED
