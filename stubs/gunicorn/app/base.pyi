from typing import Any

from gunicorn.config import Config

class BaseApplication:
    usage: str | None
    prog: str | None
    # None until `load_default_config` runs (in __init__): set whenever a subclass reads it.
    cfg: Config
    def __init__(self, usage: str | None = None, prog: str | None = None) -> None: ...
    def load_config(self) -> None: ...
    def load(self) -> Any: ...  # the WSGI application
    def run(self) -> None: ...
