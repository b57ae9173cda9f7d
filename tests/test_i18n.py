"""Every string is translatable, and each of the network's languages is complete and compiled."""

import re
import shutil
import subprocess
from pathlib import Path

import django
import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import formats, translation
from django.utils.translation import trans_real

LOCALES = Path(settings.PACKAGE_DIR) / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
# English is the source, and has a catalogue too: each string as its own translation, made by
# `make messages` (msgen), so an English page finds its strings instead of missing every one.
CATALOGUES = ["en", *TRANSLATED]

# Python's %-placeholders (named or not) and str.format's braces, as gettext's checks see them.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdifr]|%[sdifr]|\{[a-z_0-9]*\}")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALES / language / "LC_MESSAGES" / "django.po"))


def test_it_offers_the_networks_seven_languages():
    assert [code for code, _name in settings.LANGUAGES] == [
        "en",
        "fr",
        "nl",
        "bg",
        "el",
        "it",
        "pl",
    ]


@pytest.mark.parametrize("language", CATALOGUES)
def test_it_has_a_complete_catalogue(language):
    catalogue = _catalogue(language)
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


@pytest.mark.parametrize("language", CATALOGUES)
def test_it_keeps_every_placeholder_of_the_source(language):
    wrong = []
    for entry in _catalogue(language).translated_entries():
        source = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            translations = list(entry.msgstr_plural.values())
            plural = sorted(PLACEHOLDER.findall(entry.msgid_plural))
            # A plural form may leave out the count ("one client"), never add a placeholder.
            allowed = set(source) | set(plural)
            wrong += [
                entry.msgid for t in translations if not set(PLACEHOLDER.findall(t)) <= allowed
            ]
            wrong += [
                entry.msgid for t in translations[1:] if sorted(PLACEHOLDER.findall(t)) != plural
            ]
        elif sorted(PLACEHOLDER.findall(entry.msgstr)) != source:
            wrong.append(entry.msgid)
    assert wrong == []


@pytest.mark.parametrize("language", CATALOGUES)
def test_it_has_plural_forms_of_the_language(language):
    """Django merges our catalogue with its own; their plural rules must agree."""
    django_po = Path(django.__file__).parent / "conf/locale" / language / "LC_MESSAGES/django.po"
    ours = _catalogue(language).metadata["Plural-Forms"].replace(" ", "").rstrip(";")
    theirs = polib.pofile(str(django_po)).metadata["Plural-Forms"].replace(" ", "").rstrip(";")
    assert ours == theirs


@pytest.mark.parametrize("language", CATALOGUES)
@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
def test_it_ships_each_catalogue_compiled_and_valid(language, tmp_path):
    source = LOCALES / language / "LC_MESSAGES" / "django.po"
    msgfmt = shutil.which("msgfmt")
    subprocess.run(  # noqa: S603 - our own catalogue, gettext's checker
        [msgfmt, "--check-format", "-o", str(tmp_path / "django.mo"), str(source)], check=True
    )
    compiled = polib.mofile(str(LOCALES / language / "LC_MESSAGES" / "django.mo"))
    # Keyed by context too: "Closed" of a case's stage and of a linkage round are two entries.
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled if not e.msgid_plural} == {
        (e.msgctxt, e.msgid): e.msgstr
        for e in _catalogue(language).translated_entries()
        if not e.msgid_plural
    }


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_it_has_translated_every_marked_string(tmp_path, monkeypatch, settings):
    """Extract the strings afresh, in a copy: a new string without a translation fails here."""
    copy = tmp_path / "engage"
    shutil.copytree(
        settings.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=CATALOGUES, no_location=True, verbosity=0)
    missing = {}
    for language in CATALOGUES:
        fresh = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES/django.po"))
        if untranslated := [e.msgid for e in fresh.untranslated_entries()]:
            missing[language] = untranslated
    assert missing == {}


def test_the_english_catalogue_gives_each_string_as_it_is():
    """Nobody translates English: a catalogue entry that differed from its msgid would show
    English that is not in the code."""
    different = [
        entry.msgid
        for entry in _catalogue("en")
        if (
            entry.msgstr_plural != {0: entry.msgid, 1: entry.msgid_plural}
            if entry.msgid_plural
            else entry.msgstr != entry.msgid
        )
    ]
    assert different == []


def test_it_finds_an_english_string_in_the_english_catalogue():
    """Without it, every string of an English page missed its catalogue and walked the chain
    of fallbacks (Django's and django-countries') before coming back as it is: about 5% of
    the case page's function calls (docs/performance.md)."""
    english = trans_real.translation("en")
    assert english._catalog.get("Who") == "Who"  # accounts' "Who" (the audit log's column)
    with translation.override("en"):
        assert translation.ngettext("overdue by %(count)d day", "overdue by %(count)d days", 2) == (
            "overdue by %(count)d days"
        )


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_it_writes_dates_day_first_with_weeks_from_monday(language):
    import datetime

    with translation.override(language):
        day = formats.date_format(datetime.date(2026, 11, 29))
        moment = formats.date_format(
            datetime.datetime(2026, 11, 29, 14, 5, tzinfo=datetime.UTC), "DATETIME_FORMAT"
        )
        assert day.startswith("29")
        assert "14:05" in moment
        assert "p.m." not in moment
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "word"),
    # Dutch says "Dashboard" too, so its sign-out button shows the switch there.
    [
        ("fr", "Tableau de bord"),
        ("nl", "Afmelden"),
        ("bg", None),
        ("el", None),
        ("it", None),
        ("pl", None),
    ],
)
def test_it_switches_the_interface_language(client, alice, language, word):
    client.force_login(alice)
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert f'<html lang="{language}">' in body
    with translation.override(language):
        expected = word or translation.gettext("Dashboard")
    assert expected not in ("Dashboard", "Sign out")
    assert expected in body


@pytest.mark.parametrize(
    ("language", "day", "month"),
    [("bg", "29 ноември 2026", "ноември 2026"), ("it", "29 novembre 2026", "novembre 2026"),
     ("pl", "29 listopada 2026", "listopad 2026"), ("el", "29 Νοεμβρίου 2026", "Νοέμβριος 2026")],
)  # fmt: skip
def test_it_writes_month_names_as_the_language_does(language, day, month):
    import datetime

    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 11, 29)) == day
        assert formats.date_format(datetime.date(2026, 11, 1), "YEAR_MONTH_FORMAT") == month
        # A day and its month, as in the agenda's headings: the month as a date says it.
        assert formats.date_format(datetime.date(2026, 12, 7), "j E").startswith("7 ")


@pytest.mark.parametrize(
    ("language", "short"),
    [("en", "07/12/2026"), ("pl", "07.12.2026"), ("el", "07/12/2026"), ("bg", "07.12.2026")],
)
def test_it_writes_short_dates_as_the_language_does_and_reads_them_back(language, short):
    import datetime

    from django import forms

    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 12, 7), "SHORT_DATE_FORMAT") == short
        assert forms.DateField(localize=True).clean(short) == datetime.date(2026, 12, 7)


@pytest.mark.django_db
def test_the_password_forms_say_password_as_the_pages_around_them_do(client, alice):
    """Django's Greek says "συνθηματικό" where Engage's pages say "κωδικός": its words on the
    password forms are in Engage's catalogues, which come first (accounts/django_words.py)."""
    alice.language = "el"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "1234", "new_password2": "1234"},
    ).content.decode()
    assert "Τρέχων κωδικός" in page and "Νέος κωδικός" in page
    assert "τρέχων κωδικός σας δεν είναι σωστός" in page
    assert "συνθηματικ" not in page.lower()
    assert "Ο κωδικός είναι πολύ σύντομος" in page  # noqa: RUF001 (Greek)


@pytest.mark.parametrize("language", ["it", "nl", "pl"])
def test_a_password_too_short_is_said_in_the_persons_language(language):
    """Django 5.2 asks for this message in a new wording, which its own Italian and Dutch
    catalogues did not have: the error was English."""
    from django.contrib.auth.password_validation import MinimumLengthValidator
    from django.core.exceptions import ValidationError

    with translation.override(language), pytest.raises(ValidationError) as refused:
        MinimumLengthValidator(12).validate("short")
    assert "too short" not in refused.value.messages[0]
    assert "12" in refused.value.messages[0]


@pytest.mark.django_db
def test_french_puts_a_space_before_the_colon_of_a_label_and_its_count(client, alice):
    """ "Contact en retard: 6" beside sentences that write " : ": the pages' own "label: value"
    is a string of the catalogue too."""
    from engage.cases.factories import CaseFactory

    CaseFactory(organisation=alice.organisation, case_manager=alice)  # a contact due at once
    alice.language = "fr"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get("/").content.decode()
    chips = page.split('class="caseload-summary"', 1)[1].split("</div>", 1)[0]
    assert " : <strong>" in chips and ": <strong>" not in chips.replace(" : <strong>", "")


@pytest.mark.django_db
def test_a_fields_other_languages_are_named_in_the_readers_language(client, ada):
    """An Italian page said "Etichetta in English": the language named in its own words."""
    ada.language = "it"
    ada.save(update_fields=["language"])
    client.force_login(ada)
    page = client.get("/settings/fields/forms/referral/new/").content.decode()
    assert "etichetta in inglese" in page.lower()
    assert "in English" not in page
