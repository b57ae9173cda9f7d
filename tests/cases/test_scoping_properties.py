"""Caseload restriction as a property (R02): for random organisations, teams, staff and case
assignments, the cases each person finds in the case list and in case search are exactly those
the rules of docs/architecture.md give them, and nothing of another organisation.

The expected sets are computed here from the drawn assignments, independently of
`Case.objects.visible_to`, and compared with what the real pages list.
"""

import re
from dataclasses import dataclass

from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from engage.accounts.factories import CityFactory, OrganisationFactory, TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.cases.factories import CaseFactory
from engage.cases.models import Household

FAMILIES = ("Amari", "Bekova", "Castell")
HOUSEHOLDS = 2
LISTED = re.compile(r'<td><a href="/cases/([0-9a-f-]{36})/">')


@dataclass(frozen=True)
class OrganisationSpec:
    supervisors: int
    managers: int
    team_leaders: tuple  # per team: the index of its leading supervisor, or None
    staff_teams: tuple  # per member of staff (supervisors first): a team index, or None
    cases: tuple  # per case: (index of its case manager in staff, household or None, family)


@st.composite
def organisation_specs(draw) -> OrganisationSpec:
    supervisors = draw(st.integers(1, 2))
    managers = draw(st.integers(1, 3))
    teams = draw(st.integers(0, 2))
    team_leaders = draw(
        st.lists(st.none() | st.integers(0, supervisors - 1), min_size=teams, max_size=teams)
    )
    team = st.none() | st.integers(0, teams - 1) if teams else st.none()
    staff = supervisors + managers
    staff_teams = draw(st.lists(team, min_size=staff, max_size=staff))
    cases = draw(
        st.lists(
            st.tuples(
                st.integers(0, staff - 1),
                st.none() | st.integers(0, HOUSEHOLDS - 1),
                st.sampled_from(FAMILIES),
            ),
            max_size=7,
        )
    )
    return OrganisationSpec(
        supervisors, managers, tuple(team_leaders), tuple(staff_teams), tuple(cases)
    )


@dataclass
class Built:
    staff: list  # supervisors first, then case managers
    admin: object
    cases: list  # Case rows, in the order of spec.cases


def _build(spec: OrganisationSpec) -> Built:
    organisation = OrganisationFactory()
    CityFactory(organisation=organisation, name="Sofia")
    supervisors = [
        UserFactory(organisation=organisation, role=Role.SUPERVISOR)
        for _ in range(spec.supervisors)
    ]
    managers = [UserFactory(organisation=organisation) for _ in range(spec.managers)]
    teams = [
        TeamFactory(
            organisation=organisation,
            leader=None if leader is None else supervisors[leader],
        )
        for leader in spec.team_leaders
    ]
    staff = supervisors + managers
    for member, team in zip(staff, spec.staff_teams, strict=True):
        if team is not None:
            member.team = teams[team]
            member.save(update_fields=["team"])
    households = [Household.objects.create(organisation=organisation) for _ in range(HOUSEHOLDS)]
    cases = [
        CaseFactory(
            organisation=organisation,
            case_manager=staff[holder],
            household=None if household is None else households[household],
            person__organisation=organisation,
            person__family_name=family,
        )
        for holder, household, family in spec.cases
    ]
    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    return Built(staff=staff, admin=admin, cases=cases)


def _expected(spec: OrganisationSpec, built: Built, member: int | None) -> set:
    """The cases the rules give staff member `member` (None: the organisation admin)."""
    if member is None:
        return {case.pk for case in built.cases}

    def leader_of(holder: int):
        team = spec.staff_teams[holder]
        return None if team is None else spec.team_leaders[team]

    is_supervisor = member < spec.supervisors
    assigned = {
        i
        for i, (holder, _household, _family) in enumerate(spec.cases)
        if holder == member or (is_supervisor and leader_of(holder) == member)
    }
    households = {spec.cases[i][1] for i in assigned} - {None}
    return {
        built.cases[i].pk
        for i, (_holder, household, _family) in enumerate(spec.cases)
        if i in assigned or household in households
    }


def _listed(client: Client, **query) -> set:
    response = client.get("/cases/", {"stage": "all", **query})
    assert response.status_code == 200
    return {match for match in LISTED.findall(response.content.decode())}


class TestCaseloadRestriction(TestCase):
    # Each example runs in its own transaction, rolled back afterwards (Hypothesis's Django
    # TestCase), on SQLite and PostgreSQL alike. The people of the first organisation are
    # checked; the second is there to be invisible to them (its people get the same names).
    @settings(max_examples=25, deadline=None)
    @given(
        spec=organisation_specs(),
        other=organisation_specs(),
        searched=st.sampled_from(FAMILIES),
        searcher=st.integers(0, 5),
    )
    def test_it_lists_and_finds_exactly_the_cases_the_rules_give(
        self, spec, other, searched, searcher
    ):
        built = _build(spec)
        _build(other)
        named = {
            str(case.pk)
            for case, (_holder, _household, family) in zip(built.cases, spec.cases, strict=True)
            if family == searched
        }
        people = [*range(len(built.staff)), None]
        for member in people:
            client = Client()
            client.force_login(built.admin if member is None else built.staff[member])
            expected = {str(pk) for pk in _expected(spec, built, member)}
            assert _listed(client) == expected, (spec, member)
            # The search page is the same view with a query: one person per example keeps
            # the test fast while Hypothesis still tries every kind of person across examples.
            if member == people[searcher % len(people)]:
                found = _listed(client, q=searched)
                assert found == expected & named, (spec, member, searched)
