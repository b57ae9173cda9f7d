"""Each case's dataset row as of now, kept beside the case while it holds (issue 17).

Deriving a case's row (`rows.derive_rows`) reads the case, its person, screening and household,
and every assessment, engagement record, closure and contact it has: at 100,000 clients that
was most of the export and of the live report. A row changes only when something it is derived
from is written, so it is kept (`CaseRow`), encrypted like every other value about a person,
and read again while these hold:

- **Nothing it reads was written since.** The database's own triggers count every write of
  what a row reads (`writes`): the case, its person and the people of its household, its
  screening, assessments, engagement records, closures and contacts, its city's name. A row
  holds while its `basis`, the count read *before* its case was read, is still the count. A
  write committed between the reading of a case and the keeping of its row therefore leaves
  the row retired, never kept stale, whatever the two transactions' order. The triggers also
  blank the row's cells (both rows), so an erased person's row is gone with the erasure.
- **The period reaches its horizon.** A row as of now is a row as of every period end on or
  after the latest date it depends on (`horizon`: the referral, inclusion, decline, outcome
  and every record's date). For one earlier period end, the latest asked, the row as of it is
  kept beside (`earlier_end`, `earlier_cells`): a report of last month, while this month's
  contacts are logged. Any other period end derives the row again.
- **The same code and keys made it.** `fingerprint` is a digest of the derivation's source and
  of the index key the references are keyed with: a deploy that changes either retires every
  kept row.
- **The triggers are all there.** A migration that makes SQLite rebuild a watched table drops
  its triggers (as with the history's, engage/history/triggers.py); without all of them no row
  is kept or read, and `tests/mel/test_case_rows.py` fails until the migration installs them
  again.

Why hand-written triggers rather than signals: `bulk_create`, `update()`, imports, the demo's
seed and the retention job write without signals; the history's triggers are hand-written for
the same reason (and django-pgtrigger is PostgreSQL-only). Why a count rather than deleting the
row: a row read before a write and kept after it would come back stale.

A row with the round's `person_ref` is never kept: it is derived again whenever a linkage key
is given (`derive_rows`). No row leaves this module except through `derive_rows` and
`live_rows`, which run in the organisation's own scope.

The rows that held when a live report last read them are also kept as one document an
organisation (`OrganisationRows`): a report then reads one token instead of one a case.
"""

import datetime
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DatabaseError, connection, models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Case, CharField, Count, F, Sum, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation
from engage.lib import bulk
from engage.lib.crypto import blind_index
from engage.lib.fields import EncryptedTextField
from engage.lib.memory import collection_paused
from engage.lib.scoping import organisation_scoped

# A period end after every date: a row derived as of it is the row as of now.
NOW = datetime.date(9999, 12, 31)
# The modules whose code decides a row (`fingerprint`).
DERIVATION = (
    "engage.mel.dataset.rows",
    "engage.mel.dataset.m49",
    "engage.mel.dataset.case_rows",
    "engage.mel.dataset.keys",
    "engage.cases.facts",
    "engage.cases.models.case",
    "engage.cases.models.closure",
    "engage.cases.models.contact",
    "engage.cases.models.person",
    "engage.cases.models.process",
)


class CaseRow(models.Model):
    """A case's dataset row as of now, without its pilot and `person_ref` (see the module)."""

    # Not a ForeignKey: the triggers count writes of a case's records while Django deletes
    # them before the case itself, and a foreign key would then refuse the count's row. The
    # case's own delete trigger removes its row.
    case_id = models.UUIDField(primary_key=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    writes = models.PositiveBigIntegerField(default=0)  # counted by the triggers
    basis = models.BigIntegerField(default=-1)  # `writes` when the row was derived
    fingerprint = models.CharField(max_length=64, blank=True)
    horizon = models.DateField(null=True, blank=True)
    # The row's cells in the dataset's column order, pilot and person_ref left out (JSON).
    cells = EncryptedTextField(blank=True)
    # The row as of one period end before the horizon, the latest asked (a report of last
    # month while this month's contacts are logged): it holds while the row does.
    earlier_end = models.DateField(null=True, blank=True)
    earlier_cells = EncryptedTextField(blank=True)

    objects = organisation_scoped("organisation")

    class Meta:
        app_label = "mel"
        # Each case's count of writes read from the index alone (`writes`): each row holds
        # its encrypted cells before these.
        indexes = [models.Index(fields=["organisation", "case_id", "writes"],
                                name="case_row_writes")]  # fmt: skip
        verbose_name = _("dataset row of a case")
        verbose_name_plural = _("dataset rows of cases")

    def __str__(self) -> str:
        return str(self.case_id)


class OrganisationRows(models.Model):
    """An organisation's kept rows as of now, column by column, in one document (issue 17).

    Reading 100,000 kept rows one by one (one decryption and one JSON parse each, then each
    column numbered again from the rows) was most of a live report. The rows that held when a
    report last read them are kept here too, as `SubmissionRows` keeps a submission: one
    encrypted JSON document, each column's distinct values and each row's number among them,
    each row's keys, and for each row its case (as the database writes its id), the `writes`
    it was derived at (`bases`) and its `horizon` (as a day's ordinal).

    The rows are as of one period end, the document's. A row of it is read only while its
    case's count of writes is still its basis and either the period is the document's or the
    row is the row as of now and the period reaches its horizon: exactly when the case's own
    kept row holds (`CaseRow`). Every other case is read through its own row or derived again.
    A document is only ever read whole, under the fingerprint it was made with, and rewritten
    whole (`rows.live_rows`).

    A row that no longer holds stays in the document until it is rewritten, encrypted like
    everything else, and is never read. Erasure cannot wait for that: the database's triggers
    blank an organisation's document when one of its people is erased or one of its cases
    deleted or moved (`_forget`), whatever path does it, and count it `forgotten`; a report that
    read its rows before that writes none of them (`keep_document`).
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    fingerprint = models.CharField(max_length=64)
    payload = EncryptedTextField()
    # Each row's case (its id as the database writes it), basis and horizon: read only where
    # the document is not taken as it is, so kept apart from the rows.
    cases = EncryptedTextField(blank=True)
    # What `census` read before the rows were: while it reads the same, no case was added and
    # no row's case written (`rows.live_rows`). Blank: not to be trusted so.
    census = models.CharField(max_length=64, blank=True)
    made = models.UUIDField(null=True, default=uuid.uuid4)  # each writing its own; none: blank
    # How many times the triggers blanked the document (an erasure, a case deleted or moved):
    # a report writes the rows it read only while this is the count it read before them.
    forgotten = models.PositiveIntegerField(default=0)

    objects = organisation_scoped("organisation")

    class Meta:
        app_label = "mel"
        verbose_name = _("dataset rows of an organisation")
        verbose_name_plural = _("dataset rows of organisations")

    def __str__(self) -> str:
        return f"rows of {self.organisation_id}"


# -- Which rows hold -------------------------------------------------------------------------


@cache
def _derivation_digest() -> bytes:
    digest = hashlib.sha256()
    for name in DERIVATION:
        source = import_module(name).__file__
        digest.update(Path(source or "").read_bytes())
    return digest.digest()


def fingerprint() -> str:
    """The derivation's code and the index key of its references, as one digest. The key is
    taken as it is now (a test or a rotation may change it)."""
    keyed = blind_index("case_row", "fingerprint").encode()
    return hashlib.sha256(_derivation_digest() + keyed).hexdigest()


def held(
    organisation: Organisation, ids: Sequence[UUID], end: datetime.date
) -> dict[UUID, tuple[str, int, datetime.date]]:
    """The cases of `ids` whose kept row holds, each with the cells of its row as of `end`
    (the row as of now from its horizon on, the earlier row for its period end, else empty:
    the row as of `end` is not kept), its basis and its horizon. Only those cells are
    decrypted."""
    kept = CaseRow.objects.filter(
        organisation=organisation, case_id__in=ids, fingerprint=fingerprint(), basis=F("writes")
    ).exclude(cells="")
    as_of_end = Case(
        When(horizon__lte=end, then=F("cells")),
        When(earlier_end=end, then=F("earlier_cells")),
        default=Value(""),
        output_field=EncryptedTextField(),
    )
    found = kept.annotate(as_of_end=as_of_end).values_list("case_id", "as_of_end", "basis",
                                                            "horizon")  # fmt: skip
    # A row with cells has its horizon (`keep`).
    return {pk: (cells, basis, horizon or NOW) for pk, cells, basis, horizon in found}


def as_text(column: str) -> Cast:
    """`column`, an id, as the database writes it (SQLite: its hex; PostgreSQL: its text):
    read so, 100,000 ids are not each made a `UUID`."""
    return Cast(column, output_field=CharField())


def writes(organisation: Organisation) -> dict[str, int]:
    """The writes counted so far of each of the organisation's cases that has any, by the case's
    id as text (`as_text`)."""
    found = CaseRow.objects.filter(organisation=organisation)
    return dict(found.values_list(as_text("case_id"), "writes"))


def census(organisation: Organisation) -> str:
    """The organisation's cases, its cases' kept rows and the writes counted of them, in a
    line. Cases are only added, rows only added and counts only raised, except where a case is
    deleted or moved to another organisation, and then the triggers blank the organisation's
    document (`_forget`): while the line reads the same, no case was added and none of the
    organisation's cases written."""
    cases = global_apps.get_model("cases", "Case").objects.filter(organisation=organisation)
    rows = CaseRow.objects.filter(organisation=organisation).aggregate(
        rows=Count("pk"), writes=Coalesce(Sum("writes"), 0)
    )
    return f"{cases.count()}:{rows['rows']}:{rows['writes']}"


def document(organisation: Organisation) -> tuple[dict[str, Any] | None, str, UUID | None, int]:
    """The organisation's kept rows (`OrganisationRows`), made under the fingerprint of now
    (else none), with the census they hold for (blank: none), which writing of them it is, and
    how many times they were forgotten (read whatever the fingerprint)."""
    found = OrganisationRows.objects.filter(organisation=organisation).values_list(
        "payload", "census", "made", "forgotten", "fingerprint"
    )
    payload, line, made, forgotten, made_with = found.first() or ("", "", None, 0, "")
    if not payload or made_with != fingerprint():
        return None, "", None, forgotten
    with collection_paused():
        content: dict[str, Any] = json.loads(payload)
    return content, line, made, forgotten


def document_cases(organisation: Organisation, made: UUID | None) -> dict[str, Any] | None:
    """The cases, bases and horizons of the rows of the document's writing `made`; none if it
    was written again since (or there is none)."""
    if made is None:
        return None
    kept = OrganisationRows.objects.filter(organisation=organisation, made=made)
    cases = kept.values_list("cases", flat=True).first()
    if not cases:
        return None
    with collection_paused():
        found: dict[str, Any] = json.loads(cases)
    return found


def keep_document(
    organisation: Organisation, content: dict[str, Any], line: str, forgotten: int
) -> None:
    """Keep `content` as the organisation's rows (`OrganisationRows`), replacing any: its
    `cases` apart, the rest as the payload. With the census read before its rows were (blank:
    not to be trusted so). Only while the document was forgotten `forgotten` times, the count
    read before its rows were: an erasure, a deletion or a move meanwhile (the triggers count
    them) may have left a row in `content` that must not be kept. As with `keep`, a database
    that refuses the write leaves the rows to be read one by one."""
    values = {
        "fingerprint": fingerprint(),
        "payload": json.dumps({n: v for n, v in content.items() if n != "cases"},
                              separators=(",", ":")),
        "cases": json.dumps(content["cases"], separators=(",", ":")),
        "census": line,
        "made": uuid.uuid4(),
    }  # fmt: skip
    kept = OrganisationRows.objects.filter(organisation=organisation, forgotten=forgotten)
    try:
        with transaction.atomic():
            # An update waits for a forgetting being written, then finds the count changed.
            if not kept.update(**values) and forgotten == 0:
                with transaction.atomic():  # none yet: made, unless a forgetting made it first
                    OrganisationRows.objects.create(organisation=organisation, **values)
    except DatabaseError:  # an IntegrityError among them
        return


def confirm(organisation: Organisation, made: UUID, line: str) -> None:
    """Record that the document's writing `made` holds for `line`, a census read before its
    every row was found to hold; not if it was written again meanwhile (then its rows are
    another report's)."""
    kept = OrganisationRows.objects.filter(organisation=organisation, made=made)
    try:
        with transaction.atomic():
            kept.update(census=line)
    except DatabaseError:
        return


def counted(ids: Iterable[UUID]) -> dict[UUID, int]:
    """The writes counted so far of each case of `ids` that has any (none counted: 0). Read
    before the cases themselves: that count is the basis of the rows derived from them."""
    return dict(CaseRow.objects.filter(case_id__in=list(ids)).values_list("case_id", "writes"))


def keep(
    organisation: Organisation,
    made: dict[UUID, tuple[int, datetime.date, str]],
    earlier: dict[UUID, str],
    end: datetime.date,
) -> None:
    """Keep the rows of `made` (by case id: the basis, horizon and cells of its row as of now)
    and, for the cases of `earlier`, the cells of their row as of `end`, a period end before
    their horizon (a case of `made`, or one whose kept row held).

    A write counted since the basis was read leaves a row retired (its cells blanked at once).
    Not keeping is never an error: a database that refuses the write (another writer holding
    SQLite's lock) leaves the rows to be derived again next time."""
    digest, owner = fingerprint(), organisation.pk
    # As values, in `_FIELDS`' order: a model instance a row cost more than its encryption.
    new = [
        (pk, owner, 0, basis, digest, horizon, cells, end if pk in earlier else None,
         earlier.get(pk, ""))
        for pk, (basis, horizon, cells) in made.items()
    ]  # fmt: skip
    # Only the earlier row of a row kept before: one retired meanwhile stays retired, and a
    # case deleted meanwhile leaves a row that never holds (no basis, no cells).
    added = [(pk, owner, 0, -1, "", None, "", end, cells)
             for pk, cells in earlier.items() if pk not in made]  # fmt: skip
    if not new and not added:
        return
    # Prepared (encrypted) before the transaction: SQLite's one write lock is held only to
    # write them.
    writes = [
        bulk.updating(bulk.prepare_values(CaseRow, _FIELDS, rows), CaseRow, fields)
        for rows, fields in ((new, _ALL), (added, _EARLIER))
        if rows
    ]
    try:
        with transaction.atomic():
            for write in writes:
                write.run()
            retired = CaseRow.objects.filter(case_id__in=[*made, *earlier])
            retired.exclude(basis=F("writes")).update(cells="", earlier_cells="")
    except DatabaseError:
        return


_FIELDS = ("case_id", "organisation", "writes", "basis", "fingerprint", "horizon", "cells",
           "earlier_end", "earlier_cells")  # fmt: skip
_EARLIER = ["earlier_end", "earlier_cells"]
# The organisation too: a case moved to another one (not a path Engage offers) is kept there.
_ALL = ["organisation", "basis", "fingerprint", "horizon", "cells", *_EARLIER]


# -- The triggers ----------------------------------------------------------------------------

# The SQL below is put together from model metadata (table and column names), never from
# anything a user typed, hence the `noqa: S608`.

INSERT, UPDATE, DELETE = "INSERT", "UPDATE", "DELETE"
EVERY = (INSERT, UPDATE, DELETE)
ERASED = "ERASED"  # a person's erasure: an update that sets `erased_at`
MOVED = "MOVED"  # a case moved to another organisation: an update of its organisation


def _watched(apps: Apps) -> list[tuple[str, tuple[str, ...], str]]:
    """Each table a row reads, the writes that count and which cases they count for (a
    condition on the case's columns, `{r}` the written row)."""

    def table(label: str) -> str:
        return str(apps.get_model(label)._meta.db_table)

    records = ("cases.Screening", "cases.Assessment", "cases.EngagementRecord", "cases.Closure",
               "cases.Contact")  # fmt: skip
    return [
        (table("cases.Case"), (UPDATE,), "id = {r}.id"),
        (table("cases.Person"), EVERY, "person_id = {r}.id OR household_id = {r}.household_id"),
        *((table(label), EVERY, "id = {r}.case_id") for label in records),
        (table("accounts.City"), (UPDATE,), "city_id = {r}.id"),
    ]


def _count(apps: Apps, cases_where: str) -> str:
    """Count a write for every case matching `cases_where`, and blank its row."""
    rows = apps.get_model("mel", "CaseRow")._meta.db_table
    cases = apps.get_model("cases", "Case")._meta.db_table
    return (
        f"INSERT INTO {rows} (case_id, organisation_id, writes, basis, fingerprint, horizon, "  # noqa: S608
        "cells, earlier_end, earlier_cells) "
        f"SELECT id, organisation_id, 1, -1, '', NULL, '', NULL, '' FROM {cases} "
        f"WHERE {cases_where} "
        f"ON CONFLICT (case_id) DO UPDATE SET writes = {rows}.writes + 1, cells = '', "
        "earlier_cells = ''"
    )


def _where(condition: str, operation: str) -> str:
    if operation == INSERT:
        return f"({condition.format(r='NEW')})"
    if operation == DELETE:
        return f"({condition.format(r='OLD')})"
    return f"({condition.format(r='NEW')}) OR ({condition.format(r='OLD')})"


def _name(table: str, operation: str = "") -> str:
    """A trigger's name: one per table and operation on SQLite, one per table on PostgreSQL
    (`operation` empty), and the case's delete (`DELETE`) and move (`MOVED`) and a person's
    erasure (`ERASED`) on both."""
    return f"case_row_{table}_{operation.lower()}" if operation else f"case_row_{table}"


def _documents(apps: Apps) -> str | None:
    """The table of the organisations' documents (`OrganisationRows`); none before the
    migration that made it (an earlier migration installs the triggers without it)."""
    try:
        return str(apps.get_model("mel", "OrganisationRows")._meta.db_table)
    except LookupError:
        return None


def _triggers(apps: Apps, vendor: str) -> list[tuple[str, str]]:
    """Each trigger the rows need, with its table (SQLite: one per table and operation;
    PostgreSQL: one per table, with a function of the same name), then the person's erasure and
    the case's move (once the documents are there), and the case's delete."""
    cases = apps.get_model("cases", "Case")._meta.db_table
    people = apps.get_model("cases", "Person")._meta.db_table
    if vendor == "postgresql":
        found = [(_name(table), table) for table, _ops, _where in _watched(apps)]
    else:
        found = [
            (_name(table, operation), table)
            for table, operations, _where in _watched(apps)
            for operation in operations
        ]
    if _documents(apps):
        found += [(_name(people, ERASED), people), (_name(cases, MOVED), cases)]
    return [*found, (_name(cases, DELETE), cases)]


def _forget(apps: Apps, vendor: str, documents: bool) -> list[str]:
    """The triggers that blank an organisation's document (`OrganisationRows`) and count it
    forgotten when one of its people is erased or one of its cases deleted (and delete the
    case's own row) or moved to another organisation (both organisations' documents). Without
    `documents`: only the case's row deleted with it, as before the documents."""
    rows = apps.get_model("mel", "CaseRow")._meta.db_table
    cases = apps.get_model("cases", "Case")._meta.db_table
    people = apps.get_model("cases", "Person")._meta.db_table
    table = _documents(apps) if documents else None
    organisations = apps.get_model("accounts", "Organisation")._meta.db_table
    # Blank the document and count one more forgetting: a report that read the rows before it
    # then finds the count changed and writes nothing (`keep_document`). Made where there was
    # none, so that a report that found none sees the count changed too.
    forgotten = (
        f"INSERT INTO {table} (organisation_id, fingerprint, payload, cases, census, made, "  # noqa: S608
        f"forgotten) SELECT id, '', '', '', '', NULL, 1 FROM {organisations} "
        "WHERE id = {r}.organisation_id "
        f"ON CONFLICT (organisation_id) DO UPDATE SET payload = '', cases = '', census = '', "
        f"made = NULL, forgotten = {table}.forgotten + 1; "
        if table else ""
    )  # fmt: skip
    on_delete = f"DELETE FROM {rows} WHERE case_id = OLD.id; " + forgotten.format(r="OLD")  # noqa: S608
    erased = "NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL"
    moved = "NEW.organisation_id <> OLD.organisation_id"
    found = [(cases, DELETE, "", on_delete)]
    if table:
        found[:0] = [
            (people, ERASED, erased, forgotten.format(r="NEW")),
            (cases, MOVED, moved, forgotten.format(r="OLD") + forgotten.format(r="NEW")),
        ]
    statements = []
    for table, operation, condition, body in found:
        name = _name(table, operation)
        event = "UPDATE" if operation in (ERASED, MOVED) else operation
        if vendor == "postgresql":
            when = f" WHEN ({condition})" if condition else ""
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body}"
                "RETURN NULL; END; $$ LANGUAGE plpgsql",
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()",
            ]
        else:
            when = f" WHEN {condition}" if condition else ""
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {body}END",
            ]
    return statements


def trigger_names(apps: Apps = global_apps) -> list[str]:
    """Every trigger the rows need, on this database."""
    return [name for name, _table in _triggers(apps, connection.vendor)]


def watching() -> bool:
    """Whether every trigger is installed (one query)."""
    names = trigger_names()
    placeholders = ", ".join(["%s"] * len(names))
    if connection.vendor == "postgresql":
        sql = f"SELECT count(DISTINCT tgname) FROM pg_trigger WHERE tgname IN ({placeholders})"  # noqa: S608
    elif connection.vendor == "sqlite":
        sql = f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({placeholders})"  # noqa: S608
    else:
        return False
    with connection.cursor() as cursor:
        # The catalogue of the database's triggers: no row of anyone's.
        cursor.execute(sql, names)  # nosemgrep: raw-sql
        return bool(cursor.fetchone()[0] == len(names))


def _sqlite(apps: Apps, documents: bool) -> list[str]:
    statements = []
    for table, operations, condition in _watched(apps):
        for operation in operations:
            name = _name(table, operation)
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN "
                f"{_count(apps, _where(condition, operation))}; END",
            ]
    return [*statements, *_forget(apps, "sqlite", documents)]


def _postgresql(apps: Apps, documents: bool) -> list[str]:
    statements = []
    for table, operations, condition in _watched(apps):
        name = _name(table)
        branches = " ".join(
            f"{'IF' if index == 0 else 'ELSIF'} TG_OP = '{operation}' THEN "
            f"{_count(apps, _where(condition, operation))};"
            for index, operation in enumerate(operations)
        )
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {branches} "
            "END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {' OR '.join(operations)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    return [*statements, *_forget(apps, "postgresql", documents)]


def install_triggers(
    apps: Apps, schema_editor: BaseDatabaseSchemaEditor, *, documents: bool = True
) -> None:
    """Install every trigger (again: each is dropped first). Without `documents`, the triggers
    as they were before the organisations' documents (migration 0010 taken back)."""
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite, "postgresql": _postgresql}.get(vendor)
    if vendor == "postgresql" and not documents:
        remove_triggers(apps, schema_editor)  # the erasure's and the move's, functions too
    _execute(schema_editor, statements(apps, documents) if statements else [])
    if vendor == "sqlite" and not documents:
        people = apps.get_model("cases", "Person")._meta.db_table
        cases = apps.get_model("cases", "Case")._meta.db_table
        _execute(schema_editor, [f"DROP TRIGGER IF EXISTS {_name(people, ERASED)}",
                                 f"DROP TRIGGER IF EXISTS {_name(cases, MOVED)}"])  # fmt: skip


def remove_triggers(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _execute(schema_editor, [
            statement
            for name, table in _triggers(apps, vendor)
            for statement in (f"DROP TRIGGER IF EXISTS {name} ON {table}",
                              f"DROP FUNCTION IF EXISTS {name}()")
        ])  # fmt: skip
    elif vendor == "sqlite":
        _execute(schema_editor, [
            f"DROP TRIGGER IF EXISTS {name}" for name, _table in _triggers(apps, vendor)
        ])  # fmt: skip


def _execute(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # nosemgrep: raw-sql (schema)
