"""The evidence pages in the browser's place: export, import, reports and dashboards, for each
role, with the same files and figures as the commands and services."""

import datetime
import io
import json
import zipfile
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engage.accounts.factories import OrganisationFactory
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.mel import services
from engage.mel.dataset import submission
from engage.mel.forms import last_month
from engage.mel.models import LinkageRound, ReportRun, Submission
from engage.mel.report import dashboards
from tests.mel import reports
from tests.mel.rows import held_rows, row

pytestmark = pytest.mark.django_db

THIS_MONTH = days_ago(0).strftime("%Y-%m")
KEY = "network-round-key-2024-abcdef"


@pytest.fixture
def live_cases(organisation, alice, bob):
    """Two active clients of Alice's organisation."""
    return [
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)[0]
        for _ in range(2)
    ]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _submission_zip(tmp_path, pilot: str, period_end: str, rows: list[dict]) -> bytes:
    folder = tmp_path / f"{pilot}-{period_end}"
    submission.write(folder, pilot, period_end, rows)
    return _zip({name: (folder / name).read_bytes() for name in ("cases.csv", "manifest.json")})


def _hostile_zip(files: dict[str, bytes], hostile: str) -> bytes:
    """A .zip of `files` that Python's zipfile lists but cannot unpack."""
    import struct

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    data = bytearray(buffer.getvalue())

    def headers(signature: bytes):
        at = data.find(signature)
        while at >= 0:
            yield at
            at = data.find(signature, at + 4)

    for at in headers(b"PK\x03\x04"):
        if hostile == "unknown compression":
            data[at + 8 : at + 10] = struct.pack("<H", 6)  # "imploded"
        elif hostile == "encrypted":
            data[at + 6] |= 1
        elif hostile == "damaged deflate":
            name_length, extra_length = struct.unpack("<HH", data[at + 26 : at + 30])
            start = at + 30 + name_length + extra_length
            data[start : start + 8] = b"\xff" * 8
    for at in headers(b"PK\x01\x02"):
        if hostile == "unknown compression":
            data[at + 10 : at + 12] = struct.pack("<H", 6)
        elif hostile == "encrypted":
            data[at + 8] |= 1
        elif hostile == "unknown zip version":
            data[at + 6] = 250  # "needs version 25.0"
    return bytes(data)


def _near(shown, true: int) -> bool:
    """A count of enrollments as shown at `network` level: perturbed (at most 2 off), then
    masked when it lands in 1-4."""
    return shown == "<5" or (isinstance(shown, int) and abs(shown - true) <= 2)


def _upload(data: bytes, name="submission.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def _exports():
    return AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# Who gets which page

URLS = {
    "mel:export": {"alice": 404, "bob": 404, "ada": 200, "nadia": 404},
    "mel:linkage": {"alice": 404, "bob": 404, "ada": 200, "nadia": 404},
    "mel:import": {"alice": 404, "bob": 404, "ada": 404, "nadia": 200},
    "mel:submissions": {"alice": 404, "bob": 404, "ada": 404, "nadia": 200},
    "mel:report": {"alice": 404, "bob": 200, "ada": 200, "nadia": 200},
    "mel:network": {"alice": 404, "bob": 404, "ada": 404, "nadia": 200},
    "mel:pilot": {"alice": 404, "bob": 200, "ada": 200, "nadia": 404},
}


@pytest.mark.parametrize("name", sorted(URLS))
def test_it_gives_each_role_its_evidence_pages_only(name, client, alice, bob, ada, nadia):
    people = {"alice": alice, "bob": bob, "ada": ada, "nadia": nadia}
    for who, expected in URLS[name].items():
        client.force_login(people[who])
        assert client.get(reverse(name)).status_code == expected, (name, who)


@pytest.mark.parametrize("name", sorted(URLS))
def test_it_sends_anonymous_visitors_to_sign_in(name, client):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_it_refuses_posts_from_the_wrong_roles_too(as_user, alice, bob, tmp_path):
    data = {"period_end": THIS_MONTH}
    assert as_user(bob).post(reverse("mel:export"), data).status_code == 404
    upload = _upload(_submission_zip(tmp_path, "BG-CLA", "2024-06", [row(1)]))
    assert as_user(bob).post(reverse("mel:import"), {"submission": upload}).status_code == 404
    assert as_user(alice).post(reverse("mel:report"), {}).status_code == 404
    assert not Submission.objects.exists() and not _exports().exists()


# The org admin downloads the pilot's submission, after its preview


@pytest.fixture
def alike_cases(organisation, alice, bob):
    """Five active clients who share every quasi-identifier: a group of 5, sent as it is."""
    return [
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)[0]
        for _ in range(5)
    ]


def _preview_then_download(client, period_end=THIS_MONTH):
    preview = client.post(reverse("mel:export"), {"period_end": period_end})
    assert preview.status_code == 200 and "preview" in preview.context
    checked = preview.context["preview"].sha256
    return client.post(reverse("mel:export"), {"period_end": period_end, "sha256": checked})


class TestExport:
    def test_it_downloads_exactly_what_the_command_writes(
        self, as_user, ada, alike_cases, tmp_path
    ):
        client = as_user(ada)
        # The manifest says when it was written: at the same moment, the files are identical.
        with time_machine.travel(timezone.now(), tick=False):
            response = _preview_then_download(client)
            call_command(
                "export_dataset", out=tmp_path, pilot="BG-CLA", period_end=THIS_MONTH,
                stdout=StringIO(),
            )  # fmt: skip
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == f'attachment; filename="BG-CLA-{THIS_MONTH}.zip"'
        assert "no-store" in response["Cache-Control"]
        archive = zipfile.ZipFile(io.BytesIO(_streamed(response)))
        assert sorted(archive.namelist()) == ["cases.csv", "manifest.json"]
        for name in ("cases.csv", "manifest.json"):
            assert archive.read(name) == (tmp_path / name).read_bytes(), name
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["rows"] == 5 and manifest["pilot"] == "BG-CLA"
        assert manifest["version"] == 2 and manifest["k_anonymity"] == 5

    def test_it_sends_nothing_before_the_preview(self, as_user, ada, alike_cases):
        response = as_user(ada).post(reverse("mel:export"), {"period_end": THIS_MONTH})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert response.context["preview"].protection.k_after == 5
        assert not _exports().exists()

    def test_it_refuses_a_download_when_the_rows_changed_since_the_preview(
        self, as_user, ada, alice, bob, alike_cases
    ):
        client = as_user(ada)
        preview = client.post(reverse("mel:export"), {"period_end": THIS_MONTH})
        to_active(CaseFactory(organisation=ada.organisation, case_manager=alice), alice, bob)
        response = client.post(
            reverse("mel:export"),
            {"period_end": THIS_MONTH, "sha256": preview.context["preview"].sha256},
        )
        assert response.status_code == 200 and response.context["outdated"]
        assert "The records changed since you checked the preview" in response.content.decode()
        assert response.context["preview"].protection.k_after == 6
        assert not _exports().exists()

    def test_it_keys_person_ref_with_the_open_round_only(self, as_user, ada, alike_cases):
        client = as_user(ada)
        services.open_round(ada.organisation, name="2026 first half", key=KEY, by=ada)
        keyed = zipfile.ZipFile(io.BytesIO(_streamed(_preview_then_download(client))))
        person_refs = [
            line.split(",")[2] for line in keyed.read("cases.csv").decode().splitlines()[1:]
        ]
        assert len(person_refs) == 5 and all(len(ref) == 64 for ref in person_refs)
        services.close_round(services.open_round_of(ada.organisation), by=ada)
        unkeyed = zipfile.ZipFile(io.BytesIO(_streamed(_preview_then_download(client))))
        person_refs = [
            line.split(",")[2] for line in unkeyed.read("cases.csv").decode().splitlines()[1:]
        ]
        assert person_refs == [""] * 5

    def test_it_audits_each_download_with_the_user(self, as_user, ada, alike_cases):
        _preview_then_download(as_user(ada))
        event = _exports().get()
        assert event.actor_id == ada.pk and event.actor_role == "org_admin"
        assert event.object_id == ada.organisation_id
        assert event.detail == (
            f"network dataset {THIS_MONTH}, 5 rows, k 5, 0 cells suppressed, 0 rows withheld"
        )

    def test_it_shows_a_bad_month_next_to_the_field(self, as_user, ada):
        response = as_user(ada).post(reverse("mel:export"), {"period_end": "2024-13"})
        assert response.status_code == 200
        assert response.context["form"].errors["period_end"]
        assert "preview" not in response.context
        assert not _exports().exists()

    def test_it_exports_only_the_admins_own_organisation(self, as_user, olga, alike_cases):
        response = _preview_then_download(as_user(olga))
        archive = zipfile.ZipFile(io.BytesIO(_streamed(response)))
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["pilot"] == "CY-CYRC" and manifest["rows"] == 0
        assert b"BG-CLA" not in archive.read("cases.csv")


# The network coordinator imports


class TestImport:
    def test_it_imports_and_shows_what_changed(self, as_user, nadia, tmp_path):
        client = as_user(nadia)
        first = _submission_zip(tmp_path, "BG-CLA", "2024-06", [row(1), row(2), row(3)])
        response = client.post(reverse("mel:import"), {"submission": _upload(first)})
        assert response.status_code == 200
        assert response.context["counts"] == {
            "added": 3, "changed": 0, "unchanged": 0, "removed": 0,
        }  # fmt: skip
        assert "Imported BG-CLA, period end 2024-06" in response.content.decode()
        stored = Submission.objects.get()
        assert stored.imported_by == nadia and stored.rows == 3
        second = _submission_zip(
            tmp_path, "BG-CLA", "2024-07", [row(1), row(2, sex="male"), row(4)]
        )
        response = client.post(reverse("mel:import"), {"submission": _upload(second)})
        assert response.context["counts"] == {
            "added": 1, "changed": 1, "unchanged": 1, "removed": 1,
        }  # fmt: skip
        assert len(held_rows()) == 6  # both kept (the dataset spec, version 2)
        event = AuditEvent.objects.filter(actor_id=nadia.pk).latest("at")
        assert event.detail == (
            "network dataset BG-CLA 2024-07 (against 2024-06): "
            "1 added, 1 changed, 1 unchanged, 1 removed"
        )

    def test_it_stores_nothing_and_shows_the_report_on_any_error(self, as_user, nadia, tmp_path):
        rows = [row(1), row(2, sex="woman"), row(3, contacts="1", face_to_face_contacts="2")]
        data = _submission_zip(tmp_path, "BG-CLA", "2024-06", rows)
        response = as_user(nadia).post(reverse("mel:import"), {"submission": _upload(data)})
        assert response.status_code == 400
        page = response.content.decode()
        assert "The submission was refused; nothing was stored" in page
        assert "2 problems were found." in page
        problems = [(p.row, p.column) for p in response.context["problems"]]
        assert problems == [(2, "sex"), (3, "face_to_face_contacts")]
        assert "more than contacts" in page and "<td>sex</td>" in page
        assert not Submission.objects.exists() and not held_rows()
        assert response.context["form"]["submission"] is not None  # the form stays beside it

    def test_it_lists_the_first_hundred_problems_with_the_total(self, as_user, nadia, tmp_path):
        rows = [row(n, sex="x", age_band="y") for n in range(1, 80)]
        data = _submission_zip(tmp_path, "BG-CLA", "2024-06", rows)
        response = as_user(nadia).post(reverse("mel:import"), {"submission": _upload(data)})
        page = response.content.decode()
        assert response.context["problem_count"] == 158
        assert len(response.context["problems"]) == 100
        assert "158 problems were found." in page and "The first 100 are listed." in page
        assert not held_rows()

    def test_it_refuses_a_bad_checksum_and_a_file_that_is_not_a_zip(self, as_user, nadia, tmp_path):
        client = as_user(nadia)
        folder = tmp_path / "s"
        submission.write(folder, "BG-CLA", "2024-06", [row(1)])
        tampered = (folder / "cases.csv").read_bytes().replace(b"Sofia", b"Plovdiv")
        data = _zip(
            {"cases.csv": tampered, "manifest.json": (folder / "manifest.json").read_bytes()}
        )
        response = client.post(reverse("mel:import"), {"submission": _upload(data)})
        assert response.status_code == 400
        assert "sha256 does not match cases.csv" in response.content.decode()
        response = client.post(reverse("mel:import"), {"submission": _upload(b"not a zip")})
        assert response.status_code == 200
        assert "not a .zip" in response.context["form"].errors["submission"][0]
        assert not Submission.objects.exists()

    @pytest.mark.parametrize(
        "hostile",
        ["unknown compression", "encrypted", "damaged deflate", "unknown zip version"],
    )
    def test_it_refuses_a_zip_it_cannot_unpack_with_a_report_not_a_server_error(
        self, hostile, as_user, nadia, tmp_path
    ):
        """A .zip whose entries use a compression Python's zipfile does not know, are
        encrypted, hold damaged deflate data or need a later zip version raised
        NotImplementedError, RuntimeError or zlib.error, which nothing caught: a 500 at the
        hub's upload page and at `POST /api/v1/submissions/`."""
        from django.test import Client

        from engage.api.submission_tokens import create_submission_token

        folder = tmp_path / "s"
        submission.write(folder, "BG-CLA", "2024-06", [row(1)])
        files = {name: (folder / name).read_bytes() for name in ("cases.csv", "manifest.json")}
        data = _hostile_zip(files, hostile)
        client = as_user(nadia)
        client.raise_request_exception = False
        response = client.post(reverse("mel:import"), {"submission": _upload(data)})
        assert response.status_code in (200, 400)
        assert (
            "The submission was refused" in response.content.decode()
            or response.context["form"].errors["submission"]
        )
        _made, token = create_submission_token(
            pilot="BG-CLA", name="hub", expires_on=days_ago(-30), by=nadia
        )
        api = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
        upload = io.BytesIO(data)
        upload.name = "submission.zip"
        answer = api.post("/api/v1/submissions/", {"submission": upload})
        assert answer.status_code == 400
        assert not Submission.objects.exists() and not held_rows()

    def test_it_pages_the_submissions_imported(self, as_user, nadia):
        for n in range(30):
            Submission.objects.create(
                pilot="BG-CLA", period_end=f"20{10 + n}-01", generated_at="2024-07-01T00:00:00Z",
                sha256="0" * 64, rows=n, imported_by=nadia,
            )  # fmt: skip
        client = as_user(nadia)
        first = client.get(reverse("mel:submissions"))
        assert len(first.context["page"].object_list) == 25
        assert "Page 1 of 2" in first.content.decode() and "Nadia" in first.content.decode()
        second = client.get(reverse("mel:submissions"), {"page": 2})
        assert len(second.context["page"].object_list) == 5

    def test_it_says_when_nothing_was_imported_yet(self, as_user, nadia):
        page = as_user(nadia).get(reverse("mel:submissions")).content.decode()
        assert "No submission has been imported yet." in page


# Reports from the web


def _command_report(tmp_path, fmt: str, **options) -> bytes:
    out = tmp_path / f"command.{fmt}"
    call_command("mel_report", fmt=fmt, out=out, stdout=StringIO(), **options)
    return out.read_bytes()


@pytest.fixture
def imported(tmp_path):
    """Two pilots' submissions at the hub: 30 and 12 clients."""
    bg = [row(n, inclusion_month="2024-02") for n in range(1, 31)]
    cy = [row(100 + n, pilot="CY-CYRC", city="Nicosia") for n in range(12)]
    for pilot, rows in (("BG-CLA", bg), ("CY-CYRC", cy)):
        folder = tmp_path / "sub" / pilot
        submission.write(folder, pilot, "2024-06", rows)
        services.import_submission(folder)
    return bg + cy


class TestReport:
    def test_it_gives_the_coordinator_the_same_bytes_as_the_command(
        self, as_user, nadia, imported, tmp_path
    ):
        client = as_user(nadia)
        options = {"start": "2024-01", "end": "2024-06", "source": "imported"}
        for fmt in ("json", "html"):
            # The form leads to the report's page; its download is the command's file.
            response = reports.downloaded(client, {**options, "disclosure": "network"}, fmt)
            assert response.status_code == 200, response.content
            assert response["Content-Disposition"] == (
                f'attachment; filename="indicators-2024-01-2024-06.{fmt}"'
            )
            assert response.content == _command_report(tmp_path, fmt, disclosure="network",
                                                       **options)  # fmt: skip

    def test_it_renders_pdf_and_xlsx_from_the_same_report(self, as_user, nadia, imported):
        client = as_user(nadia)
        options = {
            "start": "2024-01",
            "end": "2024-06",
            "source": "imported",
            "disclosure": "public",
        }
        page = reports.made(client, options)
        pdf = client.get(f"{page}pdf/")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        xlsx = client.get(f"{page}xlsx/")
        assert zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()  # an Office Open XML file

    def test_it_audits_each_exact_report_with_the_coordinator(
        self, as_user, nadia, imported, tmp_path
    ):
        data = {"start": "2024-01", "end": "2024-06", "source": "imported", "pilots": ["CY-CYRC"],
                "disclosure": "exact"}  # fmt: skip
        client = as_user(nadia)
        for _ in range(2):
            # Made once, in the background (audited as made), then served again: each
            # download is audited as exact figures given to her.
            response = reports.downloaded(client, data, "json")
            assert json.loads(response.content)["scope"] == {"pilots": ["CY-CYRC"]}
        events = _exports().order_by("at")
        assert [e.actor_id for e in events] == [nadia.pk] * 3
        assert [e.detail for e in events] == [
            "web report: exact 2024-01..2024-06, imported rows of CY-CYRC",
            "web report json: exact 2024-01..2024-06, imported rows of CY-CYRC",
            "web report json: exact 2024-01..2024-06, imported rows of CY-CYRC",
        ]
        assert response.content == _command_report(
            tmp_path, "json", start="2024-01", end="2024-06", source="imported",
            pilots=["CY-CYRC"], disclosure="exact",
        )  # fmt: skip

    def test_it_refuses_exact_figures_to_pilot_staff(self, as_user, bob, ada, live_cases):
        for person in (bob, ada):
            response = as_user(person).post(
                reverse("mel:report"),
                {"start": "2024-01", "end": THIS_MONTH, "disclosure": "exact"},
            )
            assert response.status_code == 200  # the form again, with the error beside the field
            assert "disclosure" in response.context["form"].errors
        assert not _exports().exists() and not ReportRun.objects.exists()
        for person in (bob, ada):
            with pytest.raises(PermissionDenied):
                services.report_for(start="2024-01", end=THIS_MONTH, pilots=["BG-CLA"],
                                    source="live", level="exact", by=person)  # fmt: skip

    def test_it_gives_pilot_staff_their_own_pilots_live_figures_only(
        self, as_user, bob, live_cases, imported, olga, tmp_path
    ):
        # Bob asks for the other pilot's imported figures: the fields are not his to set.
        response = reports.downloaded(
            as_user(bob),
            {"start": "2024-01", "end": THIS_MONTH, "pilots": ["CY-CYRC"], "source": "imported",
             "disclosure": "network"},
            "json",
        )  # fmt: skip
        result = json.loads(response.content)
        assert result["scope"] == {"pilots": ["BG-CLA"]}
        assert _near(result["coverage"]["rows"], 2)  # his two live cases, not the 30 imported
        assert response.content == _command_report(
            tmp_path, "json", start="2024-01", end=THIS_MONTH, pilots=["BG-CLA"], source="live",
            disclosure="network",
        )  # fmt: skip
        for pilots, source in ((["CY-CYRC"], "live"), (["BG-CLA"], "imported")):
            with pytest.raises(PermissionDenied):
                services.report_for(start="2024-01", end=THIS_MONTH, pilots=pilots,
                                    source=source, level="network", by=bob)  # fmt: skip

    def test_it_shows_form_errors_next_to_the_fields(self, as_user, nadia):
        response = as_user(nadia).post(
            reverse("mel:report"),
            {"start": "2024-06", "end": "2024-01", "baseline_start": "2023-01", "source": "live",
             "disclosure": "network"},
        )  # fmt: skip
        errors = response.context["form"].errors
        assert "end" in errors and "baseline_end" in errors


# Dashboards


class TestNetworkDashboard:
    def test_its_figures_are_those_of_the_report_for_the_same_rows(self, as_user, nadia, imported):
        response = as_user(nadia).get(
            reverse("mel:network"), {"start": "2024-01", "end": "2024-06"}
        )
        expected = services.report(
            services.rows_for(["BG-CLA", "CY-CYRC"], source="imported", end="2024-06"),
            start="2024-01", end="2024-06", pilots=["BG-CLA", "CY-CYRC"], level="network",
            baseline=("2023-07", "2023-12"),
        )  # fmt: skip
        assert response.context["report"] == expected
        table = response.context["per_pilot"]
        assert [line["key"] for line in table["lines"]] == ["BG-CLA", "CY-CYRC"]
        by_id = {item["id"]: item for item in expected["indicators"]}
        caseload = [c["id"] for c in table["columns"]].index("BEN-03")
        assert [line["cells"][caseload].text for line in table["lines"]] == ["31", "12"]
        assert table["total"][caseload].text == str(by_id["BEN-03"]["numerator"]) == "42"
        countries = response.context["per_country"]
        assert [line["key"] for line in countries["lines"]] == ["BG", "CY"]
        assert [line["label"] for line in countries["lines"]] == ["Bulgaria", "Cyprus"]
        page = response.content.decode()
        assert '<th scope="row">Bulgaria</th>' in page  # the country in words, not its code
        assert "Key indicators per pilot" in page and "The same figures as a table" in page

    def test_it_shows_freshness_and_who_has_not_submitted(self, as_user, nadia, imported):
        OrganisationFactory(code="PL-SIP", country="PL", name="Warsaw pilot")
        response = as_user(nadia).get(reverse("mel:network"), {"end": "2024-07"})
        fresh = {entry["pilot"]: entry for entry in response.context["freshness"]}
        assert fresh["BG-CLA"]["period_end"] == "2024-06" and not fresh["BG-CLA"]["current"]
        assert fresh["PL-SIP"]["period_end"] is None
        assert {e["pilot"] for e in response.context["missing"]} == {"BG-CLA", "CY-CYRC", "PL-SIP"}
        response = as_user(nadia).get(reverse("mel:network"), {"end": "2024-06"})
        assert [e["pilot"] for e in response.context["missing"]] == ["PL-SIP"]
        assert "never submitted" in response.content.decode()

    def test_it_applies_network_disclosure_unless_exact_is_chosen(self, as_user, nadia, imported):
        client = as_user(nadia)
        period = {"start": "2024-01", "end": "2024-06"}
        shown = client.get(reverse("mel:network"), period).context["report"]
        assert shown["disclosure"] == "network" and not _exports().exists()
        exact = client.get(reverse("mel:network"), {**period, "disclosure": "exact"})
        assert exact.context["report"]["disclosure"] == "exact"
        event = _exports().get()
        assert event.actor_id == nadia.pk
        assert event.detail == (
            "network dashboard: exact 2024-01..2024-06, imported rows of BG-CLA,CY-CYRC"
        )

    def test_it_says_when_there_is_no_data(self, as_user, nadia):
        page = as_user(nadia).get(reverse("mel:network")).content.decode()
        assert "There is no data for this period" in page
        assert "No pilot is known yet" in page

    def test_its_queries_do_not_grow_with_pilots_or_rows(self, as_user, nadia, tmp_path):
        client = as_user(nadia)
        counts = []
        for pilots in (1, 4):
            for index in range(pilots):
                code = f"BG-P{index}"
                rows = [row(n, pilot=code) for n in range(1, 5 + 10 * pilots)]
                folder = tmp_path / f"{pilots}-{code}"
                submission.write(folder, code, "2024-06", rows)
                services.import_submission(folder)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("mel:network"), {"end": "2024-06"})
            # BG-P0's second submission replaces its first.
            assert _near(response.context["report"]["coverage"]["rows"], pilots * (4 + 10 * pilots))
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestPilotDashboard:
    def test_its_figures_are_the_report_of_the_pilots_live_rows(
        self, as_user, bob, ada, live_cases, imported
    ):
        for person in (bob, ada):
            response = as_user(person).get(reverse("mel:pilot"))
            start = dashboards._shift(THIS_MONTH, -11)
            expected = services.report(
                services.rows_for(["BG-CLA"], source="live", end=THIS_MONTH),
                start=start, end=THIS_MONTH, pilots=["BG-CLA"], level="network",
                baseline=services.indicators.baseline_before(start, THIS_MONTH),
            )  # fmt: skip
            assert response.context["report"] == expected
            assert _near(response.context["report"]["coverage"]["rows"], 2)  # not the imported
            assert response.context["report"]["disclosure"] == "network"

    def test_pilot_staff_cannot_choose_exact_figures(self, as_user, bob, live_cases):
        response = as_user(bob).get(reverse("mel:pilot"), {"disclosure": "exact"})
        assert response.context["report"]["disclosure"] == "network"
        assert "disclosure" not in response.context["form"].fields
        assert not _exports().exists()

    def test_it_keeps_small_counts_hidden(self, as_user, bob, live_cases):
        response = as_user(bob).get(reverse("mel:pilot"))
        total = {c["id"]: cell for c, cell in zip(
            response.context["per_city"]["columns"], response.context["per_city"]["total"],
            strict=True,
        )}  # fmt: skip
        # Two clients: shown as "<5", or as 0 when the perturbation (up to 2 people, following
        # the cases' random ids) takes them there; never as 2, and no share of them.
        assert total["BEN-03"].text in ("<5", "0")
        assert total["ENG-01"].text in ("withheld", "—")

    def test_its_queries_do_not_grow_with_the_caseload(self, as_user, bob, alice, organisation):
        client = as_user(bob)
        client.get(reverse("mel:pilot"))  # the organisation's document of rows made, empty
        counts = []
        for more in (1, 3):
            for _ in range(more):
                to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("mel:pilot"))
            assert _near(response.context["report"]["coverage"]["rows"], 1 if more == 1 else 4)
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_the_role_dashboards_link_to_the_evidence_pages(self, as_user, bob, ada, nadia):
        assert reverse("mel:pilot") in as_user(bob).get("/").content.decode()
        assert reverse("mel:export") in as_user(ada).get("/").content.decode()
        assert reverse("mel:network") in as_user(nadia).get("/").content.decode()
        assert reverse("mel:import") in as_user(nadia).get("/").content.decode()


def test_the_default_network_period_ends_last_month(as_user, nadia):
    report = as_user(nadia).get(reverse("mel:network")).context["report"]
    assert report["period"]["end"] == last_month()


def test_it_pages_the_linkage_rounds_in_a_constant_number_of_queries(as_user, ada, organisation):
    client = as_user(ada)
    response = client.get("/mel/linkage/")
    # No round yet: the page offers to open one, lists none, and says what a round is for.
    assert "Open a round" in response.content.decode()
    assert not response.context["page"].object_list
    assert '<p class="empty">No round yet. A round lets the network count a person once' in (
        response.content.decode()
    )

    def add(start, count):
        for n in range(start, start + count):
            made = LinkageRound.objects.create(
                organisation=organisation, name=f"Round {n:03}", closed_at=timezone.now()
            )
            opened = timezone.now() - datetime.timedelta(days=n + 1)
            LinkageRound.objects.filter(pk=made.pk).update(opened_at=opened)

    add(0, 22)
    with CaptureQueriesContext(connection) as first:
        response = client.get("/mel/linkage/")
    names = [entry.name for entry in response.context["page"].object_list]
    assert names == [f"Round {n:03}" for n in range(20)]
    assert "page=2" in response.content.decode()
    assert "No round yet" not in response.content.decode()
    # A card a round on a phone: each date named by its column.
    assert '<td data-label="Opened">' in response.content.decode()
    second = client.get("/mel/linkage/?page=2").context["page"].object_list
    assert [entry.name for entry in second] == ["Round 020", "Round 021"]
    add(22, 20)
    with CaptureQueriesContext(connection) as more:
        client.get("/mel/linkage/")
    assert len(more) == len(first)
