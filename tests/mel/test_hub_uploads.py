"""The hub's two doors for a pilot's submission (the coordinator's upload page and
`POST /api/v1/submissions/` with a submission token) against hostile manifests (adversarial
review of the evidence layer, December 2026)."""

import datetime
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engage.api.submission_tokens import create_submission_token
from engage.mel.dataset import submission
from engage.mel.models import Submission
from tests.mel.rows import held_rows, row

pytestmark = pytest.mark.django_db
UPLOAD = "/api/v1/submissions/"


def _zip_of(tmp_path, *, pilot="BG-CLA", period_end="2024-06", **manifest) -> bytes:
    """A version 2 submission of six rows whose manifest says `manifest` besides the rest."""
    folder = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
    rows = [row(n, pilot=pilot) for n in range(1, 7)]
    protection = {"quasi_identifiers": [], "k_anonymity": 0, "suppressed": 0}
    written = submission.write(folder, pilot, period_end, rows, protection=protection)
    from engage.mel.dataset import anonymity

    written.update(
        quasi_identifiers=list(anonymity.QUASI_IDENTIFIERS),
        k_anonymity=anonymity.k_anonymity(rows),
        **manifest,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cases.csv", (folder / "cases.csv").read_bytes())
        archive.writestr("manifest.json", json.dumps(written))
    return buffer.getvalue()


def _token(by, pilot="BG-CLA") -> str:
    _made, secret = create_submission_token(
        pilot=pilot, name="own instance", by=by,
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )  # fmt: skip
    return secret


def _send(token: str, data: bytes):
    upload = io.BytesIO(data)
    upload.name = "submission.zip"
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    return client.post(UPLOAD, {"submission": upload})


HOSTILE_MANIFESTS = {
    # Python reads any number of digits of a second's fraction as a time: 226 characters
    # into a column of 40 (PostgreSQL: "value too long", a server error).
    "a generated_at longer than its column": {
        "generated_at": "2024-07-01T00:00:00." + "1" * 200 + "+00:00"
    },
    # A number beyond the column (PostgreSQL's integer; SQLite's 64 bits).
    "a suppressed count beyond any column": {"suppressed": 10**20},
    "a suppressed count beyond PostgreSQL's integer": {"suppressed": 2**31},
}


@pytest.mark.parametrize("hostile", HOSTILE_MANIFESTS)
def test_it_refuses_a_manifest_whose_values_no_column_holds_with_a_report(
    hostile, as_user, nadia, tmp_path
):
    """A manifest that passed every check but whose `generated_at` or `suppressed` the
    database could not store was a server error at the hub, on the coordinator's upload page
    and on the upload any pilot's token reaches, instead of a refusal with its report."""
    data = _zip_of(tmp_path, **HOSTILE_MANIFESTS[hostile])
    page = as_user(nadia)
    page.raise_request_exception = False
    response = page.post(
        reverse("mel:import"),
        {"submission": SimpleUploadedFile("s.zip", data, content_type="application/zip")},
    )
    assert response.status_code == 400
    assert "manifest.json" in response.content.decode()
    answer = _send(_token(nadia), data)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "invalid_submission"
    assert not Submission.objects.exists() and not held_rows()


@pytest.mark.parametrize(
    "field,value",
    [
        # Python's `$` matches before a final newline: "2024-06\n" was a month, stored as a
        # period end of its own beside "2024-06" (and eight characters in a column of 7).
        ("period_end", "2024-06\n"),
        # `\d` is any script's digit: a period end after every ASCII one, which every report
        # of the pilot would read, for any period.
        ("period_end", "\u0669\u0669\u0669\u0669-12"),
        ("pilot", "BG-CLA\n"),
    ],
)
def test_it_refuses_a_pilot_or_period_end_that_only_looks_like_one(
    field, value, as_user, nadia, tmp_path
):
    """The manifest's pilot and period end were checked by patterns that let a final newline
    and digits of other scripts through: a second "BG-CLA" or "2024-06" was kept beside the
    real one (or a server error where the column was too short)."""
    values = {"pilot": "BG-CLA", "period_end": "2024-06", field: value}
    # The rows agree with the manifest's pilot, so only the manifest's value is at fault.
    folder = tmp_path / "rows"
    rows = [row(n, pilot=values["pilot"]) for n in range(1, 7)]
    written = submission.write(folder, values["pilot"], "2024-06", rows)
    written[field] = value
    (folder / "manifest.json").write_text(json.dumps(written))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cases.csv", (folder / "cases.csv").read_bytes())
        archive.writestr("manifest.json", (folder / "manifest.json").read_bytes())
    page = as_user(nadia)
    page.raise_request_exception = False
    response = page.post(
        reverse("mel:import"),
        {"submission": SimpleUploadedFile("s.zip", buffer.getvalue())},
    )
    assert response.status_code == 400
    assert not Submission.objects.exists() and not held_rows()
    with pytest.raises(submission.InvalidSubmission):
        submission.read(folder)


def test_it_refuses_a_row_whose_month_ends_with_a_newline(tmp_path):
    """A row's month is checked by the same pattern: "2023-01\\n" was a month."""
    folder = tmp_path / "rows"
    rows = [row(n) for n in range(1, 6)] + [row(6, referral_month="2023-01\n")]
    submission.write(folder, "BG-CLA", "2024-06", rows)
    with pytest.raises(submission.InvalidSubmission) as refused:
        submission.read(folder)
    assert [(p.row, p.column) for p in refused.value.problems] == [(6, "referral_month")]


def test_it_refuses_a_submission_of_more_rows_than_it_reads_before_reading_them_all(
    nadia, tmp_path, monkeypatch
):
    """A row read is a dict of 36 strings, some 16 times the bytes of its line: the 200 MB
    a 50 MB .zip may unpack to, in rows of empty cells, took a hub's web process over 3 GB,
    sent by anyone holding a pilot's token. The rows are counted as they are read and the
    submission refused past the most a submission may hold (lowered here to 10, so that the
    test need not write 200,001 rows; `raising=False`: the old code had no limit to lower)."""
    monkeypatch.setattr(submission, "MAX_ROWS", 10, raising=False)
    folder = tmp_path / "many"
    submission.write(folder, "BG-CLA", "2024-06", [row(n) for n in range(1, 30)])
    with pytest.raises(submission.InvalidSubmission) as refused:
        submission.read(folder)
    assert [str(p) for p in refused.value.problems] == [
        "cases.csv: has more than 10 rows, the most a submission may hold",
        "manifest.json: says 29 rows, cases.csv has 10",
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("cases.csv", "manifest.json"):
            archive.writestr(name, (folder / name).read_bytes())
    answer = _send(_token(nadia), buffer.getvalue())
    assert answer.status_code == 400
    assert "more than 10 rows" in answer.json()["error"]["problems"][0]["message"]
    assert not Submission.objects.exists()


def test_it_refuses_a_manifest_larger_than_a_manifest_without_parsing_it(nadia, tmp_path):
    """Parsed, JSON takes up to 24 times its text: a manifest of "[[],[],…]" as large as the
    200 MB a .zip may unpack to took a hub's web process some 4.8 GB before it was found not
    to be an object. A manifest is a few hundred bytes: one over 64 KB is refused unread (the
    test's is just over it; what matters is that it is refused for its size)."""
    hostile = "[" + "[]," * (70 * 2**10 // 3) + "[]]"
    folder = tmp_path / "big"
    submission.write(folder, "BG-CLA", "2024-06", [row(n) for n in range(1, 7)])
    (folder / "manifest.json").write_text(hostile)
    with pytest.raises(submission.InvalidSubmission) as refused:
        submission.read(folder)
    assert str(refused.value.problems[0]) == f"manifest.json: is larger than {64 * 2**10} bytes"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cases.csv", (folder / "cases.csv").read_bytes())
        archive.writestr("manifest.json", hostile)
    answer = _send(_token(nadia), buffer.getvalue())
    assert answer.status_code == 400
    assert answer.json()["error"]["problems"][0] == {
        "row": None,
        "column": "manifest.json",
        "message": f"is larger than {64 * 2**10} bytes",
    }
    assert not Submission.objects.exists()
