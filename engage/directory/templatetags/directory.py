"""The case page's card of referrals, rendered by the directory so `cases` need not import it."""

from typing import Any

from django import template
from django.db.models import Exists, OuterRef
from django.template import Context

from engage.accounts.models import User
from engage.cases import workflow
from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.directory.models import Referral
from engage.directory.services import today

register = template.Library()

REFERRALS = "directory_has_referrals"


def card_fact(user: User) -> dict[str, Exists]:
    """Whether the case has any referral, in the case page's query (`cases.page_facts`): the
    card reads them only then (most cases have none)."""
    return {REFERRALS: Exists(Referral.objects.filter(case=OuterRef("pk")))}


@register.inclusion_tag("directory/_case_referrals.html", takes_context=True)
def case_referrals(context: Context, case: Case) -> dict[str, Any]:
    """The case's referrals (one query, none when the case page's query found none:
    `card_fact`) with the follow-ups that are overdue."""
    user = context["user"]
    day = today()
    referrals: list[Referral] = []
    if case.__dict__.get(REFERRALS, True):
        referrals = list(Referral.objects.filter(case=case).select_related("service"))
    works = user.role in CASE_WORKERS
    return {
        "case": case,
        "rows": [(referral, referral.follow_up_overdue_days(day)) for referral in referrals],
        "works": works,
        # Refused on the case of a person erased (docs/security.md, item 60): not offered.
        "refers": works and case.is_open and not workflow.person_erased(case),
    }
