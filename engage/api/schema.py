"""The OpenAPI description: the token scheme, each view's request and response bodies, and the
error answers every operation can give, so that the schema says everything the API answers
(schemathesis checks the answers against it)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.serializers import ListSerializer

from engage.api.serializers import ErrorSerializer


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "engage.api.authentication.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token, made on your account's API tokens page.",
        }


class EngageAutoSchema(AutoSchema):
    """Read the bodies from the view's `api_schema` {method: (request, response)}."""

    def _spec(self):
        return getattr(self.view, "api_schema", {}).get(self.method)

    def get_request_serializer(self):
        spec = self._spec()
        return spec[0] if spec else super().get_request_serializer()

    def get_response_serializers(self):
        spec = self._spec()
        if spec is None:
            return super().get_response_serializers()
        created = self.method == "POST" and getattr(self.view, "creates", True) and spec[0]
        responses = {201 if created else 200: spec[1]}
        responses[401] = ErrorSerializer
        responses[404] = ErrorSerializer
        if self.method != "GET" or getattr(self.view, "query_serializer", None):
            responses[400] = ErrorSerializer
        if self.method in getattr(self.view, "versioned", ()):
            responses[412] = ErrorSerializer
            responses[428] = ErrorSerializer
        responses.update(getattr(self.view, "api_errors", {}).get(self.method, {}))
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        spec = self._spec()
        if self.method == "GET" and spec and isinstance(spec[1], ListSerializer):
            parameters += [
                OpenApiParameter("page", int, description="The page, from 1."),
                OpenApiParameter("page_size", int, description="Results per page, 100 at most."),
            ]
            if query := getattr(self.view, "query_serializer", None):
                parameters.append(query)
        if self.method in getattr(self.view, "versioned", ()):
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    location=OpenApiParameter.HEADER,
                    required=True,
                    description="The ETag of the record as you read it.",
                )
            )
        return parameters


def forbid_unknown_fields(result, generator, request, public):
    """Say in the schema what the API does: a request body with another field is refused."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
