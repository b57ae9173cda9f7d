"""Access logs without query strings (R25; issue 10 #7).

Searches put what was typed in the URL's query string (`/cases/?q=<a client's name>`), and the
browser sends the page's URL back as the `Referer` of the next request. Both servers log
request lines: runserver through the `django.server` logger, gunicorn (`engage serve`) in its
access log, which also logs the referrer, and in its error log when a request fails. So
every query string is cut from what they log, whatever the route: the path is enough to tell
what was asked for, and paths hold only random ids.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

# A "?" and everything after it up to the end of the URL (a blank or a quote).
_QUERY = re.compile(r"\?[^\s\"']*")


def without_query(text: str) -> str:
    """Return `text` with the query string of every URL in it cut off."""
    return _QUERY.sub("", text)


class DropQueryStrings(logging.Filter):
    """Cut query strings from a log record's message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(arg) for arg in record.args)
        elif isinstance(record.args, dict):  # gunicorn's access log: one dict of atoms
            record.args = {name: _clean(arg) for name, arg in record.args.items()}
        return True


def _clean(value: object) -> object:
    return without_query(value) if isinstance(value, str) else value


class AccessLogger(GunicornLogger):
    """gunicorn's logger, with no query string in the access log or the error log."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(DropQueryStrings())

    def atoms(
        self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any
    ) -> dict[str, Any]:
        environ = dict(environ)
        environ["QUERY_STRING"] = ""
        for name in ("RAW_URI", "REQUEST_URI", "HTTP_REFERER"):
            if isinstance(environ.get(name), str):
                environ[name] = without_query(environ[name])
        headers = getattr(req, "headers", req)
        if hasattr(headers, "items"):
            headers = headers.items()
        headers = [(name, without_query(value)) for name, value in headers]
        return super().atoms(resp, headers, environ, request_time)
