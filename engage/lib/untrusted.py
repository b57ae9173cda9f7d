"""JSON from outside: a phone's outbox item, an uploaded configuration, a pilot's submission.

`json.loads` raises `RecursionError` for JSON nested deeper than Python's parser goes (a body of
100,000 brackets), not the `ValueError` of any other malformed JSON: each caller that caught
`ValueError` answered such a body with a server error and a traceback (docs/security.md, items
49 and 58). Written here because no library does it for us: Django and DRF's own parsers let it
through too (the API's is `engage.api.parsers.JSONParser`).
"""

import json
from typing import Any


def untrusted_json(text: str | bytes) -> Any:
    """`json.loads(text)`, with JSON nested too deeply refused as malformed (`ValueError`)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
