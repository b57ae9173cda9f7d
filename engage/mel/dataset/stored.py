"""Dataset rows as the hub keeps them: column by column, each row with its two keys (issue 17).

A report of 100,000 imported rows made a dict of every row from its JSON, then took each column
back out of those dicts to number its values for `indicators.Table`, and hashed every row twice
for its record and population keys: two thirds of its time. A submission's document now keeps
each column's distinct values with each row's number among them, and the keys made at import
(`mel.models.SubmissionRows`). Its rows are read as `StoredRows`, whose columns the table takes
as they are; a row is made as a dict only when something asks for one, and a report of
imported rows asks for none.

This module imports nothing of the report's, so the indicators and the disclosure control can
both know these two types.
"""

import base64
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NoReturn, overload

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.intp]
Keys = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Column = tuple[list[str], Codes]


class KeyedRow(dict[str, str]):
    """A dataset row with its record and content keys, made when it was stored: a hub reading
    100,000 imported rows hashed each twice for every report, a third of its time. The row
    cannot be changed in place, so its keys always match its content: a changed copy
    (`dict(row)`, `{**row, ...}`) is a plain dict, keyed afresh.

    Keeping the keys beside the rows tells nothing more to someone who can read them: the
    keys perturb the published counts of those very rows, which the reader then has exactly."""

    __slots__ = ("content_key", "record_key")
    record_key: int
    content_key: int

    @classmethod
    def made(
        cls, rows: Iterable[Iterable[tuple[str, str]]], records: list[int], contents: list[int]
    ) -> list["KeyedRow"]:
        """Each row (its items) with its record and content keys, in their order."""
        made = list(map(cls, rows))  # dict's own constructor, in C
        if not len(made) == len(records) == len(contents):
            raise ValueError("a key for each row, no more and no fewer")
        for row, record, content in zip(made, records, contents, strict=True):
            row.record_key = record
            row.content_key = content
        return made

    @classmethod
    def one(cls, items: Iterable[tuple[str, str]], record: int, content: int) -> "KeyedRow":
        """One row (its items) with its record and content keys."""
        row = cls(items)
        row.record_key = record
        row.content_key = content
        return row

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a keyed row is read-only: change a copy, dict(row)")

    __setitem__ = __delitem__ = update = pop = popitem = setdefault = clear = _read_only
    __ior__ = _read_only

    def __reduce__(self) -> Any:
        return (_keyed_row, (dict(self), self.record_key, self.content_key))


def _keyed_row(row: dict[str, str], record: int, content: int) -> KeyedRow:
    return KeyedRow.made([row.items()], [record], [content])[0]


def numbered(values: Sequence[str]) -> Column:
    """A column's distinct values in the order they first appear, and each row's number among
    them (as `indicators.Table` numbers a column)."""
    distinct = list(dict.fromkeys(values))
    number = {value: n for n, value in enumerate(distinct)}
    return distinct, np.fromiter(map(number.__getitem__, values), np.intp, len(values))


def renumbered(values: Sequence[str], codes: Codes) -> Column:
    """`values[codes]` (values that may repeat) numbered as `numbered` would number it."""
    first: dict[str, int] = {}
    same = np.fromiter((first.setdefault(v, i) for i, v in enumerate(values)), np.intp,
                       len(values))  # fmt: skip
    merged = same[codes]
    if len(values) <= _FEW:
        # Few values (most columns): each one's first row found by a pass of its own, quicker
        # than the sort `np.unique` makes of 100,000 rows.
        held = np.flatnonzero(np.bincount(merged, minlength=len(values)))
        at = np.array([int(np.argmax(merged == value)) for value in held.tolist()], np.intp)
        taken = held[np.argsort(at, kind="stable")]
        rank = np.zeros(len(values), np.intp)
        rank[taken] = np.arange(len(taken))
        return [values[i] for i in taken.tolist()], rank[merged]
    distinct, at, inverse = unique(merged)
    order = np.argsort(at, kind="stable")
    rank = np.empty(len(order), np.intp)
    rank[order] = np.arange(len(order))
    return [values[i] for i in distinct[order].tolist()], rank[inverse.reshape(-1)]


_FEW = 32


def unique(numbers: npt.NDArray[np.integer[Any]]) -> tuple[Codes, Codes, Codes]:
    """`np.unique(numbers, return_index=True, return_inverse=True)` of integers, the inverse
    flat. Where they are non-negative and their bound is at most four a row, read off a table of
    every number up to it instead of sorting the rows: a twentieth of the time at 100,000 rows
    (a report numbers the sets of values of several columns a dozen times, issue 17)."""
    size = len(numbers)
    bound = int(numbers.max()) + 1 if size else 0
    if not size or int(numbers.min()) < 0 or bound > 4 * size + 1024:
        distinct, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
        return distinct.astype(np.intp), first, inverse.reshape(-1).astype(np.intp)
    present = np.zeros(bound, bool)
    present[numbers] = True
    distinct = np.flatnonzero(present)
    rank = np.cumsum(present, dtype=np.intp) - 1
    first = np.full(bound, size, np.intp)
    np.minimum.at(first, numbers, np.arange(size, dtype=np.intp))
    return distinct, first[distinct], rank[numbers]


def _taken(distinct: list[str], codes: Codes, rows: Codes) -> Column:
    """The column of the rows numbered `rows`, in that order, numbered again. A column whose
    every row has a value of its own (`case_ref`) keeps those of the rows taken, in their
    order: no numbering needed."""
    if len(distinct) == len(codes) and (codes == np.arange(len(codes))).all():
        return [distinct[i] for i in codes[rows].tolist()], np.arange(len(rows), dtype=np.intp)
    return renumbered(distinct, codes[rows])


class StoredRows(Sequence[dict[str, str]]):
    """Rows as columns: for each column (`names`) its distinct values in the order they first
    appear and each row's number among them, with each row's record and content keys where
    they are `known` (made with this instance's secret when the rows were stored, for rows
    unchanged since). A row asked for is a `KeyedRow` where its keys are known, else a dict."""

    def __init__(
        self,
        names: tuple[str, ...],
        columns: dict[str, Column],
        size: int,
        *,
        records: Keys | None = None,
        contents: Keys | None = None,
        known: Mask | None = None,
    ):
        if set(columns) != set(names):
            raise ValueError("a column for each name")
        for distinct, codes in columns.values():
            if len(codes) != size or (size and (codes.min() < 0 or codes.max() >= len(distinct))):
                raise ValueError("a column's numbers do not match its values or the rows")
        self.names = names
        self.columns = columns
        self.size = size
        self.records = records if records is not None else np.zeros(size, np.int64)
        self.contents = contents if contents is not None else np.zeros(size, np.int64)
        self.known = known if known is not None else np.zeros(size, bool)
        if not len(self.records) == len(self.contents) == len(self.known) == size:
            raise ValueError("a key for each row, no more and no fewer")
        self._rows: list[dict[str, str]] | None = None
        self._made: dict[int, dict[str, str]] = {}  # rows asked for one by one: the same each time

    def column(self, name: str) -> Column:
        return self.columns[name]

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> dict[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, str]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, str] | list[dict[str, str]]:
        if self._rows is not None:
            return self._rows[index]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        number = operator.index(index)
        number += self.size if number < 0 else 0
        if not 0 <= number < self.size:
            raise IndexError("row out of range")
        if number not in self._made:
            items = [(n, self.columns[n][0][self.columns[n][1][number]]) for n in self.names]
            self._made[number] = (
                KeyedRow.made([items], [int(self.records[number])], [int(self.contents[number])])[0]
                if self.known[number]
                else dict(items)
            )
        return self._made[number]

    def __iter__(self) -> Iterator[dict[str, str]]:
        return iter(self.rows())

    def rows(self) -> list[dict[str, str]]:
        """Every row as a dict (a `KeyedRow` where its keys are known), made once."""
        if self._rows is None:
            taken = [np.array(self.columns[n][0] or [""], dtype=object)[self.columns[n][1]]
                     for n in self.names]  # fmt: skip
            values = zip(*(column.tolist() for column in taken), strict=True)
            items = map(zip, [self.names] * self.size, values)
            if self.known.all():
                rows: list[dict[str, str]] = [
                    *KeyedRow.made(items, self.records.tolist(), self.contents.tolist())
                ]
            else:
                rows = list(map(dict, items))
                for number in np.flatnonzero(self.known).tolist():
                    rows[number] = self[number]
            for number, row in self._made.items():  # a row already given is that row again
                rows[number] = row
            self._rows = rows
        return self._rows

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (StoredRows, list, tuple)):
            return self.rows() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<StoredRows: {self.size} rows of {len(self.names)} columns>"

    @classmethod
    def of(cls, rows: Sequence[dict[str, str]], names: tuple[str, ...]) -> "StoredRows":
        """Rows given as dicts of `names`, column by column, each given back as itself: the
        keys of a `KeyedRow` known, the others' made by the report (rows derived live, or taken
        back to an earlier period, joined to rows read from the hub)."""
        given = list(rows)
        keyed = [isinstance(row, KeyedRow) for row in given]
        stored = cls(
            names,
            {name: numbered([row[name] for row in given]) for name in names},
            len(given),
            records=np.array([getattr(row, "record_key", 0) for row in given], np.int64),
            contents=np.array([getattr(row, "content_key", 0) for row in given], np.int64),
            known=np.array(keyed, bool),
        )
        stored._rows = given
        return stored

    @classmethod
    def joined(cls, parts: Sequence["StoredRows"]) -> "StoredRows":
        """The rows of `parts`, one after the other. Each part's values are in the order they
        first appear in it, so the values of all in their first parts' order are in the order
        they first appear in the whole: numbered as `numbered` would number it."""
        if not parts:
            raise ValueError("no rows to join")
        if len(parts) == 1:
            return parts[0]
        names = parts[0].names
        if any(part.names != names for part in parts):
            raise ValueError("rows of different columns")
        columns = {}
        for name in names:
            every = [value for part in parts for value in part.columns[name][0]]
            if len(set(every)) == len(every):
                # No value in two parts (a reference, one a case): each part's numbers move
                # up past the values of the parts before it, and nothing needs looking up.
                starts = np.cumsum([0, *(len(part.columns[name][0]) for part in parts)])
                moved = [part.columns[name][1] + start
                         for part, start in zip(parts, starts[:-1], strict=True)]  # fmt: skip
                columns[name] = (every, np.concatenate(moved))
                continue
            position: dict[str, int] = {}
            moved = []
            for part in parts:
                distinct, codes = part.columns[name]
                to = np.fromiter((position.setdefault(v, len(position)) for v in distinct),
                                 np.intp, len(distinct))  # fmt: skip
                moved.append(to[codes])
            columns[name] = (list(position), np.concatenate(moved))
        result = cls(
            names,
            columns,
            sum(part.size for part in parts),
            records=np.concatenate([part.records for part in parts]),
            contents=np.concatenate([part.contents for part in parts]),
            known=np.concatenate([part.known for part in parts]),
        )
        offset = 0
        for part in parts:  # a row a part has given is that row again
            given = enumerate(part._rows) if part._rows is not None else part._made.items()
            result._made.update((offset + number, row) for number, row in given)
            offset += part.size
        return result

    def where(self, name: str, test: Callable[[str], bool]) -> Mask:
        """The rows whose value of column `name` passes `test` (called once a distinct value)."""
        distinct, codes = self.columns[name]
        passes = np.fromiter(map(test, distinct), bool, len(distinct))
        return passes[codes] if len(distinct) else np.zeros(self.size, bool)

    def taken(self, rows: Mask) -> "StoredRows":
        """The rows of `rows` only, in their order, each column numbered again (a value no row
        holds any more is not one of its values)."""
        if rows.all():
            return self
        return self.picked(np.flatnonzero(rows))

    def picked(self, numbers: Codes) -> "StoredRows":
        """The rows numbered `numbers` (each at most once), in that order, each column
        numbered again."""
        return StoredRows(
            self.names,
            {
                name: _taken(distinct, codes, numbers)
                for name, (distinct, codes) in self.columns.items()
            },
            len(numbers),
            records=self.records[numbers],
            contents=self.contents[numbers],
            known=self.known[numbers],
        )

    def set(self, rows: Mask, **values: str) -> "StoredRows":
        """The rows with, in `rows`, each column named in `values` set to its value: those
        rows' keys are no longer known (their content changed)."""
        if not rows.any():
            return self
        columns = dict(self.columns)
        for name, value in values.items():
            distinct, codes = columns[name]
            columns[name] = renumbered([*distinct, value], np.where(rows, len(distinct), codes))
        return StoredRows(
            self.names,
            columns,
            self.size,
            records=self.records,
            contents=self.contents,
            known=self.known & ~rows,
        )


# -- Columns as a document keeps them --------------------------------------------------------


def packed(data: npt.NDArray[Any], dtype: str) -> str:
    """An array's numbers as `dtype` bytes, in base64: how a JSON document keeps them."""
    return base64.b64encode(np.asarray(data, dtype=dtype).tobytes()).decode("ascii")


def unpacked(text: str, dtype: str, size: int) -> npt.NDArray[Any]:
    """The `size` numbers of `packed`, as they were; a wrong length is refused."""
    numbers = np.frombuffer(base64.b64decode(text, validate=True), dtype=dtype)
    if len(numbers) != size:
        raise ValueError("the document's numbers are shorter or longer than its rows")
    return numbers


def packed_columns(columns: Sequence[Column]) -> dict[str, Any]:
    """Columns as a document keeps them: each one's distinct values (`values`) and each row's
    number among them, column after column (`codes`), each column's numbers `width` bytes
    wide, little-endian: one byte for a column of at most 256 values (most of them), two up to
    65,536, else four."""
    widths = [1 if len(distinct) <= 2**8 else 2 if len(distinct) <= 2**16 else 4
              for distinct, _codes in columns]  # fmt: skip
    codes = b"".join(
        np.asarray(codes, dtype=f"<u{width}").tobytes()
        for (_distinct, codes), width in zip(columns, widths, strict=True)
    )
    return {
        "values": [distinct for distinct, _codes in columns],
        "width": widths,
        "codes": base64.b64encode(codes).decode("ascii"),
    }


def unpacked_columns(document: dict[str, Any], count: int, size: int) -> list[Column]:
    """The `count` columns of `size` rows that `packed_columns` kept in `document`; a document
    kept before each column had its own width has one for all (2 or 4 bytes)."""
    width = document["width"]
    widths = width if isinstance(width, list) else [width] * count
    if isinstance(width, list) and len(width) != count:
        raise ValueError("the document's columns and widths do not match")
    if any(each not in ((1, 2, 4) if isinstance(width, list) else (2, 4)) for each in widths):
        raise ValueError("the document's numbers are not 1, 2 or 4 bytes wide")
    if len(document["values"]) != count:
        raise ValueError("the document's columns and values do not match")
    data = base64.b64decode(document["codes"], validate=True)
    if len(data) != sum(widths) * size:
        raise ValueError("the document's numbers are shorter or longer than its rows")
    numbers, offset = [], 0
    for each in widths:
        numbers.append(np.frombuffer(data, f"<u{each}", size, offset).astype(np.intp))
        offset += each * size
    return list(zip(document["values"], numbers, strict=True))
