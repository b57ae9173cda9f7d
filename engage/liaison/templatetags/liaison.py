"""The case page's card of liaison, letters and reporting, rendered here so `cases` need not
import the liaison app."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template import Context

from engage.accounts.models import User
from engage.cases import workflow
from engage.cases.access import CASE_WORKERS
from engage.cases.models import Case
from engage.liaison.models import Letter, LiaisonRecord, ReportingEvent, ReportingObligation
from engage.liaison.services import today

register = template.Library()

SHOWN = 10  # the latest liaison records and letters on the card


RECORDS = "liaison_records_count"  # the case page's count of the case's records (`card_facts`)
OBLIGATIONS = "liaison_has_obligations"
LETTERS = "liaison_has_letters"


def card_facts(user: User) -> dict[str, Coalesce | Exists]:
    """What the card holds, in the case page's query (`cases.page_facts`): how many liaison
    records (the card says how many earlier ones it does not show) and whether there is any
    reporting obligation or letter. The card reads none of the three lists the case does not
    have: most cases have no letter, many no liaison yet (issue 17's page budgets)."""
    counted = (
        LiaisonRecord.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(records=Count("pk"))
        .values("records")
    )
    return {
        RECORDS: Coalesce(Subquery(counted), 0),
        OBLIGATIONS: Exists(ReportingObligation.objects.filter(case=OuterRef("pk"))),
        LETTERS: Exists(Letter.objects.filter(case=OuterRef("pk"))),
    }


@register.inclusion_tag("liaison/_case_liaison.html", takes_context=True)
def case_liaison(context: Context, case: Case) -> dict[str, Any]:
    """The case's obligations with their flags, latest liaison and letters: a query for each
    list, none for a list the case page's query found empty (`card_facts`), and one more to
    count the liaison records when the card is full, unless that query counted them."""
    user = context["user"]
    day = today()
    facts = case.__dict__  # read in the case page's query (`card_facts`); elsewhere, not known
    obligations: Iterable[ReportingObligation] = ()
    if facts.get(OBLIGATIONS, True):
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
    total = facts.get(RECORDS)
    shown = list(records[:SHOWN]) if total != 0 else []
    # Counted in the case page's query; elsewhere only when the card is full: most cases have
    # fewer records than it shows.
    if total is None:
        total = records.count() if len(shown) == SHOWN else len(shown)
    letters: Iterable[Letter] = ()
    if facts.get(LETTERS, True):
        letters = list(
            Letter.objects.filter(case=case)
            .select_related("document")
            .annotate(sent=Exists(LiaisonRecord.objects.filter(letter=OuterRef("pk"))))[:SHOWN]
        )
    request = context.get("request")
    works = user.role in CASE_WORKERS
    return {
        "case": case,
        "reporting": [(o, o.missed_days(day)) for o in obligations],
        "records": [(r, r.follow_up_overdue_days(day)) for r in shown],
        "more": max(total - SHOWN, 0),
        "letters": letters,
        "new_letter": request.GET.get("letter", "") if request else "",
        "works": works,
        # Liaison, a letter and reporting are refused on the case of a person erased
        # (`services._check_not_erased`, docs/security.md item 60): not offered.
        "writes": works and case.is_open and not workflow.person_erased(case),
    }
