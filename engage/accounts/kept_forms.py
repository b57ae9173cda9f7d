"""A form sent just after the session ended is kept, to be sent again by the same person.

When the idle or absolute limit ends a session (`SessionTimeoutMiddleware`), the browser gets
a fresh, anonymous session that remembers whose session ended (`SIGNED_OUT`). A form then
posted from that browser, without a session, is kept in that session (`KEPT`): its fields
encrypted with the field keys (`lib.crypto`), the path it was sent to, and when. Once the
person has signed in again, both steps, `kept_form_for` gives it back only to the same user,
for `ENGAGE_KEPT_FORM_MINUTES`; the page that shows it posts it to the same path with a fresh
CSRF token when the person presses the button. Nothing is ever replayed on its own.

Why the session and not the page: the second step may be a security key, whose script leaves
the page by a GET, so hidden inputs cannot ride through it; and `next`, which every step
passes on, then only names a page of ours, never the data. See docs/security.md ("Work kept
across a sign-out").
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import User
from engage.lib import crypto

SIGNED_OUT = "engage_signed_out"  # {"user": id, "at": time}: whose session ended here
REPLAYED = "engage_kept_form_replayed"  # set on the request that sends a kept form again
KEPT = "engage_kept_form"  # {"user", "path", "at", "fields" (encrypted), "files"}

# Fields never kept: the old CSRF token (the page that sends it again has its own), and the
# password typed at the step-up prompt that carried the form (`step_up.PREFIX`): kept, it was
# shown in clear under "What you wrote", written into the page that sends the form again, and
# sent with it passed the prompt with nobody typing it (docs/security.md).
NOT_KEPT = frozenset({"csrfmiddlewaretoken", "step_up-password"})
# A form's text is a few kilobytes; refuse to keep a payload that is not a form someone typed.
MAX_BYTES = 256 * 1024

NOT_YOURS = _(
    "A form sent from this browser before you signed in belonged to someone else's session: "
    "it was deleted, not sent."
)


def minutes() -> int:
    return settings.ENGAGE_KEPT_FORM_MINUTES


@dataclass(frozen=True)
class KeptForm:
    path: str
    fields: list[tuple[str, str]]
    files: bool  # a file was chosen: it could not be kept


def remember_signed_out(request: HttpRequest, user: User) -> None:
    """Note, in the anonymous session that follows a timed-out one, whose session it was."""
    request.session[SIGNED_OUT] = {"user": str(user.pk), "at": time.time()}


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def keeps_typed_work(view: ViewFunc) -> ViewFunc:
    """Mark a view whose form records what someone wrote (a contact's note, an assessment, a
    plan's goal): a form sent to it just after the session ended is kept, to be sent again.
    The outermost decorator of the view.

    Only these. The page that offers a kept form shows what was written, not what a choice
    decides, so a form that decides (a reassignment, an approval, a consent, a role) sent
    from a browser whose session had ended, by whoever sat at it, read as the person's own
    "Send it now?" and was sent by their click (docs/security.md, item 54)."""
    view.engage_keeps_typed_work = True  # type: ignore[attr-defined]
    return view


def keep(request: HttpRequest, view: Callable[..., Any] | None = None) -> bool:
    """Keep the form of this anonymous POST to `view` for the user whose session ended;
    return whether it was kept.

    Only a browser whose session this server ended can have a form kept: its session cookie
    (SameSite=Lax, never sent with a cross-site POST) carries `SIGNED_OUT`. Only a form that
    records typed work (`keeps_typed_work`), and never one to a view that asks for the
    password again (`recent_authentication_required`: roles, erasure, keys, exports): anyone
    at that browser after the session ended could have written it, and the person's sign-in
    would have sent it as a confirmed change.
    """
    signed_out = request.session.get(SIGNED_OUT)
    if not signed_out or request.path == reverse("accounts:kept_form"):
        return False
    if getattr(view, "engage_step_up", False):
        return False
    if not getattr(view, "engage_keeps_typed_work", False):
        return False
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_KEPT
        for value in values
    ]
    payload = json.dumps(fields)
    if len(payload.encode()) > MAX_BYTES:
        return False
    request.session[KEPT] = {
        "user": signed_out["user"],
        "path": request.get_full_path(),
        "at": time.time(),
        "fields": crypto.encrypt(payload),
        "files": bool(request.FILES),
    }
    return True


class NotYours(Exception):
    """The kept form belonged to the session of someone else: it was deleted."""


class TooOld(Exception):
    """The kept form waited longer than ENGAGE_KEPT_FORM_MINUTES: it was deleted."""


def kept_form_for(request: HttpRequest) -> KeptForm | None:
    """Return the form kept for the signed-in user, or None when there is none.

    A kept form of another user's session, or one kept too long, is deleted and reported by
    raising `NotYours` or `TooOld`.
    """
    kept = request.session.get(KEPT)
    if not kept:
        return None
    if kept["user"] != str(request.user.pk):
        discard(request)
        raise NotYours
    if time.time() - kept["at"] > minutes() * 60:
        discard(request)
        raise TooOld
    try:
        fields = json.loads(crypto.decrypt(kept["fields"]))
    except crypto.DecryptionError:  # the keys changed meanwhile
        discard(request)
        raise TooOld from None
    return KeptForm(path=kept["path"], fields=[tuple(f) for f in fields], files=kept["files"])


def discard(request: HttpRequest) -> None:
    request.session.pop(KEPT, None)


def settle(request: HttpRequest) -> bool:
    """For a signed-in request: forget whose session ended, and forget the kept form once it
    is sent again (a POST to its path) or when it is someone else's. Return True in the last
    case, so the person can be told."""
    session = request.session
    if SIGNED_OUT in session:
        del session[SIGNED_OUT]
    kept = session.get(KEPT)
    if not kept:
        return False
    if kept["user"] != str(request.user.pk):
        if request.path == reverse("accounts:kept_form"):
            return False  # the page says so itself
        discard(request)
        return True
    if request.method == "POST" and request.get_full_path() == kept["path"]:
        discard(request)
        # Its sign-in does not vouch for it (`permissions.recently_authenticated`): a change
        # that needs the password asks for it again, on a page that says what is sent.
        setattr(request, REPLAYED, True)
    return False
