"""The self-service password reset in Chromium, from the sign-in page to signing in again."""

import os
import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")  # a folder, to look at the pages afterwards


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_it_resets_a_forgotten_password_from_the_sign_in_page(page, alice):
    alice.email = "alice@pilot.example"
    alice.save(update_fields=["email"])
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_role("heading", name="Reset your password").wait_for()
    page.get_by_label("Email address of your Engage account").fill("not-an-address")
    page.get_by_role("button", name="Send the link").click()
    page.locator(".errorlist").wait_for()  # the error is next to the field
    _shot(page, "reset-1-request")
    page.get_by_label("Email address of your Engage account").fill("alice@pilot.example")
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    _shot(page, "reset-2-sent")

    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("heading", name="Choose a new password").wait_for()
    page.locator("#id_new_password1").fill("short")
    page.locator("#id_new_password2").fill("short")
    page.get_by_role("button", name="Save the new password").click()
    page.locator(".errorlist").first.wait_for()
    _shot(page, "reset-3-choose")
    page.locator("#id_new_password1").fill("a brand new passphrase of mine")
    page.locator("#id_new_password2").fill("a brand new passphrase of mine")
    page.get_by_role("button", name="Save the new password").click()
    page.get_by_role("heading", name="Your password was changed").wait_for()
    _shot(page, "reset-4-done")

    page.goto(link)
    page.get_by_role("heading", name="This link does not work").wait_for()
    _shot(page, "reset-5-used-link")

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("a brand new passphrase of mine")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()
