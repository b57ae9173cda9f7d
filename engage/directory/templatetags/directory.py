"""The case page's card of referrals, rendered by the directory so `cases` need not import it."""

from typing import Any

from django import template
from django.template import Context

from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.directory.models import Referral
from engage.directory.services import today

register = template.Library()


@register.inclusion_tag("directory/_case_referrals.html", takes_context=True)
def case_referrals(context: Context, case: Case) -> dict[str, Any]:
    """The case's referrals (one query) with the follow-ups that are overdue."""
    user = context["user"]
    day = today()
    referrals = list(Referral.objects.filter(case=case).select_related("service"))
    return {
        "case": case,
        "rows": [(referral, referral.follow_up_overdue_days(day)) for referral in referrals],
        "works": user.role in CASE_WORKERS,
    }
