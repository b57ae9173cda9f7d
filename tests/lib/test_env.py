import pytest
from django.core.exceptions import ImproperlyConfigured

from engage.lib.env import env_bool, env_int, env_list


def test_it_reads_booleans(monkeypatch):
    monkeypatch.setenv("FLAG", "False")
    assert env_bool("FLAG", default=True) is False
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", default=False) is True
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", default=True) is True


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false"):
        env_bool("FLAG", default=False)


def test_it_reads_lists_and_numbers(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.org, ,b.org ")
    assert env_list("HOSTS", default=[]) == ["a.org", "b.org"]
    monkeypatch.setenv("N", "12")
    assert env_int("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)
