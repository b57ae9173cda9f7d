import logging
from collections.abc import Mapping
from typing import Any

from gunicorn.config import Config

class Logger:
    error_log: logging.Logger
    access_log: logging.Logger
    def __init__(self, cfg: Config) -> None: ...
    def setup(self, cfg: Config) -> None: ...
    # resp: the response being logged; req: its request, or its headers as (name, value) pairs.
    def atoms(
        self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any
    ) -> dict[str, Any]: ...
