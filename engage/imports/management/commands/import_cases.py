import dataclasses
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from engage.accounts.models import Organisation
from engage.cases.services import register_referrals
from engage.imports import reading
from engage.imports.models import SavedMapping
from engage.imports.validation import Mapping, Report, check
from engage.lib.scoping import organisation_scope

PROBLEMS_PRINTED = 100
# What `Mapping.as_json` writes, and so what a mapping file may hold.
MAPPING_KEYS = {field.name for field in dataclasses.fields(Mapping)}


class Command(BaseCommand):
    help = (
        "Import an existing caseload from a CSV or XLSX file into one organisation: check "
        "every row (--dry-run) or store them all in one transaction (--commit). Exits 1 on any "
        "problem, printing the first 100; nothing is stored then."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--organisation", required=True, help="The pilot's code.")
        parser.add_argument(
            "--mapping",
            required=True,
            help="A mapping as a .json file, or the name of a mapping saved on the web page.",
        )
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--dry-run", action="store_true", help="Check only; store nothing.")
        mode.add_argument("--commit", action="store_true", help="Store every row, or none.")
        order = parser.add_mutually_exclusive_group()
        order.add_argument(
            "--day-first",
            dest="day_first",
            action="store_true",
            default=None,
            help="Read 03/04/2024 as 3 April (overrides the mapping).",
        )
        order.add_argument(
            "--month-first",
            dest="day_first",
            action="store_false",
            help="Read 03/04/2024 as 4 March (overrides the mapping).",
        )
        parser.add_argument(
            "--duplicates",
            choices=["refuse", "skip", "import"],
            default="refuse",
            help="Rows with the name and birth date of an existing client or an earlier row: "
            "refuse the file (default), skip those rows, or import them anyway.",
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        organisation: str,
        mapping: str,
        commit: bool,
        day_first: bool | None,
        duplicates: str,
        **options: Any,
    ) -> None:
        found = Organisation.objects.filter(code=organisation).first()
        if found is None:
            raise CommandError("No organisation with this code.")
        self._import(found, file, mapping, commit, day_first, duplicates)

    def _import(
        self,
        organisation: Organisation,
        file: Path,
        mapping: str,
        commit: bool,
        day_first: bool | None,
        duplicates: str,
    ) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        # Everything this command reads and writes is this one organisation's.
        with organisation_scope(organisation.pk):
            chosen = self._mapping(organisation, mapping)
            if day_first is not None:
                chosen.day_first = day_first
            try:
                sheet = reading.read(file.name, data)
            except reading.UnreadableFile as error:
                raise CommandError(str(error)) from None
            missing = chosen.missing(sheet.headers)
            if missing:
                raise CommandError(
                    "No column, and no default, for the required field(s): " + ", ".join(missing)
                )
            decisions: dict[str, str] = {}
            if duplicates != "refuse":
                first = check(sheet, chosen, organisation)
                decisions = {str(d["line"]): duplicates for d in first.duplicates}
            report = check(sheet, chosen, organisation, decisions=decisions)
            self._print(report)
            if not report.valid:
                raise CommandError(f"{len(report.problems)} problem(s): nothing was stored.")
            if not commit:
                self.stdout.write(f"Dry run: {len(report.prepared)} row(s) would be imported.")
                return
            try:
                with transaction.atomic():
                    cases = register_referrals(
                        organisation=organisation,
                        by=None,
                        referrals=report.prepared,
                        detail="import_command",
                    )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stdout.write(f"{len(cases)} referral(s) registered.")

    def _mapping(self, organisation: Organisation, value: str) -> Mapping:
        path = Path(value)
        if value.endswith(".json") and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError as error:
                raise CommandError(f"Cannot read the mapping {path}: {error}") from None
            except ValueError as error:  # not UTF-8, or not JSON
                raise CommandError(f"The mapping {path} is not a JSON file: {error}") from None
            unknown = sorted(set(data) - MAPPING_KEYS) if isinstance(data, dict) else []
            if unknown:
                raise CommandError(
                    f"Cannot use the mapping {path}: unknown key(s) {', '.join(unknown)}; "
                    f"a mapping has {', '.join(sorted(MAPPING_KEYS))}."
                )
            return self._read(data, f"the mapping {path}")
        saved = SavedMapping.objects.filter(organisation=organisation, name=value).first()
        if saved is None:
            raise CommandError(f"No mapping file or saved mapping called {value!r}.")
        return self._read(saved.mapping, f"the saved mapping {value!r}")

    def _read(self, data: Any, what: str) -> Mapping:
        try:
            return Mapping.from_json(data)
        except ValueError as error:  # a file written by hand: say what is not of its shape
            raise CommandError(f"Cannot use {what}: {error}") from None

    def _print(self, report: Report) -> None:
        self.stdout.write(
            f"{report.rows} row(s), {len(report.problems)} problem(s), "
            f"{len(report.duplicates)} possible duplicate(s)."
        )
        for problem in report.problems[:PROBLEMS_PRINTED]:
            column = f" [{problem['column']}]" if problem["column"] else ""
            self.stdout.write(
                f"row {problem['line']}{column} {problem['field']}: {problem['message']}"
            )
        if len(report.problems) > PROBLEMS_PRINTED:
            self.stdout.write(f"… and {len(report.problems) - PROBLEMS_PRINTED} more.")
