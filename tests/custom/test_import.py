"""The organisation's own referral fields as columns of the spreadsheet import."""

import pytest

from engage.cases.models import Case
from engage.custom.models import CustomValue
from engage.custom.reading import answers
from engage.imports import fields as import_fields
from engage.imports import services
from engage.imports.models import ImportJob
from engage.imports.validation import Mapping
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADERS = ["Prénom", "Date d'orientation", "Orienté par", "Rétention", "Statut", "Case manager"]
OWN = ["Arrival", "Children", "Housing"]


def _row(given, *own):
    return [given, "03/04/2024", "ngo", "none", "irregular", "alice", *own]


def _job(organisation, ada, rows, headers=HEADERS + OWN):
    job = services.upload(organisation, by=ada, filename="own.csv", data=csv_bytes(headers, rows))
    mapping = Mapping.from_json(job.mapping)
    mapping.defaults = {"legal_basis": "consent", "purpose": "Case management", "city": "Sofia"}
    return job, mapping


def test_it_guesses_and_offers_the_organisations_own_columns(organisation, ada, alice, fields):
    _, mapping = _job(organisation, ada, [_row("Amina", "01/02/2024", "2", "Shelter")])
    assert {mapping.columns[h] for h in OWN} == {
        "custom.arrival",
        "custom.children",
        "custom.housing",
    }
    # Mapping files name them too: a saved mapping or one given on the command line.
    assert Mapping.from_json(mapping.as_json()).columns == mapping.columns
    assert "custom.housing" not in import_fields.BY_NAME  # not a field of every organisation


def test_it_imports_the_answers_with_the_cases(organisation, ada, alice, fields):
    rows = [
        _row("Amina", "01/02/2024", "2", "Shelter"),
        _row("Omar", "2024-03-05", "", "amis"),  # no answer; an option in another word
        _row("Lina", "", "0", "street"),
    ]
    # "amis" is not an option: the report says so, with the web form's message.
    job, mapping = _job(organisation, ada, rows)
    report = services.check_job(job, by=ada, mapping=mapping)
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (3, "Housing", "Select a valid choice. amis is not one of the available choices.")
    ]
    rows[1][-1] = "Friends"
    job, mapping = _job(organisation, ada, rows)
    report = services.check_job(job, by=ada, mapping=mapping)
    assert report.problems == []
    assert ["Housing", "Shelter"] in report.preview[0]["values"]
    services.queue(job, by=ada)
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.report
    by_name = {case.person.given_name: case for case in Case.objects.select_related("person")}
    found = {a.key: a.text for a in answers(by_name["Amina"], alice)}
    assert found == {"arrival": "01/02/2024", "children": "2", "housing": "Shelter"}
    assert {a.key: a.data for a in answers(by_name["Omar"], alice)} == {
        "arrival": "2024-03-05",
        "housing": "friends",
    }
    assert CustomValue.objects.get(case=by_name["Lina"], field__key="children").data == "0"


def test_it_refuses_a_required_own_field_left_unmapped_and_bad_cells(
    organisation,
    ada,
    alice,
    fields,
):
    job, mapping = _job(
        organisation,
        ada,
        [_row("Amina", "31/02/2024", "=1+1")],
        headers=[*HEADERS, "Arrival", "Children"],
    )
    report = services.check_job(job, by=ada, mapping=mapping)
    messages = {(p["line"], p["field"], p["message"]) for p in report.problems}
    assert (1, "Housing", "This field is required: map a column of the file to it.") in messages
    assert any(line == 2 and field == "Arrival" for line, field, _m in messages)
    assert any(line == 2 and "formula" in m for line, _f, m in messages)
    assert not CustomValue.objects.exists()
