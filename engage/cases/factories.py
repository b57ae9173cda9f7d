"""Test factories for cases, and helpers that walk a case through the process via services."""

import datetime
from typing import Any

import factory
from django.utils import timezone

from engage.accounts.models import City, User
from engage.cases import services
from engage.cases.models import Case, CasePlan, Person
from engage.cases.search import index_people


def _index(person: Person, create: bool, extracted: object, **kwargs: Any) -> None:
    if create:
        index_people([person])


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    given_name = factory.Sequence(lambda n: f"Client{n}")
    family_name = "Example"
    sex = "female"
    nationality = "SY"

    # (`post_generation` as a call: the decorator has no types.)
    search_tokens = factory.PostGeneration(_index)


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    """A fresh referral, dated 200 days ago."""

    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))
    city = factory.LazyAttribute(
        lambda o: City.objects.get_or_create(organisation=o.organisation, name="Sofia")[0]
    )
    referral_date = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=200)
    )
    referral_source = "ngo"
    detention_at_referral = "released"
    migration_status = "irregular"
    legal_basis = "consent"
    purpose = "Case management in the community"


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


MEETING = {
    "programme_explained": True,
    "independence_explained": True,
    "data_protection_explained": True,
    "consent_given": True,
    "declaration_signed": True,
    "consent_method": "written",
}

# A new enrollment's referral, for `services.reopen` (its date is today).
REOPENING = {
    "referral_source": "self",
    "detention_at_referral": "none",
    "migration_status": "irregular",
    "legal_basis": "consent",
    "purpose": "Case management",
}

SCREENING = {
    "detention_risk": "high",
    "intervention_rating": "medium",
    "vulnerability_health": True,
    "vulnerability_health_note": "Needs follow-up",
}

RATINGS = {"informed_decisions": 2, "engage_procedures": 3, "wellbeing": 2}


def to_screening(case: Case, by: User) -> Case:
    services.record_first_meeting(case, by=by, data={"date": days_ago(190), **MEETING})
    return case


def to_included(case: Case, by: User, supervisor: User) -> Case:
    to_screening(case, by)
    services.save_screening(
        case, by=by, data={"date": days_ago(185), **SCREENING}, expected_version=None
    )
    met = [str(criterion.pk) for criterion in services.eligibility_checklist(case.organisation)]
    decision = services.propose_inclusion(
        case, by=by, include=True, date=days_ago(180), criteria_met=met, reason=""
    )
    services.review_inclusion(decision, by=supervisor, approve=True)
    case.refresh_from_db()
    return case


def to_active(case: Case, by: User, supervisor: User) -> tuple[Case, CasePlan]:
    """Include the client, assess them and agree a first plan. Return (case, plan)."""
    to_included(case, by, supervisor)
    services.record_assessment(case, by=by, data={"date": days_ago(170), **RATINGS})
    plan = services.create_plan(case, by=by, person=case.person)
    goal = services.add_goal(
        plan,
        by=by,
        data={
            "area": "migration",
            "migration_option": "legal_stay",
            "description": "Explore legal stay",
        },
    )
    services.add_action(
        goal,
        by=by,
        data={"description": "See a lawyer", "owner": "client", "due_date": days_ago(-30)},
    )
    services.submit_plan(plan, by=by)
    services.review_plan(plan, by=supervisor, approve=True)
    case.refresh_from_db()
    return case, plan
