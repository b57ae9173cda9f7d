"""Missed reporting and liaison answers to chase: due items on the caseload and the case page.

Registered with `cases.due` (see `apps.py`). Each fact is one correlated subquery on the case
row, so the caseload keeps its fixed number of queries however many obligations there are:

- missed reporting: an obligation's first expected reporting day after its last recorded one
  (`ReportingObligation.next_due_on`, kept by `liaison.services`) has passed, or a reporting
  day recorded as missed has not been followed up yet;
- liaison follow-up: an answer from an authority is awaited past the follow-up date.
"""

import datetime
from typing import Any

from django.db.models import DateField, Model, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from engage.cases.due import DueItem, DueRule, Tier, case_rows, correlated_rows
from engage.cases.models import Case
from engage.liaison.models import LiaisonRecord, ReportingEvent, ReportingObligation

REPORTING = "reporting"
LIAISON = "liaison"


def _first(queryset: QuerySet[Model], field: str) -> Subquery:
    return Subquery(queryset.order_by(field).values(field)[:1], output_field=DateField())


def _reporting_facts(today: datetime.date) -> dict[str, Any]:
    return {
        "reporting_due_on": _first(
            case_rows(ReportingObligation).filter(next_due_on__isnull=False),
            "next_due_on",
        ),
        "reporting_missed_on": _first(
            correlated_rows(ReportingEvent).filter(
                obligation__case=OuterRef("pk"),
                status=ReportingEvent.Status.MISSED,
                followed_up_on__isnull=True,
            ),
            "date",
        ),
    }


def _reporting_items(case: Case, today: datetime.date) -> list[DueItem]:
    items = []
    due_on = getattr(case, "reporting_due_on", None)
    if due_on is not None and due_on < today:
        items.append(DueItem(REPORTING, _("Reporting day with no record"), (today - due_on).days))
    missed_on = getattr(case, "reporting_missed_on", None)
    if missed_on is not None:
        items.append(
            DueItem(REPORTING, _("Missed reporting to follow up"), (today - missed_on).days)
        )
    return items


def _liaison_facts(today: datetime.date) -> dict[str, Any]:
    return {
        "liaison_follow_up_on": _first(
            case_rows(LiaisonRecord).filter(
                outcome=LiaisonRecord.Outcome.PENDING,
                follow_up_on__isnull=False,
            ),
            "follow_up_on",
        )
    }


def _liaison_items(case: Case, today: datetime.date) -> list[DueItem]:
    follow_up_on = getattr(case, "liaison_follow_up_on", None)
    if follow_up_on is None or follow_up_on >= today:
        return []
    return [DueItem(LIAISON, _("Answer from an authority to chase"), (today - follow_up_on).days)]


# Both are risks (docs/caseload.md): a missed reporting day can bring detention, and an
# authority's unanswered decision can let a deadline of the client's procedure pass.
REPORTING_RULE = DueRule(
    kind=REPORTING,
    label=_("Missed reporting"),
    tier=Tier.RISK,
    facts=_reporting_facts,
    items=_reporting_items,
)
LIAISON_RULE = DueRule(
    kind=LIAISON,
    label=_("Liaison follow-up"),
    tier=Tier.RISK,
    facts=_liaison_facts,
    items=_liaison_items,
)
