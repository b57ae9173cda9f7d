"""The hub's upload of a pilot's network submission: `POST /api/v1/submissions/`, sent by the
pilot's own instance (`engage submit_dataset --hub`) with a submission token.

The upload is checked exactly as the coordinator's zip upload is (`mel.forms.ImportForm`: size,
a real .zip, unzipped size; then `mel.services.import_submission`: every rule of the dataset
spec, refused whole with the report) and stored the same way. The token is a submission
token, never a personal access token: this endpoint reads nothing and answers only about the
submission sent.
"""

import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import get_authorization_header
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from engage.api import submission_tokens
from engage.api.tokens import TokenRefused
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.mel import services
from engage.mel.dataset import submission
from engage.mel.forms import ImportForm


def _error(code: str, message: str, http_status: int, **more) -> Response:
    return Response({"error": {"code": code, "message": message, **more}}, status=http_status)


# Not in the OpenAPI schema, which describes what a member of staff's token may call: this
# address takes a submission token only (docs/api.md, "Submission tokens").
@extend_schema(exclude=True)
class SubmissionUploadView(APIView):
    """Take a pilot's submission (.zip, multipart field `submission`) with its token."""

    # Not a user's call: no personal access token, no session, no role; the submission token
    # is read below and names the one pilot it may send.
    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [MultiPartParser]
    metadata_class = None
    # Every method is answered 401 without a valid token (as every API address is), then 405
    # for anything but POST.
    http_method_names = ["get", "post", "patch"]

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))

    def get_authenticate_header(self, request) -> str:
        return 'Bearer realm="submissions"'

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        header = get_authorization_header(request).decode(errors="replace")
        if not header:
            raise exceptions.NotAuthenticated
        keyword, _space, token = header.partition(" ")
        try:
            if keyword.lower() != "bearer" or not token.strip():
                raise TokenRefused("malformed")
            self.made = submission_tokens.token_for(token.strip(), request=request)
        except TokenRefused:
            raise exceptions.AuthenticationFailed(
                _("This submission token is not valid: it may have expired or been revoked.")
            ) from None

    def post(self, request, *args, **kwargs):
        made = self.made
        form = ImportForm({}, request.FILES)
        if not form.is_valid():
            fields = {name: [str(m) for m in errors] for name, errors in form.errors.items()}
            return _error("invalid", _("The upload is not a submission."),
                          status.HTTP_400_BAD_REQUEST, fields=fields)  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="engage-upload-") as folder:
            path = Path(folder) / "submission.zip"
            with open(path, "wb") as file:
                for chunk in form.cleaned_data["submission"].chunks():
                    file.write(chunk)
            try:
                data = submission.read(path)
                if data.pilot != made.pilot:
                    record(None, AuditEvent.Action.LOGIN_FAILED, made, request=request,
                           detail=f"submission_token for {made.pilot} sent {data.pilot}")  # fmt: skip
                    return _error(
                        "wrong_pilot",
                        _("This token sends %(pilot)s's submissions only; nothing was stored.")
                        % {"pilot": made.pilot},
                        status.HTTP_403_FORBIDDEN,
                    )
                with transaction.atomic():
                    submission_tokens.hold(made)
                    counts = services.import_submission(path, request=request)
                    record(None, AuditEvent.Action.CREATE, made, request=request,
                           detail=f"network dataset {data.pilot} {data.period_end} sent with "
                           f"submission token {made.prefix}")  # fmt: skip
            except TokenRefused as refused:
                # Revoked or expired while the upload was read: nothing was stored.
                submission_tokens.refused(made, f"{refused.reason}_during_upload",
                                          request=request)  # fmt: skip
                raise exceptions.AuthenticationFailed(
                    _("This submission token is not valid: it may have expired or been revoked.")
                ) from None
            except submission.InvalidSubmission as refused:
                return _error(
                    "invalid_submission",
                    _("The submission was refused; nothing was stored."),
                    status.HTTP_400_BAD_REQUEST,
                    problems=[
                        {"row": p.row, "column": p.column, "message": p.message}
                        for p in refused.problems[: submission.MAX_REPORTED]
                    ],
                    problem_count=len(refused.problems),
                )
        return Response(
            {"pilot": data.pilot, "period_end": data.period_end, "rows": len(data.rows),
             "imported": counts},
            status=status.HTTP_201_CREATED,
        )  # fmt: skip
