"""`flush` empties every table on SQLite whatever the order Django gives them, although emptying
a record's table writes its case's derived row again (engage/history/management/commands/flush.py)."""

import pytest
from django.core.management import call_command
from django.db import connection

from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.cases.models import Case, Contact
from engage.mel.dataset.case_rows import CaseRow, OrganisationRows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="PostgreSQL truncates with its triggers off"
    ),
]

# The order that left a row behind: the derived tables first, then a record, its case later.
FIRST = [CaseRow._meta.db_table, OrganisationRows._meta.db_table, Contact._meta.db_table]


def test_it_empties_the_derived_rows_a_record_emptied_after_them_writes_again(
    organisation, alice, bob, monkeypatch
):
    case, _plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    services.log_contact(case, by=alice, data={"date": days_ago(1), "type": "phone"})
    assert CaseRow.objects.filter(case_id=case.pk).exists()
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    assert set(FIRST) <= set(tables)
    order = FIRST + [table for table in tables if table not in FIRST]
    monkeypatch.setattr(
        connection.introspection, "django_table_names", lambda *args, **kwargs: list(order)
    )

    call_command("flush", interactive=False, verbosity=0)

    assert not Case.objects.exists() and not Contact.objects.exists()
    assert not CaseRow.objects.exists() and not OrganisationRows.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        assert cursor.fetchall() == []
