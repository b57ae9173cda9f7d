"""Offline visits (issue 13 #3), in Chromium with the context set offline: a contact, an
assessment and an action's status recorded offline, the app reopened offline, sent once when the
connection returns, a conflicting change on the server shown as a conflict (kept, or edited and
sent once), nothing readable left after sign-out or when the server says to wipe, and no page
of a case not taken offline ever kept by the service worker.

The page marks <main> aria-busy while it starts, sends or downloads: the tests wait for it to
settle (`_settled`) rather than for a time, so what they read is what the page has finished."""

import os
import pathlib

import pytest

from engage.accounts import services as accounts_services
from engage.accounts.factories import PASSWORD
from engage.accounts.models import Role, User
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Action, Appointment, Assessment, Contact
from engage.custom import services as custom
from engage.custom.services import values_for
from tests.browser.phone import LAPTOP as WIDE
from tests.browser.phone import PHONE
from tests.custom.helpers import define_asked_when

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ENGAGE_SCREENSHOTS")
PIN = "482916"
# axe-core's axe.min.js (npm install axe-core@4), when given: ENGAGE_AXE=path/to/axe.min.js
AXE = pathlib.Path(os.environ["ENGAGE_AXE"]) if os.environ.get("ENGAGE_AXE") else None

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


def _axe(page, name):
    """No axe-core violation (WCAG 2 A and AA) on the page as it is, when axe-core is at hand."""
    if AXE is None:
        return
    violations = page.evaluate(
        AXE.read_text() + "\n;axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))"
    )
    assert violations == [], (name, page.viewport_size, violations)


def _settled(page):
    """Wait until the Offline visits page has finished starting, sending and downloading."""
    page.locator("main[aria-busy=false]").wait_for(state="attached")


def _kept_on_the_phone(page, case):
    """Sign Alice in, take `case` offline and keep it on the phone under the PIN."""
    # Read before the browser starts: the live server shares this thread's SQLite connection,
    # and a query here while a request of the page runs there can deadlock (the audit chain's
    # triggers call Python functions).
    name = str(case.person)
    _sign_in(page, "alice")
    page.goto(case.get_absolute_url())
    page.get_by_role("button", name="Take offline for a visit").click()
    page.get_by_text("Kept offline for visits").wait_for()
    page.get_by_role("link", name="Offline visits").click()
    page.get_by_label("PIN (at least 6 characters)").fill(PIN)
    page.get_by_label("The same PIN again").fill(PIN)
    page.get_by_role("button", name="Keep on this phone").click()
    card = page.locator(f"#offline-case-{case.reference}")
    card.get_by_text(name).wait_for()
    _settled(page)
    return card


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

    # Take the case offline from its page, then keep it on the phone under a PIN.
    card = _kept_on_the_phone(page, taken)
    assert card.get_by_text("+359 000 222").is_visible()
    _shot(page, "cases")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    card.get_by_text("Amira Offlinova").wait_for()
    _settled(page)
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")

    # A page of a case not taken offline, seen online under the service worker.
    page.goto(kept_out.get_absolute_url())
    page.get_by_text("Zzsentinelnotoffline").first.wait_for()
    page.goto("/offline/")
    card.get_by_text("Amira Offlinova").wait_for()
    _settled(page)

    # Offline: a contact, an assessment and an action's status wait in the outbox.
    context.set_offline(True)
    page.locator("#offline-connection", has_text="No connection").wait_for()
    card.get_by_text("Record a contact").click()
    card.locator("form[data-kind=contact] select[name=type]").select_option("home_visit")
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
    # A concern's note is asked once its box is ticked.
    assert assessment.get_by_label("Note (Health and welfare)").is_hidden()
    assessment.get_by_label("Health and welfare", exact=True).check()
    assessment.get_by_label("Note (Health and welfare)").fill("Chest pain, no doctor yet")
    assessment.locator("button[type=submit]").click()
    card.locator("form[data-kind=action_status] select").select_option("done")
    card.get_by_role("button", name="Save status").click()
    outbox = page.locator("#offline-outbox li")
    outbox.nth(2).wait_for()
    _settled(page)
    assert outbox.count() == 3
    assert "waiting since" in outbox.first.inner_text()
    _shot(page, "outbox-offline")

    # Meanwhile a colleague cancels the action in Engage.
    action = Action.objects.get(goal__plan__case=taken)
    services.set_action_status(
        action, by=alice, status=Action.Status.CANCELLED, expected_version=action.version
    )

    # The app opens again offline, from the service worker, with the PIN.
    page.reload()
    page.get_by_label("PIN", exact=True).fill("000000")
    page.get_by_role("button", name="Open the cases").click()
    page.get_by_text("4 attempts left").wait_for()
    page.get_by_label("PIN", exact=True).fill(PIN)
    page.get_by_role("button", name="Open the cases").click()
    card.get_by_text("Amira Offlinova").wait_for()
    _settled(page)
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
    _settled(page)
    assert outbox.count() == 1
    assert "Cancelled" in outbox.first.inner_text()
    _shot(page, "conflict")
    assert Contact.objects.filter(case=taken).count() == contacts_before + 1
    assert Assessment.objects.filter(case=taken).count() == assessments_before + 1
    sent = Assessment.objects.filter(case=taken).latest("created_at")
    assert sent.vulnerability_codes() == ["health"]
    assert sent.vulnerability_health_note == "Chest pain, no doctor yet"
    action.refresh_from_db()
    assert action.status == Action.Status.CANCELLED  # not overwritten
    page.get_by_role("button", name="Keep mine").click()
    page.locator("#offline-outbox").wait_for(state="hidden")
    _settled(page)
    action.refresh_from_db()
    assert action.status == Action.Status.DONE
    page.reload()
    card.get_by_text("Amira Offlinova").wait_for()
    _settled(page)
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


def test_it_asks_the_organisations_own_contact_fields_and_sends_their_answers(
    open_page, organisation, ada, visits
):
    """The phone's contact form has the web form's fields (the engagement seen, "Sensitive")
    and the organisation's own as the web form has them: one shown by another's answer,
    required only then, and a group of choices."""
    taken, _kept_out = visits
    rough, where = define_asked_when(organisation, ada, "contact")
    topics = custom.define_field(
        organisation, by=ada, form="contact", type="choices", label="Topics",
        options=["Housing", "Health", "Legal"],
    )  # fmt: skip
    page = open_page(PHONE)
    card = _kept_on_the_phone(page, taken)
    card.get_by_text("Record a contact").click()
    form = card.locator("form[data-kind=contact]")
    assert form.get_by_label("Where they sleep").is_hidden()
    # Its help says when it is asked, read with the field (as on the web).
    described = form.get_by_label("Where they sleep").get_attribute("aria-describedby")
    assert "Only when" in form.locator(f"[id='{described}']").inner_text()
    form.get_by_label("Sleeping rough?").select_option(label="Yes")
    form.get_by_label("Where they sleep").wait_for()
    form.get_by_label("Health").check()
    form.get_by_label("Legal").check()
    form.locator("button[type=submit]").click()
    page.get_by_text("Answer “Where they sleep”: it is required.").wait_for()
    _shot(page, "own-fields")
    _axe(page, "own-fields")
    form.get_by_label("Where they sleep").fill("Under the bridge by the station")
    # The web form's own fields too: the engagement seen and a note marked sensitive.
    form.get_by_label("Engagement seen").select_option("disengaged")
    form.get_by_label("Note").fill("Asked us not to tell the partner")
    form.get_by_label("Sensitive").check()
    # And the next appointment agreed during the visit.
    next_week = days_ago(-7)
    form.get_by_label("Next appointment on").fill(next_week.isoformat())
    form.get_by_label("Kind of appointment").select_option("home_visit")
    form.locator("button[type=submit]").click()
    page.get_by_text("Sent to Engage.").wait_for()
    _settled(page)
    contact = Contact.objects.filter(case=taken).latest("created_at")
    assert (contact.engagement_level, contact.sensitive) == ("disengaged", True)
    assert Appointment.objects.filter(case=taken, date=next_week, kind="home_visit").exists()
    # Refused by Engage (a next appointment on a day gone by): the reason names its field.
    card.get_by_text("Record a contact").click()
    form.get_by_label("Next appointment on").fill(days_ago(1).isoformat())
    form.get_by_label("Kind of appointment").select_option("meeting")
    form.locator("button[type=submit]").click()
    refused = page.locator("#offline-outbox li.conflict")
    refused.wait_for()
    assert "Next appointment on: Choose today or a later day." in refused.inner_text()
    answers = {key: value.data for key, value in values_for(taken, "contact", contact.pk).items()}
    assert answers == {
        rough.key: True,
        where.key: "Under the bridge by the station",
        topics.key: ["health", "legal"],
    }


def _record_assessment_offline(card, ratings):
    card.get_by_text("Record an assessment").click()
    form = card.locator("form[data-kind=assessment]")
    for name, value in ratings.items():
        form.locator(f"select[name={name}]").select_option(value)
    form.locator("textarea[name=needs]").fill("A lawyer for the appeal")
    form.locator("button[type=submit]").click()


def test_it_resolves_an_assessment_conflict_by_editing_and_sends_it_once(
    open_page, alice, bob, visits
):
    taken, _kept_out = visits
    page = open_page(PHONE)
    card = _kept_on_the_phone(page, taken)

    # Offline, Alice assesses Amira; meanwhile Bob records an assessment in Engage.
    page.context.set_offline(True)
    page.locator("#offline-connection", has_text="No connection").wait_for()
    _record_assessment_offline(
        card, {"informed_decisions": "3", "engage_procedures": "4", "wellbeing": "2"}
    )
    outbox = page.locator("#offline-outbox li")
    outbox.first.wait_for()
    _settled(page)
    ratings = {"informed_decisions": 2, "engage_procedures": 2, "wellbeing": 2}
    services.record_assessment(taken, by=bob, data={"date": days_ago(0), **ratings})
    before = Assessment.objects.filter(case=taken).count()

    # Back online: a conflict, nothing recorded; Edit opens the form with what she typed.
    page.context.set_offline(False)
    page.goto("/offline/")
    edit = outbox.first.get_by_role("button", name="Edit")
    edit.wait_for()
    _settled(page)
    assert "recorded in Engage meanwhile" in outbox.first.inner_text()
    assert Assessment.objects.filter(case=taken).count() == before
    _shot(page, "conflict-assessment")
    _axe(page, "conflict")
    edit.click()
    form = card.locator("form[data-kind=assessment]")
    form.locator("select[name=wellbeing]").wait_for()
    assert form.locator("select[name=informed_decisions]").input_value() == "3"
    assert form.locator("textarea[name=needs]").input_value() == "A lawyer for the appeal"
    assert page.locator("#offline-outbox").is_hidden(), "the item left the outbox to be edited"

    # She changes a rating and saves: sent over Bob's assessment, once.
    form.locator("select[name=wellbeing]").select_option("3")
    form.locator("button[type=submit]").click()
    page.get_by_text("Sent to Engage.").wait_for()
    _settled(page)
    assert page.locator("#offline-outbox").is_hidden()
    assert Assessment.objects.filter(case=taken).count() == before + 1
    mine = Assessment.objects.filter(case=taken, recorded_by=alice).latest("created_at")
    assert (mine.informed_decisions, mine.wellbeing, mine.needs) == (
        3,
        3,
        "A lawyer for the appeal",
    )
    page.reload()
    card.get_by_text("Amira Offlinova").wait_for()
    _settled(page)
    assert Assessment.objects.filter(case=taken).count() == before + 1


def _left(page):
    stored = page.evaluate(STORAGE)
    assert "engage-offline" not in stored["dbs"], stored
    assert stored["caches"] == [] and stored["local"] == 0, stored
    assert "Amira" not in " ".join(stored["rows"])


def test_it_wipes_when_a_response_says_engage_offline_wipe(open_page, alice, visits):
    taken, _kept_out = visits
    page = open_page(PHONE)
    card = _kept_on_the_phone(page, taken)
    page.evaluate("localStorage.setItem('probe', 'left by another page')")
    stored = page.evaluate(STORAGE)
    assert "engage-offline" in stored["dbs"] and stored["caches"] and stored["local"] == 1

    # While the page is open, the admin makes Alice an organisation admin: her session goes on,
    # but the next answer to the page says `Engage-Offline: wipe`.
    User.objects.filter(pk=alice.pk).update(role=Role.ORG_ADMIN)
    card.get_by_text("Record a contact").click()
    card.locator("form[data-kind=contact] textarea").fill("Seen at home")
    card.locator("form[data-kind=contact] button[type=submit]").click()
    page.get_by_text("Your role does not keep cases offline.").wait_for()
    _settled(page)
    assert not Contact.objects.filter(case=taken, note="Seen at home").exists()
    assert page.locator("#offline-cases section").count() == 0
    _left(page)


def test_it_wipes_at_the_next_contact_after_the_account_is_deactivated(
    open_page, alice, ada, visits
):
    taken, _kept_out = visits
    page = open_page(PHONE)
    _kept_on_the_phone(page, taken)

    # The phone is offline when the admin deactivates Alice (her sessions end); as soon as it
    # reaches Engage again, it deletes everything.
    page.context.set_offline(True)
    page.locator("#offline-connection", has_text="No connection").wait_for()
    accounts_services.deactivate_user(User.objects.get(pk=alice.pk), by=ada)
    page.context.set_offline(False)
    page.get_by_text("Engage asked this phone to delete its offline data.").wait_for()
    _settled(page)
    assert page.locator("#offline-cases section").count() == 0
    _left(page)


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["390", "1366"])
def test_the_take_offline_button_and_the_offline_pages_are_accessible(
    open_page, alice, visits, size
):
    taken, _kept_out = visits
    page = open_page(size)
    _sign_in(page, "alice")
    page.goto(taken.get_absolute_url())
    page.get_by_role("button", name="Take offline for a visit").wait_for()
    _axe(page, "case page")
    page.get_by_role("button", name="Take offline for a visit").click()
    page.get_by_text("Kept offline for visits").wait_for()
    _axe(page, "case page, kept offline")
    page.get_by_role("link", name="Offline visits").click()
    page.get_by_label("PIN (at least 6 characters)").wait_for()
    _settled(page)
    _shot(page, f"setup-{size['width']}")
    _axe(page, "PIN setup")
    page.get_by_label("PIN (at least 6 characters)").fill("12")
    page.get_by_label("The same PIN again").fill("12")
    page.get_by_role("button", name="Keep on this phone").click()
    page.get_by_text("The PIN needs at least 6 characters.").wait_for()
    _axe(page, "PIN setup, too short")
    page.get_by_label("PIN (at least 6 characters)").fill(PIN)
    page.get_by_label("The same PIN again").fill(PIN)
    page.get_by_role("button", name="Keep on this phone").click()
    card = page.locator(f"#offline-case-{taken.reference}")
    card.get_by_text("Amira Offlinova").wait_for()
    _settled(page)
    _axe(page, "cases")

    # Offline, with an item waiting and both forms open.
    page.context.set_offline(True)
    page.locator("#offline-connection", has_text="No connection").wait_for()
    card.locator("form[data-kind=action_status] select").select_option("done")
    card.get_by_role("button", name="Save status").click()
    page.locator("#offline-outbox li").first.wait_for()
    card.get_by_text("Record a contact").click()
    card.get_by_text("Record an assessment").click()
    _settled(page)
    _shot(page, f"outbox-{size['width']}")
    _axe(page, "outbox and forms")

    # Opened again offline: the PIN.
    page.reload()
    page.get_by_label("PIN", exact=True).wait_for()
    _settled(page)
    _axe(page, "unlock")


def test_the_cases_are_hidden_again_after_the_idle_limit(open_page, alice, visits, settings):
    """A phone left open on the Offline visits page (a waiting room, a hand that took it)
    kept showing every case's name, phone and address for as long as the page stayed open,
    where the web signs out after its idle limit. Now the cases hide after as long without
    use, and the PIN shows them again with what was being typed."""
    settings.ENGAGE_IDLE_MINUTES = 30
    taken, _kept_out = visits
    name = str(taken.person)
    page = open_page(PHONE)
    page.clock.install()  # the page's own clock, moved on below; time flows meanwhile
    card = _kept_on_the_phone(page, taken)
    card.get_by_text("Record a contact").click()
    note = card.locator("form[data-kind=contact] textarea")
    note.fill("Half a note, typed before leaving the phone")

    page.clock.fast_forward("20:00")  # not yet
    page.clock.run_for(16000)
    assert page.locator("#offline-cases").get_by_text(name).count() == 1
    note.press("End")  # a touch of the page starts the wait again
    page.clock.fast_forward("20:00")
    page.clock.run_for(16000)
    assert page.locator("#offline-cases").get_by_text(name).count() == 1

    page.clock.fast_forward("31:00")
    page.clock.run_for(16000)
    page.get_by_text("The cases were hidden after a while without use.").wait_for()
    assert page.locator("#offline-cases section").count() == 0
    assert name not in page.locator("body").inner_text()
    assert "Half a note" not in page.content()
    assert "+359 000 222" not in page.locator("body").inner_text()

    page.get_by_label("PIN", exact=True).fill(PIN)
    page.get_by_role("button", name="Open the cases").click()
    card.get_by_text(name).wait_for()
    _settled(page)
    assert card.locator("form[data-kind=contact] textarea").input_value() == (
        "Half a note, typed before leaving the phone"
    )
    assert not page.get_by_text("The cases were hidden after a while without use.").is_visible()
