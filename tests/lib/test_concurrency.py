import pytest

from engage.accounts.models import Team
from engage.lib.concurrency import ConcurrentEditError, save_versioned


@pytest.mark.django_db
class TestSaveVersioned:
    def test_it_saves_and_moves_the_version_on(self, team):
        team.name = "North"
        save_versioned(team, expected_version=1, fields=["name"])
        assert team.version == 2
        assert Team.objects.get(pk=team.pk).name == "North"

    def test_it_refuses_a_stale_version_and_keeps_the_row(self, team):
        first, second = Team.objects.get(pk=team.pk), Team.objects.get(pk=team.pk)
        first.name = "First"
        save_versioned(first, expected_version=first.version, fields=["name"])
        second.name = "Second"
        with pytest.raises(ConcurrentEditError):
            save_versioned(second, expected_version=second.version, fields=["name"])
        assert Team.objects.get(pk=team.pk).name == "First"
