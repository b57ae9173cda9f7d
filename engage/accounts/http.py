"""The request of a signed-in user, for type annotations (django-stubs' advice).

`LoginRequiredMiddleware` lets no one through to a view not marked `@login_not_required`
without signing in, so such a view takes an `AuthenticatedHttpRequest`: its `user` is a `User`,
never `AnonymousUser`. Nothing is checked at run time: Django builds the request as always.
"""

from uuid import UUID

from django.http import Http404

from engage.accounts.models import Organisation, User
from engage.lib.http import EngageHttpRequest


class AuthenticatedHttpRequest(EngageHttpRequest):
    user: User
    # Set by the step-up prompt's password check (`forms.ConfirmPasswordForm`) so that
    # `signals` tells its failures apart from the sign-in page's (read with getattr).
    engage_step_up: bool


def organisation_of(user: User) -> Organisation:
    """The organisation of someone in an organisation role (the database requires one).

    Only the network coordinator has none, and no view for an organisation role lets them in;
    were one to, the page would not exist for them (404).
    """
    if user.organisation is None:
        raise Http404
    return user.organisation


def organisation_id_of(user: User) -> UUID:
    """The id of the organisation of someone in an organisation role, as `organisation_of`,
    without loading the organisation."""
    if user.organisation_id is None:
        raise Http404
    return user.organisation_id
