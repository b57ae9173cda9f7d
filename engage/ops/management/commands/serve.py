import os
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from gunicorn.app.base import BaseApplication

DEBUG_REFUSED = (
    "engage serve is the production server, and DEBUG is not set, so Engage would run in "
    "debug mode: error pages showing code and settings, a public secret key, development "
    "encryption keys. Set DEBUG=false (with the variables the README lists) to serve. To "
    "serve a development instance anyway, set DEBUG=true explicitly."
)
DEBUG_WARNING = (
    "WARNING: serving with DEBUG=true. Error pages show code and settings, and the secret and "
    "encryption keys may be development ones. Never do this with real people's data."
)


def gunicorn_options(bind: str, workers: int) -> dict[str, Any]:
    """The options `engage serve` gives gunicorn."""
    return {
        "bind": bind,
        "workers": workers,
        "accesslog": "-",
        # Request lines and referrers without their query strings (engage/ops/logs.py).
        "logger_class": "engage.ops.logs.AccessLogger",
    }


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIHandler:
        # Imported here: WhiteNoise indexes the static files when the app is built, which must
        # happen after collectstatic.
        from engage.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Engage in production with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("ENGAGE_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3))
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations first."
        )

    def handle(self, *args: Any, bind: str, workers: int, no_migrate: bool, **options: Any) -> None:
        # The settings default to debug for a plain clone (runserver, the demo); a server
        # started by this command may face the world, so it must be asked for by name.
        if settings.DEBUG:
            if os.environ.get("DEBUG") is None:
                raise CommandError(DEBUG_REFUSED)
            banner = "!" * 78
            self.stderr.write("\n".join((banner, DEBUG_WARNING, banner)))
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=1)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Serving Engage on http://{bind} with {workers} workers")
        _Gunicorn(gunicorn_options(bind, workers)).run()
