"""A submission sent with a token revoked or expired while the hub read its upload
(adversarial review of the evidence layer, December 2026)."""

import datetime

import pytest
from django.utils import timezone

from engage.api.models import SubmissionToken
from engage.api.submission_tokens import revoke_submission_token
from engage.audit.models import AuditEvent
from engage.mel.dataset import submission
from engage.mel.models import Submission
from tests.mel.rows import held_rows
from tests.mel.test_hub_uploads import _send, _token, _zip_of

pytestmark = pytest.mark.django_db


def test_it_stores_nothing_sent_with_a_token_revoked_while_its_upload_was_read(
    nadia, tmp_path, monkeypatch
):
    """The token was checked when the request came in, then the upload was read and checked
    (seconds for a large submission, minutes for a slow sender), then stored: a coordinator
    who revoked the token meanwhile (a pilot's instance taken over) still got the submission
    kept, replacing the pilot's own for that period end. The revocation is played at the
    moment the hub reads the file, as the coordinator's click would land."""
    secret = _token(nadia)
    made = SubmissionToken.objects.get()
    reading = submission.read

    def read_while_revoked(path):
        revoke_submission_token(made, by=nadia)
        return reading(path)

    monkeypatch.setattr(submission, "read", read_while_revoked)
    answer = _send(secret, _zip_of(tmp_path))
    assert answer.status_code == 401, answer.content
    assert not Submission.objects.exists() and not held_rows()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED, detail="submission_token_revoked_during_upload"
    ).exists()
    assert not AuditEvent.objects.filter(detail__startswith="network dataset").exists()


def test_it_stores_nothing_sent_with_a_token_that_expired_while_its_upload_was_read(
    nadia, tmp_path, monkeypatch
):
    secret = _token(nadia)
    reading = submission.read

    def read_after_expiry(path):
        SubmissionToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
        return reading(path)

    monkeypatch.setattr(submission, "read", read_after_expiry)
    answer = _send(secret, _zip_of(tmp_path))
    assert answer.status_code == 401, answer.content
    assert not Submission.objects.exists()


def test_a_token_still_valid_at_the_end_stores_the_submission(nadia, tmp_path):
    answer = _send(_token(nadia), _zip_of(tmp_path))
    assert answer.status_code == 201, answer.content
    assert Submission.objects.get().pilot == "BG-CLA" and len(held_rows()) == 6
