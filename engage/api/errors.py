"""Every error as JSON with one clear message: `{"error": {"code", "message", "fields"}}`."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from engage.lib.concurrency import ConcurrentEditError


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"

    def __init__(self):
        super().__init__(
            _(
                "Send the ETag of the record you read as If-Match, so that a change made by "
                "someone else in between is not overwritten."
            )
        )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self):
        super().__init__(str(ConcurrentEditError.message))


class PossibleDuplicate(exceptions.APIException):
    """409: the client may already be known to the organisation (engage.cases.duplicates)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "possible_duplicate"

    def __init__(self, message: str, *, confirmation: str, cases: list[str]):
        super().__init__(message)
        self.confirmation = confirmation
        self.cases = cases


def _django_validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(name): [str(m) for m in (value if isinstance(value, list) else [value])]
            for name, value in detail.items()
        }
    return {
        "non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]
    }


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = _django_validation_error(exc)
    elif isinstance(exc, ConcurrentEditError):
        exc = PreconditionFailed()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        # Django's limit of a form's size, met as DRF reads the body: answered as every error
        # of the API, not with the site's HTML page.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(
            _("The body is too large to read: at most %(bytes)d bytes.") % {"bytes": limit}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.get("non_field_errors")
        message = general[0] if general else _("Some fields are not valid: see `fields`.")
        body = {"code": "invalid", "message": message, "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = {
            "code": exc.get_codes() if isinstance(exc, exceptions.APIException) else "error",
            "message": str(detail),
            "fields": {},
        }
        if not isinstance(body["code"], str):
            body["code"] = "error"
        if isinstance(exc, PossibleDuplicate):
            body.update(confirmation=exc.confirmation, cases=exc.cases)
    return Response({"error": body}, status=response.status_code, headers=dict(response.items()))
