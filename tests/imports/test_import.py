import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from engage.accounts.models import City
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.cases.models import Case, Person
from engage.cases.search import matching_people
from engage.imports import fields, reading, services, storage
from engage.imports.models import ImportJob, SavedMapping
from engage.imports.validation import Mapping, check
from tests.imports.conftest import HEADERS, csv_bytes, messy_rows, xlsx_bytes
from tests.row_locks import waits_for
from tests.security.test_scopes import _in_no_scope

pytestmark = pytest.mark.django_db


def mapping_for(organisation, **extra) -> Mapping:
    city = City.objects.get(organisation=organisation, name="Sofia")
    return Mapping(
        columns=fields.guess([header.strip() for header in HEADERS]),
        defaults={"legal_basis": "consent", "purpose": "Case management", "city": str(city.pk)},
        **extra,
    )


def test_it_guesses_the_columns_from_french_and_english_headers():
    assert fields.guess(HEADERS) == {
        "Prénom": "given_name",
        " Nom ": "family_name",
        "Date de naissance": "date_of_birth",
        "Sexe": "sex",
        "Nationalité": "nationality",
        "Date d'orientation": "referral_date",
        "Orienté par": "referral_source",
        "Rétention": "detention_at_referral",
        "Statut": "migration_status",
        "Case manager": "case_manager",
    }
    assert fields.guess(["First name", "Surname", "DOB", "Gender", "Referred by"]) == {
        "First name": "given_name",
        "Surname": "family_name",
        "DOB": "date_of_birth",
        "Gender": "sex",
        "Referred by": "referral_source",
    }


def test_it_reads_headers_and_values_in_each_of_engages_languages():
    """An Italian admin's spreadsheet, in the words of Engage's own Italian pages, was refused
    ("«Polizia» non è un valore noto"): only English and French were read."""
    from engage.imports.values import choice_lookup, country_lookup

    assert fields.guess(["Data di segnalazione", "Segnalato da", "Data zgłoszenia"]) == {
        "Data di segnalazione": "referral_date",
        "Segnalato da": "referral_source",
    }
    source = choice_lookup(fields.BY_NAME["referral_source"])
    for word in ("Polizia", "Policja", "Αστυνομία", "Politie", "Полиция", "Police"):
        assert source[fields.header_key(word)] == "police", word
    detention = choice_lookup(fields.BY_NAME["detention_at_referral"])
    assert detention[fields.header_key("In trattenimento")] == "in_detention"
    assert country_lookup()[fields.header_key("Siria")] == "SY"


def _expected_problems(organisation):
    future = f"{timezone.localdate().year + 1}-01-01"
    return [
        (5, "Date de naissance", "date of birth", "“31/02/1990” is not a date."),
        (5, "Sexe", "sex", "“Q” is not a known value of sex."),
        (5, "Date d'orientation", "referral date", f"{future} is in the future."),
        (6, "Prénom", "given name", "This cell is required."),
        (6, "Nationalité", "nationality", "“Atlantis” is not a known country."),
        (
            6,
            "Case manager",
            "case manager",
            f"“zed” is not an active case manager or supervisor of {organisation.name}.",
        ),
        (
            7,
            "Date de naissance",
            "date of birth",
            "The date of birth is after the referral date (2024-05-04).",
        ),
        (8, "Date d'orientation", "referral date", "“04/05/24”: write the year with four digits."),
    ]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_it_reports_every_problem_of_a_messy_spreadsheet_by_row_and_column(
    kind, organisation, alice
):
    data = (
        xlsx_bytes(HEADERS, messy_rows())
        if kind == "xlsx"
        else csv_bytes(
            HEADERS,
            [
                [c.strftime("%d/%m/%Y") if hasattr(c, "strftime") else c for c in row]
                for row in messy_rows()
            ],
        )
    )
    sheet = reading.read(f"caseload.{kind}", data)
    assert sheet.headers[1] == "Nom"  # stray spaces of a header trimmed
    mapping = mapping_for(organisation)
    report = check(sheet, mapping, organisation)
    found = [(p["line"], p["column"], p["field"], p["message"]) for p in report.problems]
    assert found == _expected_problems(organisation)
    assert report.unknown_values == {"nationality": ["Atlantis"], "sex": ["Q"]}
    # The three good rows, as they would be stored.
    stored = {row["line"]: row for row in report.prepared}
    assert sorted(stored) == [2, 3, 4]
    assert stored[2]["person"] | {"nationality": stored[2]["person"]["nationality"]} == {
        "given_name": "Amina",
        "family_name": "Haddad",
        "date_of_birth": datetime.date(1990, 4, 3),
        "sex": "female",
        "nationality": "SY",
        "phone": "",
        "email": "",
        "address": "",
        "document_number": "",
        "languages": "",
    }
    assert stored[2]["referral"]["referral_date"] == datetime.date(2024, 4, 3)
    assert stored[2]["referral"]["referral_source"] == "ngo"
    assert stored[2]["referral"]["detention_at_referral"] == "released"
    assert stored[2]["referral"]["migration_status"] == "asylum_seeker"
    assert stored[3]["person"]["given_name"] == "Omar"
    assert stored[3]["person"]["sex"] == "male"
    assert stored[3]["referral"]["referral_date"] == datetime.date(2024, 2, 29)
    assert stored[3]["case_manager"] == alice
    assert stored[4]["person"]["date_of_birth"] == datetime.date(2001, 12, 24)
    assert stored[4]["referral"]["referral_date"] == datetime.date(2024, 4, 1)  # serial 45383
    assert report.preview[0]["line"] == 2
    assert ["sex", "Female"] in report.preview[0]["values"]


def test_it_reads_ambiguous_dates_in_the_order_chosen(organisation, alice):
    rows = [
        [
            "Amina",
            "Haddad",
            "03/04/1990",
            "f",
            "SY",
            "03/04/2024",
            "ngo",
            "none",
            "irregular",
            "alice",
            "",
        ]
    ]
    sheet = reading.read("x.csv", csv_bytes(HEADERS, rows))
    mapping = mapping_for(organisation)
    first = check(sheet, mapping, organisation).prepared[0]
    mapping.day_first = False
    second = check(sheet, mapping, organisation).prepared[0]
    assert first["referral"]["referral_date"] == datetime.date(2024, 4, 3)
    assert second["referral"]["referral_date"] == datetime.date(2024, 3, 4)


def test_it_maps_the_words_of_a_pilot_to_engage_values(organisation, alice):
    rows = [
        [
            "Amina",
            "Haddad",
            "",
            "Q",
            "Atlantis",
            "2024-01-02",
            "ngo",
            "none",
            "irregular",
            "alice",
            "",
        ]
    ]
    sheet = reading.read("x.csv", csv_bytes(HEADERS, rows))
    mapping = mapping_for(organisation)
    assert len(check(sheet, mapping, organisation).problems) == 2
    mapping.values = {"sex": {"q": "other"}, "nationality": {"atlantis": "GR"}}
    report = check(sheet, mapping, organisation)
    assert report.problems == []
    assert report.prepared[0]["person"]["sex"] == "other"
    assert report.prepared[0]["person"]["nationality"] == "GR"


def _big_file(count: int, bad_line: int | None = None) -> bytes:
    rows = []
    for n in range(count):
        referral = "31/13/2024" if bad_line == n + 2 else "02/01/2024"
        rows.append(
            [
                f"Given{n}",
                f"Family{n}",
                "01/02/1990",
                "F",
                "SY",
                referral,
                "ngo",
                "none",
                "irregular",
                "alice",
                "",
            ]
        )
    return csv_bytes(HEADERS, rows)


def _job(organisation, by, data: bytes) -> ImportJob:
    job = services.upload(organisation, by=by, filename="big.csv", data=data)
    services.check_job(job, by=by, mapping=mapping_for(organisation))
    return job


def test_it_imports_10000_rows_in_one_transaction(
    organisation, alice, ada, django_assert_max_num_queries
):
    job = _job(organisation, ada, _big_file(10_000))
    assert services.report_of(job)["problems"] == []
    services.queue(job, by=ada)
    # Bulk writes: under 1,500 queries for 10,000 referrals (SQLite caps a batch by its
    # number of parameters; each person has some 16 search tokens), not tens of thousands.
    with django_assert_max_num_queries(1500):
        services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.created_count == 10_000
    assert Case.objects.filter(organisation=organisation).count() == 10_000
    assert Case.objects.filter(stage="referred", case_manager=alice).count() == 10_000
    assert AuditEvent.objects.filter(action="create", object_type="cases.case").count() == 10_000
    # Found by the blind index like anyone registered by hand.
    assert len(matching_people(organisation.pk, "given9999 family9999")) == 1
    assert not storage.path_for(job.pk).exists()
    assert services.report_of(job)["preview"] == []


def test_one_bad_row_among_10000_stores_nothing(organisation, alice, ada):
    job = services.upload(organisation, by=ada, filename="big.csv", data=_big_file(10_000, 5000))
    report = services.check_job(job, by=ada, mapping=mapping_for(organisation))
    assert [(p["line"], p["message"]) for p in report.problems] == [
        (5000, "“31/13/2024” is not a date.")
    ]
    with pytest.raises(Exception, match="Correct every problem"):
        services.queue(job, by=ada)
    assert Case.objects.count() == 0


def test_a_refused_row_at_storing_time_stores_nothing(organisation, alice, ada):
    """The referral service checks its rules again when storing: a case manager deactivated
    between the preview and the commit refuses the whole file, after 9,999 good rows."""
    job = _job(organisation, ada, _big_file(10_000))
    services.queue(job, by=ada)
    alice.is_active = False
    alice.save()
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Case.objects.count() == 0 and Person.objects.count() == 0
    assert len(services.report_of(job)["problems"]) == 10_000


def test_it_flags_duplicates_and_imports_only_what_was_decided(organisation, alice, ada):
    existing = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Amina",
        person__family_name="Haddad",
        person__date_of_birth=datetime.date(1990, 4, 3),
    )
    rows = [
        [
            "  AMINA",
            "haddad ",
            "1990-04-03",
            "F",
            "SY",
            "2024-01-02",
            "ngo",
            "none",
            "irregular",
            "alice",
            "",
        ],
        [
            "Omar",
            "Farouk",
            "1985-12-01",
            "M",
            "SY",
            "2024-01-02",
            "ngo",
            "none",
            "irregular",
            "alice",
            "",
        ],
        [
            "Omar",
            "Farouk",
            "01/12/1985",
            "M",
            "SY",
            "2024-01-03",
            "ngo",
            "none",
            "irregular",
            "alice",
            "",
        ],
        # Same name, another birth date: another person.
        [
            "Amina",
            "Haddad",
            "1991-04-03",
            "F",
            "SY",
            "2024-01-02",
            "ngo",
            "none",
            "irregular",
            "alice",
            "",
        ],
    ]
    job = _job(organisation, ada, csv_bytes(HEADERS, rows))
    report = services.report_of(job)
    assert [(d["line"], d["cases"], d["lines"]) for d in report["duplicates"]] == [
        (2, [existing.reference], []),
        (4, [], [3]),
    ]
    assert [(p["line"], p["message"]) for p in report["problems"]] == [
        (2, "Possible duplicate: decide to skip or import this row."),
        (4, "Possible duplicate: decide to skip or import this row."),
    ]
    services.decide_duplicates(job, by=ada, decisions={"2": "skip", "4": "import"})
    job.refresh_from_db()
    assert services.report_of(job)["problems"] == []
    services.queue(job, by=ada)
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.created_count == 3
    assert Person.objects.filter(organisation=organisation).count() == 4


def test_it_reuses_a_saved_mapping_from_the_command_line(organisation, alice, ada, tmp_path):
    job = services.upload(
        organisation, by=ada, filename="a.xlsx", data=xlsx_bytes(HEADERS, messy_rows()[:3])
    )
    services.check_job(job, by=ada, mapping=mapping_for(organisation), save_as="Sofia sheet")
    saved = SavedMapping.objects.get(organisation=organisation)
    assert saved.name == "Sofia sheet"
    assert saved.mapping["columns"]["Prénom"] == "given_name"
    second = services.upload(
        organisation,
        by=ada,
        filename="b.xlsx",
        data=xlsx_bytes(HEADERS, messy_rows()[:3]),
        saved=saved,
    )
    assert second.mapping == saved.mapping
    path = tmp_path / "b.xlsx"
    path.write_bytes(xlsx_bytes(HEADERS, messy_rows()[:3]))
    call_command(
        "import_cases",
        str(path),
        "--organisation",
        "BG-CLA",
        "--mapping",
        "Sofia sheet",
        "--commit",
        stdout=(out := __import__("io").StringIO()),
    )
    assert "3 referral(s) registered." in out.getvalue()
    assert Case.objects.count() == 3


def test_the_command_runs_outside_any_scope_and_exits_non_zero_on_problems(
    organisation, alice, tmp_path, capsys
):
    path = tmp_path / "messy.xlsx"
    path.write_bytes(xlsx_bytes(HEADERS, messy_rows()))
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping_for(organisation).as_json()))
    args = [str(path), "--organisation", "BG-CLA", "--mapping", str(mapping_file)]
    with pytest.raises(CommandError, match="8 problem"):
        _in_no_scope(call_command, "import_cases", *args, "--dry-run")
    out = capsys.readouterr().out
    assert "7 row(s), 8 problem(s)" in out
    assert "row 5 [Sexe] sex: “Q” is not a known value of sex." in out
    assert Case.objects.count() == 0
    path.write_bytes(xlsx_bytes(HEADERS, messy_rows()[:3]))
    _in_no_scope(call_command, "import_cases", *args, "--dry-run")
    assert "Dry run: 3 row(s) would be imported." in capsys.readouterr().out
    assert Case.objects.count() == 0
    path.write_bytes(xlsx_bytes(HEADERS, messy_rows()[:2]))
    _in_no_scope(call_command, "import_cases", *args, "--commit", "--month-first")
    # Month first: 03/04/2024 is 4 March.
    assert Case.objects.filter(referral_date=datetime.date(2024, 3, 4)).count() == 1
    # Run again: every row is now a duplicate, refused unless said otherwise.
    with pytest.raises(CommandError):
        _in_no_scope(call_command, "import_cases", *args, "--commit")
    _in_no_scope(call_command, "import_cases", *args, "--commit", "--duplicates", "skip")
    assert "0 referral(s) registered." in capsys.readouterr().out
    assert Case.objects.count() == 2


def test_run_imports_stores_queued_jobs_outside_any_scope(organisation, alice, ada):
    job = _job(organisation, ada, csv_bytes(HEADERS, [messy_rows()[1]]))
    services.queue(job, by=ada)
    _in_no_scope(call_command, "run_imports", verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 1


def test_it_deletes_files_left_too_long(organisation, alice, ada, settings):
    job = services.upload(organisation, by=ada, filename="a.csv", data=_big_file(2))
    assert storage.path_for(job.pk).exists()
    assert b"Given0" not in storage.path_for(job.pk).read_bytes()  # encrypted at rest
    later = timezone.now() + datetime.timedelta(days=settings.ENGAGE_IMPORT_KEEP_DAYS + 1)
    assert services.expire_files(later) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.EXPIRED
    assert not storage.path_for(job.pk).exists()


def test_it_keeps_no_report_of_a_file_an_erasure_closed_while_it_was_checked(
    organisation, alice, bob, ada, monkeypatch
):
    """An erasure while the mapping's check reads the file (a second for 10,000 rows) closed
    the import as "erased" and forgot its cells; the check then wrote its report over that,
    quoting the erased person's row, and "checked" over "erased": a report that no expiry
    forgets (its file is gone), to be read on the import's page."""
    from engage.privacy.services import erase_person

    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Leyla",
        person__family_name="Erasetest",
    )
    rows = messy_rows()[:2]
    rows[1][0], rows[1][1] = "Leyla", "Erasetest"
    job = services.upload(organisation, by=ada, filename="a.csv", data=csv_bytes(HEADERS, rows))
    real_check = services.check

    def check_during_an_erasure(*args, **kwargs):
        report = real_check(*args, **kwargs)
        erase_person(case.person, by=bob, reason="request")
        return report

    monkeypatch.setattr(services, "check", check_during_an_erasure)
    with pytest.raises(ValidationError):
        services.check_job(job, by=ada, mapping=mapping_for(organisation))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.ERASED
    assert "erasetest" not in job.report.lower()
    assert not storage.path_for(job.pk).exists()


def _listing_a_person_about_to_be_erased(organisation, alice, ada):
    """A checked import whose file lists a client, and that client's case."""
    case = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        person__given_name="Leyla",
        person__family_name="Erasetest",
    )
    rows = messy_rows()[:2]
    rows[1][0], rows[1][1] = "Leyla", "Erasetest"
    job = services.upload(organisation, by=ada, filename="a.csv", data=csv_bytes(HEADERS, rows))
    services.check_job(job, by=ada, mapping=mapping_for(organisation))
    return case, ImportJob.objects.get(pk=job.pk)


def test_it_discards_no_import_an_erasure_closed_since_its_page_loaded(
    organisation, alice, bob, ada
):
    """The discard took the import as the page loaded it: "discarded" was written over the
    "erased" an erasure made meanwhile, the one trace that the file held the person."""
    from engage.privacy.services import erase_person

    case, loaded = _listing_a_person_about_to_be_erased(organisation, alice, ada)
    erase_person(case.person, by=bob, reason="request")
    with pytest.raises(ValidationError) as refused:
        services.discard(loaded, by=ada)
    assert refused.value.messages == ["This import is no longer open to changes."]
    job = ImportJob.objects.get(pk=loaded.pk)
    assert job.status == ImportJob.Status.ERASED
    assert not AuditEvent.objects.filter(object_id=job.pk, detail="import_discarded").exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_a_discard_waits_for_an_erasure_under_way_then_is_refused(organisation, alice, bob, ada):
    from engage.privacy.services import erase_person

    case, loaded = _listing_a_person_about_to_be_erased(organisation, alice, ada)
    refused = waits_for(
        lambda: erase_person(case.person, by=bob, reason="request"),
        lambda: services.discard(loaded, by=ada),
    )
    assert isinstance(refused, ValidationError)
    assert refused.messages == ["This import is no longer open to changes."]
    assert ImportJob.objects.get(pk=loaded.pk).status == ImportJob.Status.ERASED


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{columns: 1", "is not a JSON file"),
        ('["given_name"]', "A mapping needs a “columns” object"),
        ('{"columns": ["Prénom"]}', "A mapping needs a “columns” object"),
        ('{"columns": {"Prénom": ["given_name"]}}', "The column “Prénom” of the mapping must"),
        ('{"columns": {"Prénom": 1, "Nom": "family_name"}}', "The column “Prénom” of the"),
        ('{"columns": {"Prénom": "first_name"}}', "Unknown Engage fields in the mapping: first_"),
        ('{"columns": {}, "defaults": {"purpose_of": "x"}}', "Unknown Engage fields"),
        ('{"columns": {}, "values": []}', "The mapping's “values” must be an object"),
        ('{"columns": {}, "values": {"sex": "female"}}', "The mapping's “values” must be"),
        ('{"columns": {}, "values": {"sex": {"F": ["female"]}}}', "“values” must be an object"),
        ('{"columns": {}, "defaults": ["consent"]}', "The mapping's “defaults” must be"),
        ('{"columns": {}, "defaults": {"city": {"id": 1}}}', "“defaults” must be an object"),
        ('{"columns": {}, "day_first": "no"}', "The mapping's “day_first” must be true or"),
        ('{"columns": {}, "colums": {}}', "unknown key(s) colums; a mapping has columns, day_"),
    ],
)
def test_it_says_what_is_wrong_with_a_mapping_file_of_the_wrong_shape(
    organisation, tmp_path, text, message
):
    """A mapping file written by hand (the operator's) stopped the command with a traceback:
    a list where an object was expected, a column given a list, "day_first": "no" read as
    true."""
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(HEADERS, messy_rows()[:1]))
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        _in_no_scope(
            call_command,
            "import_cases",
            str(path),
            "--organisation",
            "BG-CLA",
            "--mapping",
            str(mapping_file),
            "--dry-run",
        )
    assert message in str(refused.value)
    assert str(mapping_file) in str(refused.value)
    assert Case.objects.count() == 0


def test_it_forgets_an_uploads_name_that_named_a_person_erased(organisation, alice, bob, ada):
    """The name of the upload stayed on the import's row (encrypted, but read on its page and
    by anyone with the keys), long after its file was deleted: a file named after the client
    kept their name past their erasure."""
    from engage.privacy.services import erase_person

    case = CaseFactory(organisation=organisation, case_manager=alice,
                       person__given_name="Leyla", person__family_name="Erasetest")  # fmt: skip
    data = csv_bytes(HEADERS, messy_rows()[:1])
    named = services.upload(
        organisation, by=ada, filename="LEYLA_erasetest-referral.csv", data=data
    )
    other = services.upload(organisation, by=ada, filename="Leyla_referrals.csv", data=data)
    services.discard(named, by=ada)  # its file gone: the erasure's reading of files skips it
    erase_person(case.person, by=bob, reason="request")
    named.refresh_from_db()
    other.refresh_from_db()
    assert named.filename == services.ERASED_FILENAME
    assert other.filename == "Leyla_referrals.csv"  # a given name alone names no one
    assert AuditEvent.objects.filter(object_id=named.pk, detail="import_name_erased").exists()
