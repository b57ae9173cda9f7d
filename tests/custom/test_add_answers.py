"""Answers to many new records at once (`services.add_answers`, used by the demo): stored as
`save_values` stores them, one audit entry per record, and never over an existing answer."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.custom import services
from engage.custom.models import CustomValue
from engage.history.models import Change
from engage.lib.translations import in_language

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(organisation, ada):
    return [
        services.define_field(
            organisation,
            by=ada,
            form="screening",
            type="short_text",
            label="Reception centre",
            label_translations={"bg": "Приемателен център"},
        ),
        services.define_field(organisation, by=ada, form="screening", type="yes_no", label="Seen"),
    ]


def test_it_stores_many_records_as_save_values_does(fields, organisation, case, alice):
    other = CaseFactory(organisation=organisation, case_manager=alice)
    saved = services.add_answers(
        "screening",
        [
            (case, "r1", {"reception_centre": "Zzsentinel", "seen": True}),
            (other, "r2", {"reception_centre": "", "seen": False}),
        ],
        by=alice,
        fields=fields,
    )
    assert len(saved) == 3  # the empty answer is not stored
    assert services.values_for(case, "screening", "r1")["reception_centre"].data == "Zzsentinel"
    assert services.values_for(other, "screening", "r2")["seen"].data is False
    value = CustomValue.objects.get(record_id="r1", field__key="reception_centre")
    assert value.label_at_entry == in_language(
        fields[0].label, fields[0].label_translations, services.organisation_language(organisation)
    )
    assert value.updated_by == alice
    with connection.cursor() as cursor:
        cursor.execute("select value from custom_customvalue")  # nosemgrep: raw-sql
        assert not [row for row in cursor.fetchall() if "Zzsentinel" in row[0]]
    audited = AuditEvent.objects.filter(detail__startswith="custom:screening:")
    assert sorted(e.detail for e in audited) == [
        "custom:screening:reception_centre,seen",
        "custom:screening:seen",
    ]
    assert {(e.actor_id, e.object_id) for e in audited} == {
        (alice.pk, case.pk),
        (alice.pk, other.pk),
    }
    assert Change.objects.filter(model="custom.customvalue").count() == 3


def test_it_refuses_a_record_already_answered_and_an_unknown_key(fields, case, alice):
    services.save_values(case, "screening", "r1", {"seen": True}, by=alice)
    with pytest.raises(ValueError, match="already answers seen"):
        services.add_answers("screening", [(case, "r1", {"seen": False})], by=alice, fields=fields)
    with pytest.raises(ValidationError):
        services.add_answers("screening", [(case, "r2", {"nope": 1})], by=alice, fields=fields)
    assert CustomValue.objects.get().data is True


def test_it_refuses_another_organisations_case(fields, foreign_case, charlie):
    with pytest.raises(ValueError, match="organisation"):
        services.add_answers(
            "screening", [(foreign_case, "r1", {"seen": True})], by=charlie, fields=fields
        )
    assert not CustomValue.objects.exists()
