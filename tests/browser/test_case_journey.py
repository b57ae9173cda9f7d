"""One person's journey from referral to closure, in Chromium, as the people who do it."""

import os
import re

import pytest

from engage.accounts.factories import PASSWORD
from engage.cases.models import Case, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")  # a folder, to look at the pages afterwards


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Engage").wait_for()


def _approve(page, link_text):
    page.goto("/cases/approvals/")
    page.get_by_role("link", name=link_text).first.click()
    page.get_by_role("button", name="Approve").click()
    page.locator(".message.success").wait_for()


def test_it_walks_a_person_from_referral_to_closure(page, alice, bob, organisation):
    _sign_in(page, "alice")
    page.get_by_role("link", name="Register a referral").first.click()
    page.get_by_label("Referral date").fill("2026-01-10")
    page.get_by_label("Referred by").select_option("detention_centre")
    page.get_by_label("Detention at referral").select_option("released")
    page.get_by_label("Migration status at referral").select_option("irregular")
    page.get_by_label("Legal basis for processing").select_option("consent")
    page.get_by_label("City").select_option(label="Sofia")
    page.get_by_label("Given name").first.fill("Amal")
    page.get_by_label("Family name").first.fill("Journeytest")
    _shot(page, "01-referral")
    page.get_by_role("button", name="Register the referral").click()
    page.get_by_text("Record the first meeting: explain the programme").wait_for()
    case = Case.objects.get()  # the only one; names are encrypted, not filterable

    page.get_by_role("link", name="Record the first meeting").click()
    page.get_by_label("Date of the meeting").fill("2026-01-12")
    for label in (
        "The programme was explained",
        "Our independence from the authorities was explained",
        "What data we record, why, and how it is protected was explained",
        "The client consents to case management",
        "The declaration of participation was recorded",
    ):
        page.get_by_label(label).check()
    page.get_by_label("How consent was given").select_option("written")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Complete the screening, then propose").wait_for()

    page.get_by_role("link", name="Record the screening").click()
    page.get_by_label("Date of screening").fill("2026-01-15")
    page.get_by_label("Risk of detention").select_option("high")
    page.get_by_label("Intervention needed").select_option("medium")
    page.get_by_label("Health and welfare").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Propose the inclusion decision").click()
    page.get_by_label("Include in the programme").check()
    page.get_by_label("Date of the team's decision").fill("2026-01-16")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Inclusion is waiting for a supervisor's approval.").wait_for()
    _sign_out(page)

    _sign_in(page, "bob")
    _approve(page, "Amal Journeytest")
    _sign_out(page)

    _sign_in(page, "alice")
    page.goto(f"/cases/{case.pk}/")
    # What's next is a contact (none since the first meeting); the assessment is offered beside.
    page.get_by_role("link", name="New assessment").click()
    page.get_by_label("Date of assessment").fill("2026-01-20")
    for field in ("informed_decisions", "engage_procedures", "wellbeing"):
        page.locator(f"input[name={field}][value='3']").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="New case plan").click()
    page.get_by_role("button", name="Save").click()
    page.get_by_label("Area").select_option("migration")
    page.get_by_label("Migration option explored").select_option("legal_stay")
    page.get_by_label(re.compile(r"^Goal\b")).fill("Explore every option for legal stay")
    page.get_by_role("button", name="Add goal").click()
    page.get_by_text("Add an action").click()
    page.get_by_label(re.compile(r"^Action\b")).fill("Meet the legal aid lawyer")
    page.get_by_label("Who").select_option("client")
    page.get_by_label("Due by").fill("2026-02-10")
    page.get_by_role("button", name="Add action").click()
    page.get_by_role("button", name="Send to a supervisor for approval").click()
    page.locator(".message.success").wait_for()
    _sign_out(page)

    _sign_in(page, "bob")
    page.goto("/cases/approvals/")
    page.get_by_role("link", name="Amal Journeytest").click()
    page.get_by_role("button", name="Approve").click()
    page.locator(".message.success").wait_for()
    _sign_out(page)

    _sign_in(page, "alice")
    page.goto(f"/cases/{case.pk}/")
    # What's next: no contact since the first meeting, so the client comes first.
    page.get_by_text("Contact is overdue").wait_for()
    quick = page.locator("#quick-contact")
    quick.get_by_label("Type").select_option("face_to_face")
    quick.get_by_label("Engagement seen").select_option("active")
    quick.get_by_label("Note").fill("Prepared the hearing together")
    quick.get_by_role("button", name="Log contact").click()
    page.get_by_text("Prepared the hearing together").wait_for()
    _shot(page, "02-case-active")

    page.get_by_role("link", name="Close the case").click()
    page.get_by_label(re.compile(r"^Reason\b")).select_option("resolved")
    page.get_by_label("Outcome").select_option("regularisation")
    page.get_by_label("Permanence").select_option("permanent")
    page.get_by_role("button", name="Send for approval").click()
    page.get_by_text("The closure was sent to a supervisor for approval.").wait_for()
    _sign_out(page)

    _sign_in(page, "bob")
    _approve(page, "Amal Journeytest")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_text("This case is closed.").wait_for()
    _shot(page, "03-case-closed")

    case.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert case.outcome == "regularisation"
    assert case.contacts.get().note == "Prepared the hearing together"
