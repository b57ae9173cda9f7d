"""How an API call says who makes it: `Authorization: Bearer <personal access token>`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from engage.api.tokens import TokenRefused, user_for_token

KEYWORD = "Bearer"


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate with a personal access token; never with the session cookie.

    The web session is not accepted by the data endpoints, so a page of another site can never
    make a signed-in browser call them (no CSRF surface), and the API's callers are exactly the
    tokens their owners made.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _space, token = header.partition(" ")
        if keyword.lower() != KEYWORD.lower() or not token.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the token as 'Authorization: Bearer <token>'.")
            )
        try:
            return user_for_token(token.strip(), request=request)
        except TokenRefused:
            # One message whatever the reason, so a stolen token's state is not told.
            raise exceptions.AuthenticationFailed(
                _("This token is not valid: it may have expired or been revoked.")
            ) from None

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'
