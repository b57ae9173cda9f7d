"""The harmonised network dataset (shared/spec/network-dataset.md): version 2's columns (version
1's and four more: when the outcome was reached and the latest ratings given, the pseudonymous
case manager, the factors in a disengagement) and its suppressed values (`anonymity.py` chooses
them at export).

`COLUMNS` is the contract. `derive_rows` is the one place where Engage's case model is mapped to
the network's definitions; everything else (export, indicators, reports) works on rows, whether
derived here from live cases or imported from a pilot's submission.
"""

import datetime
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt
from django.db.models import Count, Max, Q, QuerySet, Value
from django.utils import timezone

from engage.accounts.models import Organisation
from engage.cases.duplicates import same_person_groups
from engage.cases.facts import age_band
from engage.cases.models import Assessment, Case, Contact, EngagementRecord, Person
from engage.cases.models.closure import Closure, ClosureReason
from engage.cases.models.person import NATIONALITY_UNKNOWN
from engage.cases.models.process import VULNERABILITY_DOMAINS, ApprovalStatus
from engage.lib.crypto import blind_index, normalise
from engage.lib.memory import collection_paused
from engage.lib.scoping import organisation_scope
from engage.mel.dataset import case_rows
from engage.mel.dataset.keys import RowKeys
from engage.mel.dataset.m49 import region_of
from engage.mel.dataset.stored import (
    Codes,
    KeyedRow,
    StoredRows,
    packed,
    packed_columns,
    unpacked,
    unpacked_columns,
)

SCHEMA = "atd-network-dataset"
VERSION = 2

COLUMNS_V1 = (
    "pilot",
    "case_ref",
    "person_ref",
    "household_ref",
    "city",
    "referral_month",
    "referral_source",
    "detention_at_referral",
    "migration_status",
    "sex",
    "age_band",
    "nationality_region",
    "vulnerable",
    "vulnerabilities",
    "family_with_children",
    "included",
    "inclusion_month",
    "engagement_level",
    "status",
    "closure_month",
    "closure_reason",
    "outcome",
    "outcome_permanence",
    "idm_baseline",
    "idm_latest",
    "engage_baseline",
    "engage_latest",
    "wellbeing_baseline",
    "wellbeing_latest",
    "assessments",
    "contacts",
    "face_to_face_contacts",
)
# Version 2 adds these after `face_to_face_contacts`; a version 1 row has them empty (unknown).
COLUMNS_V2 = (
    "outcome_month",
    "latest_assessment_month",
    "case_manager_ref",
    "disengagement_factors",
)
COLUMNS = COLUMNS_V1 + COLUMNS_V2


def columns_of(version: int) -> tuple[str, ...]:
    """The columns of a submission of `version`, in their order."""
    return COLUMNS_V1 if version < 2 else COLUMNS


VULNERABILITY_CODES = ("child", "gender", "health", "protection", "other")
# The spec's codes of `disengagement_factors`, in its order (cases.DisengagementFactor).
DISENGAGEMENT_CODES = (
    "negative_decision", "fear", "trust", "basic_needs", "health", "moved", "family",
    "contact_lost", "other",
)  # fmt: skip
DISENGAGED_REASONS = ("disengaged", "absconded")


def month(day: datetime.date | None) -> str:
    if not day:
        return ""
    if day.year >= 1000:  # as strftime writes it, without its cost (a row asks up to five)
        return f"{day.year}-{day.month:02d}"
    return day.strftime("%Y-%m")  # the platform's way with a year of fewer digits


def month_end(value: str) -> datetime.date:
    """The last day of a `YYYY-MM` month."""
    year, number = (int(part) for part in value.split("-"))
    first_of_next = datetime.date(year + number // 12, number % 12 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def person_ref(person: Person, linkage_key: bytes | None) -> str:
    """HMAC-SHA256, with the key the pilots agreed for the round (`LinkageRound`, kept by the
    pilot, never by the hub), of the normalised identity: name, birth year and month, sex,
    nationality. Empty without a key or without a name."""
    country = person.nationality  # a new Country object at each reading of the field
    nationality = country.code if country else ""
    return _identity_ref(
        linkage_key, person.given_name, person.family_name, person.erased_at,
        person.date_of_birth, person.sex, nationality,
    )  # fmt: skip


def _identity_ref(
    linkage_key: bytes | None,
    given_name: str,
    family_name: str,
    erased_at: datetime.datetime | None,
    date_of_birth: datetime.date | None,
    sex: str,
    nationality: str,
) -> str:
    """`person_ref` of a person given by their columns (a case's row read as values)."""
    if not linkage_key or not given_name or erased_at:
        return ""
    name = normalise(f"{given_name} {family_name}")
    if nationality == NATIONALITY_UNKNOWN:
        nationality = ""  # "unknown" chosen or nothing given: the same person either way
    identity = "|".join((name, month(date_of_birth), sex, nationality or ""))
    return hmac.new(linkage_key, identity.encode(), hashlib.sha256).hexdigest()


def case_ref(case: Case) -> str:
    """Pseudonymous and stable, keyed with the pilot's own index key: never the internal id."""
    return _case_ref_of(case.pk)


def _case_ref_of(case_id: UUID) -> str:
    return blind_index("case_ref", str(case_id))


@dataclass(slots=True)
class _Case:
    """A case as its row reads it: its columns (`_case_columns`, read as values: a model with
    its person, city and screening took about two and a half times as long to make, and made
    a `Country` for each nationality) and what `_batch` adds of its period. The records are
    named tuples of the columns the dataset reads (`_RECORDS`), not models: a case has a
    dozen, and 100,000 cases a million."""

    columns: Any
    period_assessments: list[Any] = field(default_factory=list)
    period_engagement: list[Any] = field(default_factory=list)
    period_closures: list[Any] = field(default_factory=list)
    contact_count: int = 0
    in_person_count: int = 0
    latest_contact: datetime.date | None = None
    # Its contacts, all and in person, up to an earlier period end (`_batch`'s `earlier`).
    earlier_counts: tuple[int, int] = (0, 0)
    family_with_children: bool = False


# What the dataset reads of each record, and nothing else: a note or a name is never decrypted
# to derive a row (issue 17: the export decrypted every encrypted column of the case, its
# person, assessments and closures, contact notes aside, for one birth date).
_VULNERABILITY_FLAGS = tuple(f"vulnerability_{code}" for code, _label in VULNERABILITY_DOMAINS)
_SCREENING_FLAGS = tuple(
    (code, f"screening__vulnerability_{code}") for code, _label in VULNERABILITY_DOMAINS
)
_DOMAIN_CODES = tuple(code for code, _label in VULNERABILITY_DOMAINS)
_assessment_flags = attrgetter(*_VULNERABILITY_FLAGS)  # a record's flags, in the domains' order
_CASE_FIELDS = (
    "id", "organisation_id", "person_id", "household_id", "case_manager_id", "city__name",
    "referral_date", "referral_source", "detention_at_referral", "migration_status",
    "inclusion_date", "declined_date", "outcome", "outcome_permanence", "outcome_date",
    "age_band_at_referral",
    "person__sex", "person__date_of_birth", "person__nationality", "person__erased_at",
    *(f"screening__{flag}" for flag in _VULNERABILITY_FLAGS),
)  # fmt: skip
_RATINGS = ("informed_decisions", "engage_procedures", "wellbeing")
# `person_ref` also reads the name, only when the round's key is given.
_NAME_FIELDS = ("person__given_name", "person__family_name")
# Cases read at a time: each batch is a handful of queries (the cases, then their assessments,
# engagement records, closures, contacts counted and households with a child).
BATCH = 1000


def _cases(organisation: Organisation, period_end: datetime.date) -> "QuerySet[Case]":
    """The organisation's enrollments referred by `period_end`, in the dataset's order."""
    return Case.objects.filter(organisation=organisation, referral_date__lte=period_end).order_by(
        "referral_date", "pk"
    )


def _case_columns(names: bool) -> tuple[str, ...]:
    """What a row reads of its case, with its person's name when a linkage key is given."""
    return (*_CASE_FIELDS, *(_NAME_FIELDS if names else ()))


# Each case's records the dataset reads, as (model, columns, order, dated): `dated` records
# count only up to the period's end; a closure is taken as of it in `_row`.
# The id last: records of one day written at one moment (an import writes many at once) are
# always taken in the same order, so a case's row does not change between two exports.
_RECORDS: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...], bool]] = {
    "period_assessments": (
        Assessment, ("date", *_RATINGS, *_VULNERABILITY_FLAGS), ("date", "created_at", "id"), True
    ),
    "period_engagement": (
        EngagementRecord, ("date", "level"), ("date", "created_at", "id"), True
    ),
    "period_closures": (
        Closure, ("date", "reason", "status", "disengagement_factors"), ("created_at", "id"), False
    ),
}  # fmt: skip


def _batch(
    cases: "QuerySet[Case]",
    ids: list[UUID],
    period_end: datetime.date,
    *,
    names: bool = False,
    earlier: datetime.date | None = None,
) -> list[_Case]:
    """The cases `ids` of `cases`, in that order, each with what its row reads of its period
    (`_Case`): its records (`_RECORDS`), its contacts counted (a query of their own: counted
    beside the cases' columns, the database grouped every selected value over cases by
    contacts) and whether its household has a child. With `earlier`, a period end before
    `period_end`, its contacts are counted up to that too (`_as_of`)."""
    # The records are matched to their case by the case's id as the database writes it: as a
    # UUID, one was made in Python for each record (a million at 100,000 clients).
    # In no order: the batch is put in the order of `ids` below (a sort the database spared).
    read = cases.filter(pk__in=ids).order_by().annotate(key=case_rows.as_text("pk"))
    batch = {
        columns.key: _Case(columns)
        for columns in read.values_list("key", *_case_columns(names), named=True)
    }
    for attribute, (model, columns, ordering, dated) in _RECORDS.items():
        records: dict[str, list[Any]] = {key: [] for key in batch}
        query = model.objects.filter(case__in=ids)
        if dated:
            query = query.filter(date__lte=period_end)
        # By case first: an assessment's columns come in that order from their index, with
        # no sort (`assessment_dataset`); a case's own records keep the order they had.
        query = query.annotate(case_key=case_rows.as_text("case_id")).order_by("case_id", *ordering)
        for record in query.values_list("case_key", *columns, named=True):
            records[record.case_key].append(record)
        for key, case in batch.items():
            setattr(case, attribute, records[key])
    counts = {
        case_id: ((total, in_person), latest, (earlier_total, earlier_in_person))
        for case_id, total, in_person, latest, earlier_total, earlier_in_person
        in _contacts_counted(cases, ids, period_end, earlier)
    }  # fmt: skip
    households = {case.columns.household_id for case in batch.values()} - {None}
    with_children = set(
        Person.objects.filter(
            household__in=households, relationship=Person.Relationship.CHILD
        ).values_list("household_id", flat=True)
    )
    by_id = {case.columns.id: case for case in batch.values()}
    for case_id, case in by_id.items():
        (case.contact_count, case.in_person_count), case.latest_contact, case.earlier_counts = (
            counts.get(case_id, ((0, 0), None, (0, 0)))
        )
        case.family_with_children = case.columns.household_id in with_children
    return [by_id[pk] for pk in ids if pk in by_id]


def _contacts_counted(
    cases: "QuerySet[Case]",
    ids: list[UUID],
    period_end: datetime.date,
    earlier: datetime.date | None = None,
) -> "QuerySet[Case, tuple[UUID, int, int, datetime.date | None, int, int]]":
    """Each case of `ids` with its contacts up to `period_end`, all and in person, the latest
    one's date, and its contacts up to `earlier`, all and in person (none counted without).

    Counted from the cases, so the database finds each case once and then its contacts by the
    index `contact_case_date_type`, which holds their date and type (no contact row is read).
    Counted from the contacts, the organisation's filter of the scoped manager joined the case
    again for each of them: at 100,000 clients, 2.3 million lookups of a case (issue 17)."""
    in_period, in_person = (
        Q(contacts__date__lte=period_end),
        Q(contacts__type__in=Contact.IN_PERSON),
    )
    in_earlier = Q(contacts__date__lte=earlier) if earlier is not None else None
    return (
        cases.filter(pk__in=ids)
        .values_list("pk")
        .annotate(
            # The date, not the id: a count of a column the index holds.
            total=Count("contacts__date", filter=in_period),
            in_person=Count("contacts__date", filter=in_period & in_person),
            latest=Max("contacts__date", filter=in_period),
            earlier_total=Count("contacts__date", filter=in_earlier) if in_earlier else Value(0),
            earlier_in_person=(
                Count("contacts__date", filter=in_earlier & in_person) if in_earlier else Value(0)
            ),
        )
        .order_by()
    )


def derive_rows(
    organisation: Organisation, period_end: str, *, linkage_key: bytes | None = None
) -> Iterator[dict[str, str]]:
    """Yield the dataset row of each of the organisation's enrollments, as of `period_end`.

    The work runs in the organisation's own scope (engage.lib.scoping), whoever asks: a
    command, the organisation's admin or the network coordinator get the same rows. The scope
    is entered for each step and left before each row is yielded, so it never leaks into the
    caller's code between rows.

    A case's row kept as of now (`case_rows`) is read where it holds for the period; the
    others are derived and kept. Not with a linkage key: a row with the round's `person_ref`
    is derived every time and never kept.

    The cases are read by `BATCH` (`_batch`), with the cyclic collector paused meanwhile
    (`collection_paused`): a batch is thousands of objects, none of them garbage until its
    rows are made, and the collections their allocations set off walked every object the
    process held (the rows made so far among them). Only the rows outlive the pause.
    """
    end = month_end(period_end)
    with organisation_scope(organisation.pk):
        cases = _cases(organisation, end)
        order = list(cases.values_list("pk", flat=True))
        first_records = _first_records(organisation) if linkage_key else {}
        keeping = not linkage_key and case_rows.watching()
    for start in range(0, len(order), BATCH):
        ids = order[start : start + BATCH]
        with organisation_scope(organisation.pk), collection_paused():
            if keeping:
                made = _kept_or_derived(cases, ids, organisation, end)
            else:
                batch = _batch(cases, ids, end, names=bool(linkage_key))
                made = {
                    case.columns.id: _row(case, organisation, end, linkage_key, first_records)
                    for case in batch
                }
                del batch  # freed now, by reference counting, not by the collector
            rows = [made[pk] for pk in ids if pk in made]
            del made
        yield from rows


# The document is made again when more than one row in `REMADE_AFTER` came from elsewhere.
REMADE_AFTER = 100


def live_rows(
    organisation: Organisation, period_end: str, *, remake: bool = False
) -> Sequence[dict[str, str]]:
    """The rows of `derive_rows` without a linkage key, the same rows in the same order, column
    by column (`StoredRows`) as a report takes them.

    Where the organisation's document of kept rows is there (`case_rows.OrganisationRows`),
    each of its rows that still holds for the period is taken from it; the other cases' rows
    are read or derived as `derive_rows` reads them, by `BATCH`. When more than one row in a
    hundred came from elsewhere (or there was no document), or with `remake`, the document is
    made again from the rows that now hold: the next report reads those from it too, and a
    row that no longer holds leaves it.

    Where the document holds every case's row as of the period end asked, and the census of
    the organisation's cases and their writes (`case_rows.census`, read first) is the one read
    before its rows were, it is the rows, as they are: not a case was added or written since.
    A census read before every row of the document was found to hold is recorded with it.

    Like `derive_rows`, the work runs in the organisation's own scope and nothing leaves it but
    the rows."""
    end = month_end(period_end)
    with organisation_scope(organisation.pk):
        if not case_rows.watching():
            return list(derive_rows(organisation, period_end))
        census = case_rows.census(organisation)  # first: see the docstring
        kept = _document_rows(organisation, case_rows.document(organisation))
        if not remake and kept.census == census and kept.end == end.toordinal():
            return kept.rows
        kept = kept.with_cases(case_rows.document_cases(organisation, kept.made))
        cases = _cases(organisation, end)
        order: list[str] = list(cases.values_list(case_rows.as_text("pk"), flat=True))
        # Each case's row in the document (-1: none), and whether it holds for the period.
        found = kept.found(order, case_rows.writes(organisation), end)
    rest = {UUID(order[number]): number for number in np.flatnonzero(found < 0).tolist()}
    known: dict[UUID, tuple[int, datetime.date]] = {}
    derived: dict[int, dict[str, str]] = {}  # by the case's place in `order`
    listed = list(rest)
    for start in range(0, len(listed), BATCH):
        ids = listed[start : start + BATCH]
        with organisation_scope(organisation.pk), collection_paused():
            made = _kept_or_derived(cases, ids, organisation, end, known)
            derived.update((rest[pk], made[pk]) for pk in ids if pk in made)
            del made
    rows, places = kept.joined(found, derived)
    if remake or not kept.rows.size or len(derived) * REMADE_AFTER > len(order):
        fresh = {rest[pk]: basis for pk, basis in known.items()}
        content = kept.remade(rows, places, order, found, fresh, end)
        with organisation_scope(organisation.pk):
            # Trusted as of the census only if it holds a row for every case.
            whole = content["size"] == len(order)
            line = census if whole else ""
            case_rows.keep_document(organisation, content, line, kept.forgotten)
    elif kept.made and kept.ids == order and kept.end == end.toordinal() and (found >= 0).all():
        with organisation_scope(organisation.pk):
            case_rows.confirm(organisation, kept.made, census)
    return rows


@dataclass
class _Document:
    """An organisation's document of kept rows (`case_rows.OrganisationRows`), read: its rows
    with every column of the dataset, and for each its case's id as text, basis and horizon
    (a day's ordinal)."""

    pilot: str
    end: int  # the period end the rows are as of, a day's ordinal
    # `case_rows.census` read before the rows were, where the document holds a row for every
    # case as of its period end (blank: not so, or none)
    census: str
    made: UUID | None  # which writing of the document
    forgotten: int  # how many times the triggers blanked it, read with it
    rows: StoredRows
    # Read only where the document is not taken as it is (`with_cases`).
    ids: list[str]
    bases: npt.NDArray[np.int64]
    horizons: npt.NDArray[np.int64]

    def with_cases(self, cases: dict[str, Any] | None) -> "_Document":
        """The document with its rows' cases, bases and horizons (`case_rows.document_cases`);
        without them (the document written again meanwhile), no row."""
        size = self.rows.size
        if cases is None:
            return _document_rows_of(self.pilot, self.forgotten) if size else self
        if len(cases["ids"]) != size:
            raise ValueError("the document's cases do not match its rows")
        bases = unpacked(cases["bases"], "<i8", size).astype(np.int64)
        horizons = unpacked(cases["horizons"], "<i4", size).astype(np.int64)
        return replace(self, ids=cases["ids"], bases=bases, horizons=horizons)

    def found(self, order: list[str], writes: dict[str, int], end: datetime.date) -> Codes:
        """For each case of `order`, its row's number in the document where that row holds as
        of `end`, else -1. It holds while its case was written no more since and either the
        period is the document's own or the row is the row as of now (its horizon not after
        the document's period end) and the period reaches its horizon."""
        if order == self.ids:  # the same cases in the same order (most reports): no lookup
            numbers = np.arange(len(order), dtype=np.intp)
        else:
            at = {pk: number for number, pk in enumerate(self.ids)}
            numbers = np.fromiter(map(at.get, order, itertools.repeat(-1)), np.intp, len(order))
        if not len(order):
            return numbers
        counted = np.fromiter(map(writes.get, order, itertools.repeat(-1)), np.int64,
                              len(order))  # fmt: skip
        listed = numbers >= 0
        holds = listed.copy()
        same_end = end.toordinal() == self.end
        holds[listed] = (self.bases[numbers[listed]] == counted[listed]) & (
            same_end | (self.horizons[numbers[listed]] <= min(end.toordinal(), self.end))
        )
        return np.where(holds, numbers, -1)

    def joined(self, found: Codes, derived: dict[int, dict[str, str]]) -> tuple[StoredRows, Codes]:
        """The rows in the order of the cases: the document's where they hold (`found`), the
        rows of `derived` (by the case's place) for the others; and each row's case's place
        (a case with neither, deleted meanwhile, has no row)."""
        places = np.flatnonzero(found >= 0)
        if not derived:
            picked = found[places]
            if len(picked) == self.rows.size and (picked == np.arange(len(picked))).all():
                return self.rows, places  # the document as it is: nothing to number again
            return self.rows.picked(picked), places
        at = sorted(derived)
        given = StoredRows.of([derived[place] for place in at], COLUMNS)
        both = StoredRows.joined([self.rows, given]) if self.rows.size else given
        numbers = np.concatenate([found[places], self.rows.size + np.arange(len(at))])
        every = np.concatenate([places, np.array(at, np.intp)])
        ordered = np.argsort(every, kind="stable")
        return both.picked(numbers[ordered]), every[ordered]

    def remade(
        self,
        rows: StoredRows,
        places: Codes,
        order: list[str],
        found: Codes,
        fresh: dict[int, tuple[int, datetime.date]],
        end: datetime.date,
    ) -> dict[str, Any]:
        """The document of `rows`, the rows as of `end` in the order of the cases: the
        document's rows that held (`found`) and the rows read or derived (`fresh`: by the
        case's place, the basis and horizon of its row), with each row's case, basis and
        horizon (`cases`, kept apart). A row without its keys is left out."""
        numbers = found[places]
        bases = np.full(len(places), -1, np.int64)
        horizons = np.zeros(len(places), np.int64)
        from_here = numbers >= 0
        bases[from_here] = self.bases[numbers[from_here]]
        horizons[from_here] = self.horizons[numbers[from_here]]
        for index in np.flatnonzero(~from_here).tolist():
            held = fresh.get(int(places[index]))
            if held is not None:
                bases[index], horizons[index] = held[0], held[1].toordinal()
        keep = (bases >= 0) & rows.known
        taken = rows.taken(keep)
        return {
            "pilot": self.pilot,
            "end": end.toordinal(),
            "size": taken.size,
            "cases": {
                "ids": [order[place] for place in places[keep].tolist()],
                "bases": packed(bases[keep], "<i8"),
                "horizons": packed(horizons[keep], "<i4"),
            },
            "records": packed(taken.records, ">u4"),
            "contents": packed(taken.contents, ">u4"),
            **packed_columns([taken.columns[column] for column in _KEPT]),
        }


def _document_rows_of(pilot: str, forgotten: int) -> _Document:
    """An empty document of `pilot`, forgotten `forgotten` times."""
    empty = np.zeros(0, np.int64)
    rows = StoredRows.of([], COLUMNS)
    return _Document(pilot, 0, "", None, forgotten, rows, [], empty, empty)


def _document_rows(
    organisation: Organisation, found: tuple[dict[str, Any] | None, str, UUID | None, int]
) -> _Document:
    """The document read (`_Document`, `case_rows.document`): empty where there is none, or it
    was made while the organisation had another code (its keys were made with that one)."""
    pilot = organisation.code
    document, census, made, forgotten = found
    document = document or {}
    if document.get("pilot") != pilot:
        document = {"end": 0, "size": 0, "values": [[] for _ in _KEPT], "width": 2, "codes": ""}
        census, made = "", None
    size = document["size"]
    held = dict(zip(_KEPT, unpacked_columns(document, len(_KEPT), size), strict=True))
    columns = {
        **held,
        "pilot": ([pilot], np.zeros(size, np.intp)),
        "person_ref": ([""], np.zeros(size, np.intp)),
    }
    empty = np.zeros(size, np.int64)
    keys = {
        name: unpacked(document[name], ">u4", size).astype(np.int64) if size else empty
        for name in ("records", "contents")
    }
    rows = StoredRows(COLUMNS, columns, size, **keys, known=np.ones(size, bool))
    return _Document(pilot, document["end"], census, made, forgotten, rows, [], empty, empty)


def keep_rows(today: datetime.date | None = None) -> dict[str, int]:
    """Derive every organisation's rows as of this month, so that each case's row as of now is
    kept where none held, and the organisation's document of them made again (`case_rows`),
    without the rows that no longer hold: the periodic task `case-rows`. Return the rows read
    per organisation; none leaves this function."""
    period_end = month(today or timezone.localdate())
    return {
        organisation.code: len(live_rows(organisation, period_end, remake=True))
        for organisation in Organisation.objects.order_by("code")
    }


def _kept_or_derived(
    cases: "QuerySet[Case]",
    ids: list[UUID],
    organisation: Organisation,
    end: datetime.date,
    known: dict[UUID, tuple[int, datetime.date]] | None = None,
) -> dict[UUID, dict[str, str]]:
    """The rows of the cases `ids` as of `end`: kept where a kept row holds (`case_rows`) as of
    `end`; else derived, as of now and kept, and as of `end` from the same records where a
    date of the case is after it, kept as its earlier row. `known`, when given, gets the basis
    and horizon of each case's row given (its row as of now where the horizon is not after
    `end`)."""
    made, later = {}, []
    known = {} if known is None else known
    held = case_rows.held(organisation, ids, end)
    for pk, (cells, counted, horizon) in held.items():
        known[pk] = (counted, horizon)
        if cells:
            made[pk] = _from_cells(organisation.code, cells)
        else:  # the row as of now holds, not as of `end`
            later.append(pk)
    missing = [pk for pk in ids if pk not in held]
    derived_now: dict[UUID, tuple[int, datetime.date, dict[str, str]]] = {}
    earlier: dict[UUID, dict[str, str]] = {}
    if missing:
        basis = case_rows.counted(missing)  # before the cases are read: see case_rows
        # A period that has ended: many cases have a date after it. Else few (a date to come)
        # and they are read again as of `end` below.
        past = end < timezone.localdate()
        for case in _batch(cases, missing, case_rows.NOW, earlier=end if past else None):
            pk, horizon = case.columns.id, _horizon(case)
            row = _row(case, organisation, case_rows.NOW, None)
            derived_now[pk] = (basis.get(pk, 0), horizon, row)
            known[pk] = (basis.get(pk, 0), horizon)
            if horizon <= end:
                made[pk] = row
            elif past:
                row = made[pk] = _row(_as_of(case, end), organisation, end, None)
                earlier[pk] = row
            else:
                later.append(pk)
    for case in _batch(cases, later, end) if later else ():
        row = made[case.columns.id] = _row(case, organisation, end, None)
        earlier[case.columns.id] = row
    # Each derived row with its two keys, and its cells as kept (by the row's id()).
    derived = [row for _basis, _horizon, row in derived_now.values()] + list(earlier.values())
    kept = dict(zip(map(id, derived), _kept(derived, RowKeys.of_instance()), strict=True))
    for pk, row in made.items():
        if id(row) in kept:
            made[pk] = kept[id(row)][0]
    case_rows.keep(
        organisation,
        {pk: (basis, horizon, kept[id(row)][1])
         for pk, (basis, horizon, row) in derived_now.items()},
        {pk: kept[id(row)][1] for pk, row in earlier.items()},
        end,
    )  # fmt: skip
    return made


def _as_of(case: _Case, end: datetime.date) -> _Case:
    """`case`, read as of a later period end with its contacts counted up to `end` too
    (`_batch`'s `earlier`), as of `end`: the records `_batch` would have read for `end`.
    Closures are all read either way (`_row` takes the one of the period)."""
    return replace(
        case,
        period_assessments=[record for record in case.period_assessments if record.date <= end],
        period_engagement=[record for record in case.period_engagement if record.date <= end],
        contact_count=case.earlier_counts[0],
        in_person_count=case.earlier_counts[1],
    )


def _horizon(case: _Case) -> datetime.date:
    """The latest date `case`'s row as of now depends on (read as of `case_rows.NOW`): the row
    as of any period end from then on is that row."""
    c = case.columns
    dates: list[datetime.date | None] = [
        c.referral_date, c.inclusion_date, c.declined_date, c.outcome_date, case.latest_contact
    ]  # fmt: skip
    for records in (case.period_assessments, case.period_engagement, case.period_closures):
        dates += [record.date for record in records]
    return max(day for day in dates if day is not None)


# What a kept row holds: the pilot its keys were made for, every column but the pilot and
# `person_ref` (a kept row never has one), then its record and content keys.
_KEPT = tuple(column for column in COLUMNS if column not in ("pilot", "person_ref"))


def _kept(rows: list[dict[str, str]], keys: RowKeys) -> list[tuple[KeyedRow, str]]:
    """Each row with its record and content keys (`mel.dataset.keys`), made here once and kept
    with the row: a report of 100,000 live rows made them again each time, a sixth of its time
    (issue 17). And the row's cells as kept."""
    records, contents = keys.records(rows), keys.contents(rows)
    return [
        (
            KeyedRow.one(row.items(), record, content),
            json.dumps([row["pilot"], *map(row.__getitem__, _KEPT), record, content]),
        )
        for row, record, content in zip(rows, records, contents, strict=True)
    ]


def _from_cells(pilot: str, cells: str) -> dict[str, str]:
    """The row of kept cells, with the keys kept beside it while its organisation's code is the
    one they were made with (a content key is made of the row's pilot too); else a plain row,
    which the report keys afresh."""
    kept_pilot, case_ref_, *rest, record, content = json.loads(cells)
    values = zip(COLUMNS, (pilot, case_ref_, "", *rest), strict=True)
    return KeyedRow.one(values, record, content) if kept_pilot == pilot else dict(values)


def _first_records(organisation: Organisation) -> dict[UUID, Person]:
    """Each person a supervisor decided is the same as an earlier record, with that first
    record (`cases.duplicates`): both then give the first record's `person_ref`, one person."""
    groups = same_person_groups(organisation.pk)
    firsts = Person.objects.in_bulk(set(groups.values()))
    return {
        person_id: firsts[first]
        for person_id, first in groups.items()
        if person_id != first and first in firsts and not firsts[first].erased_at
    }


def _row(
    case: _Case,
    organisation: Organisation,
    end: datetime.date,
    linkage_key: bytes | None,
    first_records: dict[UUID, Person] | None = None,
) -> dict[str, str]:
    c = case.columns  # the case's columns, its person's, city's and screening's (`_CASE_FIELDS`)
    included = bool(c.inclusion_date and c.inclusion_date <= end)
    closure = next(
        (r for r in case.period_closures if r.status == ApprovalStatus.APPROVED and r.date <= end),
        None,
    )
    closure_month, closure_reason = "", ""
    if closure is not None:
        closure_month, closure_reason = month(closure.date), closure.reason
    elif c.declined_date and c.declined_date <= end:
        # A declined referral ends there; the network has no "declined" reason, and rows that
        # were never included stay out of every indicator's cohort.
        closure_month, closure_reason = month(c.declined_date), ClosureReason.OTHER
    assessments = case.period_assessments
    # A case without a screening reads its flags as empty (the join finds none).
    domains = {code for code, flag in _SCREENING_FLAGS if getattr(c, flag)}
    if assessments:  # each domain flagged in any of them, column by column
        flagged = map(any, zip(*map(_assessment_flags, assessments), strict=True))
        domains.update(
            code for code, concern in zip(_DOMAIN_CODES, flagged, strict=True) if concern
        )
    has_outcome = bool(c.outcome and c.outcome_date and c.outcome_date <= end)
    engagement = case.period_engagement[-1].level if case.period_engagement else "unknown"
    first, last = (assessments[0], assessments[-1]) if assessments else (None, None)
    nationality = c.person__nationality or ""
    merged = (first_records or {}).get(c.person_id)
    if merged is not None:
        linked = person_ref(merged, linkage_key)
    elif linkage_key:
        linked = _identity_ref(
            linkage_key, c.person__given_name, c.person__family_name, c.person__erased_at,
            c.person__date_of_birth, c.person__sex, nationality,
        )  # fmt: skip
    else:
        linked = ""
    return {
        "pilot": organisation.code,
        "case_ref": _case_ref_of(c.id),
        "person_ref": linked,
        "household_ref": blind_index("household", str(c.household_id)) if c.household_id else "",
        "city": c.city__name,
        "referral_month": month(c.referral_date),
        "referral_source": c.referral_source,
        "detention_at_referral": c.detention_at_referral,
        "migration_status": c.migration_status,
        "sex": c.person__sex,
        # As `cases.facts.case_age_band`: kept on the case once the identity is erased.
        "age_band": c.age_band_at_referral or age_band(c.person__date_of_birth, c.referral_date),
        "nationality_region": region_of(nationality),
        "vulnerable": _bool(bool(domains)),
        "vulnerabilities": ";".join(code for code in VULNERABILITY_CODES if code in domains),
        "family_with_children": _bool(case.family_with_children),
        "included": _bool(included),
        "inclusion_month": month(c.inclusion_date) if included else "",
        "engagement_level": engagement if included else "unknown",
        "status": "closed" if closure_month else "active",
        "closure_month": closure_month,
        "closure_reason": closure_reason,
        "outcome": c.outcome if has_outcome else "",
        "outcome_permanence": c.outcome_permanence if has_outcome else "",
        "idm_baseline": _rating(first, "informed_decisions"),
        "idm_latest": _rating(last, "informed_decisions"),
        "engage_baseline": _rating(first, "engage_procedures"),
        "engage_latest": _rating(last, "engage_procedures"),
        "wellbeing_baseline": _rating(first, "wellbeing"),
        "wellbeing_latest": _rating(last, "wellbeing"),
        "assessments": str(len(assessments)),
        "contacts": str(case.contact_count),
        "face_to_face_contacts": str(case.in_person_count),
        "outcome_month": month(c.outcome_date) if has_outcome else "",
        "latest_assessment_month": month(last.date) if last is not None else "",
        "case_manager_ref": case_manager_ref(c.case_manager_id),
        "disengagement_factors": _factors(closure),
    }


def case_manager_ref(user_id: UUID | None) -> str:
    """The case manager, keyed like `case_ref` with the pilot's own index key: the hub can count
    caseloads per case manager, never tell who they are."""
    return blind_index("case_manager_ref", str(user_id)) if user_id else ""


def _factors(closure: Any) -> str:
    """The factors recorded at a closure for disengagement or absconding (the spec's codes)."""
    if closure is None or closure.reason not in DISENGAGED_REASONS:
        return ""
    recorded = set(closure.disengagement_factors or ())
    return ";".join(code for code in DISENGAGEMENT_CODES if code in recorded)


def _rating(assessment: Assessment | None, field: str) -> str:
    return str(getattr(assessment, field)) if assessment is not None else ""
