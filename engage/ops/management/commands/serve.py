import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Imported here: WhiteNoise indexes the static files when the app is built, which must
        # happen after collectstatic.
        from engage.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Engage in production with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("ENGAGE_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3))
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations first."
        )

    def handle(self, *args, bind: str, workers: int, no_migrate: bool, **options):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=1)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Serving Engage on http://{bind} with {workers} workers")
        _Gunicorn({"bind": bind, "workers": workers, "accesslog": "-"}).run()
