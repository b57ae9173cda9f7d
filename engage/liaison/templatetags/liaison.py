"""The case page's card of liaison, letters and reporting, rendered here so `cases` need not
import the liaison app."""

from typing import Any

from django import template
from django.db.models import Exists, OuterRef
from django.template import Context

from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.liaison.models import Letter, LiaisonRecord, ReportingEvent, ReportingObligation
from engage.liaison.services import today

register = template.Library()

SHOWN = 10  # the latest liaison records and letters on the card


@register.inclusion_tag("liaison/_case_liaison.html", takes_context=True)
def case_liaison(context: Context, case: Case) -> dict[str, Any]:
    """The case's obligations with their flags, latest liaison and letters (three queries; a
    fourth counts the liaison records when there are more than the card shows)."""
    user = context["user"]
    day = today()
    obligations = ReportingObligation.objects.filter(case=case).annotate(
        unfollowed=Exists(
            ReportingEvent.objects.filter(
                obligation=OuterRef("pk"),
                status=ReportingEvent.Status.MISSED,
                followed_up_on__isnull=True,
            )
        )
    )
    records = LiaisonRecord.objects.filter(case=case).select_related("authority")
    shown = list(records[:SHOWN])
    # Counted only when the card is full: most cases have fewer records than it shows.
    total = records.count() if len(shown) == SHOWN else len(shown)
    letters = (
        Letter.objects.filter(case=case)
        .select_related("document")
        .annotate(sent=Exists(LiaisonRecord.objects.filter(letter=OuterRef("pk"))))[:SHOWN]
    )
    request = context.get("request")
    return {
        "case": case,
        "reporting": [(o, o.missed_days(day)) for o in obligations],
        "records": [(r, r.follow_up_overdue_days(day)) for r in shown],
        "more": max(total - SHOWN, 0),
        "letters": letters,
        "new_letter": request.GET.get("letter", "") if request else "",
        "works": user.role in CASE_WORKERS,
    }
