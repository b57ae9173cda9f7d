"""Case management models, split by topic.

A person's identity (`Person`, `Household`) is kept apart from the facts of their case, so that it
can be protected and erased while the de-identified facts stay for the network's statistics.
"""

from engage.cases.models.appointment import Appointment
from engage.cases.models.case import Case, EngagementLevel, EngagementRecord, Outcome, Stage
from engage.cases.models.closure import Closure, ClosureReason, DisengagementFactor
from engage.cases.models.contact import Contact
from engage.cases.models.duplicate import PossibleDuplicate
from engage.cases.models.person import Household, Person, SearchToken
from engage.cases.models.plan import Action, CasePlan, Goal, PlanReview
from engage.cases.models.process import (
    Assessment,
    EligibilityCriterion,
    FirstMeeting,
    InclusionDecision,
    ReassessmentRequest,
    Screening,
)

__all__ = [
    "Action",
    "Appointment",
    "Assessment",
    "Case",
    "CasePlan",
    "Closure",
    "ClosureReason",
    "Contact",
    "DisengagementFactor",
    "EligibilityCriterion",
    "EngagementLevel",
    "EngagementRecord",
    "FirstMeeting",
    "Goal",
    "Household",
    "InclusionDecision",
    "Outcome",
    "Person",
    "PlanReview",
    "PossibleDuplicate",
    "ReassessmentRequest",
    "Screening",
    "SearchToken",
    "Stage",
]
