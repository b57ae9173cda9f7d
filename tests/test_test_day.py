"""The suite can be run on another day (tests/conftest.py, docs/testing.md "Another day")."""

import datetime

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
