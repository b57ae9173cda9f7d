"""Offline visits (issue 13 #3), in Chromium with the context set offline: a contact, an
assessment and an action's status recorded offline, the app reopened offline, sent once when the
connection returns, a conflicting change on the server shown as a conflict, nothing readable
left after sign-out, and no page of a case not taken offline ever kept by the service worker."""

import os

import pytest

from engage.accounts.factories import PASSWORD
from engage.cases import services
from engage.cases.factories import CaseFactory, to_active
from engage.cases.models import Action, Assessment, Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")
PIN = "482916"
PHONE = {"width": 390, "height": 844}

STORAGE = """async () => {
    const dbs = indexedDB.databases ? await indexedDB.databases() : [];
    const found = {dbs: dbs.map((d) => d.name), caches: [], urls: [], local: localStorage.length,
                   session: JSON.stringify(Object.entries(sessionStorage)), rows: []};
    for (const name of await caches.keys()) {
        found.caches.push(name);
        for (const request of await (await caches.open(name)).keys()) found.urls.push(request.url);
    }
    for (const info of dbs) {
        const db = await new Promise((ok, ko) => {
            const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = ko;
        });
        for (const store of db.objectStoreNames) {
            const all = await new Promise((ok) => {
                const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result);
            });
            found.rows.push(JSON.stringify(all));
        }
        db.close();
    }
    return found;
}"""


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"offline-{name}.png"), full_page=True)


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def visits(organisation, alice, bob):
    """Two of Alice's clients: one she takes offline, one she does not."""
    taken, _plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Amira",
            person__family_name="Offlinova",
            person__phone="+359 000 222",
            person__address="7 Sample Lane",
        ),
        alice,
        bob,
    )
    kept_out = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Zzsentinelnotoffline",
        person__family_name="Person",
    )
    return taken, kept_out


def test_it_records_offline_sends_once_shows_a_conflict_and_wipes_at_sign_out(
    open_page, alice, visits
):
    taken, kept_out = visits
    page = open_page(PHONE)
    context = page.context
    _sign_in(page, "alice")

    # Take the case offline from its page, then keep it on the phone under a PIN.
    page.goto(taken.get_absolute_url())
    page.get_by_role("button", name="Take offline for a visit").click()
    page.get_by_text("Kept offline for visits").wait_for()
    page.get_by_role("link", name="Offline visits").click()
    page.get_by_label("PIN (at least 6 characters)").fill(PIN)
    page.get_by_label("The same PIN again").fill(PIN)
    page.get_by_role("button", name="Keep on this phone").click()
    card = page.locator(f"#offline-case-{taken.reference}")
    card.get_by_text("Amira Offlinova").wait_for()
    assert card.get_by_text("+359 000 222").is_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    card.get_by_text("Amira Offlinova").wait_for()
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")

    # A page of a case not taken offline, seen online under the service worker.
    page.goto(kept_out.get_absolute_url())
    page.get_by_text("Zzsentinelnotoffline").first.wait_for()
    page.goto("/offline/")
    card.get_by_text("Amira Offlinova").wait_for()

    # Offline: a contact, an assessment and an action's status wait in the outbox.
    context.set_offline(True)
    page.locator("#offline-connection", has_text="No connection").wait_for()
    card.get_by_text("Record a contact").click()
    card.locator("form[data-kind=contact] select").select_option("home_visit")
    card.locator("form[data-kind=contact] textarea").fill("Seen at home, all well")
    card.locator("form[data-kind=contact] button[type=submit]").click()
    card.get_by_text("Record an assessment").click()
    assessment = card.locator("form[data-kind=assessment]")
    for name, value in (
        ("informed_decisions", "3"),
        ("engage_procedures", "4"),
        ("wellbeing", "2"),
    ):
        assessment.locator(f"select[name={name}]").select_option(value)
    assessment.locator("button[type=submit]").click()
    card.locator("form[data-kind=action_status] select").select_option("done")
    card.get_by_role("button", name="Save status").click()
    outbox = page.locator("#offline-outbox li")
    outbox.nth(2).wait_for()
    assert outbox.count() == 3
    assert "waiting since" in outbox.first.inner_text()
    _shot(page, "outbox-offline")

    # Meanwhile a colleague cancels the action in Engage.
    action = Action.objects.get(goal__plan__case=taken)
    services.set_action_status(action, by=alice, status=Action.Status.CANCELLED)

    # The app opens again offline, from the service worker, with the PIN.
    page.reload()
    page.get_by_label("PIN", exact=True).fill("000000")
    page.get_by_role("button", name="Open the cases").click()
    page.get_by_text("4 attempts left").wait_for()
    page.get_by_label("PIN", exact=True).fill(PIN)
    page.get_by_role("button", name="Open the cases").click()
    card.get_by_text("Amira Offlinova").wait_for()
    assert outbox.count() == 3

    # Offline, a case page not taken offline opens the shell: nothing of it was kept.
    page.goto(kept_out.get_absolute_url())
    page.get_by_text("This page is not kept offline").wait_for()
    assert "Zzsentinelnotoffline" not in page.content()
    stored = page.evaluate(STORAGE)
    assert stored["urls"], "the shell is kept"
    assert not [url for url in stored["urls"] if "/cases/" in url or "/api/" in url]
    assert "Amira" not in " ".join(stored["rows"]), "case data is kept encrypted only"

    # Back online: sent, each once; the action's status is a conflict to resolve.
    contacts_before = Contact.objects.filter(case=taken).count()
    assessments_before = Assessment.objects.filter(case=taken).count()
    context.set_offline(False)
    page.goto("/offline/")
    page.get_by_role("button", name="Keep mine").wait_for()
    assert outbox.count() == 1
    assert "Cancelled" in outbox.first.inner_text()
    _shot(page, "conflict")
    assert Contact.objects.filter(case=taken).count() == contacts_before + 1
    assert Assessment.objects.filter(case=taken).count() == assessments_before + 1
    action.refresh_from_db()
    assert action.status == Action.Status.CANCELLED  # not overwritten
    page.get_by_role("button", name="Keep mine").click()
    page.locator("#offline-outbox").wait_for(state="hidden")
    action.refresh_from_db()
    assert action.status == Action.Status.DONE
    page.reload()
    card.get_by_text("Amira Offlinova").wait_for()
    assert Contact.objects.filter(case=taken).count() == contacts_before + 1
    assert Assessment.objects.filter(case=taken).count() == assessments_before + 1

    # Sign out from any page: nothing readable is left in the browser.
    page.goto("/")
    page.locator("form[action='/accounts/logout/']").first.evaluate("form => form.submit()")
    page.wait_for_url("**/accounts/login/**")
    stored = page.evaluate(STORAGE)
    assert stored["caches"] == [] and stored["local"] == 0
    # htmx notes the current address (the sign-in page's) in sessionStorage: no case data.
    assert "/cases/" not in stored["session"] and "Amira" not in stored["session"]
    assert "engage-offline" not in stored["dbs"], stored
    assert "Amira" not in " ".join(stored["rows"])
