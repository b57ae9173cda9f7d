"""An organisation's configuration as one file, for a sister pilot to start from (issue 15,
item 5): its own fields with their choice lists, its eligibility criteria, its intervals and its
model letters. Never a person, a case or a value: the file holds what an admin typed to set the
pilot up, and the import refuses any other key.

`export` writes the document; `read` and `check` turn an uploaded file into a `Plan` (what
would be added, what is already there, warnings) or refuse it whole with every problem found;
`apply` carries a checked plan out in one transaction, through each app's own services.
"""

import contextlib
import decimal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import Organisation, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import services as case_services
from engage.cases.models import EligibilityCriterion
from engage.cases.models.process import EstablishedBy
from engage.custom import services
from engage.custom.models import CHOICE_TYPES, CustomField, FieldType, Form
from engage.directory.models import Service
from engage.liaison import services as liaison_services
from engage.liaison.models import LetterTemplate
from engage.lib.untrusted import untrusted_json

FORMAT = "engage-configuration"
VERSION = 1
MAX_BYTES = 2 * 1024 * 1024
INTERVALS = ("contact_interval_days", "reassessment_interval_days", "plan_review_interval_days")
TOP_KEYS = {
    "format",
    "version",
    "exported_at",
    "source",
    "intervals",
    "eligibility_criteria",
    "letter_templates",
    "custom_fields",
}
FIELD_KEYS = {
    "form",
    "key",
    "type",
    "label",
    "label_translations",
    "help_text",
    "help_text_translations",
    "required",
    "after",
    "min_value",
    "max_value",
    "condition",
    "sensitive",
    "retired",
    "options",
}


class ConfigError(Exception):
    """The file cannot be imported; `problems` says every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# Export


def export(organisation: Organisation) -> dict[str, Any]:
    """The organisation's configuration as a JSON-ready document."""
    fields = list(
        CustomField.objects.filter(organisation=organisation)
        .select_related("condition_field")
        .prefetch_related("options")
        .order_by("form", "position")
    )
    services_by_id = {
        str(pk): name
        for pk, name in Service.objects.filter(organisation=organisation).values_list("pk", "name")
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "source": {"code": organisation.code, "country": str(organisation.country)},
        "intervals": {name: getattr(organisation, name) for name in INTERVALS},
        "eligibility_criteria": [
            {
                "text": criterion.text,
                "translations": criterion.translations,
                "active": criterion.active,
                "established_by": criterion.established_by,
            }
            for criterion in EligibilityCriterion.objects.filter(organisation=organisation)
        ],
        "letter_templates": [
            {
                "name": template.name,
                "kind": template.kind,
                "language": template.language,
                "body": template.body,
                "translations": template.translations,
                "active": template.active,
            }
            for template in LetterTemplate.objects.of(organisation.pk)
        ],
        "custom_fields": [_field_document(each, services_by_id) for each in fields],
    }


def _field_document(custom: CustomField, services_by_id: dict[str, str]) -> dict[str, Any]:
    condition = None
    if custom.condition_field is not None:
        value: Any = custom.condition_value
        if custom.condition_field.type == FieldType.SERVICE:
            # A service is named, not given by its id: the sister pilot's has another id.
            value = {"service": services_by_id.get(custom.condition_value, "")}
        condition = {"key": custom.condition_field.key, "value": value}
    return {
        "form": custom.form,
        "key": custom.key,
        "type": custom.type,
        "label": custom.label,
        "label_translations": custom.label_translations,
        "help_text": custom.help_text,
        "help_text_translations": custom.help_text_translations,
        "required": custom.required,
        "after": custom.after,
        "min_value": None if custom.min_value is None else str(custom.min_value),
        "max_value": None if custom.max_value is None else str(custom.max_value),
        "condition": condition,
        "sensitive": custom.sensitive,
        "retired": custom.is_retired,
        "options": [
            {
                "key": option.key,
                "label": option.label,
                "label_translations": option.label_translations,
                "retired": option.retired,
            }
            for option in custom.options.all()
        ],
    }


# Import


def read(upload: IO[bytes]) -> dict[str, Any]:
    """The document in an uploaded file, or ConfigError."""
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError([_("The file is too large for a configuration.")])
    try:
        document = untrusted_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ConfigError([_("The file is not an Engage configuration (not JSON).")]) from None
    if not isinstance(document, dict):
        raise ConfigError([_("The file is not an Engage configuration.")])
    return document


@dataclass
class Plan:
    """What importing a checked document would do."""

    intervals: dict[str, int] = field(default_factory=dict)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.intervals or self.criteria or self.templates or self.fields)


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit


def _translations(value: Any, limit: int = 4000) -> bool:
    """Texts by language, each of at most `limit` characters: those of a field's label and
    help, and of an option, as long as the text itself may be (an answer keeps its label in
    the pilot's language, `CustomValue.label_at_entry`)."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and _text(v, limit) for k, v in value.items()
    )


def check(document: dict[str, Any], organisation: Organisation) -> Plan:
    """Check the whole document against `organisation`; refuse it whole with every problem."""
    problems: list[str] = []
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise ConfigError([_("The file is not an Engage configuration (format or version).")])
    unknown = sorted(set(document) - TOP_KEYS)
    if unknown:
        problems.append(
            _("The file holds something other than configuration: %(keys)s.")
            % {"keys": ", ".join(unknown)}
        )
    plan = Plan()
    _check_intervals(document.get("intervals") or {}, organisation, plan, problems)
    _check_criteria(document.get("eligibility_criteria") or [], organisation, plan, problems)
    _check_templates(document.get("letter_templates") or [], organisation, plan, problems)
    _check_fields(document.get("custom_fields") or [], organisation, plan, problems)
    if problems:
        raise ConfigError(problems)
    return plan


def _check_intervals(
    intervals: Any, organisation: Organisation, plan: Plan, problems: list[str]
) -> None:
    if not isinstance(intervals, dict):
        problems.append(_("The intervals are not readable."))
        return
    for name, days in intervals.items():
        if name not in INTERVALS:
            problems.append(_("Unknown interval: %(name)s.") % {"name": name})
        elif not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
            problems.append(_("The interval %(name)s is not a number of days.") % {"name": name})
        elif days != getattr(organisation, name):
            plan.intervals[name] = days


def _check_criteria(
    criteria: Any, organisation: Organisation, plan: Plan, problems: list[str]
) -> None:
    if not isinstance(criteria, list):
        problems.append(_("The eligibility criteria are not readable."))
        return
    existing = {
        text.casefold()
        for text in EligibilityCriterion.objects.filter(organisation=organisation).values_list(
            "text", flat=True
        )
    }
    for number, item in enumerate(criteria, start=1):
        if (
            not isinstance(item, dict)
            or set(item) - {"text", "translations", "active", "established_by"}
            or not _text(item.get("text"), 300)
            or not item["text"].strip()
            or not _translations(item.get("translations", {}))
            or item.get("established_by", "") not in ("", *EstablishedBy.values)
        ):
            problems.append(
                _("Eligibility criterion %(number)s is not valid.") % {"number": number}
            )
        elif item["text"].strip().casefold() in existing:
            plan.already_there.append(_("Criterion: %(text)s") % {"text": item["text"]})
        else:
            existing.add(item["text"].strip().casefold())
            plan.criteria.append(item)


def _check_templates(
    templates: Any, organisation: Organisation, plan: Plan, problems: list[str]
) -> None:
    from engage.liaison import letters

    if not isinstance(templates, list):
        problems.append(_("The model letters are not readable."))
        return
    existing = {
        name.casefold()
        for name in LetterTemplate.objects.of(organisation.pk).values_list("name", flat=True)
    }
    for number, item in enumerate(templates, start=1):
        valid = (
            isinstance(item, dict)
            and not set(item) - {"name", "kind", "language", "body", "translations", "active"}
            and _text(item.get("name"), 200)
            and item["name"].strip()
            and item.get("kind") in LetterTemplate.Kind.values
            # One Engage speaks: the list of model letters names each one's language.
            and item.get("language") in dict(settings.LANGUAGES)
            and _text(item.get("body"), letters.MAX_LENGTH)
            # A translation of a letter is a letter: as long as the web form lets it be.
            and _translations(item.get("translations", {}), letters.MAX_LENGTH)
        )
        if valid:
            try:
                letters.check_body(item["body"])
                for text in item.get("translations", {}).values():
                    letters.check_body(text)
            except Exception:
                valid = False
        if not valid:
            problems.append(_("Model letter %(number)s is not valid.") % {"number": number})
        elif item["name"].strip().casefold() in existing:
            plan.already_there.append(_("Model letter: %(name)s") % {"name": item["name"]})
        else:
            existing.add(item["name"].strip().casefold())
            plan.templates.append(item)


def _check_fields(fields: Any, organisation: Organisation, plan: Plan, problems: list[str]) -> None:
    if not isinstance(fields, list):
        problems.append(_("The custom fields are not readable."))
        return
    existing = set(CustomField.objects.filter(organisation=organisation).values_list("form", "key"))
    services_by_name = {
        name.casefold(): str(pk)
        for pk, name in Service.objects.filter(organisation=organisation).values_list("pk", "name")
    }
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for number, item in enumerate(fields, start=1):
        reason = _field_problem(item)
        if reason:
            problems.append(
                _("Custom field %(number)s is not valid: %(reason)s")
                % {"number": number, "reason": reason}
            )
            continue
        place = (item["form"], item["key"])
        if place in seen:
            problems.append(
                _("Custom field %(number)s repeats the key %(key)s.")
                % {"number": number, "key": item["key"]}
            )
            continue
        seen[place] = item
    for place, item in seen.items():
        condition = item.get("condition")
        if condition:
            target = seen.get((item["form"], condition.get("key")))
            if target is None and (item["form"], condition.get("key")) not in existing:
                problems.append(
                    _("The field %(key)s depends on %(other)s, which is not in the file.")
                    % {"key": item["key"], "other": condition.get("key")}
                )
                continue
            value = condition.get("value")
            if isinstance(value, dict):
                service = services_by_name.get(str(value.get("service", "")).casefold())
                if service is None:
                    plan.warnings.append(
                        _(
                            "“%(label)s”: no service named “%(service)s” in your directory; it "
                            "will be shown always."
                        )
                        % {"label": item["label"], "service": value.get("service", "")}
                    )
                    item = {**item, "condition": None}
                else:
                    item = {**item, "condition": {**condition, "value": service}}
        if place in existing:
            plan.already_there.append(
                _("Field: %(label)s (%(form)s)")
                % {"label": item["label"], "form": Form(item["form"]).label}
            )
        else:
            plan.fields.append(item)
    # Refused here, before the preview's rehearsal makes any of them (`define_field` counts too).
    for form in Form.values:
        adding = sum(1 for item in plan.fields if item["form"] == form)
        had = sum(1 for made_form, _key in existing if made_form == form)
        if adding and had + adding > services.MAX_FIELDS_PER_FORM:
            problems.append(services.too_many_fields(form))


def _field_problem(item: Any) -> str:
    from engage.custom.forms import built_in_fields

    if not isinstance(item, dict) or set(item) - FIELD_KEYS:
        return _("unknown entries")
    if item.get("form") not in Form.values:
        return _("unknown form")
    if item.get("type") not in FieldType.values:
        return _("unknown type")
    key = item.get("key")
    if not _text(key, 40) or not key or not all(c.isalnum() or c in "_-" for c in key):
        return _("the key must be letters, digits and underscores")
    if not _text(item.get("label"), 200) or not item["label"].strip():
        return _("no label")
    if not _text(item.get("help_text", ""), 500):
        return _("help text too long")
    if not _translations(item.get("label_translations", {}), 200) or not _translations(
        item.get("help_text_translations", {}), 500
    ):
        return _("translations not readable")
    after = item.get("after", "")
    if after and (not isinstance(after, str) or after not in dict(built_in_fields(item["form"]))):
        return _("its place names no field of the form")
    if any(not isinstance(item.get(flag, False), bool) for flag in ("required", "sensitive")):
        return _("“required” and “sensitive” are true or false")
    for bound in ("min_value", "max_value"):
        if item.get(bound) is not None:
            if isinstance(item[bound], bool | list | dict):
                return _("a bound is not a number")
            # The web form's rule: a number the column holds (its digits and decimal places),
            # else the field's every read is a server error (SQLite) or its save (PostgreSQL).
            column = cast(models.DecimalField[Any, Any], CustomField._meta.get_field(bound))
            number = forms.DecimalField(
                max_digits=column.max_digits, decimal_places=column.decimal_places
            )
            try:
                number.clean(str(item[bound]))
            except ValidationError as error:
                return " ".join(error.messages)
    options = item.get("options", [])
    if not isinstance(options, list) or any(
        not isinstance(option, dict)
        or set(option) - {"key", "label", "label_translations", "retired"}
        or not _text(option.get("label"), 200)
        or not _text(option.get("key", ""), 40)
        or not _translations(option.get("label_translations", {}), 200)
        for option in options
    ):
        return _("its options are not readable")
    if len(options) > services.MAX_OPTIONS:
        return services.too_many_options()
    if item["type"] in CHOICE_TYPES and not options:
        return _("a choice field without options")
    condition = item.get("condition")
    if condition is not None and (
        not isinstance(condition, dict)
        or not _text(condition.get("key"), 40)
        or not isinstance(condition.get("value"), str | dict)
    ):
        return _("its condition is not readable")
    return ""


@transaction.atomic
def apply(plan: Plan, organisation: Organisation, *, by: User) -> None:
    """Add what the plan lists to `organisation`, all or nothing."""
    if plan.intervals:
        Organisation.objects.filter(pk=organisation.pk).update(
            **plan.intervals, version=F("version") + 1
        )
        record(by, AuditEvent.Action.UPDATE, organisation, detail="configuration: intervals")
    for criterion in plan.criteria:
        criterion_made = case_services.add_criterion(
            organisation,
            by=by,
            text=criterion["text"],
            translations=criterion.get("translations", {}),
            established_by=criterion.get("established_by", ""),
        )
        if not criterion.get("active", True):
            EligibilityCriterion.objects.filter(pk=criterion_made.pk).update(active=False)
    for template in plan.templates:
        liaison_services.save_template(
            organisation,
            by=by,
            data={
                "name": template["name"],
                "kind": template["kind"],
                "language": template["language"],
                "body": template["body"],
                "translations": template.get("translations", {}),
                "active": template.get("active", True),
            },
        )
    # The definition rules of each field (`services._check_definition`: bounds in order, a
    # field shown after a sensitive answer sensitive too...) refuse the file whole, each
    # refusal named by its field: they ran only here, and a file the preview accepted ended in
    # a server error at its confirmation.
    refused: list[str] = []
    made_fields: dict[tuple[str, str], CustomField] = {}
    for item in plan.fields:
        with _named(item, refused):
            made_fields[(item["form"], item["key"])] = services.define_field(
                organisation,
                by=by,
                form=item["form"],
                type=item["type"],
                key=item["key"],
                label=item["label"],
                label_translations=item.get("label_translations", {}),
                help_text=item.get("help_text", ""),
                help_text_translations=item.get("help_text_translations", {}),
                required=bool(item.get("required", False)),
                after=item.get("after", ""),
                min_value=_decimal(item.get("min_value")),
                max_value=_decimal(item.get("max_value")),
                sensitive=bool(item.get("sensitive", False)),
                options=[
                    {
                        "label": option["label"],
                        "key": option.get("key", ""),
                        "label_translations": option.get("label_translations", {}),
                        "retired": bool(option.get("retired", False)),
                    }
                    for option in item.get("options", [])
                ],
            )
    # Conditions once every field exists, as one may name a field defined after it.
    for item in plan.fields:
        condition = item.get("condition")
        made = made_fields.get((item["form"], item["key"]))
        if made is None:
            continue
        if condition:
            other = made_fields.get((item["form"], condition["key"])) or (
                CustomField.objects.filter(
                    organisation=organisation, form=item["form"], key=condition["key"]
                ).first()
            )
            if other is None:
                continue  # itself refused above
            with _named(item, refused):
                services.update_field(
                    made, by=by, condition_field=other, condition_value=str(condition["value"])
                )
        if item.get("retired"):
            services.retire_field(made, by=by)
    if refused:
        raise ConfigError(refused)  # and the transaction is rolled back: nothing was changed
    record(by, AuditEvent.Action.UPDATE, organisation, detail="configuration imported")


@contextlib.contextmanager
def _named(item: dict[str, Any], refused: list[str]) -> Iterator[None]:
    """Add a refusal of the service inside to `refused`, named by the field it was for."""
    try:
        yield
    except ValidationError as error:
        refused.extend(f"“{item['label']}”: {message}" for message in error.messages)


class _Rehearsed(Exception):
    """Ends `refusals`' rehearsal, rolling back what it applied."""


def refusals(plan: Plan, organisation: Organisation, *, by: User) -> list[str]:
    """What the rules of each thing the plan adds would refuse when it is applied: `apply` run
    in a transaction that is rolled back, so that the preview says what the confirmation would
    (the rules are the services', not written twice)."""
    try:
        with transaction.atomic():
            apply(plan, organisation, by=by)
            raise _Rehearsed
    except _Rehearsed:
        return []
    except ConfigError as error:
        return error.problems


def _decimal(value: Any) -> decimal.Decimal | None:
    return None if value is None else decimal.Decimal(str(value))
