"""SQLite gets the query planner's statistics (issue 17): each connection runs `PRAGMA optimize`
as it opens, and migrate and a daily task analyse the database."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from engage.accounts.models import Role, User
from engage.cases.factories import CaseFactory
from engage.lib.tasks import periodic_tasks
from engage.ops import statistics

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statistics")


@sqlite_only
def test_it_runs_the_optimize_pragma_on_every_sqlite_connection_it_opens(
    tmp_path, django_db_blocker
):
    opened = DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "engage.sqlite3")}, alias="opened"
    )
    opened.force_debug_cursor = True
    with django_db_blocker.unblock():
        try:
            opened.ensure_connection()
            ran = [query["sql"] for query in opened.queries]
        finally:
            opened.close()

    assert f"PRAGMA analysis_limit={statistics.ANALYSIS_LIMIT}" in ran
    assert "PRAGMA optimize=0x10002" in ran


@sqlite_only
@pytest.mark.django_db
def test_it_gathers_the_planners_statistics_of_the_cases(organisation, alice):
    CaseFactory.create_batch(3, organisation=organisation, case_manager=alice)

    assert statistics.analyse() is True

    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = 'cases_case'")
        rows = cursor.fetchall()
    # Rows counted per index, the case manager's among them: what the caseload's plan needs.
    assert any(idx == "cases_case_case_manager_id_e1ef565e" for _tbl, idx, _stat in rows)
    assert all(stat.startswith("3 ") for _tbl, _idx, stat in rows if _idx)


def test_the_daily_statistics_task_is_one_of_the_periodic_tasks():
    assert "statistics" in periodic_tasks()


@sqlite_only
@pytest.mark.django_db
def test_it_counts_the_rows_of_each_key_whole_not_from_a_sample(organisation):
    """More people in one organisation than a sample of `ANALYSIS_LIMIT` rows holds: the
    statistics say how many there are, which a sample cannot (it said 401 cases an organisation
    where there were 14,358)."""
    many = statistics.ANALYSIS_LIMIT + 100
    User.objects.bulk_create(
        User(username=f"person{n}", organisation=organisation, role=Role.CASE_MANAGER)
        for n in range(many)
    )

    statistics.analyse()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'accounts_user_organisation_id_492f00a6'"
        )
        (stat,) = cursor.fetchone()
    assert stat == f"{many} {many}"  # rows in the index, rows per organisation
