"""Liaison records: the consent gate, the outcome, the pages and the audit trail."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.audit.models import AuditEvent
from engage.liaison import services
from engage.liaison.models import LiaisonRecord, ReportingEvent, ReportingObligation
from engage.lib.concurrency import ConcurrentEditError
from engage.privacy.services import erase_person
from engage.sharing import services as sharing
from engage.sharing.models import Recipient, Share
from tests.liaison.conftest import days_ago, give_consent, liaise, weekly
from tests.tasks.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


def _nothing_sent():
    return not LiaisonRecord.objects.exists() and not Share.objects.exists()


class TestConsentGate:
    def test_it_sends_the_consented_data_through_the_sharing_service(
        self, active_case, alice, office, django_capture_on_commit_callbacks
    ):
        consent = give_consent(active_case, alice, office)
        with django_capture_on_commit_callbacks(execute=True):
            liaison = liaise(active_case, alice, office, categories=["identity"])
        assert run_queued_tasks() == [{"produced": 1, "cancelled": 0}]  # the worker's task
        share = liaison.share
        share.refresh_from_db()
        assert share.recipient == office and share.consent == consent
        assert share.purpose == "representation" and share.categories == ["identity"]
        assert share.status == Share.Status.READY and "Sentinelgiven" in share.content
        assert liaison.categories == ["identity"]
        assert liaison.outcome == LiaisonRecord.Outcome.PENDING
        assert AuditEvent.objects.filter(action="share", object_id=share.pk).exists()
        created = AuditEvent.objects.get(action="create", object_id=liaison.pk)
        assert created.detail == "disclosed"

    def test_it_refuses_without_any_consent_and_stores_nothing(self, active_case, alice, office):
        with pytest.raises(services.LiaisonRefused, match="no consent in force"):
            liaise(active_case, alice, office)
        assert _nothing_sent()
        assert AuditEvent.objects.filter(action="share_refused", detail="no_consent").count() == 1

    def test_it_refuses_with_a_consent_for_another_recipient(
        self, organisation, active_case, alice, office
    ):
        court = Recipient.objects.create(organisation=organisation, name="Court", type="court")
        give_consent(active_case, alice, court)
        with pytest.raises(services.LiaisonRefused):
            liaise(active_case, alice, office)
        assert _nothing_sent()

    def test_it_refuses_with_an_expired_consent(self, active_case, alice, office):
        give_consent(active_case, alice, office, given_on=days_ago(100), expires_on=days_ago(1))
        with pytest.raises(services.LiaisonRefused):
            liaise(active_case, alice, office)
        assert _nothing_sent()

    def test_it_refuses_with_a_withdrawn_consent(self, active_case, alice, office):
        consent = give_consent(active_case, alice, office)
        sharing.withdraw_consent(consent, by=alice)
        with pytest.raises(services.LiaisonRefused):
            liaise(active_case, alice, office)
        assert _nothing_sent()

    def test_it_refuses_data_beyond_what_was_consented(self, active_case, alice, office):
        give_consent(active_case, alice, office, categories=["identity"])
        with pytest.raises(services.LiaisonRefused):
            liaise(active_case, alice, office, categories=["identity", "health"])
        assert _nothing_sent()

    def test_it_refuses_a_consent_for_a_referral_instead(self, active_case, alice, office):
        give_consent(active_case, alice, office, purpose="referral")
        with pytest.raises(services.LiaisonRefused):
            liaise(active_case, alice, office)
        assert _nothing_sent()

    def test_it_never_discloses_to_immigration_enforcement(self, active_case, alice, police):
        with pytest.raises(services.LiaisonRefused, match="never releases"):
            liaise(active_case, alice, police, categories=["identity"])
        assert _nothing_sent()
        refused = AuditEvent.objects.get(action="share_refused", detail="enforcement")
        assert refused.high_severity

    def test_it_records_liaison_with_enforcement_that_discloses_nothing(
        self, active_case, alice, police
    ):
        liaison = liaise(active_case, alice, police, categories=[], kind="reporting")
        assert liaison.share is None and not liaison.disclosed
        created = AuditEvent.objects.get(action="create", object_id=liaison.pk)
        assert created.detail == "not_disclosed"


class TestRules:
    def test_it_refuses_a_recipient_that_is_not_an_authority(
        self, organisation, active_case, alice
    ):
        shelter = Recipient.objects.create(
            organisation=organisation, name="Shelter", type="housing"
        )
        with pytest.raises(ValidationError) as error:
            liaise(active_case, alice, shelter, categories=[])
        assert "authority" in error.value.error_dict

    def test_it_refuses_another_organisations_authority(
        self, other_organisation, active_case, alice
    ):
        theirs = Recipient.objects.create(
            organisation=other_organisation, name="Their office", type="authority"
        )
        with pytest.raises(ValidationError):
            liaise(active_case, alice, theirs, categories=[])

    def test_it_refuses_future_dates_and_a_follow_up_before_the_liaison(
        self, active_case, alice, office
    ):
        with pytest.raises(ValidationError) as error:
            liaise(active_case, alice, office, categories=[], date=days_ago(-1))
        assert "date" in error.value.error_dict
        with pytest.raises(ValidationError) as error:
            liaise(active_case, alice, office, categories=[], follow_up_on=days_ago(5))
        assert "follow_up_on" in error.value.error_dict

    def test_it_records_the_outcome_and_refuses_a_stale_version(self, active_case, alice, office):
        liaison = liaise(active_case, alice, office, categories=[], follow_up_on=days_ago(0))
        services.record_outcome(
            liaison,
            by=alice,
            outcome="favourable",
            outcome_note="Released onto the pilot",
            follow_up_on=None,
            expected_version=1,
        )
        liaison.refresh_from_db()
        assert liaison.outcome == "favourable" and liaison.outcome_note == "Released onto the pilot"
        assert liaison.version == 2
        with pytest.raises(ConcurrentEditError):
            services.record_outcome(
                liaison,
                by=alice,
                outcome="unfavourable",
                outcome_note="",
                follow_up_on=None,
                expected_version=1,
            )
        assert AuditEvent.objects.filter(
            action="update", object_id=liaison.pk, detail="outcome=favourable"
        ).exists()

    def test_it_keeps_the_summary_encrypted(self, active_case, alice, office):
        from django.db import connection

        liaise(active_case, alice, office, categories=[], summary="Sentinelsummary")
        with connection.cursor() as cursor:
            cursor.execute("SELECT summary FROM liaison_liaisonrecord")
            (stored,) = cursor.fetchone()
        assert "Sentinelsummary" not in stored


class TestPages:
    def _post(self, client, case, authority, **extra):
        data = {
            "kind": "release",
            "date": days_ago(1).isoformat(),
            "authority": authority.pk,
            "summary": "Release request",
            "disclosure": "share",
            "categories": ["identity"],
            "outcome": "pending",
            **extra,
        }
        return client.post(f"/liaison/cases/{case.pk}/new/", data)

    def test_it_shows_the_refusal_next_to_the_form_and_stores_nothing(
        self, as_user, active_case, alice, office
    ):
        response = self._post(as_user(alice), active_case, office)
        assert response.status_code == 403
        body = response.content.decode()
        assert 'id="refusal"' in body and "no consent in force" in body
        assert "Record consent" in body and 'name="summary"' in body
        assert _nothing_sent()

    def test_it_refuses_enforcement_on_the_page(self, as_user, active_case, alice, police):
        response = self._post(as_user(alice), active_case, police)
        assert response.status_code == 403 and "never releases" in response.content.decode()
        assert _nothing_sent()

    def test_it_records_liaison_and_shows_it_on_the_case_page(
        self, as_user, active_case, alice, office
    ):
        give_consent(active_case, alice, office)
        client = as_user(alice)
        response = self._post(client, active_case, office, follow_up_on=days_ago(0).isoformat())
        liaison = LiaisonRecord.objects.get()
        assert response.status_code == 302 and response.url == liaison.get_absolute_url()
        body = client.get(liaison.get_absolute_url()).content.decode()
        assert "Release request" in body and "Identity" in body
        body = client.get(active_case.get_absolute_url()).content.decode()
        assert 'id="liaison"' in body and "Migration office" in body and "Release request" in body

    def test_the_case_page_shows_the_latest_ten_and_how_many_earlier(
        self, as_user, active_case, alice, office
    ):
        """The card's count of the records is read in the case's own query: a full card runs
        no query more than one with room to spare (issue 17's budget)."""
        client = as_user(alice)
        queries = {}

        def card(n):
            with CaptureQueriesContext(connection) as run:
                body = client.get(active_case.get_absolute_url()).content.decode()
            queries[n] = len(run)
            return body[body.index('id="liaison"') :]

        records = []
        for n in range(12):
            records.append(liaise(active_case, alice, office, categories=[], date=days_ago(20 - n)))
            if n + 1 in (9, 10, 11, 12):
                section = card(n + 1)
                shown = [r for r in records if f'href="{r.get_absolute_url()}"' in section]
                assert shown == records[-10:], n  # the latest ten
                earlier = n + 1 - 10
                if earlier <= 0:
                    assert "earlier record" not in section
                elif earlier == 1:
                    assert "and 1 earlier record<" in section
                else:
                    assert f"and {earlier} earlier records" in section
        assert queries[9] == queries[10] == queries[11] == queries[12]

    def test_it_shows_errors_next_to_the_fields(self, as_user, active_case, alice, office):
        response = self._post(
            as_user(alice), active_case, office, categories=[], date=days_ago(-3).isoformat()
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "id_categories_error" in body
        assert not LiaisonRecord.objects.exists()

    def test_it_updates_the_outcome_from_the_page(self, as_user, active_case, alice, office):
        liaison = liaise(active_case, alice, office, categories=[])
        client = as_user(alice)
        response = client.post(
            liaison.get_absolute_url(),
            {"outcome": "no_answer", "outcome_note": "Chased twice", "version": 1},
        )
        assert response.status_code == 302
        liaison.refresh_from_db()
        assert liaison.outcome == "no_answer"
        stale = client.post(
            liaison.get_absolute_url(), {"outcome": "favourable", "outcome_note": "", "version": 1}
        )
        assert "Someone else changed this record" in stale.content.decode()

    def test_it_gives_404_to_another_organisation(
        self, as_user, active_case, alice, charlie, office
    ):
        liaison = liaise(active_case, alice, office, categories=[])
        client = as_user(charlie)
        assert client.get(liaison.get_absolute_url()).status_code == 404
        assert client.get(f"/liaison/cases/{active_case.pk}/new/").status_code == 404

    def test_it_audits_reading_a_record(self, as_user, active_case, alice, office):
        liaison = liaise(active_case, alice, office, categories=[])
        as_user(alice).get(liaison.get_absolute_url())
        assert AuditEvent.objects.filter(action="view", object_id=liaison.pk).exists()
        assert AuditEvent.objects.filter(action="view", object_id=active_case.pk).exists()


class TestAfterErasure:
    def test_it_takes_no_new_personal_data_on_an_erased_persons_case(
        self, as_user, active_case, alice, bob, office
    ):
        """docs/security.md, item 60 left liaison out: a record's summary, an outcome's note,
        a reporting obligation's place and a reporting day's note written after the person's
        erasure stayed for good, since a person erased once is not erased again."""
        obligation = weekly(active_case, alice, days_ago(20))
        missed = services.record_reporting(obligation, by=alice, date=days_ago(13), status="missed")
        earlier = liaise(active_case, alice, office, categories=())
        erase_person(active_case.person, by=bob, reason="request")
        active_case.refresh_from_db()  # as a page loads it
        page = as_user(alice).post(
            f"/liaison/cases/{active_case.pk}/new/",
            {"kind": "meeting", "date": days_ago(1).isoformat(), "authority": office.pk,
             "summary": "Zzafter erasure", "disclosure": "none", "outcome": "pending"},
        ).content.decode()  # fmt: skip
        assert "their case can only be closed or reassigned" in page
        assert LiaisonRecord.objects.get() == earlier
        writes = [
            lambda: liaise(active_case, alice, office, categories=(), summary="Zzafter"),
            lambda: services.record_outcome(
                earlier,
                by=alice,
                outcome="granted",
                outcome_note="Zzafter",
                follow_up_on=None,
                expected_version=earlier.version,
            ),
            lambda: weekly(active_case, alice, days_ago(5), place="Zzafter"),
            lambda: services.record_reporting(
                obligation, by=alice, date=days_ago(6), status="missed", note="Zzafter"
            ),
            lambda: services.follow_up_missed(missed, by=alice, on=days_ago(1), note="Zzafter"),
        ]
        for write in writes:
            with pytest.raises(ValidationError, match="can only be closed or reassigned"):
                write()
        assert ReportingObligation.objects.count() == 1 and ReportingEvent.objects.count() == 1
        missed.refresh_from_db()
        earlier.refresh_from_db()
        assert missed.follow_up_note == "" and earlier.outcome_note == ""

    def test_it_offers_no_liaison_or_reporting_on_an_erased_persons_pages(
        self, as_user, active_case, alice, bob, office
    ):
        """The case page of an erased person still offered "Record liaison", a letter and a
        reporting obligation, and the pages of a record and of an obligation their forms, all
        refused once sent (item 60): the pages offer nothing the services refuse."""
        obligation = weekly(active_case, alice, days_ago(20))
        missed = services.record_reporting(obligation, by=alice, date=days_ago(13), status="missed")
        liaison = liaise(active_case, alice, office, categories=())
        erase_person(active_case.person, by=bob, reason="request")
        client = as_user(alice)
        card = client.get(f"/cases/{active_case.pk}/").content.decode()
        card = card[card.index('id="liaison"') :]
        card = card[: card.index("</section>")]
        assert liaison.get_absolute_url() in card  # what was recorded is still read
        for offered in ("/new/", "/letters/new/", "/reporting/new/"):
            assert f"/liaison/cases/{active_case.pk}{offered}" not in card, offered
        record = client.get(liaison.get_absolute_url()).content.decode()
        assert "Record the outcome" not in record and 'name="outcome"' not in record
        assert "their case can only be closed or reassigned" in record
        reporting = client.get(obligation.get_absolute_url()).content.decode()
        assert 'name="status"' not in reporting
        assert f"/liaison/reporting/{obligation.pk}/edit/" not in reporting
        assert f"/liaison/reporting-days/{missed.pk}/follow-up/" not in reporting
        assert "their case can only be closed or reassigned" in reporting


class TestKeptAcrossASignOut:
    """A liaison's outcome and a reporting day are what the case manager wrote down: sent
    just after the idle sign-out, they are kept and sent again by the same person's click
    (docs/sessions.md)."""

    @staticmethod
    def _sent_after_the_sign_out_and_again(alice, url, data):
        import re

        from tests.accounts.test_kept_forms import KEPT_PAGE, _idle, _signed_in

        client = _signed_in(alice)
        _idle(client)
        response = client.post(url, data)
        assert response.status_code == 302 and "kept-form" in response.url
        _signed_in(alice, client)
        page = client.get(KEPT_PAGE).content.decode()
        assert data["note" if "note" in data else "outcome_note"] in page  # "What you wrote"
        form = page[page.index(f'<form method="post" action="{url}"') :]
        form = form[: form.index("</form>")]
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
        return client.post(url, dict(fields))

    def test_it_keeps_the_outcome_of_a_liaison(self, active_case, alice, office):
        liaison = liaise(active_case, alice, office, categories=[])
        note = "Chased twice; the officer promised an answer after the hearing."
        data = {"outcome": "no_answer", "outcome_note": note, "version": liaison.version}
        response = self._sent_after_the_sign_out_and_again(
            alice, liaison.get_absolute_url(), data
        )
        assert response.status_code == 302
        liaison.refresh_from_db()
        assert (liaison.outcome, liaison.outcome_note) == ("no_answer", note)

    def test_it_keeps_a_reporting_day(self, active_case, alice):
        obligation = weekly(active_case, alice, days_ago(30))
        note = "Missed: her son was in hospital overnight, she called the station."
        data = {"date": days_ago(1).isoformat(), "status": "missed", "note": note}
        response = self._sent_after_the_sign_out_and_again(
            alice, f"/liaison/reporting/{obligation.pk}/", data
        )
        assert response.status_code == 302
        assert ReportingEvent.objects.get(obligation=obligation).note == note
