"""The case list in pages (issue 17). In its own order, newest referral first, it counts the
cases and reads only the page's, with their due facts: a supervisor's or an admin's list is
hundreds to thousands of cases. Sorted, or filtered by what is due, it reads every case listed,
as the order needs them. Either way each page shows its share of the same list."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.cases.factories import CaseFactory, days_ago
from engage.cases.views import PAGE_SIZE

pytestmark = pytest.mark.django_db

MORE = 7  # on the second page


@pytest.fixture
def made(organisation, alice):
    # Two cases a day, so the reference breaks the ties of the order.
    return [
        CaseFactory(organisation=organisation, case_manager=alice, referral_date=days_ago(n // 2))
        for n in range(PAGE_SIZE + MORE)
    ]


def _listed(client, url: str) -> tuple[list[list[str]], list[str]]:
    """The references of the rows of each page; the queries of the first page."""
    shown: list[list[str]] = []
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url)
    sql = [query["sql"] for query in queries]  # before the next request empties the log
    for number in (1, 2):
        response = first if number == 1 else client.get(f"{url}&page=2")
        assert response.status_code == 200
        shown.append([row.case.reference for row in response.context["page"].object_list])
        assert f"{PAGE_SIZE + MORE} cases" in response.content.decode()
        # The order is said where it is not the column's the reader chose.
        said = "The newest referral first." in response.content.decode()
        assert said == ("sort=" not in url)
    return shown, sql


def _rows_read(queries: list[str]) -> list[str]:
    """The queries that read whole cases (not only their ids)."""
    return [sql for sql in queries if sql.lstrip().startswith('SELECT "cases_case"."id", ')]


def test_its_own_order_reads_the_page_only_and_pages_through_every_case(as_user, alice, made):
    newest_first = sorted(made, key=lambda case: case.reference)
    newest_first.sort(key=lambda case: case.referral_date, reverse=True)
    (first, second), queries = _listed(as_user(alice), "/cases/?q=")
    assert first + second == [case.reference for case in newest_first]
    assert (len(first), len(second)) == (PAGE_SIZE, MORE)
    # The first page's cases are read whole, those of the second are not.
    (read,) = _rows_read(queries)
    by_reference = {case.reference: case.pk.hex for case in made}
    assert all(by_reference[reference] in read for reference in first)
    assert not any(by_reference[reference] in read for reference in second)


@pytest.mark.parametrize("url", ["/cases/?sort=stage", "/cases/?sort=-last_contact"])
def test_a_sort_reads_every_case_and_pages_through_them_all(as_user, alice, made, url):
    (first, second), queries = _listed(as_user(alice), url)
    assert (len(first), len(second)) == (PAGE_SIZE, MORE)
    assert sorted(first + second) == sorted(case.reference for case in made)
    (read,) = _rows_read(queries)
    assert not re.search(r"LIMIT \d+\s*$", read)  # every case
