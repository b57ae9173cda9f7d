"""The report's words for the dataset's codes: what a breakdown is by, what each of its keys
means, and what each indicator counts, for readers who never saw the dataset specification
(shared/spec/network-dataset.md). The renderings print these, never a column name or a value
such as `detention_at_referral` or `true`.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from engage.cases.models import DisengagementFactor
from engage.mel.models import EvaluationCycle, Narrative

UNKNOWN = _("Not known")

DIMENSIONS = {
    "pilot": _("Pilot"),
    "country": _("Country"),
    "city": _("City"),
    "vulnerable": _("Vulnerability identified"),
    "detention_at_referral": _("Detention when referred"),
    "sex": _("Sex"),
    "age_band": _("Age when referred"),
    "migration_status": _("Migration status when referred"),
    "outcome": _("Outcome"),
    "months": _("Months in the programme"),
    "caseload": _("Clients per case manager"),
    "factor": _("Disengagement factor"),
}

VALUES = {
    "vulnerable": {
        "true": _("At least one vulnerability"),
        "false": _("No identified vulnerability"),
    },
    "detention_at_referral": {
        "in_detention": _("In detention"),
        "released": _("Recently released from detention"),
        "at_risk": _("At risk of detention"),
        "none": _("Neither in nor at risk of detention"),
    },
    "sex": {"female": _("Female"), "male": _("Male"), "other": pgettext_lazy("sex", "Other")},
    "migration_status": {
        "asylum_seeker": _("Asylum seeker"),
        "refused_asylum_seeker": _("Refused asylum seeker"),
        "irregular": _("Irregular status"),
        "barrier_to_return": _("Barrier to return"),
        "other": _("Other"),
    },
    "factor": {
        **{factor.value: factor.label for factor in DisengagementFactor},
        "not_recorded": _("No factor recorded"),
    },
    "outcome": {
        "protection": _("Protection"),
        "regularisation": _("Regularisation"),
        "third_country": _("Third country"),
        "voluntary_return": _("Voluntary return"),
        "temporary_status": _("Temporary status"),
        "other": _("Other"),
    },
}


def dimension(name: str) -> str:
    """What a breakdown is by, in words."""
    return str(DIMENSIONS.get(name, name))


def key(name: str, value: str) -> str:
    """A key of the breakdown `name` in words: `in_detention` is "In detention", `true` under
    `vulnerable` "At least one vulnerability", a country code its name, an age band "25 to 34",
    an open band "25 and over"; pilots, cities and the bands of months or of caseloads ("1-3")
    are words already. `unknown` (or empty) is "Not known" everywhere (a suppressed value, or a
    city too small to be shown on its own)."""
    if value in ("", "unknown"):
        return str(UNKNOWN)
    if name == "country":
        return str(countries.name(value)) or value
    if name == "age_band" or (value.endswith("+") and value[:-1].isdigit()):
        return _band(value)
    return str(VALUES.get(name, {}).get(value, value))


def _band(value: str) -> str:
    if value.endswith("+"):
        return str(_("%(age)s and over") % {"age": value[:-1]})
    low, _dash, high = value.partition("-")
    return str(_("%(low)s to %(high)s") % {"low": low, "high": high})


# What each indicator counts, in the report's appendix (docs/indicators.md, "The catalogue").
DEFINITIONS = {
    "BEN-01": _("Clients of the cohort whose case was still open at the end of the period."),
    "BEN-02": _("Clients included in the programme during the period."),
    "BEN-03": _(
        "The cohort: every client included in the programme up to the end of the period, except "
        "those who died by then."
    ),
    "BEN-04": _(
        "People in the cohort, a person supported by two pilots counted once (when the pilots "
        "shared a linkage round)."
    ),
    "BEN-05": _(
        "Share of the cohort who were in detention, or recently released from it, when referred."
    ),
    "BEN-06": _("Share of the cohort with no vulnerability identified at screening or assessment."),
    "ENG-01": _(
        "Share of the cohort who remained engaged with their migration case: neither "
        "disengaged, absconded nor removed by the end of the period."
    ),
    "ENG-02": _(
        "Share of the cohort whose case closed because they disengaged or absconded, or who "
        "were disengaged at their latest review."
    ),
    "ENG-03": _("Share of the cohort whose case closed because they were forcibly removed."),
    "RES-01": _(
        "Share of the cohort who reached a migration outcome (protection, regularisation, a "
        "third country, voluntary return or another status)."
    ),
    "RES-02": _("The outcomes reached, as a share of the clients who reached one."),
    "CAP-01": _(
        "Share of the clients assessed at least twice whose ability to participate in informed "
        "decision making was rated higher at their latest assessment than at their first."
    ),
    "CAP-02": _(
        "Share of the clients assessed at least twice whose ability to engage with immigration "
        "procedures was rated higher at their latest assessment than at their first."
    ),
    "CAP-03": _(
        "Share of the clients assessed at least twice whose coping and well-being was rated "
        "higher at their latest assessment than at their first."
    ),
    "CAP-04": _("Share of the cohort assessed at least twice."),
    "CON-01": _("Share of all contacts with the cohort's clients that were face to face."),
    "GRO-01": _(
        "Change in the number of new clients against the baseline period, as a share of the "
        "baseline's new clients; the network's target is +10% to +20%."
    ),
    "GRO-02": _(
        "Change in the number of clients supported against the baseline period, as a share of "
        "the baseline's; the network's target is +10% to +20%."
    ),
    "TIM-01": _(
        "The median number of months the cohort's clients have been in the programme, from "
        "inclusion to closure or to the end of the period, both months counted."
    ),
    "CON-02": _("Contacts with the cohort's clients per client and per month in the programme."),
    "CAS-01": _(
        "The case managers with at least one active client of the cohort at the end of the "
        "period, and the median number of active clients each has; shown only over more case "
        "managers than the disclosure level's threshold."
    ),
    "ENG-04": _(
        "The clients counted as disengaged (ENG-02), by the factors recorded when their case "
        "closed; a client may count under several factors, or under none recorded."
    ),
}


def definition(indicator_id: str) -> str:
    return str(DEFINITIONS.get(indicator_id, ""))


# The evaluators' narrative (`cycles.published`): its outcome areas, points and headings.
NARRATIVE_FIELDS = {
    "relevance": _("Relevance"),
    "progress": _("Progress"),
    "adaptations": _("Adaptations"),
    "lessons": _("Lessons"),
    "recommendations": _("Recommendations"),
}


def narrative_area(area: str) -> str:
    return str(Narrative.Area(area).label) if area in Narrative.Area.values else area


def evaluation_point(point: str) -> str:
    return (
        str(EvaluationCycle.Point(point).label) if point in EvaluationCycle.Point.values else point
    )
