import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.lib.private_files import write_private
from engage.mel import services
from engage.mel.dataset.submission import MONTH
from engage.mel.report.indicators import months_between


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "unknown"


class Command(BaseCommand):
    help = "Compute the network's indicators for a period, with disclosure control."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)
        parser.add_argument("--pilot", action="append", default=[], dest="pilots")
        parser.add_argument("--source", choices=["live", "imported"], default="live")
        parser.add_argument("--baseline-start")
        parser.add_argument("--baseline-end")
        parser.add_argument("--disclosure", choices=["exact", "network", "public"], required=True)
        parser.add_argument(
            "--format", choices=sorted(services.REPORT_FORMATS), default="json", dest="fmt"
        )
        parser.add_argument("--out", required=True, type=Path)

    def handle(
        self,
        *args: Any,
        start: str,
        end: str,
        pilots: list[str],
        source: str,
        baseline_start: str | None,
        baseline_end: str | None,
        disclosure: str,
        fmt: str,
        out: Path,
        **options: Any,
    ) -> None:
        for value in filter(None, (start, end, baseline_start, baseline_end)):
            if not MONTH.match(value):
                raise CommandError(f"{value!r} is not a month, YYYY-MM.")
        if start > end:
            raise CommandError("--start comes after --end.")
        if bool(baseline_start) != bool(baseline_end):
            raise CommandError("Give both --baseline-start and --baseline-end, or neither.")
        # Both or neither (above).
        baseline = (baseline_start, baseline_end) if baseline_start and baseline_end else None
        if baseline and baseline[0] > baseline[1]:
            raise CommandError("--baseline-start comes after --baseline-end.")
        if baseline and len(months_between(*baseline)) != len(months_between(start, end)):
            # GRO-01 compares new clients over periods of the same length (indicators.md).
            raise CommandError("The baseline period must be as long as the period.")
        # No user account runs a command: the audit entry of an exact report names the command
        # line, the system user and the format instead (with the period, source and pilots).
        report = services.report_for(
            start=start,
            end=end,
            pilots=pilots,
            source=source,
            level=disclosure,
            baseline=baseline,
            channel=f"mel_report {fmt} (system user {_system_user()})",
        )
        # The operator's only: a report holds the pilot's figures before publication.
        write_private(out, services.report_bytes(report, fmt))
        note = "" if report["has_data"] else " (no data for this period)"
        self.stdout.write(f"Wrote {out} ({fmt}, {disclosure}){note}.")
