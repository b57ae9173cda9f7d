"""Index operations built or dropped CONCURRENTLY on PostgreSQL, so writing the table does not
wait for them on a large database, and as usual on SQLite, which has no such thing. A migration
using them is `atomic = False` (PostgreSQL refuses CONCURRENTLY inside a transaction). The
migration loader skips this module: its name starts with an underscore."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


class _ConcurrentlyOnPostgreSQL:
    """The operation that follows this one in the class's bases on PostgreSQL; `plain` on any
    other database."""

    plain: Any

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrentlyOnPostgreSQL(_ConcurrentlyOnPostgreSQL, AddIndexConcurrently):
    plain = AddIndex


class RemoveIndexConcurrentlyOnPostgreSQL(_ConcurrentlyOnPostgreSQL, RemoveIndexConcurrently):
    plain = RemoveIndex
