"""Retention as a background task (docs/tasks.md, docs/security.md)."""

import datetime

from django_tasks import task

from engage.lib import tasks as background


@background.periodic("retention")
@task()
def apply_retention(today: str | None = None, attempt: int = 1) -> dict[str, int]:
    """Erase everyone due in every organisation (`services.apply_retention`); return how many
    per organisation. An instance job: `engage worker` runs it with the scopes off."""
    from engage.privacy import services

    day = datetime.date.fromisoformat(today) if today else None
    return background.run_retried(
        apply_retention, attempt, lambda: services.apply_retention(day), today
    ) or {"retried": attempt + 1}
