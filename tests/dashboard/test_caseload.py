"""The caseload pages as case managers and supervisors use them: columns, order, filters."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.accounts.factories import UserFactory
from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case

pytestmark = pytest.mark.django_db


def _client(organisation, manager, name, **fields):
    return CaseFactory(
        organisation=organisation, case_manager=manager, person__given_name=name, **fields
    )


def _in_touch(case, by, days):
    services.log_contact(case, by=by, data={"date": days_ago(days), "type": "phone"})


def _names_in_order(body, *names):
    return sorted(names, key=body.index)


@pytest.fixture
def caseload(organisation, alice):
    """Three of Alice's clients: 30, 20 and 2 days since the last contact."""
    cases = {}
    for name, days in (("Zora", 30), ("Yusuf", 20), ("Xenia", 2)):
        cases[name] = _client(organisation, alice, name)
        _in_touch(cases[name], alice, days)
    return cases


class TestCaseManagersCaseload:
    def test_it_shows_the_last_and_next_contact_and_the_lateness_in_words(
        self, as_user, alice, caseload
    ):
        body = as_user(alice).get("/").content.decode()
        for header in ("Last contact", "Next contact due", "Stage"):
            assert header in body
        assert "overdue by 16 days" in body  # Zora: 30 days, every 14
        assert "due in 12 days" in body  # Xenia
        assert "Contact due · overdue by 6 days" in body  # Yusuf's badge
        assert not re.search(r"· \d+ days?<", body)  # never the bare "· 82 days"

    def test_it_sorts_by_a_column_with_a_plain_link_and_back(self, as_user, alice, caseload):
        client = as_user(alice)
        body = client.get("/").content.decode()
        assert _names_in_order(body, "Xenia", "Yusuf", "Zora") == ["Zora", "Yusuf", "Xenia"]
        assert 'href="?sort=last_contact"' in body
        body = client.get("/", {"sort": "-last_contact"}).content.decode()
        assert _names_in_order(body, "Xenia", "Yusuf", "Zora") == ["Xenia", "Yusuf", "Zora"]
        assert 'aria-sort="descending"' in body and 'href="?sort=last_contact"' in body
        assert "Show the most urgent first" in body
        body = client.get("/", {"sort": "next_contact"}).content.decode()
        assert _names_in_order(body, "Xenia", "Yusuf", "Zora") == ["Zora", "Yusuf", "Xenia"]

    def test_its_summary_leads_to_the_contact_overdue_list_most_overdue_first(
        self, as_user, alice, caseload
    ):
        client = as_user(alice)
        assert "/cases/?due=contact" in client.get("/").content.decode()
        body = client.get("/cases/", {"due": "contact"}).content.decode()
        assert "Xenia" not in body
        assert _names_in_order(body, "Yusuf", "Zora") == ["Zora", "Yusuf"]
        assert 'aria-sort="ascending"' in body  # the "Due" column: the filter's own order
        body = client.get("/cases/", {"due": "contact", "sort": "-due"}).content.decode()
        assert _names_in_order(body, "Yusuf", "Zora") == ["Yusuf", "Zora"]
        assert 'name="case_manager"' not in body  # a case manager has only her own

    def test_its_queries_stay_fixed_with_the_columns_and_a_sort(
        self, as_user, organisation, alice, bob, caseload
    ):
        for user, url, params in (
            (alice, "/", {"sort": "next_contact"}),
            (bob, "/", {"sort": "-stage", "manager": str(alice.pk)}),
            (bob, "/cases/", {"due": "contact", "case_manager": str(alice.pk)}),
            (alice, "/cases/", {"sort": "-last_contact"}),
        ):
            client = as_user(user)
            with CaptureQueriesContext(connection) as small:
                client.get(url, params)
            for n in range(4):
                case, _plan = to_active(_client(organisation, alice, f"More{n}"), alice, bob)
                _in_touch(case, alice, n + 1)
                services.log_contact(
                    case,
                    by=alice,
                    data={"date": days_ago(0), "type": "phone", "engagement_level": "disengaged"},
                )
            with CaptureQueriesContext(connection) as big:
                client.get(url, params)
            assert len(big) == len(small), (user, url)


class TestSupervisorsPage:
    def test_it_shows_the_same_columns_and_filters_by_case_manager(
        self, as_user, organisation, alice, bob, team, caseload
    ):
        other = UserFactory(username="amira", first_name="Amira", organisation=organisation,
                            team=team)  # fmt: skip
        _client(organisation, other, "Wafa", referral_date=days_ago(40))
        client = as_user(bob)
        body = client.get("/").content.decode()
        assert "Alice" in body and "Amira" in body and 'name="manager"' in body
        body = client.get("/", {"manager": str(other.pk)}).content.decode()
        assert "Wafa" in body and "Zora" not in body
        assert f'<details open id="caseload-{other.pk}">' in body and "Next contact due" in body

    def test_its_due_chips_link_to_the_filtered_list_and_the_case(
        self, as_user, alice, bob, caseload
    ):
        body = as_user(bob).get("/").content.decode()
        assert f"/cases/?due=contact&amp;case_manager={alice.pk}" in body
        body = as_user(bob).get("/", {"manager": alice.pk}).content.decode()
        assert (
            f'<a class="badge due due-contact tier-1" href="/cases/{caseload["Zora"].pk}/"' in body
        )
        body = as_user(bob).get("/cases/", {"due": "contact", "case_manager": alice.pk})
        body = body.content.decode()
        assert _names_in_order(body, "Yusuf", "Zora") == ["Zora", "Yusuf"]
        assert "Xenia" not in body

    def test_it_shows_the_teams_without_their_clients_names_until_a_caseload_is_asked_for(
        self, as_user, alice, bob, caseload
    ):
        client = as_user(bob)
        body = client.get("/").content.decode()
        assert "Alice" in body and "Zora" not in body and "Yusuf" not in body
        link = f'<a href="?manager={alice.pk}" hx-get="?manager={alice.pk}"'
        assert link in body and "Show the caseload" in body
        assert not AuditEvent.objects.filter(
            actor_id=bob.pk, action=AuditEvent.Action.VIEW
        ).exists()
        # Asked for (the link, or htmx bringing the same part in place): shown and audited.
        body = client.get("/", {"manager": alice.pk}, headers={"HX-Request": "true"})
        body = body.content.decode()
        assert f'<details open id="caseload-{alice.pk}"><summary autofocus>' in body
        assert "Zora" in body and "Yusuf" in body
        read = AuditEvent.objects.filter(actor_id=bob.pk, action=AuditEvent.Action.VIEW)
        assert set(read.values_list("object_id", flat=True)) >= {caseload["Zora"].pk}
        # An order asked for opens every caseload, as before.
        assert "Zora" in client.get("/", {"sort": "stage"}).content.decode()

    def test_the_case_manager_filter_offers_the_supervisor_their_teams_only(
        self, as_user, organisation, alice, bob
    ):
        elsewhere = UserFactory(username="ines", first_name="Ines", organisation=organisation)
        body = as_user(bob).get("/cases/").content.decode()
        options = body.split('name="case_manager"', 1)[1].split("</select>", 1)[0]
        assert str(alice.pk) in options and str(bob.pk) in options
        assert str(elsewhere.pk) not in options  # a case holder of another team
        # Asked for anyway (an old link): refused next to the field, not silently ignored.
        response = as_user(bob).get("/cases/", {"case_manager": elsewhere.pk})
        body = response.content.decode()
        assert response.status_code == 200
        assert 'class="field has-error"' in body and 'id="id_case_manager_error"' in body
        assert "Select a valid choice" in body

    def test_the_case_manager_filter_shows_only_cases_the_supervisor_may_see(
        self, as_user, bob, charlie, other_organisation
    ):
        _client(other_organisation, charlie, "Zzforeign")
        body = as_user(bob).get("/cases/", {"case_manager": charlie.pk}).content.decode()
        assert "Zzforeign" not in body


class TestContactIntervalOnTheCasePage:
    def test_it_shows_the_rhythm_and_changes_it(self, as_user, organisation, alice, caseload):
        case = caseload["Xenia"]
        client = as_user(alice)
        body = client.get(case.get_absolute_url()).content.decode()
        assert "Contact every 14 days (the organisation's interval)" in body
        assert "due in 12 days" in body
        response = client.post(
            f"/cases/{case.pk}/contact-interval/",
            {"every": "custom", "days": "1", "version": case.version},
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.contact_interval_days == 1
        assert AuditEvent.objects.filter(object_id=str(case.pk), detail="contact_interval_days")
        body = client.get(case.get_absolute_url()).content.decode()
        assert "Contact every 1 day" in body and "overdue by 1 day" in body

    def test_it_asks_for_the_days_next_to_the_field_and_refuses_a_stale_form(
        self, as_user, alice, caseload
    ):
        case = caseload["Xenia"]
        client = as_user(alice)
        url = f"/cases/{case.pk}/contact-interval/"
        body = client.post(url, {"every": "custom", "days": "", "version": case.version})
        assert "Say how many days." in body.content.decode()
        body = client.post(url, {"every": "custom", "days": "400", "version": case.version})
        assert 'id="id_days_error"' in body.content.decode()
        client.post(url, {"every": "7", "version": case.version})
        body = client.post(url, {"every": "30", "version": case.version}).content.decode()
        assert "Someone else changed this record" in body
        case.refresh_from_db()
        assert case.contact_interval_days == 7

    def test_an_outsider_cannot_change_it(self, as_user, charlie, caseload):
        case = caseload["Xenia"]
        response = as_user(charlie).post(
            f"/cases/{case.pk}/contact-interval/", {"every": "7", "version": case.version}
        )
        assert response.status_code == 404
        assert Case.objects.get(pk=case.pk).contact_interval_days is None
