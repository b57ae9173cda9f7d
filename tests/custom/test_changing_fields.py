"""Changing fields safely (issue 15, item 2): what a field in use may and may not become."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_scopes import scopes_disabled

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.custom import services
from engage.custom.models import CustomField, CustomValue
from tests.row_locks import waits_for


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


def test_it_refuses_an_answer_to_a_field_deleted_since_its_form_loaded(
    field, case, alice, ada, organisation
):
    """The form was loaded with the field, the field deleted (it had no answers yet), then the
    form saved: the answer referred to no field, a server error at the commit."""
    loaded = services.form_fields(organisation, "screening")
    services.delete_field(field, by=ada)
    with pytest.raises(ValidationError) as refused:
        services.save_values(
            case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice, fields=loaded
        )
    assert refused.value.message_dict == {
        "custom_reception_centre": ["There is no such field on this form."]
    }
    assert not CustomValue.objects.exists()
    # An empty answer to it writes nothing, and is not refused.
    services.save_values(case, "screening", "r1", {"reception_centre": ""}, by=alice, fields=loaded)


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections and row locks: PostgreSQL"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)  # two connections see each other's commits
def test_a_deletion_waits_for_an_answer_being_saved_then_refuses(field, case, alice, ada):
    """The deletion checked for answers without a lock: an answer saved at that instant was
    not seen, and went with the field (or made the deletion a server error)."""
    refused = waits_for(
        lambda: services.save_values(
            case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice
        ),
        lambda: services.delete_field(field, by=ada),
    )
    assert isinstance(refused, ValidationError)
    assert refused.messages == [
        "This field has answers on some records: retire it instead of deleting it."
    ]
    assert CustomField.objects.filter(pk=field.pk).exists()
    assert CustomValue.objects.get(field=field).data == "Pournara"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_answer_waits_for_a_deletion_under_way_then_is_refused(
    field, case, alice, ada, organisation
):
    loaded = services.form_fields(organisation, "screening")
    refused = waits_for(
        lambda: services.delete_field(field, by=ada),
        lambda: services.save_values(
            case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice, fields=loaded
        ),
    )
    assert isinstance(refused, ValidationError)
    assert refused.messages == ["There is no such field on this form."]
    assert not CustomField.objects.filter(pk=field.pk).exists()
    assert not CustomValue.objects.exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_answers_to_one_field_saved_at_once_do_not_wait_for_each_other(
    field, case, alice, organisation
):
    """The lock held for a deletion is not one that answers' saves take against each other: a
    contact form saved while an import of 10,000 answers to the same field is being stored
    does not wait for it."""
    other = CaseFactory(organisation=organisation, case_manager=alice)
    done = []

    def second():
        try:
            with scopes_disabled(), connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
                done.append(
                    services.save_values(
                        other, "screening", "r2", {"reception_centre": "Kofinou"}, by=alice
                    )
                )
        finally:
            connection.close()

    with transaction.atomic():
        services.save_values(case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(10)
        assert done, "the second save waited for the first"  # before the first commits
    assert CustomValue.objects.filter(field=field).count() == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_type_change_waits_for_an_answer_being_saved_then_refuses(field, case, alice, ada):
    refused = waits_for(
        lambda: services.save_values(
            case, "screening", "r1", {"reception_centre": "Pournara"}, by=alice
        ),
        lambda: services.update_field(field, by=ada, type="number"),
    )
    assert isinstance(refused, ValidationError)
    assert "type" in refused.message_dict
    assert CustomField.objects.get(pk=field.pk).type == "short_text"
