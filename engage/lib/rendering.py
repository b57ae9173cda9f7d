"""How forms are drawn: Django's Jinja2 form renderer, with Engage's own field template.

A form's fields and widgets are small templates drawn many times a page (the case page's
contact form: thirteen fields, about forty templates). Django's template language spent about
half a millisecond on each field with its label, errors and help; Jinja2 compiles a template
to Python and draws the same HTML in a fraction of that. Django ships every widget's template
in both languages (`django/forms/jinja2`), so only `engage/field.html` is ours. The pages stay
in Django's template language: only what `{{ field }}` and `{{ field.as_field_group }}` draw
goes through this renderer (`settings.FORM_RENDERER`).
"""

from pathlib import Path
from typing import Any

import django.forms
import jinja2
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.renderers import Jinja2
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.translation import pgettext_lazy

# Django's empty choice is a row of dashes, in every language: a required list says what to do
# with it, an optional one that nothing is chosen. A list whose empty choice means something of
# its own (a filter's "Anyone") names it in its form, and keeps that name.
DASHES = BLANK_CHOICE_DASH[0][1]
CHOOSE = pgettext_lazy("empty choice of a required list", "Choose…")
NOTHING_CHOSEN = pgettext_lazy("empty choice of an optional list", "Not given")
SELECTS = frozenset({"django/forms/widgets/select.html"})

DIRS = [
    Path(__file__).resolve().parent.parent / "jinja2",  # engage/jinja2: engage/field.html
    Path(django.forms.__file__).resolve().parent / "jinja2",  # Django's widgets
]


def environment(**options: Any) -> jinja2.Environment:
    """Jinja2 as Django's backend makes it (autoescaping on), with `escape_as_django`: a text
    escaped unless Django marked it safe. Jinja2 escapes what it cannot see is safe, and a lazy
    translation that gives safe HTML (the password rules' help, a list) does not show it."""
    options.pop("autoescape", None)  # on, whatever the backend passed
    env = jinja2.Environment(autoescape=True, **options)
    env.filters["escape_as_django"] = conditional_escape
    return env


class FormRenderer(Jinja2):
    """Django's widget templates, and `engage/field.html` for a field with its label."""

    field_template_name = "engage/field.html"

    @cached_property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.backend(
            {
                "APP_DIRS": True,  # as Django's renderer: an app's own `jinja2` widgets
                "DIRS": DIRS,
                "NAME": "engageforms",
                "OPTIONS": {"environment": "engage.lib.rendering.environment"},
            }
        )

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in SELECTS:
            _name_the_empty_choice(context["widget"])
        return super().render(template_name, context, request)


def _name_the_empty_choice(widget: dict[str, Any]) -> None:
    """Django's dashes as the empty choice's label, in the reader's words (`CHOOSE`,
    `NOTHING_CHOSEN`), where the form gave it no name of its own."""
    for _group, options, _index in widget["optgroups"]:
        for option in options:
            if option["value"] in ("", None) and option["label"] == DASHES:
                option["label"] = CHOOSE if widget["attrs"].get("required") else NOTHING_CHOSEN
