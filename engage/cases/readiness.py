"""What is still undone when a case manager asks to close a case: pointed out, never refused.

Two things are easy to forget at closure and cost the client or the network something:

- plan actions still open (approving the closure cancels them);
- a final assessment: the network measures change between the first and the latest
  assessment (`CAP-01`-`CAP-04` count a case only with two), so a case closed with none, with
  only the first, or with the latest long ago leaves its ratings out of date. An assessment
  within `FINAL_ASSESSMENT_DAYS` of today counts as the final one. It is only asked for when the
  client can still be met, so not for a disengagement, an absconding, a removal, a detention or a
  death (`CLIENT_GONE_REASONS`).
"""

import datetime
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engage.cases.models import Action, Appointment, Case, ClosureReason

FINAL_ASSESSMENT_DAYS = 30
# The closure reasons for which the client can no longer be met for a final assessment.
CLIENT_GONE_REASONS = (
    ClosureReason.DISENGAGED,
    ClosureReason.ABSCONDED,
    ClosureReason.REMOVED,
    ClosureReason.DETAINED,
    ClosureReason.DECEASED,
)


@dataclass(frozen=True)
class ClosureWarning:
    kind: str
    message: str
    # The closure reasons it does not concern (the page hides it for them).
    not_for_reasons: tuple[str, ...] = ()
    actions: list[Action] = field(default_factory=list)


def open_actions(case: Case) -> list[Action]:
    return list(
        Action.objects.filter(goal__plan__case=case, status=Action.Status.OPEN)
        .select_related("goal__plan")
        .order_by("due_date", "created_at")
    )


def final_assessment_missing(case: Case, today: datetime.date) -> str:
    """Return why a final assessment is still to be done, or "" when the latest one is recent."""
    dates = list(case.assessments.order_by("date").values_list("date", flat=True))
    if not dates:
        return _("No assessment was recorded for this client.")
    if today - dates[-1] > datetime.timedelta(days=FINAL_ASSESSMENT_DAYS):
        return _("The latest assessment is from %(date)s.") % {"date": date_format(dates[-1])}
    if len(dates) == 1:
        return _("Only the first assessment was recorded, so no change can be shown.")
    return ""


def closure_warnings(case: Case, today: datetime.date, reason: str = "") -> list[ClosureWarning]:
    """Return what is still undone on `case` before it closes; with `reason`, only what
    concerns a closure for that reason (as the supervisor reviews it)."""
    warnings = []
    if actions := open_actions(case):
        warnings.append(
            ClosureWarning(
                kind="open_actions",
                message=ngettext(
                    "%(count)s plan action is still open: approving the closure cancels it.",
                    "%(count)s plan actions are still open: approving the closure cancels them.",
                    len(actions),
                )
                % {"count": len(actions)},
                actions=actions,
            )
        )
    # Approving the closure cancels them too (`services.approve_closure`): the person who
    # writes or approves it is told, so that the client is (a closure approved took today's
    # meeting off the agenda without a word).
    planned = list(Appointment.objects.planned().filter(case=case).order_by("date", "time"))
    if count := len(planned):
        warnings.append(
            ClosureWarning(
                kind="appointments",
                message=ngettext(
                    "%(count)s appointment is planned (%(date)s): approving the closure cancels "
                    "it. Tell the client.",
                    "%(count)s appointments are planned, the first on %(date)s: approving the "
                    "closure cancels them. Tell the client.",
                    count,
                )
                % {"count": count, "date": date_format(planned[0].date, "DATE_FORMAT")},
            )
        )
    if why := final_assessment_missing(case, today):
        warnings.append(
            ClosureWarning(
                kind="final_assessment",
                message=_(
                    "%(why)s If you can still meet the client, record a final assessment before "
                    "sending: the network measures change between the first and the latest one."
                )
                % {"why": why},
                not_for_reasons=CLIENT_GONE_REASONS,
            )
        )
    return [warning for warning in warnings if not reason or reason not in warning.not_for_reasons]
