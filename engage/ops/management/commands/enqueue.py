from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engage.lib.tasks import periodic_tasks


class Command(BaseCommand):
    help = (
        "Queue one of the instance's periodic tasks for `engage worker` (docs/tasks.md): "
        "retention (daily), backup (daily), statistics (SQLite's planner statistics; daily), "
        "reports (delete old reports made in the background; daily), shares (produce what is left, void what lapsed; hourly). Prints the task's id; "
        "`engage tasks` shows how it went."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=list(periodic_tasks()))

    def handle(self, *args: Any, task: str, **options: Any) -> None:
        result = periodic_tasks()[task].enqueue()
        self.stdout.write(f"Queued {task}: {result.id}")
