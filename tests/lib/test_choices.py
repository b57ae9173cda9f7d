"""`get_FOO_display()` of Engage's models translates the label it gives, not every label of the
field (engage/lib/choices.py), and gives what Django's own method gives."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from engage.cases.factories import CaseFactory
from engage.cases.models import Closure, Contact
from engage.lib import choices
from tests.spies import calls_of

LANGUAGES = ["en", "fr", "bg", "el"]


def _choice_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("engage."):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and field.choices:
                yield model, field


def _some(values, most=30):
    """Every value of a field's choices, or every eighth of a long list (the countries: Django's
    method translates all 250 names for each, so checking every one took seconds)."""
    values = list(values)
    return values if len(values) <= most else values[::8]


def test_it_is_in_place_of_djangos_on_every_choice_field_of_engages_models():
    fields = list(_choice_fields())
    assert len(fields) > 40
    for model, field in fields:
        method = model.__dict__.get(f"get_{field.name}_display")
        assert not choices._is_djangos(method), (model, field.name)
    # Installed once: nothing of Django's is left to replace.
    assert choices.install({model for model, _field in fields}) == 0


def test_it_gives_djangos_label_for_every_choice_in_every_language_and_the_value_for_others():
    checked = 0
    for language in LANGUAGES:
        with translation.override(language):
            for model, field in _choice_fields():
                for value in [*_some(choice for choice, _label in field.flatchoices), "no"]:
                    instance = model()
                    setattr(instance, field.attname, value)
                    assert choices.display_label(instance, field) == (
                        models.Model._get_FIELD_display(instance, field)
                    ), (model, field.name, value, language)
                    checked += 1
    assert checked > 800


def test_it_translates_the_one_label_it_gives(monkeypatch):
    contact = Contact(type=Contact.Type.HOME_VISIT)
    with translation.override("fr"):
        contact.get_type_display()  # the catalogue loaded
        translated = calls_of(monkeypatch, translation._trans, "gettext")
        label = contact.get_type_display()
    assert translated == [("Home visit",)]
    assert label == "Visite à domicile"


def test_a_models_own_display_method_is_left_alone():
    assert "get_disengagement_factors_display" in Closure.__dict__
    assert not isinstance(
        Closure.__dict__["get_disengagement_factors_display"], choices.partialmethod
    )


@pytest.mark.django_db
def test_a_country_is_named_in_the_language_of_the_moment(organisation, alice):
    """A country's choices are named when read, in the language of the moment: a label kept
    from one call to the next would name it in the first reader's language."""
    person = CaseFactory(
        organisation=organisation, case_manager=alice, person__nationality="GR"
    ).person
    for language, name in (("fr", "Grèce"), ("en", "Greece"), ("el", "Ελλάδα"), ("fr", "Grèce")):
        with translation.override(language):
            assert person.get_nationality_display() == name
