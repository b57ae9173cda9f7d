"""Forms draw their fields with Jinja2 (engage/lib/rendering.py): the same HTML as the field
template in Django's template language drew, and nothing typed by someone reaches a page
unescaped."""

import re

import pytest
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.forms.renderers import get_default_renderer
from django.template import engines

from engage.lib.rendering import FormRenderer

# The field template as it was in Django's template language (engage/templates/includes/
# field.html, until engage/jinja2/engage/field.html replaced it): the reference.
DJANGO_FIELD = """
{% if field.use_fieldset %}
  <fieldset class="field group{% if field.errors %} has-error{% endif %}"{% if field.help_text or field.errors %} aria-describedby="{% if field.help_text %}{{ field.auto_id }}_helptext{% endif %}{% if field.help_text and field.errors %} {% endif %}{% if field.errors %}{{ field.auto_id }}_error{% endif %}"{% endif %}>
    <legend>{{ field.label }}{% if field.field.required %} <span class="required" aria-hidden="true">*</span>{% endif %}</legend>
    {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</p>{% endif %}
    {% if field.errors %}<ul class="errorlist" id="{{ field.auto_id }}_error">{% for error in field.errors %}<li>{{ error }}</li>{% endfor %}</ul>{% endif %}
    {{ field }}
  </fieldset>
{% else %}
  <div class="field{% if field.errors %} has-error{% endif %}">
    <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} <span class="required" aria-hidden="true">*</span>{% endif %}</label>
    {{ field }}
    {% if field.errors %}<ul class="errorlist" id="{{ field.auto_id }}_error">{% for error in field.errors %}<li>{{ error }}</li>{% endfor %}</ul>{% endif %}
    {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</p>{% endif %}
  </div>
{% endif %}
"""

HOSTILE = '<script>alert("x")</script> & the family\'s "home"'


class EveryKind(forms.Form):
    name = forms.CharField(label="Given name", help_text="As the client writes it.")
    note = forms.CharField(label="Note", widget=forms.Textarea, required=False)
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", choices=[("", "—"), ("visit", "Home visit")])
    place = forms.ChoiceField(
        label="Where", choices=[("office", "Office"), ("home", "Home")], widget=forms.RadioSelect
    )
    needs = forms.MultipleChoiceField(
        label="Needs",
        choices=[("housing", "Housing"), ("health", "Health")],
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every one that applies.",
        required=False,
    )
    consent = forms.BooleanField(label="Consent given", required=False)
    count = forms.IntegerField(label="Children", min_value=0, required=False)
    hostile = forms.CharField(label=HOSTILE, help_text=HOSTILE, required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


def _same(html: str) -> str:
    """HTML with the whitespace between tags dropped and an apostrophe written one way
    (Django writes &#x27;, Jinja2 &#39;: the same character)."""
    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _as_django_drew_it(form: forms.Form) -> str:
    template = engines["django"].from_string(DJANGO_FIELD)
    return "".join(template.render({"field": field}) for field in form.visible_fields())


def _as_drawn_now(form: forms.Form) -> str:
    return "".join(field.as_field_group() for field in form.visible_fields())


def test_it_is_the_renderer_of_every_form():
    assert isinstance(get_default_renderer(), FormRenderer)
    assert isinstance(EveryKind().renderer, FormRenderer)


@pytest.mark.parametrize(
    "data",
    [
        None,  # a new form: no errors
        {"name": "", "date": "not a day", "kind": "nothing", "count": "-1", "hostile": HOSTILE},
        {"name": "Amal", "date": "2026-12-01", "kind": "visit", "place": "home", "needs": ["x"]},
    ],
    ids=["new", "every-error", "some-errors"],
)
def test_it_draws_every_kind_of_field_as_djangos_template_language_did(data):
    form = EveryKind(data)
    form.is_valid()
    assert _same(_as_drawn_now(form)) == _same(_as_django_drew_it(form))


def test_it_escapes_what_an_admin_or_a_client_typed_in_a_label_help_or_error():
    form = EveryKind({"hostile": "x"})
    form.add_error("hostile", HOSTILE)
    html = form["hostile"].as_field_group()
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(") == 3  # the label, the help, the error
    # The value typed back into the field is escaped by Django's widget template, too.
    typed = EveryKind({"hostile": HOSTILE})["hostile"].as_field_group()
    assert "<script>" not in typed and "&lt;script&gt;" in typed


def test_it_shows_help_that_django_marked_safe_as_html():
    """The password rules are a list Django built as safe HTML (a lazy translation): shown as a
    list, as the template language showed it, not as its tags in text."""
    html = SetPasswordForm(user=None)["new_password1"].as_field_group()
    assert "<ul><li>" in html and "&lt;ul&gt;" not in html


class Lists(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=[("", "---------"), ("visit", "Home visit")])
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "---------"), ("granted", "Granted")], required=False
    )
    anyone = forms.ChoiceField(label="Who", choices=[("", "Anyone"), ("me", "Me")], required=False)


def test_it_names_djangos_empty_choice_in_the_readers_words():
    """Django's row of dashes was the empty choice in every language: a required list asks to
    choose, an optional one says nothing is given, and a name the form chose stays."""
    from django.utils import translation

    with translation.override("fr"):
        html = Lists().as_div()
    empty = r'<select name="(\w+)".*?<option value=""(?: selected)?>([^<]*)<'
    options = dict(re.findall(empty, html, re.S))
    assert options == {"kind": "Choisir…", "outcome": "Non renseigné", "anyone": "Anyone"}
    assert "---------" not in html
