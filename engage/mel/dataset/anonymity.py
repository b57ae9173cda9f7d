"""Keeping people from being singled out in the network dataset (the spec's "Suppressed values
(version 2)", shared/spec/network-dataset.md).

The quasi-identifiers are the columns someone who knows a person could match: `city`, `sex`,
`age_band`, `nationality_region`, `migration_status`, `detention_at_referral`, and the
`inclusion_month` counted by quarter. k is the size of the smallest group of rows that share
the same values of all of them; an export is sent only once k ≥ 5.

How cells are chosen (a greedy local suppression, in the manner of sdcMicro's
`localSuppression`): while some rows are in a group smaller than k, the smallest such group
chooses one of its suppressible columns and replaces it by `unknown` (`city` by an empty cell)
in its rows, which merges them with the rows of the key they land on; when that key would still
be too small, the rows it lacks come from the largest group that differs from it in that column
only (and keeps k rows). The column chosen is the one that takes the most rows out of small
groups per cell suppressed; ties go to the move that lands on the largest group, then to the
column least useful to the network's breakdowns (`PREFERENCE`). Only rows of small groups, and
the fewest rows of a donor, are touched. A group left too small with every cell suppressed takes
the rows it lacks from the other groups of its quarter (`_fill_from_the_same_quarter`). Months
are never suppressed; a row whose quarter has fewer than k rows cannot be protected by
suppression: `protect` leaves such rows out of what is sent and counts them (`withheld`), and
the admin's preview says so.

A row is not alone in the dataset: `person_ref`, `household_ref` and `case_manager_ref` join it
to other rows (the person's other enrollment, their family, the case manager's other clients),
and those show what they were not made to hide: a case manager's clients share a city, a family
its city and region. Where every other row of a link that shows a column suppressed in a row
shows one and the same value, the link gives the cell back (`LINKS` says which columns each
link tells), so that row loses the link (`_unlink`; the link is left empty, as the spec
allows); rows whose linked rows show two values or more keep it. The rows of other pilots a
`person_ref` joins are not seen here (docs/indicators.md).

A row's own columns tell too: a concern in the screening's child domain (`vulnerabilities`
holds `child`, which is not a quasi-identifier and is sent as it is) is a client under 18, so a
row with it and an unknown age band is read as `0-17` (`key_of`, `_told_age`): its reader
counts it with the children of its group, not with the rows of unknown age. Replacing its age
band hides nothing, so the greedy never counts on it: the groups it works on are those of the
reader, split by what a replaced age band would be read as (`_group_key`), and a child's group
reaches k by its other cells or, with all of them replaced, from the other children of its
quarter; a quarter with fewer than k rows read as under 18, or fewer than k others, has those
rows withheld (`withheld_for_the_child_domain`).

A submission is not alone either: the hub keeps one per period end, each row under the same
`case_ref`, so whoever holds two joins them and learns of each case every cell either showed. A
cell hidden in one and shown in the other is given back; a case whose cells differ between them
is told apart from the rest of its group. So the pilot remembers what it sent of each case
(`Sent`, kept as `mel.SentCases`), and `protect` sends a case sent before with the very
quasi-identifiers it was sent with: a cell shown stays shown (hiding it now hides nothing), a
cell hidden stays hidden, a link emptied stays empty. Such rows are fixed: the greedy never
moves them, only the rows never sent, which may land beside them; what the joined submissions
tell of a case is then exactly what the latest tells, so k of the latest is k of them all. A
group of fixed rows that fell under k (a case deleted or its row withheld since) cannot be hidden
any further and is withheld. A link sent before cannot be taken back: where a fixed row's link
would give one of its hidden cells back, the rows that would give it lose the link instead.

k after protection, which the manifest states and the admin sees, is pycanon's
(`k_anonymity`), so it is computed by an independent implementation, not by the loop that
produced it. The two figures shown for information are counted here, for speed: l-diversity
in one pandas grouping, k before protection off the groups the loop starts from; property
tests (`tests/mel/test_reidentification.py`) hold both to pycanon's.
"""

import heapq
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from engage.lib.memory import collection_paused

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

K = 5
QUASI_IDENTIFIERS = (
    "city",
    "sex",
    "age_band",
    "nationality_region",
    "migration_status",
    "detention_at_referral",
    "inclusion_month",
)
# What a suppressed cell becomes. The inclusion month is never suppressed.
SUPPRESSED_VALUE = {
    "nationality_region": "unknown",
    "migration_status": "unknown",
    "detention_at_referral": "unknown",
    "age_band": "unknown",
    "sex": "unknown",
    "city": "",
}
# Ties between equally good moves: suppress first what the network's breakdowns use least.
PREFERENCE = tuple(SUPPRESSED_VALUE)
SENSITIVE = ("closure_reason", "engagement_level")
# The columns that join a row to others, with the columns their other rows would tell of it:
# the person's other enrollments and their family are taken to share any of them; a case
# manager's clients share a city, not a sex, an age or a region.
LINKS = {
    "person_ref": tuple(SUPPRESSED_VALUE),
    "household_ref": tuple(SUPPRESSED_VALUE),
    "case_manager_ref": ("city",),
}

# What a replaced age band is read as in a row whose `vulnerabilities` holds this domain: the
# screening tool's child domain is for a client under 18, at referral as the band is (a concern
# found later was one at referral too). An age band in dispute (`18-24` with `child`) is read as
# `0-17` once replaced, so it joins the children, not the rows of unknown age.
CHILD_DOMAIN, UNDER_18 = "child", "0-17"

Row = dict[str, str]
Key = tuple[str, ...]


@dataclass(frozen=True)
class Sent:
    """What the pilot sent of one case before: its quasi-identifiers as sent (`inclusion_month`
    aside, which is never suppressed), the columns of them that were suppressed, its links as
    sent, and the links protection emptied."""

    values: dict[str, str]
    hidden: frozenset[str] = frozenset()
    links: dict[str, str] = field(default_factory=dict)
    unlinked: frozenset[str] = frozenset()


def quarter(value: str) -> str:
    """`2024-05` → `2024-Q2`; empty stays empty."""
    if not value:
        return ""
    year, month = value.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


_MONTH = QUASI_IDENTIFIERS.index("inclusion_month")
_AGE = QUASI_IDENTIFIERS.index("age_band")
_quasi_identifiers = itemgetter(*QUASI_IDENTIFIERS)
# Where each quasi-identifier is in a key.
_INDEX = {column: QUASI_IDENTIFIERS.index(column) for column in QUASI_IDENTIFIERS}
# Where a group's key (`_group_key`) says what a replaced age band would be read as.
_TOLD = len(QUASI_IDENTIFIERS)


def _told_age(row: Row) -> str:
    """What the row's unknown age band is read as: `0-17` with a concern in the child domain."""
    return UNDER_18 if CHILD_DOMAIN in row["vulnerabilities"].split(";") else "unknown"


def key_of(row: Row) -> Key:
    """The row's quasi-identifiers as its reader reads them: its inclusion month as its
    quarter, an unknown age band as what the child domain tells of it."""
    values = _quasi_identifiers(row)
    age = values[_AGE] if values[_AGE] != "unknown" else _told_age(row)
    return (*values[:_AGE], age, *values[_AGE + 1 : _MONTH], quarter(values[_MONTH]),
            *values[_MONTH + 1 :])  # fmt: skip


def _group_key(row: Row) -> Key:
    """The row's key, and what its age band would be read as once replaced: the greedy's
    groups, so that all the rows of one land on one key whichever column is replaced."""
    return (*key_of(row), _told_age(row))


def _reading(row: Row, column: str) -> str:
    """The value of a quasi-identifier the row's reader reads (the unknown age of a child's
    row is `0-17`)."""
    value = row[column]
    return _told_age(row) if column == "age_band" and value == "unknown" else value


def _hidden(key: Key, column: str) -> str:
    """What the column of a group's rows is read as once replaced."""
    return key[_TOLD] if column == "age_band" else SUPPRESSED_VALUE[column]


def _frame(rows: list[Row]) -> "pd.DataFrame":
    # pandas and pycanon are imported where they are used, not with the module: the evidence
    # pages' services load it, so the web process and every `engage` command did, and the two
    # took 0.15 s of each start for work done only when a dataset is measured or protected.
    import pandas as pd

    frame = pd.DataFrame([key_of(row) for row in rows], columns=list(QUASI_IDENTIFIERS))
    for column in SENSITIVE:
        frame[column] = [row[column] for row in rows]
    return frame


def k_anonymity(rows: list[Row]) -> int:
    """The smallest group sharing every quasi-identifier (pycanon); 0 for no rows."""
    return _k_of(_frame(rows)) if rows else 0


def _k_of(frame: "pd.DataFrame") -> int:
    from pycanon import anonymity

    return int(anonymity.k_anonymity(frame, list(QUASI_IDENTIFIERS)))


def l_diversity(rows: list[Row]) -> dict[str, int]:
    """For each sensitive column, the fewest distinct values in a group.

    Counted by pandas, in one grouping, not by pycanon's `l_diversity`: pycanon selects each
    group's rows from the frame one group at a time, which took 0.5 s for a pilot of 14,000
    rows (1,900 groups), a seventh of its export at the size of a national programme (issue
    17). The measure is the same: distinct l-diversity, each sensitive column on its own.
    `tests/mel/test_reidentification.py` holds it to pycanon's on generated rows."""
    if not rows:
        return {column: 0 for column in SENSITIVE}
    return _l_of(_frame(rows))


def _l_of(frame: "pd.DataFrame") -> dict[str, int]:
    fewest = frame.groupby(list(QUASI_IDENTIFIERS))[list(SENSITIVE)].nunique().min()
    return {column: int(fewest[column]) for column in SENSITIVE}


@dataclass
class Protection:
    """What `protect` did: the rows to send, and what the admin is shown before sending."""

    rows: list[Row]
    k_before: int
    k_after: int
    l_after: dict[str, int]
    # Cells suppressed per column, and rows in which at least one cell was.
    suppressed: dict[str, int] = field(default_factory=dict)
    rows_touched: int = 0
    rows_small_before: int = 0
    # Rows that no suppression could protect (their inclusion quarter alone has fewer than k
    # rows, or fewer than k of the rows read as under 18 or of the others), withheld from the
    # submission; of them, those never sent whose quarter has k rows or more.
    withheld: int = 0
    withheld_for_the_child_domain: int = 0
    # Links left empty because the rows they join would give a suppressed cell back.
    unlinked: int = 0
    k: int = K
    # Rows of cases sent before, sent with the quasi-identifiers they were sent with; of the
    # withheld rows, those of cases sent before whose group fell under k since.
    kept_as_sent: int = 0
    withheld_as_sent: int = 0
    # What to remember of each row sent (by `case_ref`): `remembered`.
    hidden: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    emptied: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def remembered(self, before: "Mapping[str, Sent] | None" = None) -> dict[str, Sent]:
        """What to remember of each case, by `case_ref`: what was remembered `before`, and
        each row sent now merged in. A case sent before keeps its values and hidden cells
        (they were sent as they were), gains the links sent now and keeps every link ever
        emptied."""
        kept = dict(before or {})  # a case not sent this time is remembered as it was
        for row in self.rows:
            ref = row["case_ref"]
            earlier = kept.get(ref)
            links = {link: row[link] for link in LINKS if row[link]}
            emptied = self.emptied.get(ref, frozenset())
            if earlier is None:
                kept[ref] = Sent(
                    values={column: row[column] for column in SUPPRESSED_VALUE},
                    hidden=self.hidden.get(ref, frozenset()),
                    links=links,
                    unlinked=emptied,
                )
            else:
                kept[ref] = Sent(
                    values=earlier.values,
                    hidden=earlier.hidden,
                    links={**earlier.links, **links},
                    unlinked=earlier.unlinked | emptied,
                )
        return kept

    @property
    def cells_suppressed(self) -> int:
        return sum(self.suppressed.values())

    @property
    def withheld_for_the_quarter(self) -> int:
        """Rows withheld because their quarter has fewer than k rows."""
        return self.withheld - self.withheld_for_the_child_domain - self.withheld_as_sent

    def manifest_fields(self) -> dict[str, Any]:
        """The spec's three fields, and `withheld` (Engage's: rows left out, see `protect`)."""
        return {
            "quasi_identifiers": list(QUASI_IDENTIFIERS),
            "k_anonymity": self.k_after,
            "suppressed": self.cells_suppressed,
            "withheld": self.withheld,
        }


def protect(rows: list[Row], k: int = K, sent: "Mapping[str, Sent] | None" = None) -> Protection:
    """Suppress the fewest cells (greedily) until every group of rows has k rows or more; the
    rows of cases in `sent` (by `case_ref`) go as they were sent before.

    The rows are copied; those given are left as they were. The collector is paused meanwhile
    (`collection_paused`): the copies and the groups are no garbage, and walking them again
    at each collection took more time than the copying (issue 17).
    """
    with collection_paused():
        return _protect([dict(row) for row in rows], k, sent or {})


def _protect(rows: list[Row], k: int, sent: "Mapping[str, Sent]") -> Protection:
    # The columns whose value a link could tell: those of more than one value before
    # suppression (a single city's pilot hides nothing by leaving a city empty).
    various = {column for column, hidden in SUPPRESSED_VALUE.items()
               if len({_reading(row, column) for row in rows} - {hidden}) > 1}  # fmt: skip
    # Before protection nearly every row is a group of its own: the smallest is read off the
    # rows' keys (pycanon made an array of each of them, 14,000 for a large pilot); a property
    # test holds it to pycanon's. k and l after it, on what is sent, are measured below.
    sizes = Counter(map(key_of, rows))
    k_before = min(sizes.values(), default=0)
    small_before = sum(size for size in sizes.values() if size < k)
    # A case sent before and gone since (deleted) is still on its links at the hub, with a
    # value hidden that nothing here tells any more: its hidden columns are taken as various.
    present = {row["case_ref"] for row in rows}
    various |= {column for ref, before in sent.items()
                if ref not in present and before.links for column in before.hidden}  # fmt: skip
    fixed, pinned, emptied = _as_sent(rows, sent)
    groups = _Groups(rows, k, fixed)
    while (source := groups.next_small()) is not None:
        move = groups.best_move(source)
        if move is None:  # every suppressible cell of the group is suppressed already
            continue
        for key, column, count in move:
            groups.suppress(key, column, count)
    _fill_from_the_same_quarter(groups, k)
    # A group of the greedy's too small may be part of a reader's group of k rows or more (rows
    # with `child` among rows without it, all shown `0-17`): only the reader's groups count.
    sizes = _read_sizes(groups.members, groups.fixed)
    unprotectable = {id(row) for grouped in (groups.members, groups.fixed)
                     for key, group in grouped.items()
                     if sizes[key[:_TOLD]] < k for row in group}  # fmt: skip
    kept = [row for row in rows if id(row) not in unprotectable]
    quarters = Counter(quarter(row["inclusion_month"]) for row in rows)
    ghosts = _ghosts(kept, sent, pinned, groups.touched)
    unlinked = _unlink(kept, groups.touched, various, pinned, emptied, ghosts)
    suppressed = Counter(column for row in kept for column in groups.touched.get(id(row), ()))
    frame = _frame(kept) if kept else None  # measured once for k and l
    return Protection(
        rows=kept,
        k_before=k_before,
        k_after=_k_of(frame) if frame is not None else 0,
        l_after=_l_of(frame) if frame is not None else {column: 0 for column in SENSITIVE},
        suppressed={column: suppressed[column] for column in PREFERENCE if suppressed[column]},
        rows_touched=sum(1 for row in kept if id(row) in groups.touched),
        rows_small_before=small_before,
        withheld=len(rows) - len(kept),
        withheld_for_the_child_domain=sum(
            1
            for row in rows
            if id(row) in unprotectable
            and id(row) not in fixed
            and quarters[quarter(row["inclusion_month"])] >= k
        ),
        unlinked=unlinked,
        k=k,
        kept_as_sent=sum(1 for row in kept if id(row) in fixed),
        withheld_as_sent=len(fixed.keys() & unprotectable),
        hidden={
            row["case_ref"]: frozenset(groups.touched[id(row)])
            for row in kept
            if id(row) in groups.touched
        },
        emptied={
            row["case_ref"]: frozenset(emptied[id(row)]) for row in kept if emptied.get(id(row))
        },
    )


def _as_sent(
    rows: list[Row], sent: "Mapping[str, Sent]"
) -> tuple[dict[int, set[str]], dict[int, set[str]], dict[int, set[str]]]:
    """Give each row of a case sent before the quasi-identifiers it was sent with, and empty
    again the links protection emptied then. Return, by the row's id(): the rows so fixed
    (with the cells hidden in them), the links each sent before with the value it has now
    (pinned: the network holds them), and the links emptied. A value known only since it was
    sent unknown stays unknown, and is hidden as a replaced one is."""
    fixed: dict[int, set[str]] = {}
    pinned: dict[int, set[str]] = {}
    emptied: dict[int, set[str]] = {}
    for row in rows:
        before = sent.get(row["case_ref"])
        if before is None:
            continue
        # Only the quasi-identifiers: a memory never writes another column of the row.
        values = {column: before.values[column] for column in SUPPRESSED_VALUE
                  if column in before.values}  # fmt: skip
        # Hidden: the cells hidden then, and those a value known since is sent unknown in.
        fixed[id(row)] = (set(before.hidden) & SUPPRESSED_VALUE.keys()) | {
            column
            for column, value in values.items()
            if value == SUPPRESSED_VALUE[column] != row[column]
        }
        row.update(values)
        for link in before.unlinked & LINKS.keys():
            if row[link]:
                row[link] = ""
                emptied.setdefault(id(row), set()).add(link)
        pinned[id(row)] = {link for link, value in before.links.items()
                           if link in LINKS and row[link] == value}  # fmt: skip
    return fixed, pinned, emptied


def _ghosts(
    kept: list[Row],
    sent: "Mapping[str, Sent]",
    pinned: dict[int, set[str]],
    touched: dict[int, set[str]],
) -> dict[str, list[Row]]:
    """The rows the network holds on each link from earlier submissions that this one does
    not send again on it (a case withheld now, or whose link changed since), by link: they
    still show the values they were sent with to whoever joins the link. Pinned, with the
    cells that were hidden in them marked in `touched`."""
    now = {row["case_ref"]: row for row in kept}
    ghosts: dict[str, list[Row]] = {}
    for ref, before in sent.items():
        row = now.get(ref)
        for link, value in before.links.items():
            if link not in LINKS or (row is not None and row[link] == value):
                continue
            ghost = {**before.values, link: value, "case_ref": ref,
                     "vulnerabilities": row["vulnerabilities"] if row else ""}  # fmt: skip
            ghosts.setdefault(link, []).append(ghost)
            pinned[id(ghost)] = {link}
            touched[id(ghost)] = set(before.hidden)
    return ghosts


def _read_sizes(*grouped: dict[Key, list[Row]]) -> Counter[Key]:
    """The sizes of the groups the reader sees (the greedy's, joined where only what a
    replaced age band would be read as tells them apart; its fixed rows counted too)."""
    sizes: Counter[Key] = Counter()
    for groups in grouped:
        for key, members in groups.items():
            sizes[key[:_TOLD]] += len(members)
    return sizes


def _unlink(
    rows: list[Row],
    touched: dict[int, set[str]],
    various: set[str],
    pinned: dict[int, set[str]],
    emptied: dict[int, set[str]],
    ghosts: dict[str, list[Row]],
) -> int:
    """Empty each link of a row that the link's other rows would give a suppressed cell of
    back: those of them that show the column show a single value (of a column with several,
    `various`). Again until none does (a row unlinked no longer shows the others its values);
    return how many links were emptied, and note each in `emptied`.

    A link sent before with the same value (`pinned`) cannot be taken back: where such a row
    would be given a cell back, the rows that show that cell lose the link instead; so too
    where such a row is one the network holds from an earlier submission only (`ghosts`)."""
    count = 0
    for link, carried in LINKS.items():
        told = various.intersection(carried)
        joined: dict[str, list[Row]] = {}
        for row in [*rows, *ghosts.get(link, ())]:
            if row[link]:
                joined.setdefault(row[link], []).append(row)
        for members in joined.values():
            while len(members) > 1:
                # A suppressed cell is never shown, so the values shown by a row's others are
                # those shown by the whole link (a child's unknown age band shows `0-17`).
                shown: dict[str, set[str]] = {column: set() for column in told}
                for row in members:
                    for column in told:
                        if (value := _reading(row, column)) != SUPPRESSED_VALUE[column]:
                            shown[column].add(value)
                given = {
                    id(row): columns
                    for row in members
                    if (
                        columns := {
                            column
                            for column in told & touched.get(id(row), set())
                            if len(shown[column]) == 1
                        }
                    )
                }
                losing = {
                    id(row): row
                    for row in members
                    if id(row) in given and link not in pinned.get(id(row), ())
                }
                for held in (row for row in members if link in pinned.get(id(row), ())):
                    for row in members:
                        if link not in pinned.get(id(row), ()) and any(
                            _reading(row, column) != SUPPRESSED_VALUE[column]
                            for column in given.get(id(held), ())
                        ):
                            losing[id(row)] = row
                if not losing:  # only links the network holds already would give it back
                    break
                for row in losing.values():
                    row[link] = ""
                    emptied.setdefault(id(row), set()).add(link)
                count += len(losing)
                members = [row for row in members if row[link]]
    return count


# A move: the rows to take from groups, as (group key, column to suppress, how many rows).
Move = list[tuple[Key, str, int]]


class _Groups:
    """The rows grouped by key, with what the greedy needs at hand: the small groups, smallest
    first (a heap), and for each column the groups that could give rows (more than k of them)
    by the rest of their key, so that those differing only in that column are found at once
    (the donors). Only such groups: the small ones, most of them, were gone through for every
    move (issue 17).

    The rows of cases sent before (`fixed`) are kept apart by the same keys: they count in
    their group's size, and never move."""

    def __init__(self, rows: list[Row], k: int, fixed: dict[int, set[str]]) -> None:
        self.k = k
        self.members: dict[Key, list[Row]] = {}
        self.fixed: dict[Key, list[Row]] = {}
        self.donors: dict[str, dict[Key, set[Key]]] = {column: {} for column in PREFERENCE}
        self.heap: list[tuple[int, str, Key]] = []
        # The columns suppressed in each row (by the row's id()), those of fixed rows included.
        self.touched: dict[int, set[str]] = {pk: set(hidden) for pk, hidden in fixed.items()
                                              if hidden}  # fmt: skip
        grouped: dict[Key, list[Row]] = {}
        for row in rows:  # grouped first: each group added once, in the rows' order
            if id(row) in fixed:
                self.fixed.setdefault(_group_key(row), []).append(row)
            else:
                grouped.setdefault(_group_key(row), []).append(row)
        for key, members in grouped.items():
            self._add(key, members)

    def size(self, key: Key) -> int:
        """The group's rows, fixed ones included."""
        return len(self.members.get(key, ())) + len(self.fixed.get(key, ()))

    def _add(self, key: Key, rows: list[Row]) -> None:
        members = self.members.setdefault(key, [])
        before = self.size(key)
        members.extend(rows)
        if (size := before + len(rows)) < self.k:
            heapq.heappush(self.heap, (size, _order(key), key))
        elif before <= self.k < size:  # it can give rows now
            for column in PREFERENCE:
                self.donors[column].setdefault(_without(key, _INDEX[column]), set()).add(key)

    def _take(self, key: Key, count: int) -> list[Row]:
        members = self.members[key]
        before = self.size(key)
        moving, self.members[key] = members[:count], members[count:]
        left, size = len(self.members[key]), before - count
        if before > self.k >= size:  # it can give no more rows
            for column in PREFERENCE:
                self.donors[column][_without(key, _INDEX[column])].discard(key)
        if not left:
            del self.members[key]
        elif size < self.k:
            heapq.heappush(self.heap, (size, _order(key), key))
        return moving

    def next_small(self) -> Key | None:
        """The smallest group still too small (ties by key, so the result is reproducible)
        that has rows to move."""
        while self.heap:
            size, _ordered, key = heapq.heappop(self.heap)
            if key in self.members and self.size(key) == size:
                return key
        return None

    def suppress(self, key: Key, column: str, count: int) -> None:
        moving = self._take(key, count)
        for row in moving:
            row[column] = SUPPRESSED_VALUE[column]
            self.touched.setdefault(id(row), set()).add(column)
        self._add(_group_key(moving[0]), moving)

    def best_move(self, source: Key) -> Move | None:
        """The move of this small group that takes most rows out of small groups per cell.

        The group either moves whole onto the key it lands on once one column is suppressed,
        or, when that key would still be too small, also takes the rows it lacks from a large
        group that differs from it in that column only (which keeps k rows or more). Its
        fixed rows, if any, stay.
        """
        k, size = self.k, len(self.members[source])
        best, best_score = None, None
        for rank, column in enumerate(PREFERENCE):
            index = _INDEX[column]
            hidden = _hidden(source, column)
            if source[index] == hidden:  # replaced already, or told by the row's other cells
                continue
            target = (*source[:index], hidden, *source[index + 1 :])
            landed = self.size(target)
            move: Move = [(source, column, size)]
            merged, cost = size + landed, size
            if merged < k:
                lacking = k - merged
                donors = [key for key in self.donors[column].get(_without(source, index), ())
                          if key not in (source, target) and self.size(key) - lacking >= k
                          and len(self.members.get(key, ())) >= lacking]  # fmt: skip
                if donors:
                    donor = max(donors, key=lambda key: (self.size(key), key))
                    move.append((donor, column, lacking))
                    merged, cost = k, size + lacking
            # Rows taken out of small groups: this group's, and the target's if it was small.
            gain = (size + (landed if landed < k else 0)) if merged >= k else 0
            score = (-gain / cost, -merged, cost, rank)
            if best_score is None or score < best_score:
                best, best_score = move, score
        return best


def _fill_from_the_same_quarter(groups: _Groups, k: int) -> None:
    """The last resort before withholding rows. A group still too small has every suppressible
    cell suppressed already: it takes the rows it lacks from the other groups of its quarter,
    every suppressible cell of theirs suppressed too: first the rows the largest groups can
    spare (each keeps k rows), then whole groups, smallest first (those with no fixed rows
    first, which would be left behind). Only from those read as it is once their age band is
    replaced (under 18 with the child domain, else unknown): a row is withheld only when its
    quarter has fewer than k rows of its kind it could be moved with. Fixed rows never move,
    but a group of them takes rows like any other."""
    members, quarter_index = groups.members, _MONTH
    small = [key for key in {**members, **groups.fixed} if groups.size(key) < k]
    for source in small:
        gone = source not in members and source not in groups.fixed  # given to another
        if gone or groups.size(source) >= k or not _all_suppressed(source):
            continue
        same_quarter = [key for key in members
                        if key != source and key[quarter_index] == source[quarter_index]
                        and key[_TOLD] == source[_TOLD]]  # fmt: skip
        if groups.size(source) + sum(len(members[key]) for key in same_quarter) < k:
            continue
        members.setdefault(source, [])
        # Spare rows of the largest groups first, then whole groups, smallest first.
        for donor in sorted(same_quarter, key=lambda key: (-groups.size(key), key)):
            lacking = k - groups.size(source)
            spare = min(groups.size(donor) - k, len(members[donor]))
            if lacking > 0 and spare > 0:
                _move_all(groups, donor, source, min(lacking, spare))
        for donor in sorted(same_quarter, key=lambda key: (key in groups.fixed,
                                                           len(members.get(key, ())), key)):  # fmt: skip
            if groups.size(source) >= k:
                break
            if donor in members:
                _move_all(groups, donor, source, len(members[donor]))
        if not members[source]:
            del members[source]


def _move_all(groups: _Groups, donor: Key, source: Key, count: int) -> None:
    """Move `count` rows of `donor` into the fully suppressed group `source` (the same kind:
    what a replaced age band is read as)."""
    members, touched = groups.members, groups.touched
    moving, members[donor] = members[donor][:count], members[donor][count:]
    if not members[donor]:
        del members[donor]
    for row in moving:
        for column, value in SUPPRESSED_VALUE.items():
            # A child's `0-17` is left: replaced, it would still be read so.
            if _reading(row, column) != _hidden(source, column):
                row[column] = value
                touched.setdefault(id(row), set()).add(column)
    members[source].extend(moving)


def _all_suppressed(key: Key) -> bool:
    return all(key[_INDEX[column]] == _hidden(key, column) for column in SUPPRESSED_VALUE)


def _order(key: Key) -> str:
    """The key as one text that sorts as the key does (its values joined by the character
    that sorts first, which no value holds): the heap of small groups compares those texts at
    C's speed, not tuples value by value, and takes ties in the same order."""
    return "\0".join(key)


def _without(key: Key, index: int) -> Key:
    return (*key[:index], "\0", *key[index + 1 :])
