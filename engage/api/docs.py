"""The OpenAPI schema and its browsable docs, served from Engage's own static files.

The docs page is a page of the site: a signed-in (and verified) session opens it, through the
usual middleware; its scripts are files of ours (drf-spectacular-sidecar's Swagger UI and the
init script served apart), so the strict Content-Security-Policy stays as it is.
"""

from django.contrib.auth.decorators import login_not_required, login_required
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication

from engage.accounts.permissions import ANY_STAFF
from engage.api.authentication import PersonalAccessTokenAuthentication
from engage.api.permissions import RoleRequired


class CallersSchemaGenerator(SchemaGenerator):
    """The schema with the caller's organisation's own fields under each `custom`."""

    def get_schema(self, request=None, public=False):
        from engage.api.custom import describe_custom_fields

        schema = super().get_schema(request=request, public=public)
        return describe_custom_fields(schema, self, request, public)


class SchemaView(SpectacularAPIView):
    """The schema, for a token (tools) or a signed-in session (the docs page)."""

    generator_class = CallersSchemaGenerator
    authentication_classes = [PersonalAccessTokenAuthentication, SessionAuthentication]
    permission_classes = [RoleRequired]
    engage_roles = ANY_STAFF

    @classmethod
    def as_view(cls, **initkwargs):
        # A token is read by DRF, after the middleware: the login middleware lets the request
        # through and RoleRequired refuses anonymous callers (401).
        return login_not_required(super().as_view(**initkwargs))


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI, for a signed-in session only (anonymous visitors are sent to sign in)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [RoleRequired]
    engage_roles = ANY_STAFF
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
    title = "Engage API"

    @classmethod
    def as_view(cls, **initkwargs):
        # DRF marks its views as exempt from LoginRequiredMiddleware; this page is not.
        return login_required(super().as_view(**initkwargs))
