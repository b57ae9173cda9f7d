"""The address of the person making a request, for lockout (django-axes) and the audit log.

One function, so that the lockout and the audit log always agree on who asked. Behind reverse
proxies, `REMOTE_ADDR` is the nearest proxy's address for everyone: locking out "alice at the
proxy" would lock Alice out for the whole world, and every audit entry would name the proxy.
So with `ENGAGE_TRUSTED_PROXY_COUNT` = N proxies in front of Engage, the client is the address
the outermost trusted proxy saw: the N-th entry of `X-Forwarded-For` counted from the right
(each proxy appends the address it received the request from; anything further left was
written by the client and is not believed). With N = 0 (Engage serves the clients directly,
the default) `X-Forwarded-For` is ignored altogether, since anyone can send one.
"""

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_address(request: HttpRequest) -> str | None:
    """Return the client's IP address as the trusted proxies (if any) saw it."""
    direct = request.META.get("REMOTE_ADDR") or None
    proxies = settings.ENGAGE_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return direct
    # django-ipware counts the proxies listed in the header; the nearest proxy is not listed
    # there (it is REMOTE_ADDR), hence N - 1. Not strict: a client may put anything at the
    # left of the header, which is skipped; if the header has fewer hops than the proxies
    # add, the request did not come through them, and its own address is all we know.
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return address or direct
