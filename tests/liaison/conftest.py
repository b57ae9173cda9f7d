import datetime

import pytest
from django.utils import timezone

from engage.cases.factories import CaseFactory, to_active
from engage.liaison import services
from engage.sharing import services as sharing
from engage.sharing.models import Recipient, RecipientType


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def active_case(organisation, alice, bob):
    case, _plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Sentinelgiven",
            person__family_name="Sentinelfamily",
            referral_date=days_ago(200),
        ),
        alice,
        bob,
    )
    return case


@pytest.fixture
def office(organisation):
    return Recipient.objects.create(
        organisation=organisation, name="Migration office", type=RecipientType.AUTHORITY
    )


@pytest.fixture
def police(organisation):
    return Recipient.objects.create(
        organisation=organisation, name="Border police", type=RecipientType.ENFORCEMENT
    )


def give_consent(case, by, recipient, **overrides):
    data = {
        "person": case.person,
        "recipient": recipient,
        "purpose": "representation",
        "categories": ["identity", "migration"],
        "given_on": days_ago(10),
        "expires_on": days_ago(-180),
        "language": "Arabic",
        "through_interpreter": True,
        **overrides,
    }
    return sharing.record_consent(case, by=by, data=data)


def liaise(case, by, authority, categories=("identity",), **kwargs):
    values = {"kind": "release", "date": days_ago(2), "summary": "Release onto the pilot"}
    values.update(kwargs)
    return services.record_liaison(
        case, by=by, authority=authority, categories=list(categories), **values
    )


def weekly(case, by, start, **data):
    values = {"place": "Rue Royale police station", "frequency": "weekly", "start_date": start}
    values.update(data)
    return services.save_obligation(case, by=by, data=values)
