"""The demo's liaison, letter templates and reporting: valid through the same services."""

import pytest
from django.utils import timezone

from engage.cases.due import due_items, with_due_facts
from engage.cases.factories import CaseFactory, to_active
from engage.cases.models import Case
from engage.demo.liaison import seed_liaison, seed_templates
from engage.liaison.models import LetterTemplate, LiaisonRecord, ReportingEvent
from engage.sharing.models import Recipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(organisation, alice, bob):
    Recipient.objects.create(organisation=organisation, name="Asylum office", type="authority")
    Recipient.objects.create(organisation=organisation, name="Border police", type="enforcement")
    for _ in range(6):
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    return organisation


def test_it_gives_a_pilot_templates_reporting_and_liaison_once(pilot, ada):
    assert seed_templates(pilot, by=ada) == 2
    assert seed_liaison(pilot, city="Sofia") == 6
    assert seed_templates(pilot, by=ada) == 0 and seed_liaison(pilot, city="Sofia") == 0
    assert set(LetterTemplate.objects.values_list("language", flat=True)) == {"en"}
    records = LiaisonRecord.objects.select_related("authority", "share")
    assert records.count() == 12
    for record in records:
        if record.authority.type == "enforcement":
            assert record.share is None and not record.disclosed
        else:
            assert record.share.consent.covers(
                record.authority, "representation", record.categories
            )
    statuses = set(ReportingEvent.objects.values_list("status", flat=True))
    assert statuses == {"reported", "missed"}
    today = timezone.localdate()
    flagged = [
        case
        for case in with_due_facts(Case.objects.filter(organisation=pilot), today)
        if any(item.kind == "reporting" for item in due_items(case, today))
    ]
    assert flagged  # the demo shows the missed reporting flag


def test_belgium_has_french_templates_too(pilot, ada):
    pilot.code = "BE-JRS"
    pilot.save()
    assert seed_templates(pilot, by=ada) == 4
    assert set(LetterTemplate.objects.values_list("language", flat=True)) == {"en", "fr"}
