"""A share without consent is refused, and the organisation admin sees it in the audit log."""

import re

import pytest

from engage.cases.factories import CaseFactory
from engage.sharing.models import Recipient, Share
from tests.browser.phone import let_in
from tests.browser.test_case_journey import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_refuses_a_share_without_consent_and_audits_it(
    page, live_server, alice, ada, organisation
):
    case = CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Amal")
    Recipient.objects.create(organisation=organisation, name="Sofia legal aid", type="legal_aid")

    let_in(page, live_server, alice, to=f"/cases/{case.pk}/")
    page.get_by_role("link", name="Consent and sharing").click()
    page.get_by_role("link", name="Share data").click()
    page.get_by_label(re.compile(r"^Recipient\b")).select_option(label="Sofia legal aid")
    page.get_by_label(re.compile(r"^Purpose\b")).select_option("referral")
    page.get_by_label("Identity (name, date of birth, nationality, documents)").check()
    page.get_by_role("button", name="Share", exact=True).click()
    page.get_by_role("heading", name="Sharing refused").wait_for()
    assert "no consent in force" in page.get_by_role("alert").inner_text()
    _shot(page, "04-share-refused")
    assert not Share.objects.exists()

    let_in(page, live_server, ada)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_label("What").select_option("share_refused")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#audit-results tbody tr").first
    row.wait_for()
    assert "was refused sharing" in row.inner_text()
    assert f"Case {case.reference}" in row.inner_text() and "Alice" in row.inner_text()
    assert "Amal" not in page.content()
    _shot(page, "05-audit-refusal")
