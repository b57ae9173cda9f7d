"""A letter template holds a text per language; the letter is drafted in the language chosen
when it is generated, and falls back to the text as written (issue 12, item 4)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from engage.liaison import letters, services
from engage.liaison.models import LetterTemplate

pytestmark = pytest.mark.django_db

ENGLISH = "Dear colleagues,\n{{ client_name }} is supported by {{ organisation }}.\n{{ today }}"
BULGARIAN = (
    "Уважаеми колеги,\n{{ client_name }} получава подкрепа от {{ organisation }}.\n{{ today }}"
)


def _form(**overrides):
    data = {
        "name": "Support letter",
        "kind": "letter",
        "language": "en",
        "body": ENGLISH,
        "body_bg": BULGARIAN,
        "active": "on",
    }
    return data | overrides


def test_it_offers_a_text_per_language_of_the_organisation(as_user, ada):
    page = as_user(ada).get("/liaison/templates/new/").content.decode()
    # A Bulgarian pilot: English and Bulgarian; French only once somebody there uses it.
    assert 'name="body_bg"' in page and 'name="body_en"' in page
    assert 'name="body_fr"' not in page
    ada.language = "fr"
    ada.save(update_fields=["language"])
    assert 'name="body_fr"' in as_user(ada).get("/liaison/templates/new/").content.decode()


def test_the_admin_saves_the_translations(as_user, ada):
    response = as_user(ada).post("/liaison/templates/new/", _form())
    assert response.status_code == 302
    template = LetterTemplate.objects.get()
    assert template.translations == {"bg": BULGARIAN}  # the original's language is not repeated


def test_a_translation_may_hold_only_the_placeholders(organisation, ada):
    with pytest.raises(ValidationError):
        services.save_template(
            organisation,
            by=ada,
            data={
                "name": "X",
                "kind": "letter",
                "language": "en",
                "body": ENGLISH,
                "translations": {"bg": "{{ settings.SECRET_KEY }}"},
            },
        )


def test_it_drafts_in_the_language_chosen_with_the_text_as_written_otherwise(
    as_user, active_case, alice, ada
):
    services.save_template(
        active_case.organisation,
        by=ada,
        data={
            "name": "Support letter",
            "kind": "letter",
            "language": "en",
            "body": ENGLISH,
            "translations": {"bg": BULGARIAN},
        },
    )
    template = LetterTemplate.objects.get()
    url = f"/liaison/cases/{active_case.pk}/letters/new/"
    client = as_user(alice)
    in_bulgarian = client.get(url, {"template": template.pk, "language": "bg"}).content.decode()
    assert "получава подкрепа" in in_bulgarian
    assert '<option value="bg" selected' in in_bulgarian
    in_greek = client.get(url, {"template": template.pk, "language": "el"}).content.decode()
    assert "is supported by" in in_greek  # no Greek text: the original
    assert '<option value="el" selected' in in_greek


def test_it_writes_the_date_in_the_letters_language(active_case, alice, ada):
    template = services.save_template(
        active_case.organisation,
        by=ada,
        data={"name": "T", "kind": "letter", "language": "en", "body": ENGLISH},
    )
    text = letters.draft(template, active_case, alice, datetime.date(2026, 11, 29), "pl")
    assert "29 listopada 2026" in text


def test_it_asks_for_the_letters_language_once(as_user, active_case, alice, ada):
    """Drafted from a template, the page had two pickers, "Write the letter in" and the form's
    "Language": changing the second alone marked a Bulgarian text as Greek in its PDF and its
    record. The language the text was drafted in is the letter's; a blank letter asks once."""
    from engage.liaison.models import Letter

    template = services.save_template(
        active_case.organisation,
        by=ada,
        data={
            "name": "Support letter",
            "kind": "letter",
            "language": "en",
            "body": ENGLISH,
            "translations": {"bg": BULGARIAN},
        },
    )
    url = f"/liaison/cases/{active_case.pk}/letters/new/"
    client = as_user(alice)
    page = client.get(url, {"template": template.pk, "language": "bg"}).content.decode()
    # The page's own pickers (the header's language switcher is the reader's, not the letter's).
    assert 'id="letter-language"' in page and '<select name="language" id="id_language"' not in page
    assert '<input type="hidden" name="language" value="bg"' in page
    assert page.count("Language of the letter") == 1
    response = client.post(
        f"{url}?template={template.pk}&language=bg",
        {"template": template.pk, "title": "Писмо", "language": "bg", "text": "Уважаеми колеги"},
    )
    assert response.status_code == 302
    assert Letter.objects.get().language == "bg"

    blank = client.get(url, {"blank": 1}).content.decode()
    assert '<select name="language" id="id_language"' in blank
    assert 'id="letter-language"' not in blank and "Language of the letter" in blank
