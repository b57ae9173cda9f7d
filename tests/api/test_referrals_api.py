"""Referrals to services through the API: the consent gate, the lifecycle with If-Match,
scoping and the audit of reads, as on the web."""

from engage.audit.models import AuditEvent
from engage.directory.models import Referral
from engage.sharing.models import Share
from tests.directory.conftest import SHELTER, days_ago, give_consent, refer
from tests.directory.conftest import active_case as active_case
from tests.directory.conftest import foreign_service as foreign_service
from tests.directory.conftest import shelter as shelter


def _make(client, case, service, **body):
    data = {"service": str(service.pk), "made_on": days_ago(2).isoformat(), **body}
    return client.post(f"/api/v1/cases/{case.pk}/referrals/", data)


def test_it_refuses_a_disclosing_referral_without_consent_and_stores_nothing(
    api, active_case, shelter, alice
):
    response = _make(api(alice), active_case, shelter, categories=["identity"])
    assert response.status_code == 403, response.content
    assert "consent" in response.json()["error"]["message"].lower()
    assert not Referral.objects.exists() and not Share.objects.exists()


def test_it_makes_a_referral_through_the_consent_gate(api, active_case, shelter, alice):
    give_consent(active_case, alice, shelter)
    response = _make(api(alice), active_case, shelter, categories=["identity"], reason="A bed")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "made" and body["disclosed"] is True
    assert body["service_name"] == SHELTER["name"]
    referral = Referral.objects.get(pk=body["id"])
    assert referral.share is not None and referral.share.recipient == shelter.recipient


def test_it_records_a_referral_that_discloses_nothing_without_consent(
    api, active_case, shelter, alice
):
    response = _make(api(alice), active_case, shelter)
    assert response.status_code == 201, response.content
    assert response.json()["disclosed"] is False and not Share.objects.exists()


def test_it_refuses_another_organisations_service(api, active_case, foreign_service, alice):
    response = _make(api(alice), active_case, foreign_service)
    assert response.status_code == 400
    assert "service" in response.json()["error"]["fields"]
    assert not Referral.objects.exists()


def test_it_moves_the_status_on_with_if_match_and_refuses_a_stale_write(
    api, active_case, shelter, alice, bob
):
    referral = refer(active_case, alice, shelter, categories=())
    client = api(alice)
    url = f"/api/v1/referrals/{referral.pk}/"
    read = client.get(url)
    assert read.status_code == 200
    etag = read["ETag"]
    change = {"status": "accepted", "date": days_ago(1).isoformat()}
    assert client.patch(url, change).status_code == 428
    accepted = client.patch(url, change, headers={"If-Match": etag})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted["ETag"] != etag
    stale = api(bob).patch(
        url, {"status": "completed", "date": days_ago(0).isoformat()}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    referral.refresh_from_db()
    assert referral.status == "accepted"


def test_it_refuses_an_impossible_transition(api, active_case, shelter, alice):
    referral = refer(active_case, alice, shelter, categories=())
    client = api(alice)
    url = f"/api/v1/referrals/{referral.pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"status": "completed", "date": days_ago(0).isoformat()}, headers={"If-Match": etag}
    )
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]


def test_it_audits_each_read_as_a_read_of_the_case(api, active_case, shelter, alice):
    referral = refer(active_case, alice, shelter, categories=())
    client = api(alice)
    for url in (
        f"/api/v1/cases/{active_case.pk}/referrals/",
        f"/api/v1/referrals/{referral.pk}/",
    ):
        before = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count()
        assert client.get(url).status_code == 200, url
        reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW)
        assert reads.count() == before + 1, url
        assert reads.order_by("-at").first().object_id == active_case.pk


def test_it_gives_an_outsider_404(api, active_case, shelter, alice, charlie, olga):
    referral = refer(active_case, alice, shelter, categories=())
    for user in (charlie, olga):
        client = api(user)
        assert client.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
        assert client.get(f"/api/v1/cases/{active_case.pk}/referrals/").status_code == 404
        assert _make(client, active_case, shelter).status_code == 404


def test_it_keeps_the_audit_entry_of_a_refused_referral(api, active_case, shelter, alice):
    # The consent gate's refusal is audited (R09), through the API as on the web: the request's
    # own transaction must not take the entry back with the referral it refused.
    response = _make(api(alice), active_case, shelter, categories=["identity"])
    assert response.status_code == 403, response.content
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SHARE_REFUSED, object_id=str(active_case.pk)
    ).exists()
