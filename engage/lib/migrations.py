"""Migration operations of Engage's own: Django's, with the project state rendered once for many.

Django renders the models of its migration state again after each operation that changes one:
an `AlterField` re-renders the model and, for a foreign key, every model related to it,
recursively (most of Engage's); and `Migration.apply`/`unapply` copy the whole rendered state
before each operation. The migrations that gave every field and model a translatable name
(`*_names_in_every_language`: 129 `AlterField`s and 57 `AlterModelOptions`, nothing in the
database) took about 40% of a migration from scratch, and most of the tests that migrate back
and forth (docs/testing.md). No library batches them, hence this.
"""

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations import AlterField, AlterModelOptions
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

# What may be applied as one: operations that change the state of a model already there and,
# in the database, only what its final state says. A `CreateModel` or an `AddField` may not:
# each would be written from the state after all of them (a table made with the columns of a
# later operation).
AT_ONCE = (AlterField, AlterModelOptions)


class RenderedOnce(Operation):
    """`AlterField`s and `AlterModelOptions` applied as one: each changes the state as Django's
    does, and the models they touch (with every model related to them) are rendered again once,
    after all of them; each then alters the database as Django's does, from the state before
    them all to the state after."""

    reversible = True

    def __init__(self, operations: Sequence[Operation]) -> None:
        fields = [
            (op.model_name_lower, op.name_lower) for op in operations if isinstance(op, AlterField)
        ]
        if not all(isinstance(op, AT_ONCE) for op in operations) or len(set(fields)) != len(fields):
            raise ValueError("Only AlterField and AlterModelOptions, each field once, go together.")
        self.operations = list(operations)
        super().__init__()

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"operations": self.operations})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        asked: list[tuple[tuple[str, str], bool]] = []

        def reload_later(app_label: str, model_name: str, delay: bool = False) -> None:
            asked.append(((app_label, model_name), delay))

        # Django's own state changes, each asking to reload its model; the reloads are gathered
        # (an attribute of the instance, shadowing the method for this loop only) and made once.
        state.reload_model = reload_later  # type: ignore[method-assign]
        try:
            for operation in self.operations:
                operation.state_forwards(app_label, state)
        finally:
            del state.reload_model
        # Related models recursively if any operation asked for it: never less than each would
        # have reloaded on its own.
        state.reload_models(
            list(dict.fromkeys(m for m, _ in asked)), delay=all(d for _, d in asked)
        )

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for operation in self.operations:
            operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for operation in reversed(self.operations):
            operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return "; ".join(operation.describe() for operation in self.operations)

    @property
    def migration_name_fragment(self) -> str:
        return "rendered_once"
