"""`engage verify_audit`: check the hash chains of the audit log and the change history.

Exit status 0 when every chain holds (and any `--expect-head` matches), 1 at the first broken
link, which is named: entries missing (deleted), an entry altered, or entries written without
their seal. The last line of each chain is its head (position and hash): note it somewhere
other than this server (a paper log, an email to the board), and give it back later with
`--expect-head audit.AuditEvent=1234:9f86…` to detect that the newest entries were removed or the
whole chain rewritten, which the chain alone cannot show.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from engage.lib import chain


class Command(BaseCommand):
    help = "Check that no entry of the audit log or the change history was deleted or altered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            action="append",
            default=[],
            metavar="LABEL=SEQ:HASH",
            help="A head noted earlier; fails unless that entry still has that hash.",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        expected = self._expected(options["expect_head"])
        failed = False
        with transaction.atomic(using=options["database"]):
            if connection.vendor == "postgresql":
                # Seal what this transaction's caller left pending (a test's own transaction);
                # committed entries are sealed already.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # nosemgrep: raw-sql
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # nosemgrep: raw-sql
            for spec in chain.chained():
                report = chain.verify(spec.label, connection)
                if report.broken:
                    failed = True
                    self.stderr.write(f"{spec.label}: BROKEN: {report.broken}")
                else:
                    blanked = f", {report.blanked} blanked by erasure" if report.blanked else ""
                    self.stdout.write(
                        f"{spec.label}: {report.count} entries, chain intact{blanked}"
                    )
                for seq, digest in expected.get(spec.label, []):
                    found = chain.head_of(spec.label, connection, seq)
                    if found != digest:
                        failed = True
                        self.stderr.write(
                            f"{spec.label}: BROKEN: entry {seq} no longer has the hash noted "
                            "(the newest entries were removed or the chain was rewritten)"
                        )
                if report.head:
                    self.stdout.write(f"{spec.label} head: {report.head[0]}:{report.head[1]}")
        if failed:
            raise CommandError("The audit trail was tampered with (see above).", returncode=1)

    def _expected(self, values: list[str]) -> dict[str, list[tuple[int, str]]]:
        labels = {spec.label for spec in chain.chained()}
        expected: dict[str, list[tuple[int, str]]] = {}
        for value in values:
            label, _, head = value.partition("=")
            seq, _, digest = head.partition(":")
            if label not in labels or not seq.isdigit() or len(digest) != 64:
                raise CommandError(
                    f"--expect-head wants LABEL=SEQ:HASH, LABEL one of {sorted(labels)}"
                )
            expected.setdefault(label, []).append((int(seq), digest))
        return expected
