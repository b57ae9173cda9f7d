from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_tasks.backends.database.models import DBTaskResult


class Command(BaseCommand):
    help = (
        "List the newest background tasks: what, when, how it went (docs/tasks.md). The "
        "error's traceback stays in the database (`engage prune_db_task_results` removes "
        "old tasks)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--last", type=int, default=20, help="How many (default: 20).")
        parser.add_argument("--failed", action="store_true", help="Only the tasks that failed.")

    def handle(self, *args: Any, last: int, failed: bool, **options: Any) -> None:
        results = DBTaskResult.objects.order_by("-enqueued_at")
        if failed:
            results = results.filter(status="FAILED")
        for result in results[:last]:
            name = result.task_path.rsplit(".", 2)[-2:]
            when = result.finished_at or result.started_at or result.enqueued_at
            line = f"{result.id}  {'.'.join(name):32} {result.status:10} {when:%Y-%m-%d %H:%M:%S}"
            if result.status == "FAILED":
                line += f"  {result.exception_class_path.rsplit('.', 1)[-1]}"
            self.stdout.write(line)
