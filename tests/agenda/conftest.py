import datetime

import pytest
from django.utils import timezone

from engage.accounts.factories import UserFactory
from engage.cases import services
from engage.cases.factories import CaseFactory, to_active
from engage.directory import services as directory
from engage.liaison import services as liaison
from engage.sharing.models import Recipient, RecipientType

PLACE = "Zzsentinelplace 7"
NAME = "Zzsentinelname"


def day(n: int) -> datetime.date:
    """The day `n` days from today (negative: in the past)."""
    return timezone.localdate() + datetime.timedelta(days=n)


def appointment(case, by, n, **data):
    return services.plan_appointment(
        case, by=by, data={"date": day(n), "kind": "home_visit", "place": PLACE, **data}
    )


@pytest.fixture
def carol(organisation, team):
    """A second case manager in Bob's team."""
    return UserFactory(username="carol", first_name="Carol", organisation=organisation, team=team)


def busy_case(organisation, manager, supervisor, *, name=NAME):
    """An active case with one thing of every kind coming up in the next two weeks.

    Appointment in 3 days (10:00), contact due in 2, a referral follow-up in 2, a reassessment
    in 4, a plan action in 5, reporting days in 6 and 13, a plan review in 7, a liaison
    follow-up in 9.
    """
    organisation.refresh_from_db()
    case, plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=manager,
            person__given_name=name,
            person__family_name="Family",
        ),
        manager,
        supervisor,
    )
    appointment(case, manager, 3, time=datetime.time(10, 0))
    contact_every = case.contact_interval
    services.log_contact(case, by=manager, data={"date": day(2 - contact_every), "type": "phone"})
    services.record_assessment(
        case,
        by=manager,
        data={
            "date": day(4 - organisation.reassessment_interval_days),
            "informed_decisions": 3,
            "engage_procedures": 3,
            "wellbeing": 3,
        },
    )
    goal = plan.goals.get()
    services.add_action(
        goal,
        by=manager,
        data={"description": "Zzsentinelaction", "owner": "client", "due_date": day(5)},
    )
    # The plan was agreed long ago, and last reviewed so that the next review is in 7 days.
    type(plan).objects.filter(pk=plan.pk).update(
        approved_at=timezone.now() - datetime.timedelta(days=150)
    )
    plan.refresh_from_db()
    services.add_plan_review(
        plan, by=manager, date=day(7 - organisation.plan_review_interval_days), note="Fine"
    )
    liaison.save_obligation(
        case,
        by=manager,
        data={"place": PLACE, "frequency": "weekly", "start_date": day(-1)},
    )
    service = directory.save_service(
        organisation,
        by=manager,
        data={"name": f"Shelter of {name}", "type": "accommodation", "city": "Sofia"},
    )
    directory.make_referral(case, by=manager, service=service, made_on=day(-13), categories=[])
    authority = Recipient.objects.create(
        organisation=organisation, name=f"Office for {name}", type=RecipientType.AUTHORITY
    )
    liaison.record_liaison(
        case,
        by=manager,
        kind="meeting",
        date=day(-1),
        authority=authority,
        categories=[],
        follow_up_on=day(9),
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def case(organisation, alice):
    """A referral assigned to Alice."""
    return CaseFactory(organisation=organisation, case_manager=alice)
