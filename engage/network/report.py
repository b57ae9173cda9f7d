"""The network's part of the mel report: NET-* indicators and the cost comparison.

Registered with `engage.mel.report.parts` when the app loads, so `mel` does not import `network`.
"""

from typing import Any

from django.db.models import Count, Max, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from engage.mel.cycles import feedback
from engage.mel.report import disclosure
from engage.mel.report.parts import ReportPart
from engage.network import costs, indicators
from engage.network.models import (
    Activity,
    DetentionCost,
    Interaction,
    ProgrammeBudget,
    StageChange,
    Stakeholder,
)

NAMES = {
    "NET-01": _("New pilots started"),
    "NET-02": _("Stakeholders engaged or partners"),
    "NET-03": _("Trainings held"),
    "NET-04": _("High-profile presentations and invitations to speak"),
    "NET-05": _("Initiatives led by people with lived experience"),
    "NET-06": _("People with lived experience involved in case management"),
    "NET-07": _("Training participants with lived experience of detention"),
    "NET-08": _("Trainings with people with lived experience of detention"),
    "NET-09": _("Presentations and invitations to speak"),
    "NET-10": _("Concept notes submitted"),
    "NET-11": _("Pilots explored"),
    "NET-12": _("Projects with sustainable funding secured"),
    "NET-13": _("New stakeholders engaged"),
    "NET-14": _("Organisations approaching governments, local authorities or funders"),
    # Computed by `mel.cycles.feedback` from the members' questionnaire of an evaluation point,
    # in that point's snapshot only (a questionnaire belongs to a point, not to a period); named
    # here with the other NET-* so the renderings show it in the network-building section.
    "NET-15": _("Network members agreeing that the network strengthens their work"),
}


def owned(pilots: list[str], network: bool) -> Q:
    """Records of the pilots' organisations, and the network's own when `network`."""
    condition = Q(organisation__code__in=pilots)
    if network:
        condition |= Q(organisation__isnull=True)
    return condition


def compute(
    *, start: str, end: str, pilots: list[str], level: str, network: bool
) -> dict[str, Any]:
    """The NET-* of the report's scope with disclosure control where they count people, and
    the cost comparison."""
    activities = Activity.objects.filter(owned(pilots, network)).select_related("organisation")
    stakeholders = (
        Stakeholder.objects.filter(owned(pilots, network))
        .select_related("organisation")
        .prefetch_related(
            Prefetch("stages", StageChange.objects.order_by("date", "created_at")),
            # NET-14 reads the interactions' dates only (never who was met, nor the note).
            Prefetch("interactions", Interaction.objects.only("id", "stakeholder_id", "date")),
        )
    )
    results = [r.as_dict() for r in indicators.compute(activities, stakeholders, start, end)]
    about_people = [r for r in results if r["id"] in indicators.ABOUT_PEOPLE]
    protected = {r["id"]: r for r in disclosure.apply(about_people, level)}
    shown = [protected.get(r["id"], r) for r in results]
    data = costs.comparison(start=start, end=end, pilots=pilots, level=level)
    return {"indicators": shown, "data": data}


def xlsx(book: Any, report: dict[str, Any]) -> None:
    """The cost comparison as its own sheet (the NET-* are on the Indicators sheet), in the
    reader's language and the words of the document's table."""
    data = report.get("cost_comparison")
    if not data:
        return
    sheet = book.create_sheet(str(_("Cost comparison")))
    sheet.append(
        [str(label) for label in (
            _("Country"), _("Pilots"), _("A day in detention"), _("Currency"), _("Year"),
            _("Source"), _("Budget"), _("Client-days"), _("Clients"), _("Cost per client-day"),
            _("Comparison"),
        )]
    )  # fmt: skip
    for entry in data["countries"]:
        detention = entry["detention"] or {}
        programme = entry["programme"] or {}
        sheet.append(
            [
                str(countries.name(entry["country"])) or entry["country"],
                ", ".join(entry["pilots"]),
                detention.get("amount"),
                detention.get("currency") or programme.get("currency"),
                detention.get("year"),
                detention.get("source"),
                programme.get("budget"),
                programme.get("client_days"),
                programme.get("clients"),
                programme.get("cost_per_client_day"),
                _comparison(entry),
            ]
        )


# Why a country's costs are not compared, as the report's table says it.
NOT_COMPARED = {
    "no_detention_cost": _(
        "Not compared: no cost of detention entered for this country and period."
    ),
    "no_budget": _("Not compared: no budget for a period inside this one that is already over."),
    "budgets_in_several_currencies": _("Not compared: the budgets are in several currencies."),
    "currencies_differ": _(
        "Not compared: the budget and the cost of detention are in different currencies."
    ),
    "no_client_days": _("Not compared: no client was in the programme during the budget periods."),
    "small_base": _("Not compared: too few clients for this disclosure level."),
}


def _comparison(entry: dict[str, Any]) -> str:
    if entry["compared"]:
        said = str(_("A client-day costs %(share)s%% of a day in detention.")) % {
            "share": entry["share_of_detention"]
        }
        if entry.get("small_base"):
            said += " " + str(_("Small base: fewer than 10 clients; not evidence on its own."))
        return said
    return str(NOT_COMPARED.get(entry["reason"], entry["reason"]))


def version() -> str:
    """A mark of every record the part reads: per table, how many and the latest written (a
    deletion lowers the count, an edit moves `updated_at`). Stage changes and interactions are
    only added or deleted by the pages; of them the part reads dates."""
    marks = []
    for model, stamp in (
        (Activity, "updated_at"),
        (Stakeholder, "updated_at"),
        (StageChange, "created_at"),
        (Interaction, "created_at"),
        (DetentionCost, "updated_at"),
        (ProgrammeBudget, "updated_at"),
    ):
        found = model.objects.aggregate(n=Count("pk"), last=Max(stamp))
        marks.append(f"{found['n']}@{found['last'].isoformat() if found['last'] else ''}")
    return ";".join(marks)


# The words of the NET-* breakdowns and of the part's sections in the report.
DIMENSIONS = {
    "owner": _("Recorded by"),
    "expansion": _("Expansion"),
    "country": _("Country"),
    "invited": _("Invited"),
    "high_profile": _("High-profile"),
    "actor_type": _("Type of stakeholder"),
    "level": _("Level"),
    "question": _("Statement"),
}
YES_NO = {"true": _("Yes"), "false": _("No")}


def dimension_label(dimension: str) -> str:
    return str(DIMENSIONS.get(dimension, dimension))


def key_label(dimension: str, key: str) -> str:
    """A key of a NET-* breakdown in words (a pilot's code stays its code)."""
    from django_countries import countries

    from engage.network.models import ActorType, Expansion, Level

    if dimension == "owner":
        return str(_("The network")) if key == indicators.NETWORK_OWNER else key
    if dimension == "question":  # NET-15's statements, in the reader's language
        return feedback.question_text(key)
    if not key:
        return "—"
    if dimension == "country":
        return str(countries.name(key)) or key
    if dimension in ("invited", "high_profile"):
        return str(YES_NO.get(key, key))
    choices = {"expansion": Expansion, "actor_type": ActorType, "level": Level}.get(dimension)
    if choices is not None and key in choices.values:
        return str(choices(key).label)
    return key


def contents(data: object) -> list[tuple[str, str]]:
    """The part's entries in the report's table of contents (the anchors of its template)."""
    entries = [("network-building", str(_("Network building (NET-*)")))]
    if data:
        title = _("Cost comparison: a day in detention and a client-day in the programme")
        entries.append(("cost-comparison", str(title)))
    return entries


PART = ReportPart(
    key="cost_comparison",
    compute=compute,
    names=NAMES,
    template="network/report_part.html",
    xlsx=xlsx,
    dimension_label=dimension_label,
    key_label=key_label,
    contents=contents,
    version=version,
)
