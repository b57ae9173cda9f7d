"""Submission tokens (issue 14, section 3): made by the network coordinator at the hub for one
pilot, shown once, kept as a digest, expiring and revocable; they send that pilot's submission
to `POST /api/v1/submissions/`, checked as a zip upload is, and read nothing."""

import datetime
import io
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engage.api.models import SubmissionToken
from engage.api.submission_token_views import PAGE_SIZE
from engage.api.submission_tokens import create_submission_token, revoke_submission_token
from engage.api.tokens import digest
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, to_active
from engage.mel.dataset import submission
from engage.mel.models import Submission
from tests.api.conftest import ApiClient, make_token
from tests.mel.rows import held_rows, row
from tests.security.conftest import stepped_up

pytestmark = pytest.mark.django_db
UPLOAD = "/api/v1/submissions/"


def _token(by, pilot="BG-CLA", days=30) -> str:
    _made, secret = create_submission_token(
        pilot=pilot, name="own instance", by=by,
        expires_on=timezone.localdate() + datetime.timedelta(days=days),
    )  # fmt: skip
    return secret


def _zip(tmp_path, pilot="BG-CLA", rows=None, period_end="2024-06") -> bytes:
    folder = tmp_path / f"{pilot}-{period_end}"
    rows = rows if rows is not None else [row(n, pilot=pilot) for n in range(1, 8)]
    submission.write(folder, pilot, period_end, rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("cases.csv", "manifest.json"):
            archive.writestr(name, (folder / name).read_bytes())
    return buffer.getvalue()


def _send(token: str | None, data: bytes):
    """POST the bytes as the multipart field `submission`, with the token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    upload = io.BytesIO(data)
    upload.name = "submission.zip"
    return Client(headers=headers).post(UPLOAD, {"submission": upload})


def test_the_coordinator_makes_one_shown_once_and_kept_as_a_digest(nadia):
    client = stepped_up(nadia)
    page = client.post(
        "/mel/submission-tokens/new/",
        {"pilot": "bg-cla", "name": "Sofia's instance",
         "expires_on": (timezone.localdate() + datetime.timedelta(days=90)).isoformat()},
    )  # fmt: skip
    assert page.status_code == 200
    secret = page.context["secret"]
    made = SubmissionToken.objects.get()
    assert (
        made.pilot == "BG-CLA"
        and made.digest == digest(secret)
        and secret not in str(list(SubmissionToken.objects.values()))
    )
    assert secret not in client.get("/mel/submission-tokens/").content.decode()
    too_long = client.post(
        "/mel/submission-tokens/new/",
        {"pilot": "BG-CLA", "name": "x",
         "expires_on": (timezone.localdate() + datetime.timedelta(days=400)).isoformat()},
    )  # fmt: skip
    assert "expires_on" in too_long.context["form"].errors


def test_only_the_coordinator_has_the_page(as_user, alice, bob, ada):
    for person in (alice, bob, ada):
        assert as_user(person).get("/mel/submission-tokens/").status_code == 404


def test_it_imports_the_pilots_submission_as_a_zip_upload_does(nadia, tmp_path):
    answer = _send(_token(nadia), _zip(tmp_path))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["pilot"], body["period_end"], body["rows"]) == ("BG-CLA", "2024-06", 7)
    assert body["imported"]["added"] == 7
    assert Submission.objects.get().pilot == "BG-CLA" and len(held_rows()) == 7


def test_a_faulty_submission_is_refused_whole_with_the_report(nadia, tmp_path):
    bad = [row(1), row(2, sex="unknownish")]
    answer = _send(_token(nadia), _zip(tmp_path, rows=bad))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_submission" and error["problem_count"] == 1
    assert error["problems"] == [
        {"row": 2, "column": "sex", "message": error["problems"][0]["message"]}
    ]
    not_zip = _send(_token(nadia), b"not a zip at all")
    assert not_zip.status_code == 400 and "submission" in not_zip.json()["error"]["fields"]
    assert not Submission.objects.exists() and not held_rows()


def test_a_manifest_nested_too_deeply_is_refused_as_invalid_not_a_server_error(nadia, tmp_path):
    """docs/security.md, item 58: the manifest's reader, which the upload page and `engage
    import_dataset` share, let Python's RecursionError through as a server error."""
    import io
    import zipfile

    from django.test import Client

    from engage.mel.dataset import submission
    from engage.mel.models import Submission

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", "[" * 200_000 + "]" * 200_000)
        archive.writestr("cases.csv", "pilot\n")
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "submission.zip"
    headers = {"Authorization": f"Bearer {_token(nadia)}"}
    client = Client(headers=headers, raise_request_exception=False)
    answer = client.post(UPLOAD, {"submission": upload})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_submission"
    assert not Submission.objects.exists()
    # Nested too deeply for Python's parser, yet under the manifest's size limit (64 KB).
    (tmp_path / "manifest.json").write_text('{"a":' * 6_000 + "1" + "}" * 6_000)
    (tmp_path / "cases.csv").write_text("pilot\n")
    with pytest.raises(submission.InvalidSubmission) as refused:
        submission.read(tmp_path)
    assert "nested too deeply" in " ".join(p.message for p in refused.value.problems)


def test_a_foreign_revoked_expired_or_personal_token_cannot_submit(nadia, ada, tmp_path):
    data = _zip(tmp_path)
    foreign = _send(_token(nadia, pilot="CY-CYRC"), data)
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "wrong_pilot"
    revoked_secret = _token(nadia)
    revoke_submission_token(SubmissionToken.objects.get(digest=digest(revoked_secret)), by=nadia)
    expired_secret = _token(nadia)
    SubmissionToken.objects.filter(digest=digest(expired_secret)).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    for secret in (revoked_secret, expired_secret, make_token(ada), make_token(nadia), None):
        assert _send(secret, data).status_code == 401
    assert not Submission.objects.exists() and not held_rows()
    refused = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert {"submission_token_revoked", "submission_token_expired"} <= set(
        refused.values_list("detail", flat=True)
    )


def test_it_stops_writing_refused_submission_tokens_to_the_audit_log_after_the_limit(
    nadia, tmp_path, settings
):
    """As for a personal token: each refused submission token wrote a row of the append-only
    audit log, for anyone on the internet, without end. Past the sign-in lockout's number of
    refusals from one address nothing more is written; a valid token still sends."""
    data = _zip(tmp_path)
    for n in range(settings.AXES_FAILURE_LIMIT * 3):
        assert _send(f"engsub_guess-{n}", b"x").status_code == 401
    refused = AuditEvent.objects.filter(detail__startswith="submission_token_")
    assert refused.count() == settings.AXES_FAILURE_LIMIT
    assert _send(_token(nadia), data).status_code == 201


def test_a_submission_token_reads_nothing(nadia, organisation, alice, bob):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    client = ApiClient(_token(nadia))
    for path in ("/api/v1/me/", "/api/v1/cases/", f"/api/v1/cases/{case.pk}/",
                 "/api/v1/organisation/", "/api/v1/schema/"):  # fmt: skip
        assert client.get(path).status_code == 401, path
    assert client.get(UPLOAD).status_code == 405


def test_the_command_refuses_plain_http_to_another_machine(organisation, tmp_path, nadia):
    token_file = tmp_path / "token"
    token_file.write_text(_token(nadia))
    with pytest.raises(CommandError, match="https"):
        call_command("submit_dataset", hub="http://hub.example.org", token_file=token_file,
                     pilot="BG-CLA", stdout=StringIO())  # fmt: skip
    assert not Submission.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_submits_to_a_live_hub(live_server, organisation, alice, bob, nadia, tmp_path):
    for _ in range(6):
        to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    token_file = tmp_path / "token"
    token_file.write_text(_token(nadia) + "\n")
    out = StringIO()
    call_command("submit_dataset", hub=live_server.url, token_file=token_file, pilot="BG-CLA",
                 stdout=out)  # fmt: skip
    assert "Accepted by the hub" in out.getvalue()
    stored = Submission.objects.get()
    assert stored.pilot == "BG-CLA" and stored.rows == len(held_rows())
    sent = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, detail__contains="sent to")
    assert sent.count() == 1 and sent.get().detail.endswith(": 201")
    # The same again with another pilot's token: refused, printed, nothing more stored.
    token_file.write_text(_token(nadia, pilot="CY-CYRC"))
    with pytest.raises(CommandError, match="403"):
        call_command("submit_dataset", hub=live_server.url, token_file=token_file,
                     pilot="BG-CLA", stdout=StringIO())  # fmt: skip
    assert Submission.objects.count() == 1


def test_it_pages_the_tokens_in_a_constant_number_of_queries(as_user, nadia):
    client = as_user(nadia)
    assert "No submission token yet." in client.get("/mel/submission-tokens/").content.decode()

    def add(start, count):
        for n in range(start, start + count):
            create_submission_token(
                pilot=f"BG-{n:03}", name="own instance", by=nadia,
                expires_on=timezone.localdate() + datetime.timedelta(days=30),
            )  # fmt: skip

    add(0, PAGE_SIZE + 2)
    with CaptureQueriesContext(connection) as first:
        response = client.get("/mel/submission-tokens/")
    pilots = [token.pilot for token in response.context["page"].object_list]
    assert pilots == [f"BG-{n:03}" for n in range(PAGE_SIZE)]
    assert "page=2" in response.content.decode()
    second = client.get("/mel/submission-tokens/?page=2").context["page"].object_list
    assert [token.pilot for token in second] == [f"BG-{n:03}" for n in (PAGE_SIZE, PAGE_SIZE + 1)]
    add(PAGE_SIZE + 2, PAGE_SIZE)
    with CaptureQueriesContext(connection) as more:
        client.get("/mel/submission-tokens/")
    assert len(more) == len(first)
