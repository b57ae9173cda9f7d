"""Changing fields safely (issue 15, item 2): what a field in use may and may not become."""

import pytest
from django.core.exceptions import ValidationError

from engage.audit.models import AuditEvent
from engage.custom import services
from engage.custom.models import CustomField, CustomValue


@pytest.fixture
def field(organisation, ada):
    return services.define_field(
        organisation, by=ada, form="screening", type="short_text", label="Reception centre"
    )


def test_it_makes_a_stable_key_from_the_label(field, organisation, ada):
    assert field.key == "reception_centre"
    again = services.define_field(
        organisation, by=ada, form="screening", type="number", label="Reception centre"
    )
    assert again.key == "reception_centre_2"
    assert again.position > field.position


def test_it_audits_every_change_with_who(field, ada):
    services.update_field(field, by=ada, label="Reception centre (name)")
    services.retire_field(field, by=ada)
    events = AuditEvent.objects.filter(object_id=field.pk).order_by("at")
    assert [event.action for event in events] == ["create", "update", "update"]
    assert {event.actor_id for event in events} == {ada.pk}
    assert "label" in events[1].detail


def test_it_refuses_a_type_change_once_the_field_has_values(field, case, alice, ada):
    services.save_values(case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice)
    with pytest.raises(ValidationError) as refused:
        services.update_field(field, by=ada, type="long_text")
    assert "type" in refused.value.message_dict
    # Renaming, making optional and retiring stay possible.
    services.update_field(field, by=ada, label="Centre", required=False)
    services.retire_field(field, by=ada)
    assert CustomValue.objects.filter(field=field).count() == 1


def test_it_changes_the_type_of_an_unused_field(field, ada):
    services.update_field(field, by=ada, type="long_text")
    field.refresh_from_db()
    assert field.type == "long_text"


def test_it_deletes_only_a_field_never_used(field, case, alice, ada, organisation):
    services.save_values(case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice)
    with pytest.raises(ValidationError):
        services.delete_field(field, by=ada)
    unused = services.define_field(
        organisation, by=ada, form="screening", type="date", label="Arrival"
    )
    services.delete_field(unused, by=ada)
    assert not CustomField.objects.filter(pk=unused.pk).exists()


def test_a_value_keeps_the_label_it_was_given_under(field, case, alice, ada):
    services.save_values(case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice)
    services.update_field(field, by=ada, label="Centre", label_translations={"bg": "Център"})
    value = CustomValue.objects.get(field=field)
    assert value.label_at_entry == "Reception centre"
    assert value.data == "Pournara"


def test_the_value_is_encrypted_and_the_audit_has_no_value(field, case, alice):
    from django.db import connection

    services.save_values(case, "screening", "r1", {"reception_centre": "Zzsentinel"}, by=alice)
    with connection.cursor() as cursor:
        cursor.execute("select value from custom_customvalue")
        (stored,) = cursor.fetchone()
    assert "Zzsentinel" not in stored
    assert not AuditEvent.objects.filter(detail__contains="Zzsentinel").exists()


def test_an_empty_answer_removes_the_stored_one(field, case, alice):
    services.save_values(case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice)
    services.save_values(case, "screening", "r1", {"reception_centre": ""}, by=alice)
    assert not CustomValue.objects.exists()


def test_an_unknown_key_is_refused_naming_it(field, case, alice):
    with pytest.raises(ValidationError) as refused:
        services.save_values(case, "screening", "r1", {"nope": "x"}, by=alice)
    assert "custom_nope" in refused.value.message_dict


def test_a_condition_must_be_a_field_of_the_same_form(organisation, ada):
    other = services.define_field(
        organisation, by=ada, form="contact", type="yes_no", label="Met at home"
    )
    with pytest.raises(ValidationError) as refused:
        services.define_field(
            organisation,
            by=ada,
            form="screening",
            type="short_text",
            label="Which home",
            condition_field=other,
            condition_value="yes",
        )
    assert "condition_field" in refused.value.message_dict


def test_options_keep_their_order_and_can_be_retired(organisation, ada):
    field = services.define_field(
        organisation,
        by=ada,
        form="assessment",
        type="choice",
        label="Community ties",
        options=["None", "Some", "Strong"],
    )
    keys = list(field.options.values_list("key", flat=True))
    assert keys == ["none", "some", "strong"]
    strong = field.options.get(key="strong")
    services.move_option(strong, by=ada, up=True)
    services.retire_option(field.options.get(key="none"), by=ada)
    assert list(field.options.values_list("key", flat=True)) == ["none", "strong", "some"]
    assert field.options.get(key="none").retired


def test_a_field_with_answers_given_as_sensitive_stays_sensitive(case, alice, ada, organisation):
    # Unticked, its past answers went to everyone in scope and into the organisation's export.
    secret = services.define_field(organisation, by=ada, form="screening", type="short_text",
                                   label="Journey", sensitive=True)  # fmt: skip
    services.update_field(secret, by=ada, sensitive=False)  # no answer yet: it may change
    services.update_field(secret, by=ada, sensitive=True)
    services.save_values(case, "screening", "r1", {"journey": "Sentinel"}, by=alice)
    with pytest.raises(ValidationError) as refused:
        services.update_field(secret, by=ada, sensitive=False)
    assert "stays sensitive" in refused.value.message_dict["sensitive"][0]
    assert CustomField.objects.get(pk=secret.pk).sensitive


def test_a_field_shown_after_a_sensitive_answer_is_sensitive_too(organisation, ada):
    trafficked = services.define_field(organisation, by=ada, form="contact", type="yes_no",
                                       label="Trafficking indicators", sensitive=True)  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.define_field(organisation, by=ada, form="contact", type="short_text",
                              label="Referred for support", condition_field=trafficked,
                              condition_value="yes")  # fmt: skip
    assert "Sensitive" in refused.value.message_dict["sensitive"][0]
    # Made sensitive later, its condition takes the fields it shows along.
    plain = services.define_field(organisation, by=ada, form="contact", type="yes_no",
                                  label="Needs support")  # fmt: skip
    shown = services.define_field(organisation, by=ada, form="contact", type="short_text",
                                  label="Which support", condition_field=plain,
                                  condition_value="yes")  # fmt: skip
    services.update_field(plain, by=ada, sensitive=True)
    assert CustomField.objects.get(pk=shown.pk).sensitive
