"""Feedback from network members (NET-15, docs/indicators.md): a short questionnaire per point
of an evaluation cycle, answered by the member organisations' staff, aggregated and never
attributed.

Who answers: the organisation admins and supervisors of every organisation on this instance (the
pilots). They are the people who take part in the network's exchanges, present its messages and
approach authorities and funders for their organisation, which is what the questions ask about.
Case managers are not asked: most questions are not about their daily work, and a case manager
would be asked again what their supervisor has already answered for the same organisation.

Never attributed, by construction:

- an answer is two rows with no column about who gave it or when: `FeedbackAnswer` (the ratings)
  and `FeedbackComment` (the free text, apart, so a comment is not put beside the ratings given
  with it). Their keys are random UUIDs and they are read ordered by those keys, never by time;
- who has answered is `FeedbackRespondent` (the person and the questionnaire, no answer, no
  time), written in the same transaction, for the once-only rule and the count of answers;
- the audit log says that a person answered the questionnaire (who and when, as for every
  action), never what: its entry points at the questionnaire, not at an answer row, and nothing
  in an answer row can be matched with its time or its author;
- results are shown once, when the questionnaire is closed, and only with at least the
  network's disclosure threshold of answers (`minimum_answers`). While answers come in, only
  their number is shown: results that changed with each answer would give away the answer of
  whoever answered between two looks at the page (the dashboard notice and the audit log say
  who). A closed questionnaire never opens again, for the same reason;
- the free-text comments are the network coordinator's only, after the same threshold, in the
  random order of their keys.

What this does not protect against: someone who reads the database itself, or a backup of it,
may match an answer with its respondent by what the database keeps of how rows were written
(SQLite's rowid order, PostgreSQL's transaction id `xmin` of the rows of one transaction and
their physical order, the write-ahead log). The guarantee is to the application's users, the
coordinator included, not to whoever administers the database. docs/evidence.md says so too.
"""

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.models import Role, User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.mel.models import (
    EvaluationCycle,
    FeedbackAnswer,
    FeedbackComment,
    FeedbackQuestionnaire,
    FeedbackRespondent,
)
from engage.mel.report.disclosure import LEVELS
from engage.mel.report.indicators import percentage

INDICATOR = "NET-15"
# Who is asked (see the module's docstring).
RESPONDENT_ROLES = (Role.ORG_ADMIN, Role.SUPERVISOR)
SCALE = (1, 2, 3, 4, 5)
AGREEING = (4, 5)
SCALE_LABELS: Mapping[int, Promise] = {
    1: gettext_lazy("Strongly disagree"),
    2: gettext_lazy("Disagree"),
    3: gettext_lazy("Neither agree nor disagree"),
    4: gettext_lazy("Agree"),
    5: gettext_lazy("Strongly agree"),
}
COMMENT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Question:
    """A statement rated on the agreement scale. Its key never changes meaning: a reworded
    statement is a new question with a new key (".v2"), so answers of one key compare."""

    key: str
    text: Promise


QUESTIONS: Mapping[str, Question] = {
    q.key: q
    for q in (
        Question(
            "strengthens_work.v1",
            gettext_lazy(
                "Being part of the network strengthens my organisation's work on case "
                "management-based alternatives to detention."
            ),
        ),
        Question(
            "confident_presenting.v1",
            gettext_lazy(
                "I am confident presenting the network's learning and messages to others."
            ),
        ),
        Question(
            "shared_data.v1",
            gettext_lazy("The network's shared data collection is useful to my organisation."),
        ),
        Question(
            "approaching_authorities.v1",
            gettext_lazy(
                "The network's exchanges help my organisation approach authorities and funders "
                "about community-based solutions."
            ),
        ),
        Question(
            "learning_exchange.v1",
            gettext_lazy("I learn from the other member organisations through the network."),
        ),
    )
}
# The questions a questionnaire opened now asks, in order; NET-15's headline is the first.
CURRENT = (
    "strengthens_work.v1",
    "confident_presenting.v1",
    "shared_data.v1",
    "approaching_authorities.v1",
    "learning_exchange.v1",
)
HEADLINE = "strengthens_work.v1"
COMMENT_PROMPT = gettext_lazy("What should the network do differently?")


def question_text(key: str) -> str:
    question = QUESTIONS.get(key)
    return str(question.text) if question else key


def minimum_answers(level: str = "network") -> int:
    """The fewest answers whose results may be shown: more than the network's disclosure
    threshold (the same `mel.report.disclosure` levels as every count; a snapshot at a stricter
    level takes its own), so that results are never of a handful of people."""
    threshold = max(LEVELS["network"].threshold, LEVELS[level].threshold)
    return threshold + 1


def _require_coordinator(by: User) -> None:
    if by is None or by.role != Role.NETWORK_COORDINATOR:
        raise PermissionDenied("Members' feedback questionnaires are the network coordinator's.")


def may_answer(user: User) -> bool:
    return bool(user.is_active and user.role in RESPONDENT_ROLES and user.organisation_id)


def invited() -> QuerySet[User]:
    """The people asked: the active admins and supervisors of every organisation."""
    return User.objects.filter(
        is_active=True, role__in=RESPONDENT_ROLES, organisation__isnull=False
    )


# Writes.


@transaction.atomic
def open_questionnaire(cycle: EvaluationCycle, point: str, *, by: User) -> FeedbackQuestionnaire:
    """Open the members' questionnaire of one point of the cycle, with the current questions."""
    _require_coordinator(by)
    if point not in EvaluationCycle.Point.values:
        raise ValidationError({"point": _("Choose baseline, 6 months, mid-term or end of term.")})
    if cycle.questionnaires.filter(point=point).exists():
        raise ValidationError({"point": _("This point already has a members' questionnaire.")})
    try:
        with transaction.atomic():
            questionnaire = FeedbackQuestionnaire.objects.create(
                cycle=cycle, point=point, questions=list(CURRENT), opened_by=by
            )
    except IntegrityError:  # opened by someone else a moment ago
        raise ValidationError(
            {"point": _("This point already has a members' questionnaire.")}
        ) from None
    record(by, AuditEvent.Action.CREATE, questionnaire,
           detail=f"members' feedback questionnaire opened ({point})")  # fmt: skip
    return questionnaire


@transaction.atomic
def close_questionnaire(questionnaire: FeedbackQuestionnaire, *, by: User) -> None:
    """Close the questionnaire for good: no more answers, and its results may be shown."""
    _require_coordinator(by)
    locked = FeedbackQuestionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if not locked.is_open:
        raise ValidationError(_("This questionnaire is already closed."))
    locked.closed_at = timezone.now()
    locked.closed_by = by
    locked.save(update_fields=["closed_at", "closed_by"])
    questionnaire.closed_at, questionnaire.closed_by = locked.closed_at, by
    record(by, AuditEvent.Action.UPDATE, locked,
           detail=f"members' feedback questionnaire closed ({locked.point})")  # fmt: skip


@transaction.atomic
def answer(
    questionnaire: FeedbackQuestionnaire,
    *,
    by: User,
    ratings: Mapping[str, Any],
    comment: str = "",
) -> None:
    """Record one member's answers, once: the ratings and the comment in rows that say nothing
    of who gave them, and that `by` has answered in another. Returns nothing to keep it so."""
    if not may_answer(by):
        raise PermissionDenied("Only member organisations' admins and supervisors answer.")
    # Locked, so that a close and an answer do not cross (an answer after the results).
    locked = FeedbackQuestionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if not locked.is_open:
        raise ValidationError(_("This questionnaire is closed: it takes no more answers."))
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for key in locked.questions:
        rating = _rating(ratings.get(key))
        if rating not in SCALE:
            errors[key] = [_("Choose how far you agree, from 1 to 5.")]
        else:
            clean[key] = rating
    text = str(comment or "").strip()
    if len(text) > COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("Keep it under %(n)d characters, please.") % {"n": COMMENT_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            FeedbackRespondent.objects.create(questionnaire=locked, user=by)
    except IntegrityError:
        raise ValidationError(_("You have already answered this questionnaire.")) from None
    FeedbackAnswer.objects.create(questionnaire=locked, ratings=clean)
    if text:
        FeedbackComment.objects.create(questionnaire=locked, text=text)
    # Who answered and when, as for every action; never what, nor a key of the answer's rows.
    record(by, AuditEvent.Action.CREATE, locked,
           detail=f"members' feedback questionnaire answered ({locked.point})")  # fmt: skip


def _rating(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        return int(value)
    except ValueError:
        return None


# Reads.


def has_answered(questionnaire: FeedbackQuestionnaire, user: User) -> bool:
    return questionnaire.respondents.filter(user=user).exists()


def waiting_for(user: User) -> list[FeedbackQuestionnaire]:
    """The open questionnaires `user` is asked to answer and has not answered yet."""
    if not may_answer(user):
        return []
    return list(
        FeedbackQuestionnaire.objects.filter(closed_at__isnull=True)
        .exclude(respondents__user=user)
        .select_related("cycle")
        .order_by("cycle__period_start", "point")
    )


def open_for(user: User, pk: UUID) -> FeedbackQuestionnaire | None:
    """The questionnaire `pk` if `user` may answer it, else None (the page is then a 404)."""
    if not may_answer(user):
        return None
    found: FeedbackQuestionnaire | None = (
        FeedbackQuestionnaire.objects.select_related("cycle").filter(pk=pk).first()
    )
    return found


def aggregate(answers: Iterable[Mapping[str, int]], keys: Iterable[str]) -> list[dict[str, Any]]:
    """Per question: the number of answers, how many gave each point of the scale, mean,
    median, and how many agree (4 or 5) and their share. Exact; see `results` for what may
    be shown."""
    answers = list(answers)
    rows = []
    for key in keys:
        values = [a[key] for a in answers if a.get(key) in SCALE]
        n = len(values)
        agreeing = sum(1 for v in values if v in AGREEING)
        rows.append(
            {
                "key": key,
                "answers": n,
                "distribution": {str(point): values.count(point) for point in SCALE},
                "mean": round(statistics.fmean(values), 1) if values else None,
                "median": float(statistics.median(values)) if values else None,
                "agreeing": agreeing,
                "share_agreeing": percentage(agreeing, n),
            }
        )
    return rows


def results(questionnaire: FeedbackQuestionnaire, *, level: str = "network") -> dict[str, Any]:
    """What may be shown of the questionnaire's answers (never the free text, see `comments`).

    `answers` is always there; the figures per question only once it is closed with at least
    `minimum_answers(level)` answers (`shown`), otherwise `withheld` says why."""
    answers = questionnaire.answers.count()
    minimum = minimum_answers(level)
    data: dict[str, Any] = {
        "point": questionnaire.point,
        "status": "open" if questionnaire.is_open else "closed",
        "answers": answers,
        "minimum": minimum,
        "questions": questionnaire.questions,
        "shown": False,
        "withheld": "",
        "results": [],
    }
    if questionnaire.is_open:
        data["withheld"] = "open"
    elif answers < minimum:
        data["withheld"] = "too_few"
    else:
        ratings = questionnaire.answers.order_by("id").values_list("ratings", flat=True)
        data["shown"] = True
        data["results"] = aggregate(ratings, questionnaire.questions)
    return data


def comments(questionnaire: FeedbackQuestionnaire, *, by: User) -> list[str]:
    """The free-text answers, for the network coordinator only, once the results are shown; in
    the random order of their keys, which says nothing of when each was written."""
    _require_coordinator(by)
    if not results(questionnaire)["shown"]:
        return []
    return list(questionnaire.comments.order_by("id").values_list("text", flat=True))


def indicator(feedback: Mapping[str, Any]) -> dict[str, Any]:
    """NET-15 in the report's shape, from `results`: the answers agreeing that the network
    strengthens the organisation's work, over the answers; by question, each statement's."""
    if not feedback["shown"]:
        return {
            "id": INDICATOR, "numerator": None, "denominator": None, "value": None,
            "withheld": True,
        }  # fmt: skip
    by_key = {row["key"]: row for row in feedback["results"]}
    head = by_key.get(HEADLINE) or feedback["results"][0]
    return {
        "id": INDICATOR,
        "numerator": head["agreeing"],
        "denominator": head["answers"],
        "value": head["share_agreeing"],
        "by": {
            "question": [
                {
                    "key": row["key"],
                    "numerator": row["agreeing"],
                    "denominator": row["answers"],
                    "value": row["share_agreeing"],
                }
                for row in feedback["results"]
            ]
        },
    }


def freeze(report: dict[str, Any], cycle: EvaluationCycle, point: str, level: str) -> None:
    """Add the point's members' feedback to a snapshot's report (in place): NET-15 and the
    results per question, as `results` gives them at the snapshot's level; never the free
    text. A point without a questionnaire adds nothing; an open one adds NET-15 withheld."""
    questionnaire = cycle.questionnaires.filter(point=point).first()
    if questionnaire is None:
        return
    feedback = results(questionnaire, level=level)
    report["indicators"].append(indicator(feedback))
    report["member_feedback"] = feedback
