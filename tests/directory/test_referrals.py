"""Referrals to services: the consent gate, the lifecycle, the pages and the audit trail."""

import pytest
from django.core.exceptions import ValidationError

from engage.audit.models import AuditEvent
from engage.directory import services
from engage.directory.models import Referral
from engage.lib.concurrency import ConcurrentEditError
from engage.privacy.services import erase_person
from engage.sharing import services as sharing
from engage.sharing.models import Share
from tests.directory.conftest import SHELTER, days_ago, give_consent, refer
from tests.tasks.conftest import run_queued_tasks

pytestmark = pytest.mark.django_db

Status = Referral.Status


def _nothing_sent():
    return not Referral.objects.exists() and not Share.objects.exists()


class TestConsentGate:
    def test_it_sends_the_consented_data_through_the_sharing_service(
        self, active_case, alice, shelter, django_capture_on_commit_callbacks
    ):
        consent = give_consent(active_case, alice, shelter)
        with django_capture_on_commit_callbacks(execute=True):
            referral = refer(active_case, alice, shelter, categories=["identity"])
        assert run_queued_tasks() == [{"produced": 1, "cancelled": 0}]  # the worker's task
        share = referral.share
        share.refresh_from_db()
        assert share.recipient == shelter.recipient and share.consent == consent
        assert share.purpose == "referral" and share.categories == ["identity"]
        assert share.status == Share.Status.READY and "Sentinelgiven" in share.content
        assert "+359 88 000 1111" not in share.content  # contact details were not chosen
        assert referral.categories == ["identity"] and referral.status == Status.MADE
        assert AuditEvent.objects.filter(action="share", object_id=share.pk).exists()
        created = AuditEvent.objects.get(action="create", object_id=referral.pk)
        assert created.detail == "disclosed"

    def test_it_refuses_without_any_consent_and_stores_nothing(self, active_case, alice, shelter):
        with pytest.raises(services.ReferralRefused, match="no consent in force"):
            refer(active_case, alice, shelter)
        assert _nothing_sent()
        assert AuditEvent.objects.filter(action="share_refused", detail="no_consent").count() == 1

    def test_it_refuses_with_a_consent_for_another_recipient(
        self, organisation, active_case, alice, bob, shelter
    ):
        other = services.save_service(
            organisation,
            by=bob,
            data={"name": "Clinic", "type": "healthcare", "city": "Sofia", "active": True},
        )
        give_consent(active_case, alice, other)
        with pytest.raises(services.ReferralRefused):
            refer(active_case, alice, shelter)
        assert _nothing_sent()

    def test_it_refuses_with_an_expired_consent(self, active_case, alice, shelter):
        give_consent(active_case, alice, shelter, given_on=days_ago(100), expires_on=days_ago(1))
        with pytest.raises(services.ReferralRefused):
            refer(active_case, alice, shelter)
        assert _nothing_sent()

    def test_it_refuses_with_a_withdrawn_consent(self, active_case, alice, shelter):
        consent = give_consent(active_case, alice, shelter)
        sharing.withdraw_consent(consent, by=alice)
        with pytest.raises(services.ReferralRefused):
            refer(active_case, alice, shelter)
        assert _nothing_sent()

    def test_it_refuses_data_beyond_what_was_consented(self, active_case, alice, shelter):
        give_consent(active_case, alice, shelter, categories=["identity"])
        with pytest.raises(services.ReferralRefused):
            refer(active_case, alice, shelter, categories=["identity", "health"])
        assert _nothing_sent()

    def test_it_refuses_a_consent_for_another_purpose(self, active_case, alice, shelter):
        give_consent(active_case, alice, shelter, purpose="continuity")
        with pytest.raises(services.ReferralRefused):
            refer(active_case, alice, shelter)
        assert _nothing_sent()

    def test_it_never_discloses_to_immigration_enforcement(self, active_case, alice, shelter):
        give_consent(active_case, alice, shelter)
        # A recipient classed as enforcement behind a service, whatever the consent says.
        type(shelter.recipient).objects.filter(pk=shelter.recipient_id).update(type="enforcement")
        shelter.refresh_from_db()
        with pytest.raises(services.ReferralRefused, match="immigration enforcement"):
            refer(active_case, alice, shelter)
        assert _nothing_sent()
        assert AuditEvent.objects.get(action="share_refused").high_severity

    def test_it_records_a_referral_that_discloses_nothing(self, active_case, alice, shelter):
        referral = refer(active_case, alice, shelter, categories=[])
        assert referral.share is None and not referral.disclosed
        assert not Share.objects.exists()
        assert AuditEvent.objects.get(action="create", object_id=referral.pk).detail == (
            "not_disclosed"
        )

    def test_it_refers_only_to_the_organisations_own_services(
        self, active_case, alice, foreign_service
    ):
        with pytest.raises(ValidationError) as error:
            refer(active_case, alice, foreign_service, categories=[])
        assert "service" in error.value.error_dict
        assert _nothing_sent()

    def test_it_refuses_a_service_no_longer_in_use_a_future_date_and_a_closed_case(
        self, active_case, alice, shelter
    ):
        with pytest.raises(ValidationError, match="future"):
            refer(active_case, alice, shelter, categories=[], made_on=days_ago(-1))
        with pytest.raises(ValidationError, match="before the client was referred"):
            refer(active_case, alice, shelter, categories=[], made_on=days_ago(201))
        shelter.active = False
        with pytest.raises(ValidationError, match="no longer in use"):
            refer(active_case, alice, shelter, categories=[])
        assert _nothing_sent()


def _move(referral, by, status, date=None, **kwargs):
    referral.refresh_from_db()
    return services.update_referral(
        referral,
        by=by,
        status=status,
        date=date or days_ago(0),
        expected_version=referral.version,
        **kwargs,
    )


ALLOWED = [
    ([], Status.ACCEPTED),
    ([], Status.DECLINED),
    ([Status.ACCEPTED], Status.COMPLETED),
    ([Status.ACCEPTED], Status.NO_SHOW),
]
REFUSED = [
    ([], Status.COMPLETED),
    ([], Status.NO_SHOW),
    ([], Status.MADE),
    ([Status.ACCEPTED], Status.DECLINED),
    ([Status.ACCEPTED], Status.ACCEPTED),
    ([Status.DECLINED], Status.ACCEPTED),
    ([Status.ACCEPTED, Status.COMPLETED], Status.NO_SHOW),
    ([Status.ACCEPTED, Status.NO_SHOW], Status.COMPLETED),
]


class TestLifecycle:
    @pytest.mark.parametrize(("path", "to"), ALLOWED)
    def test_it_allows_each_step_of_the_lifecycle(self, path, to, active_case, alice, shelter):
        referral = refer(active_case, alice, shelter, categories=[])
        for status in path:
            _move(referral, alice, status, date=days_ago(3))
        _move(referral, alice, to, outcome_note="Went well")
        referral.refresh_from_db()
        assert referral.status == to and referral.outcome_note == "Went well"
        date_field = "answered_on" if to in services.ANSWERED else "ended_on"
        assert getattr(referral, date_field) == days_ago(0)
        assert AuditEvent.objects.filter(
            action="update", object_id=referral.pk, detail=f"status={to}"
        ).exists()

    @pytest.mark.parametrize(("path", "to"), REFUSED)
    def test_it_refuses_impossible_moves_with_a_message(
        self, path, to, active_case, alice, shelter
    ):
        referral = refer(active_case, alice, shelter, categories=[])
        for status in path:
            _move(referral, alice, status, date=days_ago(3))
        before = Referral.objects.get(pk=referral.pk)
        with pytest.raises(ValidationError) as error:
            _move(referral, alice, to)
        assert "cannot become" in error.value.error_dict["status"][0].messages[0]
        after = Referral.objects.get(pk=referral.pk)
        assert (after.status, after.version) == (before.status, before.version)

    def test_it_refuses_dates_in_the_future_or_before_the_referral(
        self, active_case, alice, shelter
    ):
        referral = refer(active_case, alice, shelter, categories=[], made_on=days_ago(5))
        with pytest.raises(ValidationError, match="future"):
            _move(referral, alice, Status.ACCEPTED, date=days_ago(-1))
        with pytest.raises(ValidationError, match="before the referral was made"):
            _move(referral, alice, Status.ACCEPTED, date=days_ago(6))
        _move(referral, alice, Status.ACCEPTED, date=days_ago(3))
        with pytest.raises(ValidationError, match="before the service accepted"):
            _move(referral, alice, Status.COMPLETED, date=days_ago(4))
        assert Referral.objects.get(pk=referral.pk).status == Status.ACCEPTED

    def test_it_refuses_a_stale_update(self, active_case, alice, bob, shelter):
        referral = refer(active_case, alice, shelter, categories=[])
        stale_version = referral.version
        _move(referral, bob, Status.ACCEPTED)
        with pytest.raises(ConcurrentEditError):
            services.update_referral(
                referral,
                by=alice,
                status=Status.DECLINED,
                date=days_ago(0),
                expected_version=stale_version,
            )
        assert Referral.objects.get(pk=referral.pk).status == Status.ACCEPTED


class TestAfterErasure:
    def test_it_takes_no_referral_or_news_on_an_erased_persons_case(
        self, as_user, active_case, alice, bob, shelter
    ):
        """docs/security.md, item 60 left the directory out: a referral (what it is for) or a
        referral's outcome note written after the person's erasure stayed for good, since a
        person erased once is not erased again."""
        earlier = refer(active_case, alice, shelter, categories=[])
        erase_person(active_case.person, by=bob, reason="request")
        active_case.refresh_from_db()  # as a page loads it
        page = as_user(alice).post(
            f"/directory/cases/{active_case.pk}/refer/",
            {"service": shelter.pk, "made_on": days_ago(1).isoformat(),
             "reason": "Zzafter erasure", "disclosure": "none"},
        ).content.decode()  # fmt: skip
        assert "their case can only be closed or reassigned" in page
        writes = [
            lambda: refer(active_case, alice, shelter, categories=[]),
            lambda: _move(earlier, alice, Status.ACCEPTED, outcome_note="Zzafter"),
        ]
        for write in writes:
            with pytest.raises(ValidationError, match="can only be closed or reassigned"):
                write()
        assert Referral.objects.get() == earlier
        earlier.refresh_from_db()
        assert earlier.status == Status.MADE and earlier.outcome_note == ""

    def test_it_offers_no_referral_or_news_on_an_erased_persons_pages(
        self, as_user, active_case, alice, bob, shelter
    ):
        """The case page still offered "Refer to a service", and a referral's page the form of
        its news, both refused once sent (item 60)."""
        referral = refer(active_case, alice, shelter, categories=[])
        erase_person(active_case.person, by=bob, reason="request")
        client = as_user(alice)
        card = client.get(f"/cases/{active_case.pk}/").content.decode()
        card = card[card.index('id="referrals"') :]
        card = card[: card.index("</section>")]
        assert referral.get_absolute_url() in card
        assert f"/directory/cases/{active_case.pk}/refer/" not in card
        page = client.get(referral.get_absolute_url()).content.decode()
        assert 'name="status"' not in page and "Record news of the referral" not in page
        assert "their case can only be closed or reassigned" in page


class TestPages:
    def test_it_makes_a_referral_from_the_form(self, as_user, active_case, alice, shelter):
        give_consent(active_case, alice, shelter)
        response = as_user(alice).post(
            f"/directory/cases/{active_case.pk}/refer/",
            {
                "service": shelter.pk,
                "made_on": days_ago(1).isoformat(),
                "reason": "A bed",
                "disclosure": "share",
                "categories": ["identity", "contact"],
            },
        )
        referral = Referral.objects.get()
        assert response.status_code == 302 and response.url == referral.get_absolute_url()
        assert referral.share.categories == ["contact", "identity"]

    def test_it_shows_the_refusal_next_to_the_form_and_stores_nothing(
        self, as_user, active_case, alice, shelter
    ):
        response = as_user(alice).post(
            f"/directory/cases/{active_case.pk}/refer/",
            {
                "service": shelter.pk,
                "made_on": days_ago(1).isoformat(),
                "disclosure": "share",
                "categories": ["identity"],
            },
        )
        body = response.content.decode()
        assert response.status_code == 403
        assert "This referral was not made." in body and "no consent in force" in body
        assert 'name="categories"' in body  # the form is still there to change
        assert _nothing_sent()

    def test_it_says_next_to_the_service_that_it_went_out_of_use_while_the_form_was_open(
        self, as_user, active_case, alice, bob, organisation, shelter
    ):
        client = as_user(alice)
        url = f"/directory/cases/{active_case.pk}/refer/"
        assert "Sofia night shelter" in client.get(url).content.decode()
        # Meanwhile, the supervisor takes it out of use.
        services.save_service(
            organisation,
            by=bob,
            data=dict(SHELTER, active=False),
            service=shelter,
            expected_version=shelter.version,
        )
        response = client.post(
            url,
            {"service": shelter.pk, "made_on": days_ago(1).isoformat(), "disclosure": "none"},
        )
        assert response.status_code == 200
        assert "This service is no longer in use." in response.context["form"].errors["service"]
        assert "Sofia night shelter" not in response.content.decode()  # no longer offered
        assert _nothing_sent()

    def test_it_asks_for_the_data_when_sharing_is_chosen(
        self, as_user, active_case, alice, shelter
    ):
        response = as_user(alice).post(
            f"/directory/cases/{active_case.pk}/refer/",
            {"service": shelter.pk, "made_on": days_ago(1).isoformat(), "disclosure": "share"},
        )
        assert "Tick the data to share, or share nothing." in response.content.decode()
        assert _nothing_sent()

    def test_it_records_news_and_refuses_an_impossible_move_on_the_page(
        self, as_user, active_case, alice, shelter
    ):
        referral = refer(active_case, alice, shelter, categories=[])
        client = as_user(alice)
        url = f"/directory/referrals/{referral.pk}/"
        response = client.post(
            url,
            {"status": "completed", "date": days_ago(0).isoformat(), "version": referral.version},
        )
        assert "cannot become" in response.content.decode()
        response = client.post(
            url,
            {"status": "accepted", "date": days_ago(0).isoformat(), "version": referral.version},
        )
        assert response.status_code == 302
        assert Referral.objects.get().status == Status.ACCEPTED
        stale = client.post(
            url,
            {"status": "completed", "date": days_ago(0).isoformat(), "version": referral.version},
        )
        assert "Someone else changed this record" in stale.content.decode()

    def test_it_shows_the_case_referrals_on_the_case_page(
        self, as_user, active_case, alice, ada, shelter
    ):
        referral = refer(active_case, alice, shelter, categories=[], made_on=days_ago(20))
        body = as_user(alice).get(f"/cases/{active_case.pk}/").content.decode()
        assert "Sofia night shelter" in body and "Made, waiting for an answer" in body
        assert referral.get_absolute_url() in body and "Referral follow-up" in body
        # The admin reads the case page: the referral's status, not its notes.
        body = as_user(ada).get(f"/cases/{active_case.pk}/").content.decode()
        assert "Sofia night shelter" in body and referral.get_absolute_url() not in body

    def test_it_audits_reading_a_referral_as_reading_the_case(
        self, as_user, active_case, alice, shelter
    ):
        referral = refer(active_case, alice, shelter, categories=[])
        as_user(alice).get(referral.get_absolute_url())
        assert AuditEvent.objects.filter(action="view", object_id=active_case.pk).count() == 1
        assert AuditEvent.objects.filter(action="view", object_id=referral.pk).count() == 1

    def test_it_writes_no_personal_value_in_the_audit_log(self, active_case, alice, shelter):
        give_consent(active_case, alice, shelter)
        referral = refer(active_case, alice, shelter)
        _move(referral, alice, Status.ACCEPTED, outcome_note="Sentinelnote")
        details = " ".join(AuditEvent.objects.values_list("detail", flat=True))
        assert "Sentinel" not in details and "winter" not in details

    def test_it_gives_outsiders_404_on_a_referral(
        self, as_user, active_case, alice, shelter, charlie, olga, ada, nadia
    ):
        referral = refer(active_case, alice, shelter, categories=[])
        for user in (charlie, olga, ada, nadia):
            assert as_user(user).get(referral.get_absolute_url()).status_code == 404, user
            assert as_user(user).get(f"/directory/cases/{active_case.pk}/refer/").status_code == 404
