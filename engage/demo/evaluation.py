"""The network's evaluation cycle in the demo (`engage seed_demo`), so that the coordinator and
the pilots' staff meet the members' questionnaire (issue 14, section 5; NET-15): a two-year term
that started a year ago, its six-month questionnaire answered by six of the fourteen people
asked and closed (so the coordinator sees results above the threshold), and the mid-term one,
this month's, open and waiting for the others on their home page. The answers are made up, and
given through the same service as the page (`feedback.answer`), so nothing says who gave which.
Idempotent: the cycle is found again by its name."""

import datetime
import random

from django.utils import timezone

from engage.accounts.models import User
from engage.mel.cycles import feedback, services
from engage.mel.models import EvaluationCycle

CYCLE_NAME = "Network implementation plan, two-year term"
# Who answered the six-month questionnaire (the others have not: a realistic response rate).
ANSWERED_AT_SIX_MONTHS = (
    "bg-cla-sup", "bg-cla-admin", "cy-cyrc-sup", "gr-hr360-admin", "it-cild-sup", "pl-sip-sup",
)  # fmt: skip
COMMENTS = (
    "More joint trainings with people with lived experience, please.",
    "Share the template letters to the authorities earlier in the year.",
)


def _month(day: datetime.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def seed_evaluation(coordinator: User) -> None:
    if EvaluationCycle.objects.filter(name=CYCLE_NAME).exists():
        return
    today = timezone.localdate()
    cycle = services.define_cycle(
        by=coordinator,
        data={
            "name": CYCLE_NAME,
            "period_start": _month(today, -12),
            "baseline": _month(today, -12),
            "six_months": _month(today, -6),
            "midterm": _month(today, 0),
            "end_of_term": _month(today, 12),
        },
    )
    earlier = feedback.open_questionnaire(cycle, EvaluationCycle.Point.SIX_MONTHS, by=coordinator)
    rng = random.Random("demo/evaluation")  # noqa: S311 (made-up answers, not a secret)
    for n, username in enumerate(ANSWERED_AT_SIX_MONTHS):
        ratings = {key: rng.choice((3, 4, 4, 5, 5)) for key in earlier.questions}
        comment = COMMENTS[n] if n < len(COMMENTS) else ""
        feedback.answer(
            earlier, by=User.objects.get(username=username), ratings=ratings, comment=comment
        )
    feedback.close_questionnaire(earlier, by=coordinator)
    feedback.open_questionnaire(cycle, EvaluationCycle.Point.MIDTERM, by=coordinator)
