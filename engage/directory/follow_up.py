"""Referrals waiting too long for news: a due item on the caseload and the case page.

A referral made or accepted with no update for `FOLLOW_UP_DAYS` days means the case manager
should call the service or the client. Registered with `cases.due` (see `apps.py`): the fact
is one correlated subquery on the case row (the oldest news among its waiting referrals), so
the caseload keeps its fixed number of queries however many referrals there are.
"""

import datetime
from typing import Any

from django.db.models import DateField, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from engage.cases.due import DueItem, DueRule, Tier, case_rows
from engage.cases.models import Case
from engage.directory.models import FOLLOW_UP_DAYS, Referral

KIND = "referral"


def _facts(today: datetime.date) -> dict[str, Any]:
    waiting = (
        case_rows(Referral)
        .filter(status__in=Referral.WAITING)
        .annotate(news_on=Coalesce("answered_on", "made_on", output_field=DateField()))
        .order_by("news_on")
        .values("news_on")[:1]
    )
    return {"referral_news_on": Subquery(waiting, output_field=DateField())}


def _items(case: Case, today: datetime.date) -> list[DueItem]:
    news_on = getattr(case, "referral_news_on", None)
    if news_on is None:
        return []
    late = (today - news_on).days - FOLLOW_UP_DAYS
    if late <= 0:
        return []
    return [DueItem(KIND, _("Referral follow-up"), late)]


# A risk (docs/caseload.md): a referral gone quiet may be a client who never arrived.
RULE = DueRule(kind=KIND, label=_("Referral follow-up"), tier=Tier.RISK, facts=_facts, items=_items)
