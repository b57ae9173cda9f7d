"""Writing and reading a submission: `cases.csv` and `manifest.json`, checked against every
rule of the dataset spec. A submission with any fault is refused whole, with a report naming
each row, column and problem."""

import csv
import datetime
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import contains, itemgetter
from pathlib import Path
from typing import Any

from django.utils import timezone

from engage.lib.private_files import FOLDER_MODE, open_private, write_private
from engage.lib.spreadsheets import any_formula, is_formula, neutralise
from engage.lib.untrusted import untrusted_json
from engage.mel.dataset import anonymity
from engage.mel.dataset.rows import (
    COLUMNS,
    COLUMNS_V2,
    DISENGAGED_REASONS,
    DISENGAGEMENT_CODES,
    SCHEMA,
    VERSION,
    columns_of,
)

# Version 2: four more columns, and suppressed values (the spec's "Version 2"). Version 1 is
# still read: its rows get the new columns empty (unknown).
VERSIONS = (1, VERSION)

ALLOWED = {
    "referral_source": {"authority", "detention_centre", "police", "ngo", "self", "community", "other"},
    "detention_at_referral": {"in_detention", "released", "at_risk", "none"},
    "migration_status": {"asylum_seeker", "refused_asylum_seeker", "irregular", "barrier_to_return", "other", "unknown"},
    "sex": {"female", "male", "other", "unknown"},
    "age_band": {"0-17", "18-24", "25-34", "35-49", "50-64", "65+", "unknown"},
    "vulnerable": {"true", "false"},
    "family_with_children": {"true", "false"},
    "included": {"true", "false"},
    "engagement_level": {"active", "compliant", "disengaged", "unknown"},
    "status": {"active", "closed"},
    "closure_reason": {"", "resolved", "disengaged", "absconded", "removed", "detained", "transferred", "deceased", "other"},
    "outcome": {"", "protection", "regularisation", "third_country", "voluntary_return", "temporary_status", "other"},
    "outcome_permanence": {"", "permanent", "temporary"},
}  # fmt: skip
REGIONS = {
    "Northern Africa", "Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa",
    "Caribbean", "Central America", "South America", "Northern America", "Central Asia",
    "Eastern Asia", "South-eastern Asia", "Southern Asia", "Western Asia", "Eastern Europe",
    "Northern Europe", "Southern Europe", "Western Europe", "Australia and New Zealand",
    "Melanesia", "Micronesia", "Polynesia", "unknown",
}  # fmt: skip
VULNERABILITIES = {"child", "gender", "health", "protection", "other"}
RATINGS = ("idm", "engage", "wellbeing")
# `\Z`, not `$`, which matches before a final newline too ("2024-06\n" was a month, a second
# period end beside "2024-06"); ASCII digits only, not `\d`, which is any script's digit (a
# period end "٩٩٩٩-12" sorted after every real one).
PILOT = re.compile(r"\A[A-Z]{2}-[A-Z0-9]{2,10}\Z")
MONTH = re.compile(r"\A([0-9]{4})-(0[1-9]|1[0-2])\Z")
HEX = re.compile(r"\A[0-9a-f]+\Z")
# The longest `generated_at` the hub keeps (`Submission.generated_at`): Python reads a time
# with any number of digits in its fraction of a second.
MAX_GENERATED_AT = 40
MAX_REPORTED = 100
# The most rows a submission may hold: twice a national programme of 100,000 clients (the
# bench's largest network) in one pilot. A row read is a dict of 36 strings, some 16 times the
# bytes of its line: the 200 MB a .zip may unpack to (`mel.forms`), in rows of empty cells,
# took over 3 GB of a hub's web process, for anyone holding a pilot's submission token.
MAX_ROWS = 200_000
# A manifest is a few hundred bytes. Parsed, JSON takes up to 24 times its text ("[[],[],…]":
# a list object for every 3 bytes): one of the 200 MB a .zip may unpack to took 4.8 GB.
MAX_MANIFEST_BYTES = 64 * 2**10
# What version 2 adds to version 1's sets: a suppressed detention status, an empty city.
ALLOWED_V2 = {"detention_at_referral": {"unknown"}}
# Version 2's allowed values of each column, made once: a row's check made each set again, for
# every row of an export or an import (1.5 million sets at 100,000 rows).
_ALLOWED_IN_V2 = {
    column: allowed | ALLOWED_V2.get(column, set()) for column, allowed in ALLOWED.items()
}
# A row's closed columns (in the order of both dicts above) and its ratings, each read in one
# call: a row's check (every row of an export or an import) tells by a pass in C that nearly
# every row has no fault there, and looks column by column only at a row that has one.
_CLOSED = itemgetter(*ALLOWED)
_RATING_COLUMNS = tuple(f"{prefix}_{when}" for prefix in RATINGS for when in ("baseline", "latest"))
_RATED = itemgetter(*_RATING_COLUMNS)
_RATING_VALUES = frozenset(("", "1", "2", "3", "4", "5"))


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1 = the first data row; None = the submission as a whole
    column: str
    message: str

    def __str__(self) -> str:
        if self.row:
            where = f"row {self.row}, {self.column}" if self.column else f"row {self.row}"
        else:
            where = self.column or "submission"
        return f"{where}: {self.message}"


class InvalidSubmission(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems

    def report(self) -> str:
        lines = [str(p) for p in self.problems[:MAX_REPORTED]]
        more = len(self.problems) - MAX_REPORTED
        if more > 0:
            lines.append(f"… and {more} more")
        lines.append(f"{len(self.problems)} problem(s) in all; nothing was stored.")
        return "\n".join(lines)


@dataclass
class Submission:
    pilot: str
    period_end: str
    generated_at: str
    rows: list[dict[str, str]]
    sha256: str
    version: int = 1
    # What a version 2 manifest says of its protection; checked against the rows.
    k_anonymity: int | None = None
    suppressed: int | None = None


# Writing


def write(
    folder: Path,
    pilot: str,
    period_end: str,
    rows: Iterable[dict[str, str]],
    *,
    protection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write `cases.csv` row by row (memory flat in the number of rows), then the manifest.

    `protection` is what `anonymity.Protection.manifest_fields` gives: with it the manifest is
    version 2 and states the quasi-identifiers, k and the cells suppressed; without it the
    submission is version 1, without version 2's columns (kept for tests and older tools).
    """
    # Readable by the operator only: the rows are de-identified but carry person_ref, and the
    # usual umask (022) would let every local account read them. A folder made here is 0700;
    # an existing one named by the operator (say /tmp) is theirs and left as it is.
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    digest, count = hashlib.sha256(), 0
    version = VERSION if protection is not None else 1
    columns = columns_of(version)
    with open_private(folder / "cases.csv", "w", encoding="utf-8", newline="") as file:
        for text, written in _csv_text(rows, columns):
            file.write(text)
            digest.update(text.encode())
            count += written
    manifest = {
        "schema": SCHEMA,
        "version": version,
        "pilot": pilot,
        "period_end": period_end,
        "generated_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": count,
        "sha256": digest.hexdigest(),
        **(protection or {}),
    }
    write_private(folder / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def csv_sha256(rows: Iterable[dict[str, str]], version: int = VERSION) -> str:
    """The sha256 `write` would give `cases.csv` for these rows."""
    hashed = hashlib.sha256()
    for text, _written in _csv_text(rows, columns_of(version)):
        hashed.update(text.encode())
    return hashed.hexdigest()


# Rows written at a time: a writer and a buffer for each line took a twentieth of an export.
_CHUNK = 1000


def _csv_text(
    rows: Iterable[dict[str, str]], columns: tuple[str, ...]
) -> Iterator[tuple[str, int]]:
    """The CSV's text, the header first, then a chunk of rows at a time, each with how many
    rows it holds. Formula-like text is put behind a quote, so no spreadsheet runs it
    (docs/security.md, 9)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(column) for column in columns])
    chunk, cells = 0, itemgetter(*columns)
    for row in rows:
        values = cells(row)
        # Nearly every row has no formula-like value: written as it is.
        writer.writerow(list(map(neutralise, values)) if any_formula(values) else values)
        chunk += 1
        if chunk == _CHUNK:
            yield _taken(buffer), chunk
            chunk = 0
    yield _taken(buffer), chunk


def _taken(buffer: io.StringIO) -> str:
    """What the buffer holds, leaving it empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# Reading and checking


# What Python's zipfile raises for a .zip it lists but cannot unpack, besides BadZipFile: a
# compression or a zip version it does not know, or patched data (NotImplementedError), an
# encrypted entry (RuntimeError), damaged deflate data (zlib.error), a truncated one (EOFError),
# a name in no encoding or an offset before the file's start (ValueError). Each is a refusal
# with a report, not a server error.
UNREADABLE_ZIP = (
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)


def read(path: Path) -> Submission:
    """Read a folder or a `.zip` and check it whole; raise InvalidSubmission with every fault."""
    try:
        manifest_bytes, csv_bytes = _files(path)
    except (*UNREADABLE_ZIP, KeyError) as error:
        raise InvalidSubmission(
            [Problem(None, "", f"cannot read the submission: {error}")]
        ) from None
    problems: list[Problem] = []
    manifest = _manifest(manifest_bytes, problems)
    try:
        text = csv_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(Problem(None, "cases.csv", f"not UTF-8 (byte {error.start})"))
        raise InvalidSubmission(problems) from None
    if text.startswith("\ufeff"):
        problems.append(
            Problem(None, "cases.csv", "starts with a byte-order mark; save it as plain UTF-8")
        )
    sha = hashlib.sha256(csv_bytes).hexdigest()
    if manifest and manifest.get("sha256") != sha:
        problems.append(Problem(None, "manifest.json", "sha256 does not match cases.csv"))
    rows = _rows(text, problems, columns_of(manifest["version"]) if manifest else COLUMNS)
    if manifest:
        if manifest.get("rows") != len(rows):
            problems.append(
                Problem(
                    None,
                    "manifest.json",
                    f"says {manifest.get('rows')} rows, cases.csv has {len(rows)}",
                )
            )
        _check_rows(rows, manifest["pilot"], manifest["period_end"], problems, manifest["version"])
        if manifest["version"] >= 2 and not problems:
            _check_protection(manifest, rows, problems)
    if problems or manifest is None:  # no manifest without a problem said
        raise InvalidSubmission(problems)
    if manifest["version"] < 2:  # version 1 does not know them: unknown
        rows = [{**row, **dict.fromkeys(COLUMNS_V2, "")} for row in rows]
    return Submission(
        manifest["pilot"],
        manifest["period_end"],
        manifest["generated_at"],
        rows,
        sha,
        version=manifest["version"],
        k_anonymity=manifest.get("k_anonymity"),
        suppressed=manifest.get("suppressed"),
    )


def _check_protection(
    manifest: dict[str, Any], rows: list[dict[str, str]], problems: list[Problem]
) -> None:
    """A version 2 manifest's k is what its rows give: recomputed here, not taken on trust, as
    their reader reads them (`anonymity.key_of`: a child's unknown age band is `0-17`)."""
    if list(manifest["quasi_identifiers"]) != list(anonymity.QUASI_IDENTIFIERS):
        problems.append(
            Problem(
                None,
                "manifest.json",
                "quasi_identifiers must be " + ", ".join(anonymity.QUASI_IDENTIFIERS),
            )
        )
        return
    # What it says is kept at the hub: no more cells than the rows have that can be replaced
    # (a number beyond the column was a server error, not a refusal).
    replaceable = len(rows) * len(anonymity.SUPPRESSED_VALUE)
    if manifest["suppressed"] > replaceable:
        problems.append(
            Problem(
                None,
                "manifest.json",
                f"says {manifest['suppressed']} cells suppressed, the rows have {replaceable}",
            )
        )
    measured = anonymity.k_anonymity(rows)
    if manifest["k_anonymity"] != measured:
        problems.append(
            Problem(
                None,
                "manifest.json",
                f"says k_anonymity {manifest['k_anonymity']}, the rows give {measured}",
            )
        )


def _files(path: Path) -> tuple[bytes, bytes]:
    """The manifest (no more than MAX_MANIFEST_BYTES and one byte, to tell it is too large)
    and the CSV."""
    if path.is_dir():
        with open(path / "manifest.json", "rb") as manifest:
            return manifest.read(MAX_MANIFEST_BYTES + 1), (path / "cases.csv").read_bytes()
    with zipfile.ZipFile(path) as archive:
        names = {Path(name).name: name for name in archive.namelist() if not name.endswith("/")}
        with archive.open(names["manifest.json"]) as manifest:
            head = manifest.read(MAX_MANIFEST_BYTES + 1)
        return head, archive.read(names["cases.csv"])


def _manifest(data: bytes, problems: list[Problem]) -> dict[str, Any] | None:
    if len(data) > MAX_MANIFEST_BYTES:
        problems.append(
            Problem(None, "manifest.json", f"is larger than {MAX_MANIFEST_BYTES} bytes")
        )
        return None
    try:
        manifest = untrusted_json(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        problems.append(Problem(None, "manifest.json", f"not valid JSON: {error}"))
        return None
    before = len(problems)
    if not isinstance(manifest, dict):
        problems.append(Problem(None, "manifest.json", "must be a JSON object"))
        return None
    if manifest.get("schema") != SCHEMA or manifest.get("version") not in VERSIONS:
        problems.append(
            Problem(
                None,
                "manifest.json",
                f"schema must be {SCHEMA!r} version " + " or ".join(map(str, VERSIONS)),
            )
        )
    elif manifest["version"] >= 2:
        if not isinstance(manifest.get("quasi_identifiers"), list):
            problems.append(Problem(None, "manifest.json", "quasi_identifiers must be a list"))
        for name in ("k_anonymity", "suppressed"):
            value = manifest.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(Problem(None, "manifest.json", f"{name} must be a whole number"))
    if not PILOT.match(str(manifest.get("pilot", ""))):
        problems.append(Problem(None, "manifest.json", "pilot must look like BG-CLA"))
    if not _is_month(str(manifest.get("period_end", ""))):
        problems.append(Problem(None, "manifest.json", "period_end must be a month, YYYY-MM"))
    if not isinstance(manifest.get("rows"), int):
        problems.append(Problem(None, "manifest.json", "rows must be a whole number"))
    generated_at = manifest.get("generated_at")
    try:
        if not isinstance(generated_at, str) or len(generated_at) > MAX_GENERATED_AT:
            raise ValueError(generated_at)
        datetime.datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem(None, "manifest.json", "generated_at must be an ISO 8601 time"))
    return manifest if len(problems) == before else None


def _rows(
    text: str, problems: list[Problem], columns: tuple[str, ...] = COLUMNS
) -> list[dict[str, str]]:
    # strict: a stray or unclosed quote is an error, not a cell that swallows the next rows
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        problems.append(Problem(None, "cases.csv", "is empty: it needs the header row"))
        return []
    if tuple(header) != columns:
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing))
        if extra:
            detail.append("unexpected " + ", ".join(extra))
        if not detail:
            detail.append("the columns are not in the order of the spec")
        problems.append(Problem(None, "cases.csv header", "; ".join(detail)))
        return []
    rows = []
    try:
        for number, values in enumerate(reader, start=1):
            if number > MAX_ROWS:
                problems.append(
                    Problem(None, "cases.csv", f"has more than {MAX_ROWS} rows, the most a "
                            "submission may hold")
                )  # fmt: skip
                break
            if len(values) != len(columns):
                problems.append(
                    Problem(number, "", f"has {len(values)} cells, expected {len(columns)}")
                )
                continue
            rows.append(dict(zip(columns, values, strict=True)))
    except csv.Error as error:
        problems.append(
            Problem(None, "cases.csv", f"malformed CSV at line {reader.line_num}: {error}")
        )
    return rows


def _is_month(value: str) -> bool:
    return bool(MONTH.match(value))


def _check_rows(
    rows: list[dict[str, str]],
    pilot: str,
    period_end: str,
    problems: list[Problem],
    version: int = 1,
) -> None:
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        for problem in check_row(row, pilot, period_end, version):
            problems.append(Problem(number, problem[0], problem[1]))
        ref = row["case_ref"]
        if ref in seen:
            problems.append(Problem(number, "case_ref", f"repeats row {seen[ref]}"))
        seen.setdefault(ref, number)


def check_row(
    row: dict[str, str], pilot: str, period_end: str, version: int = 1
) -> list[tuple[str, str]]:
    """Every fault of one row, as (column, message). Version 2 allows suppressed values."""
    faults = (
        [
            (column, f"{value!r} would be read as a spreadsheet formula")
            for column, value in row.items()
            if is_formula(value)
        ]
        if any_formula(row.values())
        else []
    )
    if row["pilot"] != pilot:
        faults.append(("pilot", f"{row['pilot']!r} is not the manifest's pilot {pilot}"))
    ref = row["case_ref"]
    if not (16 <= len(ref) <= 64 and HEX.match(ref)):
        faults.append(("case_ref", "must be 16 to 64 lower-case hex characters"))
    if row["person_ref"] and not (len(row["person_ref"]) == 64 and HEX.match(row["person_ref"])):
        faults.append(("person_ref", "must be 64 hex characters or empty"))
    if row["household_ref"] and not HEX.match(row["household_ref"]):
        faults.append(("household_ref", "must be hex or empty"))
    if not row["city"].strip() and version < 2:
        faults.append(("city", "is empty"))
    sets = _ALLOWED_IN_V2 if version >= 2 else ALLOWED
    # Each closed column's value in its set, in one pass in C; faults named column by column.
    every_allowed = all(map(contains, sets.values(), _CLOSED(row)))
    for column, allowed in () if every_allowed else sets.items():
        if row[column] not in allowed:
            faults.append(
                (
                    column,
                    f"{row[column]!r} is not one of {', '.join(sorted(a for a in allowed if a))}",
                )
            )
    if row["nationality_region"] not in REGIONS:
        faults.append(
            ("nationality_region", f"{row['nationality_region']!r} is not a UN M49 sub-region")
        )
    codes = [c for c in row["vulnerabilities"].split(";") if c] if row["vulnerabilities"] else []
    if any(code not in VULNERABILITIES for code in codes) or len(set(codes)) != len(codes):
        faults.append(
            ("vulnerabilities", "must be a ;-list of child, gender, health, protection, other")
        )
    if row["vulnerable"] == "false" and codes:
        faults.append(("vulnerabilities", "set while vulnerable is false"))
    if row["vulnerable"] == "true" and not codes:
        faults.append(("vulnerable", "true without any vulnerability domain"))
    months = {}
    for column in ("referral_month", "inclusion_month", "closure_month"):
        value = row[column]
        if value == "" and column != "referral_month":
            continue
        if not _is_month(value):
            faults.append((column, f"{value!r} is not a month (YYYY-MM)"))
        elif value > period_end:
            faults.append((column, f"{value} is after period_end {period_end}"))
        else:
            months[column] = value
    if row["included"] == "false" and row["inclusion_month"]:
        faults.append(("inclusion_month", "set while included is false"))
    if row["included"] == "true" and not row["inclusion_month"]:
        faults.append(("inclusion_month", "empty while included is true"))
    if (
        "inclusion_month" in months
        and "referral_month" in months
        and months["inclusion_month"] < months["referral_month"]
    ):
        faults.append(("inclusion_month", "before referral_month"))
    start = months.get("inclusion_month") or months.get("referral_month")
    if "closure_month" in months and start and months["closure_month"] < start:
        faults.append(
            (
                "closure_month",
                "before "
                + ("inclusion_month" if months.get("inclusion_month") else "referral_month"),
            )
        )
    closed = bool(row["closure_month"]) and bool(row["closure_reason"])
    if (row["status"] == "closed") != closed or bool(row["closure_month"]) != bool(
        row["closure_reason"]
    ):
        faults.append(("status", "closed if and only if closure_month and closure_reason are set"))
    if bool(row["outcome"]) != bool(row["outcome_permanence"]):
        faults.append(("outcome_permanence", "set if and only if outcome is set"))
    if not _RATING_VALUES.issuperset(_RATED(row)):
        for column in _RATING_COLUMNS:
            if row[column] not in _RATING_VALUES:
                faults.append((column, f"{row[column]!r} is not 1 to 5"))
    counts = {}
    for column in ("assessments", "contacts", "face_to_face_contacts"):
        if not row[column].isdigit():
            faults.append((column, f"{row[column]!r} is not a whole number ≥ 0"))
        else:
            counts[column] = int(row[column])
    if len(counts) == 3 and counts["face_to_face_contacts"] > counts["contacts"]:
        faults.append(("face_to_face_contacts", "more than contacts"))
    if version >= 2:
        faults.extend(_version_2_faults(row, period_end, months.get("referral_month"), counts))
    return faults


def _version_2_faults(
    row: dict[str, str], period_end: str, referral: str | None, counts: dict[str, int]
) -> list[tuple[str, str]]:
    """The rules of version 2's four columns (the spec's "Version 2" table)."""
    faults = []
    for column, when in (
        ("outcome_month", bool(row["outcome"])),
        ("latest_assessment_month", counts.get("assessments", 0) >= 1),
    ):
        value = row[column]
        condition = "outcome is set" if column == "outcome_month" else "assessments ≥ 1"
        if bool(value) != when:
            faults.append((column, f"set if and only if {condition}"))
        if not value:
            continue
        if not _is_month(value):
            faults.append((column, f"{value!r} is not a month (YYYY-MM)"))
        elif value > period_end:
            faults.append((column, f"{value} is after period_end {period_end}"))
        elif referral and value < referral:
            faults.append((column, "before referral_month"))
    ref = row["case_manager_ref"]
    if ref and not (16 <= len(ref) <= 64 and HEX.match(ref)):
        faults.append(("case_manager_ref", "must be 16 to 64 lower-case hex characters or empty"))
    factors = row["disengagement_factors"].split(";") if row["disengagement_factors"] else []
    if any(f not in DISENGAGEMENT_CODES for f in factors) or len(set(factors)) != len(factors):
        faults.append(
            ("disengagement_factors", "must be a ;-list of " + ", ".join(DISENGAGEMENT_CODES))
        )
    disengaged = row["closure_reason"] in DISENGAGED_REASONS or (
        row["status"] == "active" and row["engagement_level"] == "disengaged"
    )
    if factors and not disengaged:
        faults.append(
            (
                "disengagement_factors",
                "set on a case neither closed as disengaged or absconded nor active and disengaged",
            )
        )
    return faults
