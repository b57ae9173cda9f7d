"""Consent-gated sharing (R09, R10, R20), immigration enforcement, and the request register (R14)."""

import csv
import datetime
import importlib
import io
import json
import time
from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from engage.accounts.factories import PASSWORD, TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, PersonFactory
from engage.cases.models import Case, Contact, Household, Person
from engage.cases.models.process import Screening
from engage.sharing import own_export, services
from engage.sharing.models import Consent, DataRequest, Recipient, Share

pytestmark = pytest.mark.django_db

VOID = importlib.import_module(
    "engage.sharing.migrations.0006_void_members_shares_of_the_clients_data"
)
PREPARE_AGAIN = importlib.import_module(
    "engage.sharing.migrations.0011_health_domain_only_with_health"
)


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Sentinelgiven",
        person__phone="+359 88 000 1111",
    )


@pytest.fixture
def lawyer(organisation):
    return Recipient.objects.create(organisation=organisation, name="Legal aid", type="legal_aid")


@pytest.fixture
def clinic(organisation):
    return Recipient.objects.create(organisation=organisation, name="Clinic", type="health")


@pytest.fixture
def police(organisation):
    return Recipient.objects.create(
        organisation=organisation, name="Border police", type="enforcement"
    )


def _consent(case, alice, recipient, **overrides):
    data = {
        "person": case.person,
        "recipient": recipient,
        "purpose": "referral",
        "categories": ["identity", "contact"],
        "given_on": timezone.localdate() - datetime.timedelta(days=10),
        "expires_on": timezone.localdate() + datetime.timedelta(days=180),
        "language": "Arabic",
        "through_interpreter": True,
    } | overrides
    return services.record_consent(case, by=alice, data=data)


def _share(client, case, recipient, categories=("identity", "contact"), url="share"):
    return client.post(
        f"/sharing/cases/{case.pk}/{url}/",
        {
            "person": case.person_id,
            "recipient": recipient.pk,
            "purpose": "referral",
            "categories": list(categories),
            "override_reason": "Life-threatening emergency: the hospital needs to know now.",
        },
    )


def _refusals():
    return AuditEvent.objects.filter(action=AuditEvent.Action.SHARE_REFUSED)


class TestConsentGate:
    """Every way a share can lack consent gives 403, creates nothing, and is audited."""

    @pytest.mark.parametrize(
        "situation", ["no_consent", "other_recipient", "expired", "withdrawn", "more_data"]
    )
    def test_it_refuses_without_a_consent_in_force(
        self, situation, as_user, alice, case, lawyer, clinic
    ):
        if situation == "other_recipient":
            _consent(case, alice, clinic)
        elif situation == "expired":
            _consent(
                case,
                alice,
                lawyer,
                given_on=timezone.localdate() - datetime.timedelta(days=400),
                expires_on=timezone.localdate() - datetime.timedelta(days=1),
            )
        elif situation == "withdrawn":
            services.withdraw_consent(_consent(case, alice, lawyer), by=alice)
        elif situation == "more_data":
            _consent(case, alice, lawyer, categories=["identity"])
        response = _share(as_user(alice), case, lawyer)
        assert response.status_code == 403
        assert "no consent in force" in response.content.decode()
        assert not Share.objects.exists()
        assert _refusals().get().detail == "no_consent"

    def test_it_shares_with_a_consent_that_covers_it(self, as_user, alice, case, lawyer):
        _consent(case, alice, lawyer)
        client = as_user(alice)
        response = _share(client, case, lawyer)
        assert response.status_code == 302
        share = Share.objects.get()
        assert AuditEvent.objects.get(action=AuditEvent.Action.SHARE).object_id == share.pk
        services.produce_queued()
        download = client.get(f"/sharing/shares/{share.pk}/download/")
        assert download.status_code == 200 and "no-store" in download["Cache-Control"]
        assert download["Content-Disposition"].startswith("attachment;")
        content = json.loads(download.content)
        assert content["identity"]["given_name"] == "Sentinelgiven"
        assert "health" not in content and "notes" not in content  # only what was consented
        assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1

    def test_it_never_shares_with_immigration_enforcement(self, as_user, alice, case, police):
        alice.may_override_consent = True
        alice.save()
        client = as_user(alice)
        session = client.session
        session[AUTHENTICATED_AT] = time.time()
        session.save()
        for url in ("share", "share/override"):
            response = _share(client, case, police, url=url)
            assert response.status_code == 403
            assert "There is no override" in response.content.decode()
        assert not Share.objects.exists()
        assert all(e.high_severity for e in _refusals())
        with pytest.raises(Exception, match="immigration enforcement"):
            _consent(case, alice, police)


class TestOverride:
    def test_it_refuses_an_override_without_the_permission(self, as_user, alice, case, lawyer):
        client = as_user(alice)  # signed in just now: the step-up is satisfied
        session = client.session
        session[AUTHENTICATED_AT] = time.time()
        session.save()
        response = _share(client, case, lawyer, url="share/override")
        assert response.status_code == 403
        assert not Share.objects.exists()
        refusal = _refusals().get()
        assert refusal.detail == "override_not_permitted" and refusal.high_severity

    def test_it_asks_for_the_password_again_before_an_override(self, as_user, alice, case, lawyer):
        alice.may_override_consent = True
        alice.save()
        client = as_user(alice)
        session = client.session
        session[AUTHENTICATED_AT] = time.time() - 11 * 60  # signed in 11 minutes ago
        session.save()
        response = _share(client, case, lawyer, url="share/override")
        # The prompt carries the override as sent (its written reason is not lost).
        assert response.status_code == 200
        assert 'name="step_up-password"' in response.content.decode()
        assert not Share.objects.exists()
        wrong = client.post("/accounts/confirm/", {"password": "nope", "next": "/"})
        assert "This is not your password." in wrong.content.decode()
        assert client.post("/accounts/confirm/", {"password": PASSWORD}).status_code == 302
        response = _share(client, case, lawyer, url="share/override")
        assert response.status_code == 302
        share = Share.objects.get()
        assert share.overridden and share.consent is None
        override = AuditEvent.objects.get(action=AuditEvent.Action.OVERRIDE)
        assert override.high_severity and override.object_id == share.pk


class TestWithdrawal:
    def test_withdrawal_cancels_queued_shares_before_they_are_produced(self, alice, case, lawyer):
        consent = _consent(case, alice, lawyer)
        share = services.request_share(
            case,
            by=alice,
            person=case.person,
            recipient=lawyer,
            purpose="referral",
            categories=["identity"],
        )  # queued: this test holds back the on-commit production
        assert services.withdraw_consent(consent, by=alice, note="Changed her mind").voided == 1
        out = StringIO()
        call_command("run_shares", stdout=out)
        assert "0 share(s) produced" in out.getvalue()
        share.refresh_from_db()
        assert share.status == Share.Status.CANCELLED and share.content == ""
        assert share.cancel_reason == "consent_withdrawn"
        with pytest.raises(services.SharingRefused):
            services.request_share(
                case,
                by=alice,
                person=case.person,
                recipient=lawyer,
                purpose="referral",
                categories=["identity"],
            )

    def test_the_runner_cancels_a_share_whose_consent_expired_meanwhile(self, alice, case, lawyer):
        consent = _consent(case, alice, lawyer)
        share = services.request_share(
            case,
            by=alice,
            person=case.person,
            recipient=lawyer,
            purpose="referral",
            categories=["identity"],
        )
        Consent.objects.filter(pk=consent.pk).update(
            expires_on=timezone.localdate() - datetime.timedelta(1)
        )
        assert services.produce_queued() == {"produced": 0, "cancelled": 1}
        share.refresh_from_db()
        assert share.status == Share.Status.CANCELLED


class TestHouseholdMember:
    """A household member's consent releases their own identity and contact details only: what
    the case holds (its migration case, health, vulnerabilities, notes) is the client's."""

    @pytest.fixture
    def member(self, organisation, alice, case):
        household = Household.objects.create(organisation=organisation)
        Case.objects.filter(pk=case.pk).update(household=household)
        Person.objects.filter(pk=case.person_id).update(household=household)
        case.refresh_from_db()
        Screening.objects.create(
            case=case,
            date=timezone.localdate(),
            health="Sentinelhealth of the client",
            detention_risk="high",
            intervention_rating="medium",
            recorded_by=alice,
        )
        return PersonFactory(
            organisation=organisation, household=household, given_name="Sentinelmember"
        )

    def test_it_refuses_the_clients_data_under_a_members_consent(
        self, as_user, alice, case, clinic, member
    ):
        everything = ["identity", "contact", "migration", "health", "vulnerability", "notes"]
        _consent(case, alice, clinic, person=member, categories=everything)
        response = as_user(alice).post(
            f"/sharing/cases/{case.pk}/share/",
            {"person": member.pk, "recipient": clinic.pk, "purpose": "referral",
             "categories": ["identity", "health"]},
        )  # fmt: skip
        assert response.status_code == 200  # the form again, the error by the data ticked
        assert "are the client&#x27;s" in response.content.decode()
        assert not Share.objects.exists()
        for category in ("migration", "health", "vulnerability", "notes"):
            with pytest.raises(ValidationError):
                services.request_share(
                    case, by=alice, person=member, recipient=clinic, purpose="referral",
                    categories=[category],
                )  # fmt: skip

    def test_it_shares_the_members_own_identity_and_contact(self, alice, case, clinic, member):
        _consent(case, alice, clinic, person=member)
        share = services.request_share(
            case, by=alice, person=member, recipient=clinic, purpose="referral",
            categories=["identity", "contact"],
        )  # fmt: skip
        services.produce_queued([share.pk])
        share.refresh_from_db()
        data = json.loads(services.hand_over(share, by=alice))
        assert data["identity"]["given_name"] == "Sentinelmember"
        assert "Sentinelhealth" not in json.dumps(data) and "Sentinelgiven" not in json.dumps(data)

    def test_a_share_made_before_the_rule_never_leaves_and_loses_its_copy(
        self, alice, case, clinic, member
    ):
        # Made and produced before December 2026, with the client's health in it.
        consent = _consent(case, alice, clinic, person=member, categories=["identity", "health"])
        share = Share.objects.create(
            case=case, person=member, recipient=clinic, recipient_name=clinic.name,
            recipient_type=clinic.type, purpose="referral", categories=["health", "identity"],
            consent=consent, requested_by=alice, status=Share.Status.READY,
            content='{"health": "Sentinelhealth of the client"}',
        )  # fmt: skip
        with pytest.raises(services.SharingRefused, match="are the client"):
            services.hand_over(share, by=alice)
        share.refresh_from_db()
        assert share.status == Share.Status.CANCELLED and share.content == ""
        assert share.cancel_reason == "not_their_data"
        assert _refusals().get().detail == "hand_over:not_their_data"

    def test_the_migration_voids_the_members_shares_that_held_the_clients_data(
        self, alice, case, clinic, member
    ):
        consent = _consent(case, alice, clinic, person=member, categories=["identity", "health"])
        clients = _consent(case, alice, clinic, categories=["identity", "health"])

        def made(person, categories, status, consent):
            return Share.objects.create(
                case=case, person=person, recipient=clinic, recipient_name=clinic.name,
                recipient_type=clinic.type, purpose="referral", categories=categories,
                consent=consent, requested_by=alice, status=status, content='{"x": 1}',
            )  # fmt: skip

        ready = made(member, ["health", "identity"], Share.Status.READY, consent)
        sent = made(member, ["health"], Share.Status.SENT, consent)
        own = made(member, ["identity"], Share.Status.READY, consent)
        clients_own = made(case.person, ["health"], Share.Status.READY, clients)

        VOID.void(apps, connection.schema_editor())

        for share in (ready, sent, own, clients_own):
            share.refresh_from_db()
        assert (ready.status, ready.content, ready.cancel_reason) == (
            Share.Status.CANCELLED, "", "not_their_data"
        )  # fmt: skip
        assert (sent.status, sent.content) == (Share.Status.SENT, "")
        assert sent.cancel_reason == "not_their_data"
        assert (own.status, own.content) == (Share.Status.READY, '{"x": 1}')
        assert (clients_own.status, clients_own.content) == (Share.Status.READY, '{"x": 1}')


class TestHealthAmongTheVulnerabilities:
    """The screening's "Health and welfare" concern is health data: a consent to share the
    vulnerabilities without the health does not release it."""

    @pytest.fixture
    def screened(self, alice, case):
        Screening.objects.create(
            case=case,
            date=timezone.localdate(),
            health="Sentinelhealth of the client",
            vulnerability_health=True,
            vulnerability_health_note="Sentinelhivtreatment",
            vulnerability_protection=True,
            vulnerability_protection_note="Sentinelprotection",
            detention_risk="high",
            intervention_rating="medium",
            recorded_by=alice,
        )
        return case

    def _handed_over(self, alice, case, clinic, categories):
        share = services.request_share(
            case, by=alice, person=case.person, recipient=clinic, purpose="referral",
            categories=categories,
        )  # fmt: skip
        services.produce_queued([share.pk])
        share.refresh_from_db()
        return services.hand_over(share, by=alice)

    def test_it_leaves_the_health_concern_out_without_a_consent_to_share_health(
        self, alice, screened, clinic
    ):
        _consent(screened, alice, clinic, categories=["identity", "vulnerability"])
        sent = self._handed_over(alice, screened, clinic, ["identity", "vulnerability"])
        assert "Sentinelprotection" in sent
        assert "Sentinelhivtreatment" not in sent and "Sentinelhealth" not in sent
        assert [item["domain"] for item in json.loads(sent)["vulnerabilities"]] == [
            "Protection needs"
        ]

    def test_it_shares_the_health_concern_with_a_consent_to_share_health(
        self, alice, screened, clinic
    ):
        everything = ["identity", "vulnerability", "health"]
        _consent(screened, alice, clinic, categories=everything)
        sent = self._handed_over(alice, screened, clinic, everything)
        assert "Sentinelhivtreatment" in sent and "Sentinelprotection" in sent

    def test_the_migration_prepares_again_what_was_prepared_before_the_rule(
        self, alice, screened, clinic
    ):
        without_health = _consent(screened, alice, clinic, categories=["identity", "vulnerability"])
        with_health = _consent(
            screened, alice, clinic, categories=["identity", "vulnerability", "health"]
        )
        old = '{"vulnerabilities": [{"domain": "Health and welfare", "note": "Sentinelhivtreatment"}]}'

        def made(categories, status, consent):
            return Share.objects.create(
                case=screened, person=screened.person, recipient=clinic,
                recipient_name=clinic.name, recipient_type=clinic.type, purpose="referral",
                categories=categories, consent=consent, requested_by=alice, status=status,
                content=old, produced_at=timezone.now(),
            )  # fmt: skip

        ready = made(["identity", "vulnerability"], Share.Status.READY, without_health)
        sent = made(["vulnerability"], Share.Status.SENT, without_health)
        consented = made(["health", "vulnerability"], Share.Status.READY, with_health)

        PREPARE_AGAIN.prepare_again(apps, connection.schema_editor())

        for share in (ready, sent, consented):
            share.refresh_from_db()
        assert (ready.status, ready.content, ready.produced_at) == (Share.Status.QUEUED, "", None)
        assert (sent.status, sent.content) == (Share.Status.SENT, "")
        with pytest.raises(services.SharingRefused, match="no longer covers it"):
            services.hand_over(sent, by=alice)
        assert (consented.status, consented.content) == (Share.Status.READY, old)
        # The sweep prepares it again, under the rule.
        services.produce_queued()
        sent_now = services.hand_over(ready, by=alice)
        assert "Sentinelprotection" in sent_now and "Sentinelhivtreatment" not in sent_now


class TestIsolation:
    def test_an_outsider_gets_404_everywhere(self, as_user, alice, charlie, case, lawyer):
        consent = _consent(case, alice, lawyer)
        share = services.request_share(
            case,
            by=alice,
            person=case.person,
            recipient=lawyer,
            purpose="referral",
            categories=["identity"],
        )
        services.produce_queued()
        client = as_user(charlie)
        for url in (
            f"/sharing/cases/{case.pk}/",
            f"/sharing/cases/{case.pk}/consents/new/",
            f"/sharing/cases/{case.pk}/share/",
            f"/sharing/consents/{consent.pk}/withdraw/",
            f"/sharing/shares/{share.pk}/download/",
        ):
            assert client.get(url).status_code == 404, url
        assert not AuditEvent.objects.filter(action="export").exists()


class TestDataRequestRegister:
    def _request(self, client, **overrides):
        data = {
            "received_on": timezone.localdate().isoformat(),
            "requester": "Regional border police",
            "requester_type": "enforcement",
            "legal_basis": "Article 12 of the Aliens Act",
            "data_requested": "Address of the client",
        } | overrides
        return client.post("/sharing/requests/new/", data)

    def test_a_supervisor_registers_and_decides_a_request(self, as_user, bob, alice, case):
        client = as_user(bob)
        response = self._request(client, case_reference=case.reference.lower())
        entry = DataRequest.objects.get()
        assert response.status_code == 302 and entry.case == case
        refused = client.post(
            f"/sharing/requests/{entry.pk}/",
            {"decision": "disclosed", "decided_on": timezone.localdate().isoformat(), "version": 1},
        )
        assert "can only be refused" in refused.content.decode()
        client.post(
            f"/sharing/requests/{entry.pk}/",
            {
                "decision": "refused",
                "decision_note": "No legal obligation; we protect our clients' data.",
                "decided_on": timezone.localdate().isoformat(),
                "subject_informed": "on",
                "subject_informed_on": timezone.localdate().isoformat(),
                "version": 1,
            },
        )
        entry.refresh_from_db()
        assert entry.decision == "refused" and entry.decided_by == bob and entry.subject_informed
        listing = client.get("/sharing/requests/").content.decode()
        assert "Regional border police" in listing and case.reference in listing

    def test_an_enforcement_body_entered_as_another_kind_is_not_disclosed_on_one_word(
        self, as_user, bob, ada
    ):
        """Red team (issue 10 #2): the register allows only a refusal to immigration
        enforcement, but the kind is chosen by whoever registers the request, so the border
        police entered as an authority was recorded as disclosed at once."""
        client = as_user(bob)
        self._request(client, requester="Regional b0rder police", requester_type="authority")
        entry = DataRequest.objects.get()
        decision = {
            "decision": "disclosed",
            "decided_on": timezone.localdate().isoformat(),
            "version": entry.version,
        }
        response = client.post(f"/sharing/requests/{entry.pk}/", decision)
        assert "resembles an enforcement body" in response.content.decode()
        entry.refresh_from_db()
        assert entry.decision == "pending"
        # A second person (the admin) may decide it, as for a recipient held by the screening.
        response = as_user(ada).post(f"/sharing/requests/{entry.pk}/", decision)
        entry.refresh_from_db()
        assert response.status_code == 302 and entry.decision == "disclosed"

    def test_it_refuses_a_stale_decision_and_keeps_the_first(self, as_user, bob, ada):
        client = as_user(bob)
        self._request(client, requester="Municipal social office", requester_type="authority")
        entry = DataRequest.objects.get()
        url = f"/sharing/requests/{entry.pk}/"
        # Both open the request while it waits for a decision.
        for reader in (bob, ada):
            page = as_user(reader).get(url).content.decode()
            assert 'name="version" value="1"' in page
        today = timezone.localdate().isoformat()
        first = {"decision": "refused", "decision_note": "No legal basis given",
                 "decided_on": today, "version": 1}  # fmt: skip
        assert as_user(bob).post(url, first).status_code == 302
        second = {"decision": "partial", "decision_note": "Only the dates of the visits",
                  "decided_on": today, "version": 1}  # fmt: skip
        response = as_user(ada).post(url, second)
        assert response.status_code == 200
        form = response.context["form"]
        assert "Someone else changed this record" in " ".join(form.non_field_errors())
        # What she chose and wrote is on the form shown again.
        body = response.content.decode()
        assert '<option value="partial" selected>' in body
        assert "Only the dates of the visits" in body
        entry.refresh_from_db()
        assert (entry.decision, entry.decision_note) == ("refused", "No legal basis given")
        assert (entry.decided_by, entry.version) == (bob, 2)

    def test_it_refuses_an_unknown_case_reference(self, as_user, bob):
        response = self._request(as_user(bob), case_reference="ZZZZ-ZZZZ")
        assert "No case of yours has this reference." in response.content.decode()
        assert not DataRequest.objects.exists()

    @pytest.mark.parametrize("who", ["alice", "charlie", "nadia"])
    def test_only_supervisors_and_admins_of_the_organisation_see_it(
        self, as_user, bob, who, request
    ):
        self._request(as_user(bob))
        entry = DataRequest.objects.get()
        client = as_user(request.getfixturevalue(who))
        assert client.get(f"/sharing/requests/{entry.pk}/").status_code == 404
        if who != "alice":
            return
        assert client.get("/sharing/requests/").status_code == 404

    def test_a_supervisor_neither_reads_nor_decides_a_request_about_another_teams_case(
        self, as_user, organisation, bob, ada
    ):
        sue = UserFactory(organisation=organisation, role=Role.SUPERVISOR)
        plovdiv = TeamFactory(organisation=organisation, name="Plovdiv", leader=sue)
        hidden = CaseFactory(organisation=organisation,
                             case_manager=UserFactory(organisation=organisation, team=plovdiv))  # fmt: skip
        entry = DataRequest.objects.create(
            organisation=organisation, case=hidden, received_on=timezone.localdate(),
            requester="Municipal social office", requester_type="authority", legal_basis="x",
            data_requested="Sentinelasked home address", recorded_by=sue,
        )  # fmt: skip
        about_nobody = DataRequest.objects.create(
            organisation=organisation, received_on=timezone.localdate(), requester="Court",
            requester_type="authority", legal_basis="x", data_requested="Statistics",
            recorded_by=sue,
        )  # fmt: skip
        client = as_user(bob)
        assert client.get(f"/cases/{hidden.pk}/").status_code == 404
        listed = client.get("/sharing/requests/").content.decode()
        assert hidden.reference not in listed and "Court" in listed
        assert client.get(f"/sharing/requests/{entry.pk}/").status_code == 404
        decision = {"decision": "refused", "decided_on": timezone.localdate().isoformat()}
        assert client.post(f"/sharing/requests/{entry.pk}/", decision).status_code == 404
        entry.refresh_from_db()
        assert entry.decision == "pending"
        assert client.get(f"/sharing/requests/{about_nobody.pk}/").status_code == 200
        # Their own supervisor and the organisation's admin read and decide it.
        for reader in (sue, ada):
            page = as_user(reader).get(f"/sharing/requests/{entry.pk}/").content.decode()
            assert "Sentinelasked home address" in page


def test_the_network_sees_counts_of_requests_only(as_user, bob, nadia, case):
    services.register_request(
        bob.organisation,
        by=bob,
        data={
            "received_on": timezone.localdate(),
            "requester": "Sentinel prefecture",
            "requester_type": "authority",
            "legal_basis": "Sentinel article",
            "data_requested": "Sentinel address",
            "case": case,
        },
    )
    body = as_user(nadia).get("/").content.decode()
    assert "Authority deciding the case" in body and "<td>1</td>" in body
    assert "Sentinel" not in body and case.reference not in body


def test_the_organisations_export_keeps_a_sensitive_contact_without_its_note(
    organisation, alice, case
):
    # The admin does not read a sensitive note on the case page: nor in the export, which
    # keeps the contact (its date and kind) with the note left empty.
    for note, sensitive in (("Sentinelsensitive told in confidence", True),
                            ("Sentinelplain note", False)):  # fmt: skip
        Contact.objects.create(case=case, date=timezone.localdate(), type="phone", note=note,
                               sensitive=sensitive, recorded_by=alice)  # fmt: skip
    files, counts = own_export.archive(organisation)
    content = files["cases/contact.csv"].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert counts["cases/contact.csv"] == 2 and len(rows) == 2
    assert {row["note"] for row in rows} == {"", "Sentinelplain note"}
    assert "Sentinelsensitive" not in "".join(c.decode("utf-8", "replace") for c in files.values())
