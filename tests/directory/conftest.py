import datetime

import pytest
from django.utils import timezone

from engage.cases.factories import CaseFactory, to_active
from engage.directory import services
from engage.sharing import services as sharing

SHELTER = {
    "name": "Sofia night shelter",
    "type": "accommodation",
    "city": "Sofia",
    "address": "1 Example Street",
    "phone": "+359 2 000 0000",
    "email": "intake@shelter.example",
    "website": "",
    "languages": "Bulgarian, English, Arabic",
    "eligibility": "Adults, any status. Bring nothing.",
    "serves_without_status": True,
    "shared": False,
    "active": True,
}


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def active_case(organisation, alice, bob):
    case, _plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Sentinelgiven",
            person__phone="+359 88 000 1111",
        ),
        alice,
        bob,
    )
    return case


@pytest.fixture
def shelter(organisation, bob):
    return services.save_service(organisation, by=bob, data=dict(SHELTER))


@pytest.fixture
def foreign_service(other_organisation, olga):
    data = dict(SHELTER, name="Zzforeign clinic", type="healthcare", city="Nicosia")
    return services.save_service(other_organisation, by=olga, data=data)


def give_consent(case, by, service, **overrides):
    data = {
        "person": case.person,
        "recipient": service.recipient,
        "purpose": "referral",
        "categories": ["identity", "contact"],
        "given_on": days_ago(10),
        "expires_on": days_ago(-180),
        "language": "Arabic",
        "through_interpreter": True,
        **overrides,
    }
    return sharing.record_consent(case, by=by, data=data)


def refer(case, by, service, categories=("identity",), made_on=None, **kwargs):
    return services.make_referral(
        case,
        by=by,
        service=service,
        made_on=made_on or days_ago(5),
        reason="A bed for the winter",
        categories=list(categories),
        **kwargs,
    )
