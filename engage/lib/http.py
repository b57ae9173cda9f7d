"""The request as Engage's middleware leaves it, for type annotations (django-stubs' advice).

Django's `HttpRequest` knows nothing of what middleware adds: `RequestIdMiddleware` gives every
request its `request_id`, django-htmx's middleware its `htmx`. A view that reads them takes an
`EngageHttpRequest`; one behind login takes `accounts.http.AuthenticatedHttpRequest`, whose
`user` is a signed-in `User` (this layer cannot name the user model).
Nothing here exists at run time beyond the class: Django builds its own `HttpRequest` (WSGI).
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class EngageHttpRequest(HttpRequest):
    request_id: str
    htmx: HtmxDetails
