"""The API's one parser: DRF's JSON parser, with the malformed bodies, and those holding more
values than a web form may, refused as such."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, refusing with 400, as any malformed body:

    - JSON nested deeper than Python's parser goes: DRF catches `ValueError` only, so a body of
      100,000 brackets was a server error with a traceback in the log (docs/security.md, item
      49);
    - a body holding more values (an object's members and a list's items, at any depth) than
      Django lets a web form send fields (`DATA_UPLOAD_MAX_NUMBER_FIELDS`): Django counts a
      form's fields as it reads them, but JSON is DRF's to read. A body of 1.5 MB listing one
      invalid choice 300,000 times held a server process for 11 seconds and answered with
      25 MB of errors, one per item. (The size of the body is Django's limit, as for a form:
      `errors.exception_handler` answers it.)
    """

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The body is JSON nested too deeply to read.")) from None
        _check_value_count(data)
        return data


def _check_value_count(data: Any) -> None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is None:
        return
    count = 0
    pending = [data]
    while pending:
        item = pending.pop()
        values: Iterable[Any]
        if isinstance(item, dict):
            count += len(item)
            values = item.values()
        elif isinstance(item, list):
            count += len(item)
            values = item
        else:
            continue
        if count > limit:
            raise exceptions.ParseError(
                _("The body holds too many values to read: at most %(count)d.") % {"count": limit}
            )
        pending.extend(values)
