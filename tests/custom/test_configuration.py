"""A pilot's configuration exported as one file and imported by a sister pilot (issue 15, 5)."""

import io
import json

import pytest

from engage.cases import services as case_services
from engage.cases.factories import CaseFactory
from engage.cases.models import EligibilityCriterion
from engage.custom import config, services
from engage.custom.models import CustomField, CustomValue
from engage.directory.factories import ServiceFactory
from engage.liaison import letters
from engage.liaison import services as liaison_services
from engage.liaison.models import LetterTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(organisation, ada, alice):
    organisation.contact_interval_days = 10
    organisation.save()
    case_services.add_criterion(organisation, by=ada, text="Lives in Sofia")
    liaison_services.save_template(
        organisation,
        by=ada,
        data={
            "name": "Reporting letter",
            "kind": "letter",
            "language": "en",
            "body": "About {{ case_reference }}",
        },
    )
    ties = services.define_field(
        organisation,
        by=ada,
        form="screening",
        type="choice",
        label="Ties",
        options=["None", "Strong"],
        label_translations={"bg": "Връзки"},
    )
    services.define_field(
        organisation,
        by=ada,
        form="screening",
        type="short_text",
        label="Who",
        condition_field=ties,
        condition_value="strong",
        after="date",
    )
    shelter = ServiceFactory(organisation=organisation, name="Red Cross shelter")
    place = services.define_field(
        organisation, by=ada, form="contact", type="service", label="Where referred"
    )
    services.define_field(
        organisation,
        by=ada,
        form="contact",
        type="short_text",
        label="Bed number",
        condition_field=place,
        condition_value=str(shelter.pk),
    )
    case = CaseFactory(organisation=organisation, case_manager=alice)
    services.save_values(case, "screening", "r", {"who": "Zzpersonal cousin"}, by=alice)
    return organisation


def _upload(document):
    return io.BytesIO(json.dumps(document).encode())


def test_it_round_trips_to_a_sister_pilot(configured, other_organisation, olga):
    document = config.export(configured)
    assert "Zzpersonal" not in json.dumps(document, ensure_ascii=False)
    ServiceFactory(organisation=other_organisation, name="Red Cross Shelter")
    plan = config.check(config.read(_upload(document)), other_organisation)
    assert not plan.warnings
    config.apply(plan, other_organisation, by=olga)
    other_organisation.refresh_from_db()
    assert other_organisation.contact_interval_days == 10
    assert EligibilityCriterion.objects.filter(
        organisation=other_organisation, text="Lives in Sofia"
    ).exists()
    assert LetterTemplate.objects.filter(
        organisation=other_organisation, name="Reporting letter"
    ).exists()
    who = CustomField.objects.get(organisation=other_organisation, key="who")
    assert (who.condition_field.key, who.condition_value, who.after) == ("ties", "strong", "date")
    assert who.condition_field.label_translations == {"bg": "Връзки"}
    bed = CustomField.objects.get(organisation=other_organisation, key="bed_number")
    shelter = other_organisation.services.get()
    assert bed.condition_value == str(shelter.pk)
    assert not CustomValue.objects.filter(case__organisation=other_organisation).exists()
    # Imported again, everything is already there.
    again = config.check(config.read(_upload(document)), other_organisation)
    assert again.is_empty and again.already_there


def test_a_service_not_in_the_sister_directory_is_dropped_with_a_warning(
    configured, other_organisation, olga
):
    plan = config.check(config.export(configured), other_organisation)
    assert any("Red Cross shelter" in warning for warning in plan.warnings)
    config.apply(plan, other_organisation, by=olga)
    bed = CustomField.objects.get(organisation=other_organisation, key="bed_number")
    assert bed.condition_field is None


def test_a_bad_file_is_refused_whole_with_every_problem(configured, other_organisation):
    document = config.export(configured)
    document["custom_fields"][0]["type"] = "photo"
    document["eligibility_criteria"].append({"text": ""})
    document["people"] = [{"name": "Zzsomeone"}]
    with pytest.raises(config.ConfigError) as refused:
        config.check(document, other_organisation)
    problems = " ".join(refused.value.problems)
    assert "unknown type" in problems and "criterion 2" in problems and "people" in problems
    assert not CustomField.objects.filter(organisation=other_organisation).exists()
    with pytest.raises(config.ConfigError):
        config.read(io.BytesIO(b"not json"))


def test_the_pages_export_preview_and_import(as_user, configured, ada, olga, other_organisation):
    exported = as_user(ada).get("/settings/fields/configuration/export/")
    assert exported["Content-Disposition"].startswith("attachment")
    client = as_user(olga)
    upload = io.BytesIO(exported.content)
    upload.name = "configuration.json"
    page = client.post("/settings/fields/configuration/import/", {"file": upload}).content.decode()
    assert "What the import adds" in page and "Lives in Sofia" in page
    assert not CustomField.objects.filter(organisation=other_organisation).exists()
    response = client.post("/settings/fields/configuration/import/", {"confirm": "1"})
    assert response.status_code == 302
    assert CustomField.objects.filter(organisation=other_organisation).count() == 4


def test_the_page_refuses_a_bad_file_saying_why(as_user, olga):
    upload = io.BytesIO(b'{"format": "something else"}')
    upload.name = "x.json"
    page = as_user(olga).post("/settings/fields/configuration/import/", {"file": upload})
    assert "nothing was changed" in page.content.decode()


PAGE = "/settings/fields/configuration/import/"


def _post(client, text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "configuration.json"
    return client.post(PAGE, {"file": upload})


def _document(*fields):
    return {"format": config.FORMAT, "version": config.VERSION, "custom_fields": list(fields)}


def _field(key, **more):
    return {"form": "screening", "key": key, "type": "short_text", "label": key, **more}


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # nested deeper than the parser goes
        json.dumps(_document(_field("a", after=["date"]))),  # a place that is not text
        json.dumps(_document(_field("a", required="yes"))),  # a flag that is not true or false
        json.dumps(_document(_field("b"), _field("a", condition={"key": "b", "value": [1]}))),
    ],
    ids=["nested", "place", "flag", "condition"],
)
def test_a_hostile_file_is_refused_with_a_report_not_a_server_error(as_user, olga, text):
    """docs/security.md, item 58: a 500 with a traceback, or a flag taken for true."""
    client = as_user(olga)
    client.raise_request_exception = False
    answer = _post(client, text)
    assert answer.status_code == 200
    assert "nothing was changed" in answer.content.decode()


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            [_field("fears", type="yes_no", sensitive=True),
             _field("details", condition={"key": "fears", "value": "yes"})],
            "“details”: This field is shown only after an answer to a sensitive field",
        ),
        (
            [_field("age", type="number", min_value="10", max_value="1")],
            "“age”: The largest number is smaller than the smallest.",
        ),
    ],
    ids=["shown-after-a-sensitive-answer", "bounds-upside-down"],
)  # fmt: skip
def test_the_fields_own_rules_refuse_a_file_at_the_preview(
    as_user, olga, other_organisation, fields, said
):
    """The preview accepted these, and the confirmation was a server error: the rules of
    the fields (`services._check_definition`) ran only when they were made."""
    client = as_user(olga)
    page = _post(client, json.dumps(_document(*fields))).content.decode()
    assert said in page and "nothing was changed" in page
    assert "What the import adds" not in page
    assert not CustomField.objects.filter(organisation=other_organisation).exists()
    # Nothing waits to be confirmed; the rehearsal left nothing behind.
    assert client.post(PAGE, {"confirm": "1"}).status_code == 302
    assert not CustomField.objects.filter(organisation=other_organisation).exists()
    # Applied directly (a plan checked before another change), it refuses the same, whole.
    plan = config.check(_document(*fields), other_organisation)
    with pytest.raises(config.ConfigError):
        config.apply(plan, other_organisation, by=olga)
    assert not CustomField.objects.filter(organisation=other_organisation).exists()


def test_it_refuses_a_label_in_another_language_longer_than_an_answer_keeps(
    other_organisation, olga, charlie
):
    """A label in the pilot's language is kept with each answer (`label_at_entry`, 200
    characters), and the web form allows no longer; a file's took 4,000. Imported, every answer
    to the field was refused by PostgreSQL ("value too long"): the form that asks it, say the
    referral, was a server error for the whole pilot until an admin found why."""
    greek = "\u03bb" * 300  # Nicosia works in Greek
    document = _document(
        _field("details", form="contact", label="Details", label_translations={"el": greek})
    )
    with pytest.raises(config.ConfigError) as refused:
        plan = config.check(document, other_organisation)
        assert config.refusals(plan, other_organisation, by=olga) == []
        config.apply(plan, other_organisation, by=olga)
        case = CaseFactory(organisation=other_organisation, case_manager=charlie)
        services.save_values(case, "contact", "r", {"details": "Zzsaid little"}, by=charlie)
        kept = CustomValue.objects.get().label_at_entry
        limit = CustomValue._meta.get_field("label_at_entry").max_length
        assert len(kept) <= limit, "the answer kept a label longer than its column"
    assert refused.value.problems == ["Custom field 1 is not valid: translations not readable"]


@pytest.mark.parametrize(
    "fields",
    [
        [_field("ties", type="choice", options=[{"label": f"o{n}"} for n in range(5000)])],
        [_field(f"f{n}") for n in range(5000)],
    ],
    ids=["options", "fields"],
)
def test_it_refuses_a_file_with_more_fields_or_options_than_a_form_can_ask(
    other_organisation, olga, fields
):
    """2 MB of configuration held 150,000 options, or 13,000 fields: the preview's rehearsal
    made each of them (and read every option made before for each new one), holding one of the
    server's cores for hours, and then every case page drew them all. Refused at the check,
    before anything is made."""
    with pytest.raises(config.ConfigError):
        config.check(_document(*fields), other_organisation)


def test_a_form_and_a_field_take_no_more_than_that_one_by_one_either(other_organisation, olga):
    from django.core.exceptions import ValidationError

    for n in range(services.MAX_FIELDS_PER_FORM):
        services.define_field(
            other_organisation, by=olga, form="contact", type="short_text", label=f"Q{n}"
        )
    with pytest.raises(ValidationError, match="at most 100 fields"):
        services.define_field(
            other_organisation, by=olga, form="contact", type="short_text", label="One more"
        )
    labels = [f"Option {n}" for n in range(services.MAX_OPTIONS)]
    ties = services.define_field(
        other_organisation, by=olga, form="screening", type="choice", label="Ties", options=labels
    )
    with pytest.raises(ValidationError, match="at most 250 options"):
        services.add_option(ties, by=olga, label="One more")
    with pytest.raises(ValidationError, match="at most 250 options"):
        services.define_field(
            other_organisation, by=olga, form="screening", type="choices", label="Many",
            options=[*labels, "One more"],
        )  # fmt: skip
    # A file adding to what the pilot has counts both.
    with pytest.raises(config.ConfigError, match="at most 100 fields"):
        config.check(_document(_field("more", form="contact")), other_organisation)


@pytest.mark.parametrize("bound", ["1e20", "1E+5000", "-12345678901", "0.001"])
def test_it_refuses_a_bound_the_column_cannot_hold(as_user, olga, other_organisation, bound):
    """A bound of more digits than the column's (10 before the point, 2 after) was taken: on
    SQLite stored, then every page that read the field (the list of fields, each form asking
    it) a server error for the whole pilot; on PostgreSQL the preview itself. A smaller step
    than a cent was rounded away. The web form refuses them; the file now does the same."""
    client = as_user(olga)
    client.raise_request_exception = False
    text = json.dumps(_document(_field("age", type="number", min_value=bound)))
    page = _post(client, text).content.decode()
    assert "nothing was changed" in page and "What the import adds" not in page
    assert client.post(PAGE, {"confirm": "1"}).status_code == 302
    assert not CustomField.objects.filter(organisation=other_organisation).exists()
    assert client.get("/settings/fields/").status_code == 200


def test_it_refuses_a_model_letter_in_a_language_engage_does_not_know(
    as_user, olga, other_organisation
):
    """A model letter's language was any short text: imported in "zz", the admin's list of
    model letters was a server error ("Unknown language code zz") until someone found why."""
    client = as_user(olga)
    client.raise_request_exception = False
    letter = {"name": "Release", "kind": "letter", "language": "zz", "body": "For {{ today }}"}
    document = {"format": config.FORMAT, "version": config.VERSION, "letter_templates": [letter]}
    page = _post(client, json.dumps(document)).content.decode()
    assert "Model letter 1 is not valid." in page and "What the import adds" not in page
    assert client.post(PAGE, {"confirm": "1"}).status_code == 302
    assert not LetterTemplate.objects.filter(organisation=other_organisation).exists()
    assert client.get("/liaison/templates/").status_code == 200


def test_it_takes_a_model_letters_translation_as_long_as_a_letter_and_no_longer(
    as_user, olga, other_organisation
):
    """A model letter's translation was held to a field label's 4,000 characters, so a pilot's
    own letter, translated on the web form, could not be imported by a sister pilot; and a text
    longer than a letter may be is refused, as on the web form."""
    client = as_user(olga)
    translated = "Please release the client.\n" * 1000  # 27,000 characters
    letter = {"name": "Release", "kind": "letter", "language": "en", "body": "For {{ today }}",
              "translations": {"el": translated}}  # fmt: skip
    too_long = {**letter, "name": "Longer", "body": "x" * (letters.MAX_LENGTH + 1)}
    document = {"format": config.FORMAT, "version": config.VERSION}
    page = _post(client, json.dumps({**document, "letter_templates": [letter, too_long]}))
    assert "Model letter 2 is not valid." in page.content.decode()
    assert client.post(PAGE, {"confirm": "1"}).status_code == 302
    assert not LetterTemplate.objects.filter(organisation=other_organisation).exists()
    page = _post(client, json.dumps({**document, "letter_templates": [letter]})).content.decode()
    assert "What the import adds" in page and "not valid" not in page
    assert client.post(PAGE, {"confirm": "1"}).status_code == 302
    imported = LetterTemplate.objects.get(organisation=other_organisation)
    assert imported.translations == {"el": translated.strip()}
