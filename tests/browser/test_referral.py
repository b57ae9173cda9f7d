"""A case manager refers a client to a service from the case page and records its acceptance.

The first try shares data without the client's consent and is refused next to the form; the
consent is recorded, the referral goes through the sharing service, and the service's answer
is recorded on the referral.
"""

import re

import pytest

from engage.cases.factories import CaseFactory, to_active
from engage.directory import services
from engage.directory.models import Referral
from engage.sharing.models import Share
from tests.browser.phone import let_in
from tests.browser.test_case_journey import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_makes_a_referral_from_the_case_page_and_records_its_acceptance(
    page, live_server, alice, bob, organisation
):
    case, _plan = to_active(
        CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amal"),
        alice,
        bob,
    )
    services.save_service(
        organisation,
        by=bob,
        data={
            "name": "Sofia night shelter",
            "type": "accommodation",
            "city": "Sofia",
            "languages": "Bulgarian, Arabic",
            "serves_without_status": True,
        },
    )

    let_in(page, live_server, alice, to=f"/cases/{case.pk}/")
    page.get_by_text("No referral to a service yet.").wait_for()
    page.get_by_role("link", name="Refer to a service").click()
    page.get_by_label(re.compile(r"^Service\b")).select_option(label="Sofia night shelter")
    page.get_by_label("What the referral is for").fill("A bed for the winter")
    page.get_by_label(re.compile(r"Share some of the client's data")).check()
    page.get_by_label("Identity (name, date of birth, nationality, documents)").check()
    page.get_by_role("button", name="Make the referral").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "This referral was not made." in alert.inner_text()
    assert "no consent in force" in alert.inner_text()
    _shot(page, "20-referral-refused")
    assert not Referral.objects.exists() and not Share.objects.exists()

    # Record the client's consent for this service, then try again.
    page.get_by_role("link", name="Record consent").click()
    page.get_by_label(re.compile(r"^Recipient\b")).select_option(label="Sofia night shelter")
    page.get_by_label(re.compile(r"^Purpose\b")).select_option("referral")
    page.get_by_label("Identity (name, date of birth, nationality, documents)").check()
    page.get_by_label(re.compile(r"^Consent given on\b")).fill(str(case.referral_date))
    page.get_by_label(re.compile(r"^Valid until\b")).fill("2099-12-31")
    page.get_by_label(re.compile(r"^Language of the explanation\b")).fill("Arabic")
    page.get_by_role("button", name="Save").click()
    page.locator(".message.success").wait_for()

    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Refer to a service").click()
    page.get_by_label(re.compile(r"^Service\b")).select_option(label="Sofia night shelter")
    page.get_by_label(re.compile(r"Share some of the client's data")).check()
    page.get_by_label("Identity (name, date of birth, nationality, documents)").check()
    page.get_by_role("button", name="Make the referral").click()
    page.get_by_role("heading", name="Referral to Sofia night shelter").wait_for()
    assert "Made, waiting for an answer" in page.content()
    referral = Referral.objects.get()
    assert referral.share is not None and referral.share.categories == ["identity"]

    # The service answers: the case manager records the acceptance.
    page.get_by_label(re.compile(r"^New status\b")).select_option("accepted")
    page.get_by_label("Outcome").fill("Bed from Monday")
    page.get_by_role("button", name="Save").click()
    page.locator(".message.success").wait_for()
    _shot(page, "21-referral-accepted")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.answered_on is not None

    page.get_by_role("link", name=re.compile("Amal")).first.click()
    card = page.locator("#referrals")
    assert "Sofia night shelter" in card.inner_text() and "Accepted" in card.inner_text()
    _shot(page, "22-case-page-referrals")
