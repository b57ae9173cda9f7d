"""Checking every row of a mapped spreadsheet, and the report of what is wrong, row by row.

Nothing is written here: `check` turns the file into the rows the referral service would
store, and lists every problem by line (as numbered in the spreadsheet, the header being line
1), column and message. `cases.services.register_referrals` checks the same rules again when
the rows are stored, so a row can never be stored that this report did not show.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.accounts.models import City, Organisation, Role, User
from engage.cases.models import Case, Person, SearchToken
from engage.cases.search import name_digests
from engage.imports import extra
from engage.imports import fields as F
from engage.imports.reading import Sheet
from engage.imports.values import (
    BadValue,
    cell_text,
    choice_lookup,
    country_lookup,
    parse_date,
)
from engage.lib.crypto import name_tokens, normalise
from engage.lib.spreadsheets import is_formula

PREVIEW_ROWS = 10
CHUNK = 500


@dataclass
class Mapping:
    """How a file's columns become Engage's fields; saved as JSON on the job or by name."""

    columns: dict[str, str]  # header -> field name
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {cell: value}
    defaults: dict[str, str] = field(default_factory=dict)  # field -> value for every row
    day_first: bool = True

    @classmethod
    def from_json(cls, data: Any) -> "Mapping":
        """Read a mapping saved as JSON; a ValueError names what is not of its shape (the
        command line reads files written by hand)."""
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            raise ValueError(_("A mapping needs a “columns” object: {header: field}."))
        for header, name in data["columns"].items():
            if name is not None and not isinstance(name, str):
                raise ValueError(
                    _("The column “%(header)s” of the mapping must name a field as a text.")
                    % {"header": header}
                )
        values = {} if data.get("values") is None else data["values"]
        if not isinstance(values, dict) or not all(
            isinstance(table, dict) and all(_is_scalar(word) for word in table.values())
            for table in values.values()
        ):
            raise ValueError(
                _("The mapping's “values” must be an object: {field: {word of the file: value}}.")
            )
        defaults = {} if data.get("defaults") is None else data["defaults"]
        if not isinstance(defaults, dict) or not all(map(_is_scalar, defaults.values())):
            raise ValueError(
                _("The mapping's “defaults” must be an object: {field: value for every row}.")
            )
        day_first = data.get("day_first", True)
        if not isinstance(day_first, bool):
            raise ValueError(_("The mapping's “day_first” must be true or false."))
        named = {name for name in data["columns"].values() if name} | set(values) | set(defaults)
        unknown = sorted(
            name
            for name in named - set(F.BY_NAME)
            if not extra.is_extra(name)  # the organisation's own: checked with the file
        )
        if unknown:
            raise ValueError(
                _("Unknown Engage fields in the mapping: %(names)s.")
                % {"names": ", ".join(unknown)}
            )
        return cls(
            columns={str(k): v for k, v in data["columns"].items() if v},
            values={
                name: {F.header_key(k): str(v) for k, v in table.items() if v is not None}
                for name, table in values.items()
            },
            defaults={k: str(v) for k, v in defaults.items() if v},
            day_first=day_first,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "values": self.values,
            "defaults": self.defaults,
            "day_first": self.day_first,
        }

    def missing(self, headers: list[str]) -> list[str]:
        """The required fields with neither a column of the file nor a value for every row."""
        mapped = {name for header, name in self.columns.items() if header in headers}
        return [
            spec.name
            for spec in F.FIELDS
            if spec.required and spec.name not in mapped and not self.defaults.get(spec.name)
        ]


def _is_scalar(value: Any) -> bool:
    """A value a mapping may give a field: a text, or a number written without quotes."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


@dataclass
class Report:
    rows: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    unknown_values: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    prepared: list[dict[str, Any]] = field(default_factory=list)  # not stored in the job's report

    @property
    def valid(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "problems": self.problems,
            "unknown_values": self.unknown_values,
            "duplicates": self.duplicates,
            "preview": self.preview,
        }


class _Context:
    """What every row is checked against, loaded once for the whole file."""

    def __init__(self, organisation: Organisation, mapping: Mapping) -> None:
        self.organisation = organisation
        self.mapping = mapping
        self.today = timezone.localdate()
        self.choices = {
            spec.name: choice_lookup(spec) for spec in F.FIELDS if spec.kind == F.CHOICE
        }
        self.staff: dict[str, User] = {}
        for user in User.objects.filter(
            organisation=organisation,
            is_active=True,
            role__in=[Role.CASE_MANAGER, Role.SUPERVISOR],
        ):
            for key in (user.username, user.email, user.get_full_name(), str(user.pk)):
                if key:
                    self.staff[F.header_key(key)] = user
        self.cities = {
            F.header_key(city.name): city for city in City.objects.filter(organisation=organisation)
        }
        self.cities.update({F.header_key(str(city.pk)): city for city in self.cities.values()})
        # The organisation's own referral fields (engage.imports.extra), by name.
        self.extra = extra.columns_of(organisation)
        self.extra_specs = {spec.name: spec for columns in self.extra for spec in columns.specs}
        # Each cell's key as compared (`header_key`), made once per distinct text of the file:
        # a caseload repeats its few statuses, cities and case managers on every row.
        self._keys: dict[str, str] = {}

    def key(self, text: str) -> str:
        if (found := self._keys.get(text)) is None:
            found = self._keys[text] = F.header_key(text)
        return found


def check(
    sheet: Sheet,
    mapping: Mapping,
    organisation: Organisation,
    *,
    decisions: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Check every row; return the report and the rows ready for the referral service.

    `decisions` says, for each duplicate line ("12"), "skip" or "import"; a duplicate without
    a decision is a problem, so nobody is created twice without a person saying so.
    """
    context = _Context(organisation, mapping)
    report = Report(rows=len(sheet.rows))
    unknown: dict[str, set[str]] = defaultdict(set)
    columns = {
        name: sheet.headers.index(header)
        for header, name in mapping.columns.items()
        if header in sheet.headers and name
    }
    report.problems.extend(_extra_mapping_problems(mapping, sheet.headers, context))
    for index, row in enumerate(sheet.rows):
        line = index + 2
        prepared, problems = _row(row, line, columns, sheet.headers, context, unknown)
        report.problems.extend(problems)
        if not problems:
            report.prepared.append(prepared)
        if progress is not None and (index + 1) % CHUNK == 0:
            progress(index + 1, len(sheet.rows))
    report.unknown_values = {name: sorted(values) for name, values in sorted(unknown.items())}
    _flag_duplicates(report, organisation, decisions or {})
    report.preview = [_display(row, context) for row in report.prepared[:PREVIEW_ROWS]]
    report.problems.sort(key=lambda p: (p["line"], p["order"]))
    for problem in report.problems:
        del problem["order"]
    return report


def _problem(line: int, column: str, spec: F.ImportField, message: str) -> dict[str, Any]:
    return {
        "line": line,
        "column": column,
        "field": str(spec.label),
        "message": message,
        "order": F.FIELDS.index(spec) if spec in F.FIELDS else len(F.FIELDS),
    }


def _extra_mapping_problems(
    mapping: Mapping, headers: list[str], context: _Context
) -> list[dict[str, Any]]:
    """A column mapped to a field the organisation does not have, or a required own field
    without a column: said once, on the header row."""
    problems = []
    mapped = {name: header for header, name in mapping.columns.items() if header in headers}
    for name, header in mapped.items():
        if extra.is_extra(name) and name not in context.extra_specs:
            spec = F.ImportField(name, name, F.TEXT, "custom")
            message = _("There is no such field on the referral form.")
            problems.append(_problem(1, header, spec, message))
    for name, spec in context.extra_specs.items():
        if spec.required and name not in mapped:
            message = _("This field is required: map a column of the file to it.")
            problems.append(_problem(1, "", spec, message))
    return problems


def _row(
    row: list[Any],
    line: int,
    columns: dict[str, int],
    headers: list[str],
    context: _Context,
    unknown: dict[str, set[str]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    mapping = context.mapping
    problems: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for spec in F.FIELDS:
        index = columns.get(spec.name)
        raw = row[index] if index is not None else None
        column = headers[index] if index is not None else ""
        text = cell_text(raw)
        if not text and mapping.defaults.get(spec.name):
            raw = text = mapping.defaults[spec.name]
        try:
            values[spec.name] = _value(spec, raw, text, context, unknown)
        except BadValue as error:
            problems.append(_problem(line, column, spec, str(error)))
            continue
        if spec.required and values[spec.name] in (None, ""):
            problems.append(_problem(line, column, spec, _("This cell is required.")))
    problems.extend(_cross_checks(values, line, columns, headers, context))
    custom = _extra_values(row, line, columns, headers, context, problems)
    if problems:
        return {}, problems
    prepared = {
        "line": line,
        "person": {spec.name: values[spec.name] for spec in F.FIELDS if spec.target == "person"},
        "referral": {
            spec.name: values[spec.name] for spec in F.FIELDS if spec.target == "referral"
        },
        "case_manager": values["case_manager"],
        "city": values["city"],
        "custom": custom,
    }
    if not prepared["person"]["sex"]:
        prepared["person"]["sex"] = "unknown"
    return prepared, []


def _extra_values(
    row: list[Any],
    line: int,
    columns: dict[str, int],
    headers: list[str],
    context: _Context,
    problems: list[dict[str, Any]],
) -> dict[str, Any]:
    """The row's cells of the organisation's own fields, checked as the web form checks them."""
    found: dict[str, Any] = {}
    for own in context.extra:
        cells, where = {}, {}
        for spec in own.specs:
            index = columns.get(spec.name)
            if index is None:
                continue
            where[spec.name] = headers[index]
            cells[spec.name] = row[index]
            text = cell_text(row[index])
            if text and is_formula(text):
                cells.pop(spec.name)
                problems.append(
                    _problem(
                        line,
                        headers[index],
                        spec,
                        _(
                            "“%(value)s” would be read as a spreadsheet formula: remove the =,"
                            " +, - or @ it starts with."
                        )
                        % {"value": text},
                    )
                )
        if not cells:
            continue
        values, refused = own.check(cells, day_first=context.mapping.day_first)
        for name, message in refused.items():
            spec = context.extra_specs[name]
            problems.append(_problem(line, where.get(name, ""), spec, message))
        found.update(values)
    return found


def _value(
    spec: F.ImportField, raw: object, text: str, context: _Context, unknown: dict[str, set[str]]
) -> object:
    if spec.kind == F.DATE:
        found = parse_date(raw if not isinstance(raw, str) else text, day_first=_day_first(context))
        if found is not None and found > context.today:
            raise BadValue(_("%(date)s is in the future.") % {"date": found.isoformat()})
        if found is not None and found.year < 1900:
            raise BadValue(_("%(date)s is too long ago.") % {"date": found.isoformat()})
        return found
    if not text:
        return ""
    if is_formula(text):
        # Stored, it would come out of every export as a formula (docs/security.md, 9).
        raise BadValue(
            _(
                "“%(value)s” would be read as a spreadsheet formula: remove the =, +, -"
                " or @ it starts with."
            )
            % {"value": text}
        )
    if spec.kind == F.TEXT:
        if len(text) > spec.max_length:
            raise BadValue(
                _("Longer than %(n)s characters (%(length)s).")
                % {"n": spec.max_length, "length": len(text)}
            )
        return text
    if spec.kind == F.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise BadValue(_("“%(value)s” is not an email address.") % {"value": text}) from None
        return text
    key = context.key(text)
    if spec.kind == F.CHOICE:
        chosen = context.mapping.values.get(spec.name, {}).get(key) or context.choices[
            spec.name
        ].get(key)
        if chosen is None:
            unknown[spec.name].add(text)
            raise BadValue(
                _("“%(value)s” is not a known value of %(field)s.")
                % {"value": text, "field": spec.label}
            )
        return chosen
    if spec.kind == F.COUNTRY:
        code = context.mapping.values.get(spec.name, {}).get(key) or country_lookup().get(key)
        if code is None:
            unknown[spec.name].add(text)
            raise BadValue(_("“%(value)s” is not a known country.") % {"value": text})
        return code
    if spec.kind == F.STAFF:
        user = context.staff.get(key)
        if user is None:
            raise BadValue(
                _("“%(value)s” is not an active case manager or supervisor of %(org)s.")
                % {"value": text, "org": context.organisation.name}
            )
        return user
    city = context.cities.get(key)
    if city is None:
        raise BadValue(
            _("“%(value)s” is not a city of %(org)s.")
            % {"value": text, "org": context.organisation.name}
        )
    return city


def _day_first(context: _Context) -> bool:
    return context.mapping.day_first


def _cross_checks(
    values: dict[str, Any],
    line: int,
    columns: dict[str, int],
    headers: list[str],
    context: _Context,
) -> list[dict[str, Any]]:
    born, referred = values.get("date_of_birth"), values.get("referral_date")
    if isinstance(born, datetime.date) and isinstance(referred, datetime.date) and born > referred:
        index = columns.get("date_of_birth")
        return [
            _problem(
                line,
                headers[index] if index is not None else "",
                F.BY_NAME["date_of_birth"],
                _("The date of birth is after the referral date (%(date)s).")
                % {"date": referred.isoformat()},
            )
        ]
    return []


def identity_key(given_name: str, family_name: str, born: datetime.date | None) -> str:
    """The normalised name and birth date that make two records the same client."""
    name = " ".join(sorted(name_tokens(given_name, family_name)))
    return f"{name}|{born.isoformat() if born else ''}"


def _flag_duplicates(report: Report, organisation: Organisation, decisions: dict[str, Any]) -> None:
    """Flag rows whose normalised name and birth date match an existing client of the
    organisation or another row of the file; each needs a decision (skip or import).

    Names are found through the blind index (whole-word keyed hashes, as search does), so no
    name is decrypted except those of the people whose every name word matches; their birth
    dates are then compared.
    """
    rows = [row for row in report.prepared if row["person"]["date_of_birth"]]
    digests_of = {
        row["line"]: name_digests(
            organisation.pk, row["person"]["given_name"], row["person"]["family_name"]
        )
        for row in rows
    }
    wanted = sorted(set().union(*digests_of.values())) if digests_of else []
    tokens_of: dict[UUID, set[str]] = defaultdict(set)
    for start in range(0, len(wanted), CHUNK):
        for person_id, digest in SearchToken.objects.filter(
            organisation=organisation, digest__in=wanted[start : start + CHUNK]
        ).values_list("person_id", "digest"):
            tokens_of[person_id].add(digest)
    candidates = {
        person_id
        for person_id, found in tokens_of.items()
        if any(digests <= found for digests in digests_of.values())
    }
    existing: dict[str, list[str]] = defaultdict(list)
    people = Person.objects.filter(pk__in=candidates, erased_at__isnull=True)
    references: dict[UUID, list[str]] = defaultdict(list)
    for person_id, reference in Case.objects.filter(person_id__in=candidates).values_list(
        "person_id", "reference"
    ):
        references[person_id].append(reference)
    for person in people:
        key = identity_key(person.given_name, person.family_name, person.date_of_birth)
        existing[key].extend(sorted(references[person.pk]) or ["—"])
    lines_of: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        person = row["person"]
        lines_of[
            identity_key(person["given_name"], person["family_name"], person["date_of_birth"])
        ].append(row["line"])
    skipped = set()
    for row in rows:
        person = row["person"]
        key = identity_key(person["given_name"], person["family_name"], person["date_of_birth"])
        cases = existing.get(key, [])
        others = [line for line in lines_of[key] if line != row["line"]]
        # The first of several identical rows is the one to import; the others are flagged.
        earlier = [line for line in others if line < row["line"]]
        if not cases and not earlier:
            continue
        decision = decisions.get(str(row["line"]), "")
        report.duplicates.append(
            {
                "line": row["line"],
                "name": normalise(f"{person['given_name']} {person['family_name']}"),
                "cases": cases,
                "lines": earlier,
                "decision": decision,
            }
        )
        if decision == "skip":
            skipped.add(row["line"])
        elif decision != "import":
            report.problems.append(
                {
                    "line": row["line"],
                    "column": "",
                    "field": str(F.BY_NAME["given_name"].label),
                    "message": _("Possible duplicate: decide to skip or import this row."),
                    "order": len(F.FIELDS),
                }
            )
    report.prepared = [row for row in report.prepared if row["line"] not in skipped]


def _display(row: dict[str, Any], context: _Context) -> dict[str, Any]:
    """A row as it will be stored, for the preview: (label, value) per field."""
    shown = []
    for spec in F.FIELDS:
        if spec.target == "case":
            value = row[spec.name]
            text = value.get_full_name() if spec.kind == F.STAFF else value.name
        else:
            value = row[spec.target][spec.name]
            if spec.kind == F.CHOICE and value:
                text = str(spec.choice_class(value).label)
            elif isinstance(value, datetime.date):
                text = value.isoformat()
            else:
                text = str(value or "")
        shown.append([str(spec.label), text])
    for own in context.extra:
        for spec in own.specs:
            if spec.name in row.get("custom", {}):
                shown.append([str(spec.label), own.show(spec.name, row["custom"][spec.name])])
    return {"line": row["line"], "values": shown}
