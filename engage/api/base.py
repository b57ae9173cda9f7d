"""What every API view shares: token authentication, roles, the organisation scope, paging,
and ETag / If-Match for records with a `version`."""

import re
import zoneinfo

from django.contrib.auth.decorators import login_not_required
from django.utils import timezone
from rest_framework import pagination
from rest_framework.views import APIView

from engage.api.authentication import PersonalAccessTokenAuthentication
from engage.api.errors import PreconditionFailed, PreconditionRequired
from engage.api.permissions import RoleRequired
from engage.lib.scoping import user_scope


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class EngageAPIView(APIView):
    """A view of the API: token only, roles declared, run in the caller's organisation scope.

    Django's middleware runs before DRF authenticates the token, so `LoginRequiredMiddleware`
    is told to let the request through (`RoleRequired` refuses anonymous callers instead) and
    `OrganisationScopeMiddleware` has set the empty scope of an anonymous visitor: the scope of
    the caller is entered here, right after authentication, and left with the response.
    """

    authentication_classes = [PersonalAccessTokenAuthentication]
    permission_classes = [RoleRequired]
    engage_roles: tuple = ()
    # No OPTIONS self-description: the schema describes the API (and OPTIONS would answer 200
    # for any id, whoever's).
    metadata_class = None
    http_method_names = ["get", "post", "patch", "head"]
    pagination_class = PageNumberPagination  # the lists' (read by the schema too)

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._scope = user_scope(request.user)
        self._scope.__enter__()
        # Today, and the dates checked against it, are the organisation's, as on the web
        # (UserLocaleMiddleware, which deactivates it after the response, ran before the token
        # was read).
        organisation = getattr(request.user, "organisation", None)
        if organisation is not None:
            try:
                timezone.activate(zoneinfo.ZoneInfo(organisation.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()

    def finalize_response(self, request, response, *args, **kwargs):
        try:
            return super().finalize_response(request, response, *args, **kwargs)
        finally:
            scope = getattr(self, "_scope", None)
            if scope is not None:
                self._scope = None
                scope.__exit__(None, None, None)


# Concurrency: the ETag of a versioned record is its version; a write names it in If-Match.

_ETAG = re.compile(r'^\s*(?:W/)?"v(\d{1,9})"\s*$')


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(request, current: int) -> int:
    """Return the version named by If-Match; 428 without one, 412 if it is not `current`."""
    header = request.headers.get("If-Match", "")
    match = _ETAG.match(header)
    if match is None:
        raise PreconditionRequired
    version = int(match.group(1))
    if version != current:
        raise PreconditionFailed
    return version
