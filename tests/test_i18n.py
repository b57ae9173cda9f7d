"""Every string is translatable, and French is complete and compiled."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.PACKAGE_DIR) / "locale" / "fr" / "LC_MESSAGES"


def test_it_has_a_complete_french_catalogue():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_it_ships_the_french_catalogue_compiled():
    source = polib.pofile(str(LOCALE / "django.po"))
    compiled = polib.mofile(str(LOCALE / "django.mo"))
    assert {e.msgid: e.msgstr for e in compiled if not e.msgid_plural} == {
        e.msgid: e.msgstr for e in source.translated_entries() if not e.msgid_plural
    }


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_it_has_translated_every_marked_string(tmp_path, monkeypatch, settings):
    """Extract the strings afresh, in a copy: a new string without French fails here."""
    copy = tmp_path / "engage"
    shutil.copytree(
        settings.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["fr"], no_location=True, verbosity=0)
    fresh = polib.pofile(str(copy / "locale/fr/LC_MESSAGES/django.po"))
    assert [e.msgid for e in fresh.untranslated_entries()] == []


@pytest.mark.django_db
def test_it_switches_the_interface_to_french(client, alice):
    client.force_login(alice)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert '<html lang="fr">' in body
    assert "Tableau de bord" in body
