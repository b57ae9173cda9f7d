"""Each dataset row's two keys, made with the instance's perturbation secret: its record key (a
keyed hash of its pilot and `case_ref`) and its content key (of every value it holds).

The disclosure control perturbs every count with them (`mel.report.disclosure.Perturbation`,
which is a `RowKeys`). They are made here, in the dataset, so that rows kept beside each case
(`case_rows`) and at the hub (`mel.models.SubmissionRows`) are kept with their keys, made once
when a row is kept, not for every report (issue 17): `mel.report` reads `mel.dataset`, never the
reverse (docs/architecture.md).

The secret is derived from the instance's index key (`ENGAGE_INDEX_KEY`, kept in the
environment, never in the database, a backup or a report), so it is the same for every report
of the instance. Keeping the keys beside the rows tells nothing more to someone who can read
the rows: the keys perturb the published counts of those very rows (`stored.KeyedRow`).
"""

import hmac
import operator
from collections.abc import Iterable, Sequence
from typing import Self

from engage.lib.crypto import blind_index
from engage.mel.dataset.stored import KeyedRow

_PILOT_AND_CASE = operator.itemgetter("pilot", "case_ref")


class RowKeys:
    """The keyed hashes of one instance's secret: the rows' keys, and any other cell key."""

    def __init__(self, secret: bytes):
        self._secret = secret

    @classmethod
    def of_instance(cls) -> Self:
        return cls(bytes.fromhex(blind_index("mel-perturbation", "cell-key")))

    def _key(self, *parts: str) -> int:
        message = "\x1f".join(parts).encode()
        return int.from_bytes(hmac.digest(self._secret, message, "sha256")[:4])

    def record(self, row: dict[str, str]) -> int:
        return self._key("record", row["pilot"], row["case_ref"])

    def records(self, rows: Iterable[dict[str, str]]) -> list[int]:
        """`record` of each row, in their order (one loop of C calls for 100,000 rows); a
        `KeyedRow` gives the key it was kept with."""
        secret, digest = self._secret, hmac.digest
        result = []
        for row in rows:
            if isinstance(row, KeyedRow):
                result.append(row.record_key)
            else:
                message = f"record\x1f{row['pilot']}\x1f{row['case_ref']}".encode()
                result.append(int.from_bytes(digest(secret, message, "sha256")[:4]))
        return result

    def contents(self, rows: Iterable[dict[str, str]]) -> list[int]:
        """The keyed hash of each row's content, in their order: `_key("row", "column=value",
        ...)` over its columns sorted by name. A `KeyedRow` gives the one it was kept with."""
        result = []
        known: frozenset[str] = frozenset()
        template, values = "", _PILOT_AND_CASE
        secret, digest = self._secret, hmac.digest
        for row in rows:
            if isinstance(row, KeyedRow):
                result.append(row.content_key)
                continue
            if row.keys() != known:  # the same for every row of a source: made once
                known = frozenset(row)
                columns = sorted(known)
                # That message as one %-template filled in C (100,000 rows of 37 columns: most
                # of the keys' time when each part was formatted and joined, issue 17).
                names = (column.replace("%", "%%") for column in columns)
                template = "\x1f".join(["row", *(f"{name}=%s" for name in names)])
                values = operator.itemgetter(*columns)
            message = (template % values(row)).encode()
            result.append(int.from_bytes(digest(secret, message, "sha256")[:4]))
        return result

    def stamp(self, columns: Sequence[str]) -> str:
        """What keys kept with rows of `columns` were made with (`KeyedRow`): the instance's
        secret and the columns, whose names are part of a row's content. Keys kept under
        another stamp are made again (a new `ENGAGE_INDEX_KEY`, a dataset with new columns)."""
        message = "\x1f".join(["kept keys", *columns]).encode()
        return hmac.digest(self._secret, message, "sha256").hex()
