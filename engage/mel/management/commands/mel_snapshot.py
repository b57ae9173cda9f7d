from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.accounts.models import Role, User
from engage.mel.cycles import services as cycles
from engage.mel.models import EvaluationCycle


class Command(BaseCommand):
    help = "Take the frozen snapshot of one point of an evaluation cycle (never recomputed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cycle", required=True, help="The cycle's name or id.")
        parser.add_argument("--point", required=True, choices=cycles.POINTS)
        parser.add_argument("--disclosure", choices=["exact", "network", "public"],
                            default="network")  # fmt: skip
        parser.add_argument("--source", choices=["live", "imported"], default="imported")
        parser.add_argument("--by", required=True, help="The network coordinator's username.")

    def handle(
        self,
        *args: Any,
        cycle: str,
        point: str,
        disclosure: str,
        source: str,
        by: str,
        **options: Any,
    ) -> None:
        found = EvaluationCycle.objects.filter(name=cycle)
        if not found.exists():
            try:
                found = EvaluationCycle.objects.filter(pk=cycle)
            except ValidationError:
                found = EvaluationCycle.objects.none()
        if found.count() != 1:
            raise CommandError(f"No single evaluation cycle is named {cycle!r}.")
        # The snapshot names who took it: a network coordinator, as on the web.
        user = User.objects.filter(
            username=by, role=Role.NETWORK_COORDINATOR, is_active=True
        ).first()
        if user is None:
            raise CommandError(f"{by!r} is not an active network coordinator.")
        try:
            snapshot = cycles.take_snapshot(
                found.get(), point, by=user, level=disclosure, source=source
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        note = "" if snapshot.report.get("has_data") else " (no data for this period)"
        self.stdout.write(
            f"Snapshot {point} of {snapshot.cycle.name} taken ({disclosure}, {source}){note}."
        )
