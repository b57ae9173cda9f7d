"""Model letters: the placeholders are the only thing a template can do; the letter as a PDF."""

import datetime
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from engage.audit.models import AuditEvent
from engage.documents import storage
from engage.documents.models import Document
from engage.liaison import letters, services
from engage.liaison.models import Letter, LetterTemplate, LiaisonRecord
from tests.liaison.conftest import days_ago, give_consent
from tests.pdf import pdf_pages

pytestmark = pytest.mark.django_db

BODY = (
    "Re: {{ client_name }} ({{ case_reference }})\n\n"
    "{{organisation}} asks that the client be released onto the pilot.\n\n"
    "{{ today }}\n{{ case_manager }}"
)


def _template(organisation, ada, **data):
    values = {"name": "Release request", "kind": "letter", "language": "en", "body": BODY}
    values.update(data)
    return services.save_template(organisation, by=ada, data=values)


def _text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


class TestTemplateSafety:
    @pytest.mark.parametrize(
        "body",
        [
            "{% load static %}{% static 'x' %}",
            "{% for c in cases %}{{ c }}{% endfor %}",
            "{{ case.person.document_number }}",
            "{{ client_name|upper }}",
            "{{ settings.SECRET_KEY }}",
            "{{ password }}",
            "{# a comment #}",
            "{% debug %}",
        ],
    )
    def test_it_refuses_anything_but_the_placeholders(self, organisation, ada, body):
        with pytest.raises(ValidationError) as error:
            _template(organisation, ada, body=f"Dear officer, {body}")
        assert "body" in error.value.error_dict
        assert not LetterTemplate.objects.exists()

    def test_it_accepts_the_documented_placeholders(self, organisation, ada):
        template = _template(organisation, ada)
        assert template.body == BODY
        assert AuditEvent.objects.filter(action="create", object_id=template.pk).exists()

    def test_it_fills_in_the_placeholders_and_nothing_else(self, active_case, alice, ada):
        template = _template(active_case.organisation, ada)
        text = letters.draft(template, active_case, alice, timezone.localdate())
        assert text.startswith(f"Re: Sentinelgiven Sentinelfamily ({active_case.reference})")
        assert active_case.organisation.name in text and "Alice" in text
        assert "{{" not in text

    def test_a_value_that_looks_like_a_placeholder_stays_text(self, active_case, alice, ada):
        # A client's name is data, never read as template syntax (one pass, no re-reading).
        active_case.person.given_name = "{{ case_reference }}{% debug %}"
        template = _template(active_case.organisation, ada)
        text = letters.draft(template, active_case, alice, timezone.localdate())
        assert "{{ case_reference }}{% debug %} Sentinelfamily" in text

    def test_it_writes_the_date_in_the_templates_language(self, active_case, alice, ada):
        template = _template(
            active_case.organisation, ada, name="Demande", language="fr", body="Le {{ today }}"
        )
        text = letters.draft(template, active_case, alice, datetime.date(2027, 3, 4))
        assert text == "Le 4 mars 2027"

    def test_it_refuses_a_second_template_of_the_same_name(self, organisation, ada):
        _template(organisation, ada)
        with pytest.raises(ValidationError) as error:
            _template(organisation, ada, name="release REQUEST")
        assert "name" in error.value.error_dict


class TestLetters:
    def test_it_saves_the_letter_as_an_encrypted_pdf_without_metadata(
        self, active_case, alice, ada
    ):
        template = _template(active_case.organisation, ada)
        text = (
            letters.draft(template, active_case, alice, timezone.localdate()) + "\n<b>not bold</b>"
        )
        letter = services.save_letter(
            active_case,
            by=alice,
            template=template,
            title="Release request",
            text=text,
            language="en",
        )
        document = letter.document
        assert document.case == active_case and document.content_type == "application/pdf"
        stored = storage.path_for(document.pk).read_bytes()
        assert not stored.startswith(b"%PDF") and b"Sentinelgiven" not in stored
        pdf = storage.load(document.pk)
        reader = PdfReader(BytesIO(pdf))
        assert not reader.metadata  # no producer, no title, no dates
        written = _text(pdf)
        assert "Sentinelgiven Sentinelfamily" in written and "<b>not bold</b>" in written
        assert AuditEvent.objects.filter(action="create", object_id=letter.pk).exists()
        # Saving is not sending: no share, no liaison.
        assert not LiaisonRecord.objects.exists()

    def test_sending_a_letter_needs_the_data_it_contains_to_be_consented(
        self, active_case, alice, ada, office
    ):
        letter = services.save_letter(
            active_case,
            by=alice,
            template=None,
            title="Report",
            text="About the client",
            language="en",
        )
        with pytest.raises(ValidationError) as error:
            services.record_liaison(
                active_case,
                by=alice,
                kind="letter",
                date=days_ago(0),
                authority=office,
                categories=[],
                letter=letter,
            )
        assert "categories" in error.value.error_dict
        with pytest.raises(services.LiaisonRefused):
            services.record_liaison(
                active_case,
                by=alice,
                kind="letter",
                date=days_ago(0),
                authority=office,
                categories=["identity"],
                letter=letter,
            )
        give_consent(active_case, alice, office)
        sent = services.record_liaison(
            active_case,
            by=alice,
            kind="letter",
            date=days_ago(0),
            authority=office,
            categories=["identity", "migration"],
            letter=letter,
        )
        assert sent.letter == letter and sent.share is not None

    def test_it_drafts_from_a_template_and_saves_from_the_page(
        self, as_user, active_case, alice, ada
    ):
        template = _template(active_case.organisation, ada)
        client = as_user(alice)
        url = f"/liaison/cases/{active_case.pk}/letters/new/"
        body = client.get(url).content.decode()
        assert "Release request" in body and "blank page" in body
        body = client.get(url, {"template": template.pk}).content.decode()
        assert "Sentinelgiven Sentinelfamily" in body
        response = client.post(
            url,
            {
                "template": template.pk,
                "title": "Release request",
                "language": "en",
                "text": "Edited text for Sentinelgiven",
            },
        )
        letter = Letter.objects.get()
        assert response.status_code == 302 and f"letter={letter.pk}" in response.url
        assert (
            _text(storage.load(letter.document_id))
            .strip()
            .startswith(active_case.organisation.name)
        )
        body = client.get(active_case.get_absolute_url()).content.decode()
        assert "Record sending it" in body
        assert Document.objects.filter(case=active_case).count() == 1

    def test_it_refuses_a_letter_too_long_to_lay_out_before_laying_it_out(
        self, as_user, active_case, alice, monkeypatch
    ):
        """The text had no bound but the request's (11 MB): 2 MB of it held a server process
        for 24 seconds and half a gigabyte, 10 MB for minutes, at one case worker's click.
        A letter is as long as a model letter may be (`custom.config`: 100,000 characters)."""

        def laid_out(*args, **kwargs):
            raise AssertionError("the PDF was laid out")

        monkeypatch.setattr(letters, "as_pdf", laid_out)
        url = f"/liaison/cases/{active_case.pk}/letters/new/"
        text = "The client reports weekly.\n" * 4000  # 108,000 characters
        response = as_user(alice).post(url, {"title": "Report", "language": "en", "text": text})
        assert response.status_code == 200
        assert "at most 100000 characters" in response.content.decode().replace(",", "")
        assert not Letter.objects.exists() and not Document.objects.exists()

    def test_it_gives_404_for_another_organisations_template(
        self, as_user, active_case, alice, other_organisation, olga
    ):
        theirs = _template(other_organisation, olga, name="Theirs")
        url = f"/liaison/cases/{active_case.pk}/letters/new/"
        assert as_user(alice).get(url, {"template": theirs.pk}).status_code == 404


class TestTemplatePages:
    def test_the_admin_creates_a_template_and_sees_errors_next_to_the_body(self, as_user, ada):
        client = as_user(ada)
        response = client.post(
            "/liaison/templates/new/",
            {
                "name": "Bad",
                "kind": "letter",
                "language": "en",
                "body": "{% debug %}",
                "active": "on",
            },
        )
        assert response.status_code == 200 and "id_body_error" in response.content.decode()
        response = client.post(
            "/liaison/templates/new/",
            {"name": "Good", "kind": "report", "language": "fr", "body": BODY, "active": "on"},
        )
        assert response.status_code == 302
        body = client.get("/liaison/templates/").content.decode()
        assert "Good" in body and "client_name" in body

    def test_it_refuses_a_model_letter_longer_than_a_letter_next_to_its_text(self, as_user, ada):
        """The model letter's text had no bound: a draft from one longer than a letter may be
        was refused by the letter's own limit, never laid out. Its translations neither."""
        client = as_user(ada)
        fine, over = "Release the client.\n" * 5000, "x" * (letters.MAX_LENGTH + 1)
        data = {"name": "Long", "kind": "letter", "language": "en", "active": "on"}
        for field, values in [
            ("body", {"body": over}),
            ("body_bg", {"body": fine, "body_bg": over}),
        ]:
            response = client.post("/liaison/templates/new/", {**data, **values})
            page = response.content.decode().replace(",", "")
            assert response.status_code == 200 and f'id="id_{field}_error"' in page
            assert "at most 100000 characters (it has 100001)" in page
        assert not LetterTemplate.objects.exists()
        response = client.post("/liaison/templates/new/", {**data, "body": fine, "body_bg": fine})
        assert response.status_code == 302  # 100,000 characters, each, are taken
        assert LetterTemplate.objects.get().translations == {"bg": fine.strip()}

    def test_another_organisation_gets_404(self, as_user, organisation, ada, olga, alice):
        template = _template(organisation, ada)
        assert as_user(olga).get(f"/liaison/templates/{template.pk}/edit/").status_code == 404
        assert as_user(alice).get("/liaison/templates/").status_code == 404
