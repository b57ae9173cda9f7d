"""Reassigning a case manager's cases, all or chosen, in one audited step (cases.services)."""

import pytest
from django.core.exceptions import ValidationError

from engage.accounts.factories import UserFactory
from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import CaseFactory
from engage.cases.models import Case, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(organisation, team):
    return UserFactory(username="carol", first_name="Carol", organisation=organisation, team=team)


@pytest.fixture
def alices_cases(organisation, alice):
    open_cases = CaseFactory.create_batch(3, organisation=organisation, case_manager=alice)
    closed = CaseFactory(organisation=organisation, case_manager=alice, stage=Stage.CLOSED)
    return open_cases, closed


def _managers(*cases):
    return [Case.objects.get(pk=case.pk).case_manager.username for case in cases]


class TestTheService:
    def test_it_moves_all_their_open_cases_and_audits_each(self, alice, bob, carol,
                                                           alices_cases):  # fmt: skip
        open_cases, closed = alices_cases
        moved = services.reassign_cases(by=bob, from_manager=alice, to_manager=carol)
        assert {case.pk for case in moved} == {case.pk for case in open_cases}
        assert _managers(*open_cases) == ["carol"] * 3
        assert _managers(closed) == ["alice"]
        events = AuditEvent.objects.filter(action="update", detail="case_manager", actor_id=bob.pk)
        assert sorted(events.values_list("object_id", flat=True)) == sorted(
            case.pk for case in open_cases
        )

    def test_it_moves_only_the_chosen_ones(self, alice, ada, carol, alices_cases):
        open_cases, _closed = alices_cases
        services.reassign_cases(
            by=ada, from_manager=alice, to_manager=carol, case_ids=[open_cases[0].pk]
        )
        assert _managers(*open_cases) == ["carol", "alice", "alice"]

    def test_it_refuses_a_foreign_id_and_moves_nothing(self, alice, bob, carol, alices_cases,
                                                       foreign_case, organisation):  # fmt: skip
        open_cases, closed = alices_cases
        someone_elses = CaseFactory(organisation=organisation, case_manager=carol)
        for intruder in (foreign_case.pk, someone_elses.pk, closed.pk, "not-an-id"):
            with pytest.raises(ValidationError) as refused:
                services.reassign_cases(
                    by=bob,
                    from_manager=alice,
                    to_manager=carol,
                    case_ids=[open_cases[0].pk, intruder],
                )
            assert "cases" in refused.value.message_dict
        assert _managers(*open_cases) == ["alice"] * 3
        assert _managers(foreign_case) == ["charlie"]

    def test_it_refuses_someone_outside_the_organisation(self, alice, bob, charlie, olga,
                                                         alices_cases):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            services.reassign_cases(by=bob, from_manager=alice, to_manager=charlie)
        assert "case_manager" in refused.value.message_dict
        with pytest.raises(ValidationError):
            services.reassign_cases(by=olga, from_manager=alice, to_manager=charlie)
        assert _managers(*alices_cases[0]) == ["alice"] * 3

    def test_a_supervisor_moves_only_the_cases_of_their_teams(self, organisation, bob, carol):
        elsewhere = UserFactory(organisation=organisation)  # in no team Bob leads
        theirs = CaseFactory(organisation=organisation, case_manager=elsewhere)
        with pytest.raises(ValidationError):
            services.reassign_cases(
                by=bob, from_manager=elsewhere, to_manager=carol, case_ids=[theirs.pk]
            )
        with pytest.raises(ValidationError):
            services.reassign_cases(by=bob, from_manager=elsewhere, to_manager=carol)
        assert _managers(theirs) == [elsewhere.username]

    def test_a_case_manager_cannot_reassign(self, alice, carol, alices_cases):
        with pytest.raises(ValidationError):
            services.reassign_cases(by=alice, from_manager=alice, to_manager=carol)


class TestThePage:
    def test_a_supervisor_reassigns_chosen_cases_after_confirming(
        self, as_user, alice, bob, carol, alices_cases
    ):
        open_cases, _closed = alices_cases
        client = as_user(bob)
        body = client.get("/cases/reassign/", {"from": alice.pk}).content.decode()
        for case in open_cases:
            assert case.reference in body
        chosen = [str(open_cases[0].pk), str(open_cases[1].pk)]
        form = {"from": alice.pk, "which": "chosen", "cases": chosen, "case_manager": carol.pk}
        confirm = client.post("/cases/reassign/", form).content.decode()
        assert "2 cases will go from Alice Test to Carol Test" in confirm
        assert open_cases[2].reference not in confirm
        assert _managers(*open_cases) == ["alice"] * 3  # nothing moves before confirming
        response = client.post("/cases/reassign/", {**form, "confirm": "1"}, follow=True)
        assert "2 cases reassigned from Alice Test to Carol Test." in response.content.decode()
        assert _managers(*open_cases) == ["carol", "carol", "alice"]

    def test_it_says_next_to_the_list_when_nothing_is_ticked(
        self, as_user, alice, ada, carol, alices_cases
    ):
        form = {"from": alice.pk, "which": "chosen", "case_manager": carol.pk}
        body = as_user(ada).post("/cases/reassign/", form).content.decode()
        errors = body.split('id="id_cases_error"', 1)[1].split("</ul>", 1)[0]
        assert "Tick the cases to reassign" in errors
        # Said when the list of boxes is reached: its fieldset points at the error.
        assert 'has-error" aria-describedby="id_cases_error">' in body

    def test_a_foreign_id_sent_is_refused(self, as_user, alice, bob, carol, alices_cases,
                                          foreign_case):  # fmt: skip
        form = {"from": alice.pk, "which": "chosen", "cases": [str(foreign_case.pk)],
                "case_manager": carol.pk, "confirm": "1"}  # fmt: skip
        response = as_user(bob).post("/cases/reassign/", form)
        assert response.status_code == 200
        assert _managers(foreign_case) == ["charlie"]

    def test_whose_cases_must_be_visible(self, as_user, bob, charlie, carol):
        assert as_user(bob).get("/cases/reassign/", {"from": charlie.pk}).status_code == 404
        assert as_user(bob).get("/cases/reassign/", {"from": "nonsense"}).status_code == 404

    def test_case_managers_and_outsiders_have_no_such_page(self, as_user, alice, nadia):
        assert as_user(alice).get("/cases/reassign/").status_code == 404
        assert as_user(nadia).get("/cases/reassign/").status_code == 404

    def test_it_is_linked_from_the_supervisor_dashboard(self, as_user, alice, bob, alices_cases):
        body = as_user(bob).get("/").content.decode()
        assert f"/cases/reassign/?from={alice.pk}" in body


class TestOnlyTheirTeams:
    """A supervisor sees another team's case through a client's household, but does not move
    it: taken, it left its own team's sight and opened its sensitive answers to them."""


    def test_a_supervisor_does_not_take_another_teams_case_seen_through_a_household(
        self, as_user, alice, bob, partner
    ):
        client = as_user(bob)
        assert client.get(f"/cases/{partner.pk}/").status_code == 200  # the household rule
        response = client.post(f"/cases/{partner.pk}/reassign/",
                               {"case_manager": str(alice.pk), "version": partner.version})  # fmt: skip
        assert "only the cases of the teams you lead" in response.content.decode()
        dan = partner.case_manager
        # The page to move someone's cases offers only the teams' own: it listed Dan and his
        # case, which the service then refused to move.
        assert str(dan.pk) not in client.get("/cases/reassign/").content.decode()
        response = client.post(f"/cases/reassign/?from={dan.pk}", {
            "from": str(dan.pk), "which": "all", "case_manager": str(bob.pk), "confirm": "1"})  # fmt: skip
        assert response.status_code == 404
        with pytest.raises(ValidationError):
            services.reassign_cases(by=bob, from_manager=dan, to_manager=bob)
        with pytest.raises(ValidationError):
            services.reassign(partner, by=bob, case_manager=bob, expected_version=partner.version)
        partner.refresh_from_db()
        assert partner.case_manager == dan

    def test_their_own_supervisor_and_the_admin_still_move_it(self, organisation, ada, partner):
        sue = User.objects.get(username="sue")
        services.reassign(partner, by=sue, case_manager=sue, expected_version=partner.version)
        partner.refresh_from_db()
        services.reassign(partner, by=ada, case_manager=partner.case_manager,
                          expected_version=partner.version)  # fmt: skip
        assert Case.objects.get(pk=partner.pk).case_manager == sue
