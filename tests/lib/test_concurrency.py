import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from engage.accounts.models import Team
from engage.lib.concurrency import ConcurrentEditError, lock_against_deletion, save_versioned


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


@pytest.mark.django_db
class TestLockAgainstDeletion:
    def test_it_gives_the_keys_as_stored_in_key_order(self, organisation, team):
        other = Team.objects.create(organisation=organisation, name="Other")
        gone = Team.objects.create(organisation=organisation, name="Gone")
        wanted = [gone.pk, other.pk, team.pk]
        gone.delete()
        with transaction.atomic():
            keys = lock_against_deletion(Team._base_manager.filter(pk__in=wanted))
        assert keys == sorted([other.pk, team.pk])

    @pytest.mark.django_db(transaction=True)  # no test transaction around it
    def test_it_refuses_to_lock_outside_a_transaction(self, team):
        """Outside one the lock would end with its statement: a caller relying on it would
        hold nothing."""
        with pytest.raises(TransactionManagementError):
            lock_against_deletion(Team._base_manager.filter(pk=team.pk))
