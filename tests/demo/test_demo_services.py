"""The demo's services and referrals: valid through the same services as real ones."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from engage.directory.models import ContactPerson, Referral, Service
from engage.sharing.services import covering_consent

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_pilot_services_and_referrals_in_every_status(settings):
    settings.DEBUG = True
    call_command("seed_demo", cases_per_pilot=40, stdout=StringIO())
    call_command("seed_demo", cases_per_pilot=40, stdout=StringIO())  # idempotent
    services = Counter(Service.objects.values_list("organisation__code", flat=True))
    assert len(services) == 7 and set(services.values()) == {6}
    assert ContactPerson.objects.count() == 42
    assert Service.objects.filter(shared=True).exists()
    referrals = Referral.objects.select_related("case", "service__recipient", "share")
    assert len({r.case.organisation_id for r in referrals}) == 7
    assert set(referrals.values_list("status", flat=True)) == set(Referral.Status.values)
    for referral in referrals:
        assert referral.service.organisation_id == referral.case.organisation_id
        if referral.disclosed:
            consent = covering_consent(
                referral.case,
                referral.case.person,
                referral.service.recipient,
                "referral",
                referral.categories,
                on=referral.made_on,
            )
            assert consent is not None and referral.share.consent == consent
        else:
            assert referral.share is None
