"""The API's one parser: DRF's JSON parser, with one more malformed body refused as such."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, refusing JSON nested deeper than Python's parser goes with 400, as any malformed
    body: DRF catches `ValueError` only, so a body of 100,000 brackets was a server error with
    a traceback in the log (docs/security.md, item 49)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The body is JSON nested too deeply to read.")) from None
