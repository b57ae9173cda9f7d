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
