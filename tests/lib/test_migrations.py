"""`RenderedOnce`: Django's state changes made at once, the models rendered again once."""

from unittest import mock

import pytest
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from engage.lib.migrations import RenderedOnce

MIGRATION = ("cases", "0017_field_names_in_every_language")


def _before(loader: MigrationLoader) -> ProjectState:
    state = loader.project_state(("cases", "0016_model_names_in_every_language"), at_end=True)
    assert state.apps.get_models()  # rendered, as the executor renders it before a migration
    return state


def _one_by_one(loader: MigrationLoader) -> list[migrations.operations.base.Operation]:
    (batch,) = loader.get_migration(*MIGRATION).operations
    assert isinstance(batch, RenderedOnce)
    return batch.operations


@pytest.mark.django_db
def test_it_gives_the_state_each_operation_would_have_given():
    loader = MigrationLoader(connection)
    alone, together = _before(loader), _before(loader)
    for operation in _one_by_one(loader):
        operation.state_forwards("cases", alone)
    RenderedOnce(_one_by_one(loader)).state_forwards("cases", together)
    assert together.models == alone.models
    rendered = together.apps.get_model("cases", "Action")
    assert rendered._meta.get_field("completed_on").verbose_name == "completed on"
    assert rendered._meta.get_field("goal").remote_field.model is together.apps.get_model(
        "cases", "Goal"
    )
    assert "reload_model" not in vars(together)  # Django's own method again


@pytest.mark.django_db
def test_it_renders_the_models_again_once_where_each_operation_did():
    loader = MigrationLoader(connection)
    operations = _one_by_one(loader)
    for state, apply, renderings in (
        (_before(loader), lambda s: [op.state_forwards("cases", s) for op in operations], None),
        (_before(loader), lambda s: RenderedOnce(operations).state_forwards("cases", s), 1),
    ):
        with mock.patch.object(ProjectState, "_reload", autospec=True) as reload:
            apply(state)
        assert reload.call_count == (renderings or len(operations)), reload.call_count


def test_it_takes_no_operation_that_writes_its_tables_from_the_state_after_them_all():
    with pytest.raises(ValueError):
        RenderedOnce([migrations.AddField("case", "x", models.IntegerField(null=True))])
    field = models.IntegerField(null=True)
    with pytest.raises(ValueError):
        RenderedOnce([migrations.AlterField("case", "x", field)] * 2)


def test_it_is_written_back_as_the_operations_it_holds():
    operations = [migrations.AlterModelOptions("case", {"verbose_name": "case"})]
    name, args, kwargs = RenderedOnce(operations).deconstruct()
    assert (name, args, kwargs) == ("RenderedOnce", [], {"operations": operations})
