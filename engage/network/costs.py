"""The cost comparison for advocacy: a day in detention against a programme client-day.

- **Client-days** of an organisation over a budget period `[a, b]` (dates, both included): for
  every enrollment of the organisation with an inclusion date, the days it was in the programme
  within the period, counting the inclusion day and the closure day: `min(closure or b, b) -
  max(inclusion, a) + 1` when positive. An enrollment included and closed on the same day is
  one client-day; an open one counts up to `b`. Referral and screening days do not count.
- **Cost per client-day** of a country: the sum of its pilots' budgets whose period lies inside
  the report's period and is over (ends before today, so no day is still to come), divided by
  the sum of their client-days over those budget periods.
- **A day in detention**: the figure entered for the country with the latest year not after the
  report's end; none if only later years exist.

No comparison (a reason instead) without a detention figure, without a budget, with budgets in
several currencies or in another currency than the detention figure (nothing is converted),
with no client-day, or, at `network` and `public` level, when fewer clients than the level's
minimum denominator make up the client-days (a cost per client-day of a handful of people is
not evidence, and its base would be a count about people).

At `network` and `public` level the figures about people are perturbed like the indicators'
counts (the cell-key method, `mel.disclosure`): the number of clients by up to 2, and the
client-days by up to DAYS_NOISE (a year of one person's stay), each with a key drawn from the
clients and their days, so the same data always gives the same figures and one person added,
removed or corrected redraws them. The cost per client-day is worked out from the client-days
as shown, so it cannot give the exact ones back, and two reports subtracted do not tell one
person's days in the programme (issue 10 #8).
"""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from engage.accounts.models import Organisation
from engage.cases.models import Case
from engage.lib.queries import DaysBetween, UuidText
from engage.lib.scoping import organisation_scope
from engage.mel.report import disclosure
from engage.mel.report.indicators import percentage
from engage.network.indicators import Period
from engage.network.models import DetentionCost, ProgrammeBudget

CENT = Decimal("0.01")
# At exact level a comparison on fewer clients than this is shown, flagged as a small base.
SMALL_BASE = disclosure.LEVELS["network"].minimum_denominator
# The most that client-days shown at network or public level differ from the true ones: a year,
# so that one person's stay in a budget period is lost in the noise.
DAYS_NOISE = 366


def _shown(days: int, clients: set[str], country: str, level: str) -> tuple[int, int | str]:
    """The client-days and the number of clients as published at `level`."""
    if level == "exact":
        return days, disclosure.shown_count(len(clients), level)
    perturbation = disclosure.Perturbation.of_instance()
    parts = (country, str(days), *sorted(clients))
    offset = perturbation.of("client-days", *parts) % (2 * DAYS_NOISE + 1) - DAYS_NOISE
    shown_clients = disclosure.perturbed_count(
        len(clients), perturbation.of("clients", *parts), level
    )
    return max(days + offset, 1) if days else 0, shown_clients


def client_days(
    organisation: Organisation, first: datetime.date, last: datetime.date
) -> tuple[int, set[str]]:
    """Σ of the organisation's enrollments' days within [first, last] (the module's rule), and
    the enrollments with at least one, each by its id's text as `str` writes its UUID (the
    clients' cell key is made of those texts, `_shown`).

    Read in the organisation's own scope (the report runs for the network coordinator too),
    dates only: no person is loaded. Each enrollment's days and its id's text are worked out by
    the database: a hundred thousand dates parsed, UUIDs made and written back as text were
    most of a network report made from submissions (issue 17, docs/performance.md).
    """
    within = DaysBetween(
        Least(Coalesce("closure_date", Value(last)), Value(last)),
        Greatest("inclusion_date", Value(first)),
    )
    with organisation_scope(organisation.pk):
        rows = (
            Case.objects.filter(organisation=organisation, inclusion_date__isnull=False)
            .filter(inclusion_date__lte=last)
            .filter(Q(closure_date__isnull=True) | Q(closure_date__gte=first))
            .order_by()  # a sum and a set: not Case's default order, which SQLite sorts for
            .values_list(UuidText("pk"), within)
        )
        total, clients = 0, set[str]()
        for case_id, span in rows:
            if span >= 0:  # a closure recorded before the inclusion counts no day
                total += span + 1
                clients.add(case_id)
    return total, clients


def detention_cost_for(country: str, year: int) -> DetentionCost | None:
    return DetentionCost.objects.filter(country=country, year__lte=year).order_by("-year").first()


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def comparison(
    *, start: str, end: str, pilots: list[str], level: str, today: datetime.date | None = None
) -> dict[str, Any]:
    """The cost comparison of the report, per country of the pilots in scope, as data."""
    today = today or timezone.localdate()
    period = Period.of_months(start, end)
    shown_level = disclosure.LEVELS[level]
    organisations = list(Organisation.objects.filter(code__in=pilots).order_by("code"))
    by_country: dict[str, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        by_country[organisation.country.code].append(organisation)
    countries = []
    for country, members in sorted(by_country.items()):
        budgets = list(
            ProgrammeBudget.objects.filter(
                organisation__in=members,
                start__gte=period.first,
                end__lte=period.last,
                end__lt=today,
            )
            .select_related("organisation")
            .order_by("start")
        )
        days, clients = 0, set[str]()
        for budget in budgets:
            budget_days, budget_clients = client_days(budget.organisation, budget.start, budget.end)
            days += budget_days
            clients |= budget_clients
        shown_days, shown_clients = _shown(days, clients, country, level)
        cost = detention_cost_for(country, period.last.year)
        currencies = {b.currency for b in budgets}
        total = sum((b.amount for b in budgets), Decimal(0))
        entry: dict[str, Any] = {
            "country": country,
            "pilots": [m.code for m in members],
            "detention": None,
            "programme": None,
            "compared": False,
            "reason": "",
            "small_base": False,
        }
        if cost is not None:
            entry["detention"] = {
                "amount": _money(cost.amount),
                "currency": cost.currency,
                "year": cost.year,
                "source": cost.source,
            }
        if budgets:
            entry["programme"] = {
                "budgets": [
                    {
                        "pilot": b.organisation.code,
                        "start": b.start.isoformat(),
                        "end": b.end.isoformat(),
                        "amount": _money(b.amount),
                        "currency": b.currency,
                        "covers": b.covers,
                    }
                    for b in budgets
                ],
                "budget": _money(total) if len(currencies) == 1 else None,
                "currency": currencies.pop() if len(currencies) == 1 else None,
                "client_days": shown_days,
                "clients": shown_clients,
                "cost_per_client_day": None,
            }
        entry["reason"] = _refusal(entry, days, len(clients), shown_level)
        if entry["reason"] in ("", "small_base_exact"):
            per_day = (total / shown_days).quantize(CENT, rounding=ROUND_HALF_UP)
            entry["programme"]["cost_per_client_day"] = _money(per_day)
            detention = Decimal(entry["detention"]["amount"])
            entry["compared"] = True
            entry["share_of_detention"] = percentage(int(per_day * 100), int(detention * 100))
            entry["small_base"] = entry["reason"] == "small_base_exact"
            entry["reason"] = ""
        elif entry["programme"] is not None and entry["reason"] == "small_base":
            entry["programme"]["client_days"] = None  # withheld with the comparison
        countries.append(entry)
    return {"period": {"start": start, "end": end}, "countries": countries}


def _refusal(entry: dict[str, Any], days: int, clients: int, level: disclosure.Level) -> str:
    """Why there is no comparison ("" when there is one)."""
    if entry["detention"] is None:
        return "no_detention_cost"
    if entry["programme"] is None:
        return "no_budget"
    if entry["programme"]["currency"] is None:
        return "budgets_in_several_currencies"
    if entry["programme"]["currency"] != entry["detention"]["currency"]:
        return "currencies_differ"
    if days == 0:
        return "no_client_days"
    if clients < level.minimum_denominator:
        return "small_base"
    if clients < SMALL_BASE:
        return "small_base_exact"
    return ""
