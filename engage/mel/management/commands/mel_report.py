from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engage.accounts.models import Organisation
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.mel import render, services
from engage.mel.indicators import baseline_before
from engage.mel.models import DatasetRow
from engage.mel.submission import MONTH

WRITERS = {
    "json": lambda report: render.as_json(report).encode(),
    "html": lambda report: render.as_html(report).encode(),
    "pdf": render.as_pdf,
    "xlsx": render.as_xlsx,
}


class Command(BaseCommand):
    help = "Compute the network's indicators for a period, with disclosure control."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)
        parser.add_argument("--pilot", action="append", default=[], dest="pilots")
        parser.add_argument("--source", choices=["live", "imported"], default="live")
        parser.add_argument("--baseline-start")
        parser.add_argument("--baseline-end")
        parser.add_argument("--disclosure", choices=["exact", "network", "public"], required=True)
        parser.add_argument("--format", choices=sorted(WRITERS), default="json", dest="fmt")
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args, start, end, pilots, source, baseline_start, baseline_end, disclosure,
               fmt, out, **options):  # fmt: skip
        for value in filter(None, (start, end, baseline_start, baseline_end)):
            if not MONTH.match(value):
                raise CommandError(f"{value!r} is not a month, YYYY-MM.")
        if start > end:
            raise CommandError("--start comes after --end.")
        if bool(baseline_start) != bool(baseline_end):
            raise CommandError("Give both --baseline-start and --baseline-end, or neither.")
        baseline = (baseline_start, baseline_end) if baseline_start else baseline_before(start, end)
        if not pilots:
            if source == "live":
                pilots = list(Organisation.objects.values_list("code", flat=True))
            else:
                pilots = sorted(set(DatasetRow.objects.values_list("pilot", flat=True)))
        rows = services.rows_for(pilots, source=source, end=end)
        report = services.report(
            rows, start=start, end=end, pilots=pilots, level=disclosure, baseline=baseline
        )
        if disclosure == "exact":
            record(None, AuditEvent.Action.EXPORT, None, detail=f"mel_report exact {start}..{end}")
        out.write_bytes(WRITERS[fmt](report))
        note = "" if report["has_data"] else " (no data for this period)"
        self.stdout.write(f"Wrote {out} ({fmt}, {disclosure}){note}.")
