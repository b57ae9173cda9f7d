"""The demo's appointments: through the same services, in the coming days, on My week."""

import pytest
from django.utils import timezone

from engage.agenda.week import Kind, upcoming
from engage.cases.factories import CaseFactory
from engage.cases.models import Appointment, Case, Contact
from engage.demo.appointments import PLAN, seed_appointments

pytestmark = pytest.mark.django_db


def test_it_plans_each_case_managers_coming_days_once(organisation, alice, bob):
    for _ in range(len(PLAN) + 2):
        CaseFactory(organisation=organisation, case_manager=alice)
    assert seed_appointments(organisation, city="Sofia") == len(PLAN) + 1
    assert seed_appointments(organisation, city="Sofia") == 0
    today = timezone.localdate()
    appointments = Appointment.objects.all()
    assert all(a.date >= today and a.is_planned for a in appointments)
    assert {a.kind for a in appointments} == set(Appointment.Kind.values)
    assert Contact.objects.count() == 1  # the one logged with its next appointment
    week = upcoming(Case.objects.filter(case_manager=alice), today)
    shown = [i for d in week.days for i in d.items if i.kind == Kind.APPOINTMENT]
    assert len(shown) == len([a for a in appointments if (a.date - today).days < 14])
