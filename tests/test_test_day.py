"""The suite can be run on another day (tests/conftest.py, docs/testing.md "Another day")."""

import ast
import datetime
import pathlib
from collections.abc import Iterator

from django.utils import timezone

from tests.conftest import TEST_TODAY, _travel_to_the_test_day


def test_it_moves_the_clock_to_the_day_asked_and_lets_it_tick(monkeypatch):
    monkeypatch.setenv(TEST_TODAY, "2028-02-29")
    before = timezone.now()  # the suite's own day: today, or ENGAGE_TEST_TODAY's
    traveller = _travel_to_the_test_day()
    try:
        first = timezone.now()
        assert timezone.localdate() == datetime.date(2028, 2, 29)
        assert first.astimezone(datetime.UTC).hour == 11
        assert timezone.now() > first  # the clock ticks: timeouts and sessions still move
    finally:
        traveller.stop()
    assert datetime.timedelta(0) <= timezone.now() - before < datetime.timedelta(minutes=1)


def test_it_leaves_the_clock_alone_without_the_variable(monkeypatch):
    monkeypatch.delenv(TEST_TODAY, raising=False)
    assert _travel_to_the_test_day() is None


# Read at import, a clock call keeps the day the suite started on; a run that crosses midnight
# (CI starts at any hour) then tests yesterday against the code's today: a CI run on 6-7 December
# 2026 failed nine tests that way (docs/testing-log.md).
_CLOCK_CALLS = {"localdate", "localtime", "now", "today", "utcnow"}


def _clock_calls_run_at_import(tree: ast.Module) -> Iterator[ast.Call]:
    """The clock calls in what Python runs when the module is imported: module and class bodies
    and functions' default values, not the bodies of functions."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend(node.args.defaults + [d for d in node.args.kw_defaults if d])
            pending.extend(getattr(node, "decorator_list", []))
            continue
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in _CLOCK_CALLS:
                yield node
        pending.extend(ast.iter_child_nodes(node))


def test_it_finds_a_clock_read_at_import_but_not_one_read_in_a_test():
    tree = ast.parse(
        "TODAY = timezone.localdate()\n"
        "class A:\n    start = datetime.date.today()\n"
        "def f(on=timezone.now()):\n    return timezone.localdate()\n"
    )
    assert sorted(call.lineno for call in _clock_calls_run_at_import(tree)) == [1, 3, 4]


def test_it_finds_no_test_module_reading_the_clock_at_import():
    tests = pathlib.Path(__file__).parent
    found = [
        f"{path.relative_to(tests.parent)}:{call.lineno}"
        for path in sorted(tests.rglob("*.py"))
        for call in _clock_calls_run_at_import(ast.parse(path.read_text(), str(path)))
    ]
    assert found == []
