"""What the referral, the first meeting and the screening already say about eligibility.

A pilot's criteria are its own words (`EligibilityCriterion`); a criterion may name the recorded
fact that establishes it (`EstablishedBy`). The inclusion form then shows, for each such
criterion, what was found and whether it meets the criterion, and ticks the ones met; the team
still decides, and the others stay the team's judgement.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from engage.cases.models import Case, EligibilityCriterion, FirstMeeting, Screening
from engage.cases.models.case import DetentionStatus, MigrationStatus
from engage.cases.models.process import EstablishedBy, Rating


@dataclass(frozen=True)
class Finding:
    """What was recorded for a fact: whether it meets the criterion, and what was found."""

    met: bool
    found: str


@dataclass(frozen=True)
class CriterionCheck:
    criterion: EligibilityCriterion
    # None: no fact linked to the criterion, or the record it needs is not there yet.
    finding: Finding | None

    @property
    def established(self) -> bool:
        return self.finding is not None and self.finding.met


@dataclass(frozen=True)
class Records:
    """The records of a case that eligibility facts are read from (each may be missing)."""

    case: Case
    first_meeting: FirstMeeting | None
    screening: Screening | None

    @classmethod
    def of(cls, case: Case) -> "Records":
        return cls(
            case=case,
            first_meeting=FirstMeeting.objects.filter(case=case).first(),
            screening=Screening.objects.filter(case=case).first(),
        )


def _labelled(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _field_label(model: type[models.Model], name: str) -> str:
    # A field of the model's own (`get_field` also gives reverse relations).
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    return str(field.verbose_name).capitalize()


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _detention(records: Records) -> Finding:
    case = records.case
    return Finding(
        met=case.detention_at_referral != DetentionStatus.NONE,
        found=_labelled(
            _field_label(Case, "detention_at_referral"), case.get_detention_at_referral_display()
        ),
    )


def _no_legal_stay(records: Records) -> Finding:
    case = records.case
    return Finding(
        met=case.migration_status
        in (
            MigrationStatus.REFUSED_ASYLUM_SEEKER,
            MigrationStatus.IRREGULAR,
            MigrationStatus.BARRIER_TO_RETURN,
        ),
        found=_labelled(
            _field_label(Case, "migration_status"), case.get_migration_status_display()
        ),
    )


def _consent(records: Records) -> Finding | None:
    meeting = records.first_meeting
    if meeting is None:
        return None
    when = date_format(meeting.date)
    if meeting.consent_given:
        return Finding(
            met=True, found=_("Consent given at the first meeting, %(date)s") % {"date": when}
        )
    return Finding(met=False, found=_("No consent at the first meeting, %(date)s") % {"date": when})


def _screening_rating(name: str) -> Callable[[Records], Finding | None]:
    def finding(records: Records) -> Finding | None:
        screening = records.screening
        if screening is None:
            return None
        value = getattr(screening, name)
        return Finding(
            met=value in (Rating.MEDIUM, Rating.HIGH),
            found=_labelled(
                _field_label(Screening, name), getattr(screening, f"get_{name}_display")()
            ),
        )

    return finding


def _vulnerability(records: Records) -> Finding | None:
    screening = records.screening
    if screening is None:
        return None
    found = [str(label) for _code, label, _note in screening.vulnerabilities()]
    return Finding(
        met=bool(found),
        found=_labelled(_("Vulnerabilities at screening"), ", ".join(found) or _("none")),
    )


def _return_not_imminent(records: Records) -> Finding | None:
    screening = records.screening
    if screening is None:
        return None
    return Finding(
        met=not screening.return_imminent,
        found=_labelled(
            _field_label(Screening, "return_imminent"), _yes_no(screening.return_imminent)
        ),
    )


FACTS: dict[str, Callable[[Records], Finding | None]] = {
    EstablishedBy.DETENTION: _detention,
    EstablishedBy.NO_LEGAL_STAY: _no_legal_stay,
    EstablishedBy.CONSENT: _consent,
    EstablishedBy.DETENTION_RISK: _screening_rating("detention_risk"),
    EstablishedBy.VULNERABILITY: _vulnerability,
    EstablishedBy.INTERVENTION: _screening_rating("intervention_rating"),
    EstablishedBy.RETURN_NOT_IMMINENT: _return_not_imminent,
}


def check_criteria(
    criteria: Iterable[EligibilityCriterion], records: Records
) -> list[CriterionCheck]:
    """Return each criterion with what the records found for it, if it names a fact."""
    checks = []
    for criterion in criteria:
        fact = FACTS.get(criterion.established_by)
        checks.append(CriterionCheck(criterion, fact(records) if fact else None))
    return checks
