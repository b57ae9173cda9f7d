"""Phone first (issue 13, section 1): every main page of each role fits a 360 px phone, its
controls are big enough for a finger, the header folds into a menu button and the case page
puts the client's key facts and the contact form first (docs/phone.md)."""

import datetime

import pytest
from django.utils import timezone

from engage.cases import services
from engage.cases.factories import CaseFactory, to_active
from engage.network.factories import StakeholderFactory
from tests.browser.phone import PHONE, SMALL_PHONE, measure, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey(organisation, alice, bob):
    case, plan = to_active(
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name="Zofia",
            person__family_name="Wróblewska-Konstantinopoulou",
            person__phone="+359 88 123 4567",
            person__date_of_birth=datetime.date(1990, 1, 15),
        ),
        alice,
        bob,
    )
    services.plan_appointment(
        case,
        by=alice,
        data={
            "date": timezone.localdate() + datetime.timedelta(days=3),
            "time": datetime.time(10, 30),
            "kind": "accompaniment",
            "place": "Regional court",
        },
    )
    return case, plan


def _walk(browser, live_server, user, extra, viewport, measured):
    """Open the pages of the user's menu and `extra`; return what does not fit or is too small."""
    problems = []
    context = signed_in(browser, live_server, user, viewport=viewport)
    page = context.new_page()
    page.goto("/")
    menu = page.eval_on_selector_all(".mainnav a", "links => links.map(a => a.pathname)")
    for url in dict.fromkeys([*menu, *extra]):
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response.status}"
        facts = measure(page)
        measured.append(f"{user.username} {viewport['width']} {url}: {facts}")
        if facts["scrollWidth"] > facts["innerWidth"]:
            problems.append(f"{url}: {facts['scrollWidth']}px wide at {facts['innerWidth']}px")
        if facts["tooSmall"] or facts["smallPrimary"]:
            problems.append(f"{url}: {facts['tooSmall']} {facts['smallPrimary']}")
    context.close()
    return problems


def test_it_fits_every_main_page_of_each_role_on_a_small_phone(
    browser, live_server, journey, alice, bob, ada, nadia
):
    case, plan = journey
    on_case = [
        case.get_absolute_url(),
        f"/cases/{case.pk}/contacts/new/",
        f"/cases/{case.pk}/assessments/new/",
        f"/cases/plans/{plan.pk}/",
        f"/cases/{case.pk}/appointments/new/",
        f"/privacy/cases/{case.pk}/rectify/",
        "/cases/new/",
    ]
    walks = {
        alice: on_case,
        bob: [*on_case, "/cases/approvals/", "/network/map/", "/network/activities/"],
        ada: [case.get_absolute_url(), "/accounts/users/new/", "/settings/fields/", "/history/"],
        nadia: ["/mel/network/", "/mel/report/"],
    }
    measured, problems = [], []
    for user, extra in walks.items():
        problems += _walk(browser, live_server, user, extra, SMALL_PHONE, measured)
    # The case manager's day at 390 by 844 px too: caseload, case, contact form, assessment, plan.
    problems += _walk(browser, live_server, alice, on_case[:4], PHONE, measured)
    print("\n".join(measured))
    assert problems == [], "\n".join(problems)


def test_it_folds_the_header_into_a_menu_button_on_a_phone(browser, live_server, alice):
    context = signed_in(browser, live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto("/")
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= 64
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    button = page.locator("summary.menu-button")
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    button.click()
    nav.get_by_role("link", name="Cases").click()
    page.wait_for_url("**/cases/")
    context.close()


def test_it_shows_the_whole_header_on_a_laptop_without_a_menu_button(browser, live_server, alice):
    context = signed_in(browser, live_server, alice, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto("/")
    assert not page.locator("summary.menu-button").is_visible()
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").is_visible()
    )
    assert page.get_by_role("button", name="Sign out").is_visible()
    context.close()


def test_it_puts_the_key_facts_and_the_contact_form_first_on_the_case_page(
    browser, live_server, journey, alice
):
    case, _plan = journey
    context = signed_in(browser, live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(case.get_absolute_url())
    facts = page.locator(".key-facts")
    age = case.person.age_on(timezone.localdate())
    assert facts.locator("dt:has-text('Age') + dd").inner_text() == str(age)
    phone = facts.get_by_role("link", name="+359 88 123 4567")
    assert phone.get_attribute("href") == "tel:+359881234567"
    assert phone.bounding_box()["height"] >= 44
    assert "Accompaniment to an authority or court" in facts.inner_text()
    assert "10:30" in facts.inner_text()
    assert page.locator(".next .next-reason").is_visible()
    form = page.locator("#quick-contact").bounding_box()
    timeline = page.locator("#timeline").bounding_box()
    # The contact form starts on the first screen; the timeline comes after it.
    assert form["y"] < PHONE["height"], form
    assert timeline["y"] > form["y"] + form["height"]
    context.close()


def test_it_keeps_age_and_phone_from_an_organisation_admin(browser, live_server, journey, ada):
    case, _plan = journey
    context = signed_in(browser, live_server, ada, viewport=PHONE)
    page = context.new_page()
    page.goto(case.get_absolute_url())
    facts = page.locator(".key-facts").inner_text()
    assert "Next appointment" in facts
    assert "Age" not in facts and "123 4567" not in facts
    assert page.locator("a[href^='tel:']").count() == 0
    context.close()


def test_it_shows_a_list_as_cards_on_a_phone_and_keeps_the_table(
    browser, live_server, ada, organisation
):
    StakeholderFactory(organisation=organisation, created_by=ada, name="Zz Ministry of Interior")
    context = signed_in(browser, live_server, ada, viewport=SMALL_PHONE)
    page = context.new_page()
    page.goto("/accounts/users/")
    table = page.locator("table.stack")
    assert table.locator("thead").evaluate("head => head.getBoundingClientRect().height") <= 1
    row = table.locator("tbody tr").first
    assert row.evaluate("row => getComputedStyle(row).display") == "block"
    role = row.locator("td[data-label='Role']")
    assert role.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Role: "'
    # Still a table to a screen reader: its rows and cells are named by their columns.
    assert page.get_by_role("row").count() >= 2
    assert page.get_by_role("columnheader", name="Role").count() == 1
    # A cross-table too (the stakeholder map): a type of actor a card, titled by its row's
    # header, each stage named; the totals a card of their own.
    page.goto("/network/map/")
    row = page.get_by_role("row", name="National authority")
    header = row.get_by_role("rowheader", name="National authority")
    cell = row.locator("td[data-label='Identified']")
    assert header.evaluate("cell => getComputedStyle(cell).display") == "block"
    assert cell.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Identified: "'
    assert "Zz Ministry of Interior" in cell.inner_text()
    totals = page.locator("#stakeholder-map tfoot")
    assert totals.evaluate("foot => getComputedStyle(foot).display") == "block"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= SMALL_PHONE["width"]
    context.close()


def test_a_contact_sent_with_mistakes_brings_its_errors_into_view(
    browser, live_server, journey, alice
):
    """The case page's contact form, sent by htmx, came back with its errors above the screen,
    which had kept its place while the form grew: it seemed nothing had happened."""
    case, _plan = journey
    context = signed_in(browser, live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(case.get_absolute_url())
    form = page.locator("#quick-contact")
    form.get_by_label("Note").fill("Zzkept: she called about the hearing")
    form.get_by_label("Date").first.fill(
        (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    )
    form.get_by_role("button", name="Log contact").click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "This date is in the future." in summary.inner_text()
    assert page.evaluate("document.activeElement.matches('[data-error-summary]')")
    box = summary.bounding_box()
    assert 0 <= box["y"] < PHONE["height"], box  # in view, not above the screen
    assert form.get_by_label("Note").input_value() == "Zzkept: she called about the hearing"
    context.close()


# Each list's values and its row actions on a 390 px phone, in the two languages with the
# longest words: a table of records is a card per row (no sideways scroll hiding a column or a
# "Withdraw" link), and the ratings over time, four narrow columns, fit the screen. Tables of
# indicators keep their grid and scroll, by design (engage.css). On a card, the column's header
# is hidden: each value after the title names its column (data-label), or the reader of a card
# sees "12" and "38" and cannot tell the rows of a file from the cases it made.
WHAT_DOES_NOT_FIT = """() => {
  const out = [];
  for (const table of document.querySelectorAll("main table:not(.indicators)")) {
    const name = table.id || table.className;
    if (table.scrollWidth > table.clientWidth + 1) {
      out.push(`${name} scrolls: ${table.scrollWidth}px in ${table.clientWidth}px`);
    }
    for (const target of table.querySelectorAll("a, button, input:not([type=hidden]), select")) {
      const box = target.getBoundingClientRect();
      if (box.width && box.right > innerWidth) {
        out.push(`«${target.textContent.trim() || target.value}» off screen`);
      }
    }
    // A list of records, held to be cards even where its values happen to fit today (a
    // stakeholder's three short columns). Not figures: the ratings, four narrow columns, and a
    // chart's values as a table (two columns, under the chart).
    if (table.matches(".ratings, figure table")) continue;
    const row = table.tBodies[0].rows[0];
    if (getComputedStyle(row).display !== "block") out.push(`${name} is not a card per row`);
    if (!table.matches(".stack")) continue;
    const headers = [...table.tHead.rows[0].cells].map(th => th.textContent.trim());
    for (const row of table.tBodies[0].rows) {
      [...row.cells].forEach((cell, i) => {
        if (i === 0 || cell.tagName !== "TD" || cell.matches(".actions")) return;
        if (cell.dataset.label !== headers[i]) {
          out.push(`${name}: a value of «${headers[i]}» is named «${cell.dataset.label}»`);
        }
      });
    }
  }
  return out;
}"""


@pytest.mark.parametrize("language", ["pl", "el"])
def test_it_keeps_every_column_and_row_action_of_a_list_on_a_phone(
    language, browser, live_server, journey, alice, ada, nadia, organisation
):
    from engage.accounts.factories import SecurityKeyFactory
    from engage.custom import services as custom
    from engage.imports.models import ImportJob
    from engage.sharing import services as sharing
    from engage.sharing.models import Recipient

    case, _plan = journey
    lawyer = Recipient.objects.create(
        organisation=organisation, name="Legal aid clinic", type="legal_aid"
    )
    sharing.record_consent(
        case,
        by=alice,
        data={
            "person": case.person,
            "recipient": lawyer,
            "purpose": "representation",
            "categories": ["identity", "contact", "migration"],
            "given_on": timezone.localdate(),
            "expires_on": timezone.localdate() + datetime.timedelta(days=180),
            "language": "Arabic",
            "through_interpreter": True,
        },
    )
    custom.define_field(
        organisation, by=ada, form="referral", type="short_text", label="Border guard post"
    )
    ImportJob.objects.create(
        organisation=organisation,
        created_by=ada,
        filename="Rejestr_klientow_2026_eksport_z_arkusza_kalkulacyjnego.xlsx",
        row_count=40,
        status="done",
        created_count=38,
    )
    # Held for a second person: its name holds an enforcement body's ("policja").
    Recipient.objects.create(
        organisation=organisation,
        name="Policja, Wydział do spraw Cudzoziemców Komendy Stołecznej",
        type="legal_aid",
        set_by=ada,
    )
    SecurityKeyFactory(user=alice, name="YubiKey 5C NFC w torbie na dokumenty")
    stakeholder = StakeholderFactory(
        organisation=organisation, created_by=ada, name="Urząd do Spraw Cudzoziemców"
    )
    pages = {
        alice: [
            case.get_absolute_url(),
            f"/sharing/cases/{case.pk}/",
            # "Previous ratings" beside the form: "Τεκμηριωμένες" made it 15 px too wide.
            f"/cases/{case.pk}/assessments/new/",
            "/accounts/two-step/",
            f"/network/stakeholders/{stakeholder.pk}/",
        ],
        ada: ["/settings/fields/", "/imports/", "/sharing/recipients/to-confirm/"],
        nadia: ["/", "/mel/network/"],
    }
    problems = []
    for user, urls in pages.items():
        type(user).objects.filter(pk=user.pk).update(language=language)
        context = signed_in(browser, live_server, user, viewport=PHONE)
        page = context.new_page()
        for url in urls:
            assert page.goto(url).status == 200, url
            assert page.locator("main table").count(), url
            problems += [f"{url}: {problem}" for problem in page.evaluate(WHAT_DOES_NOT_FIT)]
        context.close()
    assert problems == [], "\n".join(problems)


def test_it_breaks_a_value_with_no_space_in_it_instead_of_widening_a_phone(
    browser, live_server, journey, alice
):
    """A document titled like its file widened the documents page to 796 px on a 390 px phone:
    its link, a flex box on a card, kept the title whole."""
    from engage.documents import services as documents
    from tests.documents.test_documents import png_bytes

    case, _plan = journey
    title = "Decyzja_UdSC_o_odmowie_udzielenia_ochrony_miedzynarodowej_DPU-420-1234-2026"
    documents.attach(case, by=alice, kind="decision", title=title, data=png_bytes())
    context = signed_in(browser, live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(f"/documents/cases/{case.pk}/")
    link = page.get_by_role("link", name=title)
    assert link.bounding_box()["x"] + link.bounding_box()["width"] <= PHONE["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_it_keeps_a_pages_main_button_off_the_form_under_it_on_a_phone(browser, live_server, ada):
    context = signed_in(browser, live_server, ada, viewport=PHONE)
    page = context.new_page()
    page.goto("/accounts/users/")
    button = page.get_by_role("link", name="Add a user").bounding_box()
    search = page.locator("form.filters").bounding_box()
    # 7 px before, the label "Search" read as the button's caption.
    assert search["y"] - (button["y"] + button["height"]) >= 8
    context.close()
