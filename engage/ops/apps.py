from pathlib import Path

from django.apps import AppConfig, apps
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from engage.lib.private_files import tighten_file


def _private_sqlite_file(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Give the embedded database file mode 0600 as soon as SQLite has opened (or made) it; its
    -wal and -shm files take the database's mode (issue 10 #19)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return
    # SQLite has made the file by now; opening and closing it here would drop SQLite's locks.
    tighten_file(Path(name))


class OpsConfig(AppConfig):
    name = "engage.ops"
    label = "ops"

    def ready(self) -> None:
        from engage.lib import choices
        from engage.ops import statistics

        # Engage's models' get_FOO_display translates one label, not all (engage/lib/choices.py).
        choices.install(
            model for model in apps.get_models() if model.__module__.startswith("engage.")
        )

        connection_created.connect(_private_sqlite_file, dispatch_uid="engage-private-sqlite")
        connection_created.connect(statistics.optimize_on_open, dispatch_uid="engage-optimize")
        # Once per migrate: post_migrate is sent for each app with models once every migration
        # has run; contenttypes is always one of them.
        post_migrate.connect(
            statistics.analyse_after_migrate,
            sender=apps.get_app_config("contenttypes"),
            dispatch_uid="engage-analyse",
        )
