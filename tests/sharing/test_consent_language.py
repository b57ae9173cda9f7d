"""The language a consent was explained in is free text about the person: encrypted at rest as
their own languages are, its stored values encrypted by the migration without their clear text
going into the history, and blanked by erasure (docs/security.md; item 55 did the same for the
case's interpreter language)."""

import datetime
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from engage.cases.factories import CaseFactory
from engage.history.models import Change
from engage.privacy.services import erase_person
from engage.sharing import services
from engage.sharing.models import Consent, Recipient
from tests.lib.test_encryption import _every_stored_value

BEFORE = [
    ("history", "0013_triggers_data_request_version"),
    ("sharing", "0011_health_domain_only_with_health"),
]
SAID = "Zzsentinel Tigrinya, with her cousin Abel translating"


def _consent(organisation, alice, language: str) -> Consent:
    case = CaseFactory(organisation=organisation, case_manager=alice)
    clinic, _ = Recipient.objects.get_or_create(
        organisation=organisation, name="Clinic", defaults={"type": "health"}
    )
    today = timezone.localdate()
    return services.record_consent(
        case,
        by=alice,
        data={
            "person": case.person,
            "recipient": clinic,
            "purpose": "referral",
            "categories": ["identity"],
            "given_on": today - datetime.timedelta(days=1),
            "expires_on": today + datetime.timedelta(days=100),
            "language": language,
            "through_interpreter": True,
        },
    )


def _stored(consent: Consent) -> str:
    with connection.cursor() as cursor:
        pk = consent.pk.hex if connection.vendor == "sqlite" else consent.pk
        cursor.execute("SELECT language FROM sharing_consent WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _in_history(text: str) -> int:
    return sum(text in json.dumps([c.before, c.after]) for c in Change.objects.all())


@pytest.mark.django_db
def test_it_leaves_nothing_of_the_language_after_the_persons_erasure(organisation, alice, bob):
    consent = _consent(organisation, alice, SAID)
    assert "Zzsentinel" not in _every_stored_value()  # a stolen database reads nothing of it
    assert Consent.objects.get(pk=consent.pk).language == SAID  # the application does
    erase_person(consent.person, by=bob, reason="request")
    assert "Zzsentinel" not in _every_stored_value()
    kept = Consent.objects.get(pk=consent.pk)
    assert kept.language == "—" and "Zzsentinel" not in kept.language
    assert kept.through_interpreter  # the facts of the consent stay


@pytest.mark.django_db
def test_a_value_written_in_clear_by_the_version_before_is_read_and_encrypted_at_its_save(
    organisation, alice
):
    """During a rolling upgrade a machine not yet upgraded writes the language in clear."""
    consent = _consent(organisation, alice, "Arabic")
    with connection.cursor() as cursor:
        pk = consent.pk.hex if connection.vendor == "sqlite" else consent.pk
        cursor.execute("UPDATE sharing_consent SET language = %s WHERE id = %s", [SAID, pk])
    read = Consent.objects.get(pk=consent.pk)
    assert read.language == SAID
    read.save(update_fields=["language"])
    assert SAID not in _stored(consent)
    assert Consent.objects.get(pk=consent.pk).language == SAID


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_what_was_stored_and_records_no_clear_text(organisation, alice):
    consent = _consent(organisation, alice, "Arabic")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            pk = consent.pk.hex if connection.vendor == "sqlite" else consent.pk
            cursor.execute("UPDATE sharing_consent SET language = %s WHERE id = %s", [SAID, pk])
        # The history recorded that write as it was, in clear; erasure blanks it (below).
        written_before = _in_history("Tigrinya")
        assert written_before
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert Consent.objects.get(pk=consent.pk).language == SAID
    assert SAID not in _stored(consent) and _stored(consent)
    assert _in_history("Tigrinya") == written_before  # the migration's writes add none
    # The consent's history triggers still record a change (encrypted).
    Consent.objects.filter(pk=consent.pk).update(language="Arabic")
    assert Change.objects.filter(
        model="sharing.consent", object_id=consent.pk, operation="update"
    ).exists()
    erase_person(consent.person, by=None, reason="request")
    assert _in_history("Tigrinya") == 0
