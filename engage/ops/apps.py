from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from engage.lib.private_files import tighten_file


def _private_sqlite_file(sender, connection, **kwargs) -> None:
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
        connection_created.connect(_private_sqlite_file, dispatch_uid="engage-private-sqlite")
