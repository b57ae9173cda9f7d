"""The case page reads as one story: every step of the case as dated events."""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import (
    ExpressionWrapper,
    F,
    Prefetch,
    QuerySet,
    TextField,
    prefetch_related_objects,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engage.accounts.models import User
from engage.cases.models import Action, Case, CasePlan, Contact, Person, PlanReview, Stage
from engage.cases.models.process import ApprovalStatus
from engage.lib.queries import keep_as_prefetched, read_together

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class _Sealed(TypedDict):
    """What `prefetch_for_timeline` adds to each contact: its note as stored, encrypted."""

    sealed_note: str


@dataclass
class Event:
    date: datetime.date
    kind: str
    title: str | Promise
    lines: "list[StrOrPromise]" = field(default_factory=list)
    sensitive: bool = False
    # The record the event shows (the case itself for the referral), for the lines that apps
    # above add to it (the organisation's own fields, `register`).
    record_id: str = ""
    # A contact's note, decrypted only if its event is on the page shown: where in `lines` it
    # goes, or None, and the note as stored (its ciphertext; `_add_notes`).
    note_at: int | None = None
    sealed_note: str = ""


# Apps above `cases` add lines to the events of the records they hold data about (the custom
# fields' answers), so `cases` does not import them: each is called with the case, its events
# and the user reading them, and runs a fixed number of queries whatever the case's size.
Extra = Callable[[Case, list[Event], User], None]
_extras: list[Extra] = []


def register(extra: Extra) -> None:
    _extras.append(extra)


def prefetch_for_timeline(case: Case, *, household: bool = False) -> Case:
    """Load everything the timeline shows, in a fixed number of queries; with `household`,
    the other members of the case's household too (`household_others`), in the same query as
    the timeline's smaller records (the case page shows both: issue 17's budget of queries).

    The contacts come with their notes as stored, not decrypted (`sealed_note`): a case has
    hundreds of contacts over the years, and `timeline_page` decrypts the notes of the page
    shown only. (Read in the contacts' own query: a query of their own for the page's notes
    cost the page one query more.)
    """
    prefetch_related_objects(
        [case],
        Prefetch(
            "contacts",
            queryset=Contact.objects.defer("note").annotate(
                # The column as a plain text: no decryption when it is read (fields.py).
                sealed_note=ExpressionWrapper(F("note"), output_field=TextField())
            ),
        ),
        Prefetch("plans", queryset=CasePlan.objects.select_related("person")),
    )
    # A few rows each, read in one query rather than four (issue 17's budget of queries).
    plans = list(case.plans.all())
    members = (
        [_others_in_household(case, case.household_id)] if household and case.household_id else []
    )
    assessments, decisions, closures, reviews, *others = read_together(
        case.assessments.all(),
        case.inclusion_decisions.all(),
        case.closures.all(),
        PlanReview.objects.filter(plan__in=[plan.pk for plan in plans]),
        *members,
    )
    if others:
        case.__dict__[_HOUSEHOLD_OTHERS] = others[0]
    keep_as_prefetched(case, "assessments", assessments)
    keep_as_prefetched(case, "inclusion_decisions", decisions)
    keep_as_prefetched(case, "closures", closures)
    for plan in plans:
        keep_as_prefetched(plan, "reviews", [r for r in reviews if r.plan_id == plan.pk])
    return case


_HOUSEHOLD_OTHERS = "_household_others"


def household_others(case: Case) -> list[Person]:
    """The other members of the case's household (none without one), in their order: as
    `prefetch_for_timeline(case, household=True)` read them, else read now."""
    if not case.household_id:
        return []
    read: list[Person] | None = case.__dict__.get(_HOUSEHOLD_OTHERS)
    return read if read is not None else list(_others_in_household(case, case.household_id))


def _others_in_household(case: Case, household_id: UUID) -> "QuerySet[Person]":
    return Person.objects.filter(household_id=household_id).exclude(pk=case.person_id)


def still_to_do(case: Case) -> list[Action]:
    """The actions still to do in every plan of `case` (loaded through the reader's scope),
    soonest due first, each with its goal, plan and the plan's person: one query. The case page
    shows them without the goals, so it does not read the goals and every action to pick the
    open ones out."""
    return list(Action.objects.still_to_do_on(case))


def timeline_page(
    case: Case,
    number: int | str | None,
    *,
    per_page: int,
    show_sensitive: bool,
    show_details: bool = True,
    user: User | None = None,
) -> "Page[Event]":
    """Return page `number` of the case's events, newest first: sensitive notes only when
    `show_sensitive`, and with `user` only those `user` may read (`Contact.note_hidden_from`:
    the case's own people and the note's author). Without `show_details` (a role that does not
    work on the case), events keep their date and title only: no note, no vulnerability, no
    rating (field-level access, R04). With `user`, the registered apps add their lines for that user (`register`).

    Every event is dated and ordered from the records prefetched with their notes still
    encrypted (`prefetch_for_timeline`); the contacts' notes are decrypted, and the registered
    apps' lines read, for the events of the page only: a fixed number of queries, and of
    decryptions, whatever the number of contacts.
    """
    shows = show_sensitive and user is not None and case.shows_sensitive_to(user)

    def readable(contact: Contact) -> bool:
        if user is None or not show_sensitive:
            return show_sensitive or not contact.sensitive
        return not contact.note_hidden_from(user, case_shows_sensitive=shows)

    page = Paginator(_events(case, note_readable=readable), per_page).get_page(number)
    _add_details(case, list(page.object_list), show_details=show_details, user=user)
    return page


def _add_details(case: Case, events: list[Event], *, show_details: bool, user: User | None) -> None:
    if not show_details:
        for event in events:
            event.lines, event.note_at, event.sealed_note = [], None, ""
        return
    _add_notes(events)
    if user is not None:
        for extra in _extras:
            extra(case, events, user)


def _add_notes(events: list[Event]) -> None:
    """Decrypt the notes of the contacts of `events` (read with them, still encrypted)."""
    field = Contact._meta.get_field("note")
    for event in events:
        if event.note_at is None:
            continue
        if note := field.from_db_value(event.sealed_note, None, None):
            event.lines.insert(event.note_at, note)
        event.note_at, event.sealed_note = None, ""


def _events(case: Case, *, note_readable: Callable[[Contact], bool]) -> list[Event]:
    events = [
        Event(
            case.referral_date,
            "referral",
            pgettext_lazy("timeline event", "Referred"),
            [case.get_referral_source_display()],
            record_id=str(case.pk),
        )
    ]
    meeting = getattr(case, "first_meeting", None)
    if meeting is not None:
        events.append(
            Event(
                meeting.date,
                "first_meeting",
                _("First meeting"),
                [
                    _("Consent to case management recorded")
                    if meeting.consent_given
                    else _("No consent to case management yet")
                ],
                record_id=str(meeting.pk),
            )
        )
    screening = getattr(case, "screening", None)
    if screening is not None:
        events.append(
            Event(
                screening.date,
                "screening",
                _("Screening"),
                [label for _code, label, _note in screening.vulnerabilities()],
                record_id=str(screening.pk),
            )
        )
    for decision in case.inclusion_decisions.all():
        title = _("Inclusion proposed") if decision.include else _("Declining proposed")
        statuses: dict[str, StrOrPromise] = {
            ApprovalStatus.PENDING: _("waiting for approval"),
            ApprovalStatus.APPROVED: _("approved"),
            ApprovalStatus.REJECTED: _("sent back"),
        }
        lines: list[StrOrPromise] = [statuses[decision.status]]
        if decision.status == ApprovalStatus.REJECTED:
            lines.append(decision.review_note)  # the supervisor's note, kept once acted on
        events.append(Event(decision.date, "decision", title, lines))
    if case.inclusion_date:
        events.append(Event(case.inclusion_date, "included", _("Included in the programme")))
    if case.stage == Stage.DECLINED and case.declined_date:
        events.append(
            Event(case.declined_date, "declined", _("Referral declined"), [case.declined_reason])
        )
    for assessment in case.assessments.all():
        events.append(
            Event(
                assessment.date,
                "assessment",
                _("Assessment"),
                [
                    _(
                        "Decision making %(a)s/5 · Engaging with procedures %(b)s/5 · Well-being %(c)s/5"
                    )
                    % {
                        "a": assessment.informed_decisions,
                        "b": assessment.engage_procedures,
                        "c": assessment.wellbeing,
                    }
                ],
                record_id=str(assessment.pk),
            )
        )
    for plan in case.plans.all():
        if plan.approved_at:
            events.append(
                Event(
                    # The day where it was agreed (the active zone, the organisation's on a
                    # page): in UTC, a plan agreed after midnight in Sofia was the day before.
                    timezone.localdate(plan.approved_at),
                    "plan",
                    _("Case plan agreed for %(person)s") % {"person": plan.person},
                )
            )
        for review in plan.reviews.all():
            events.append(Event(review.date, "plan_review", _("Plan reviewed"), [review.note]))
    for contact in cast("Iterable[WithAnnotations[Contact, _Sealed]]", case.contacts.all()):
        lines = [contact.get_type_display()]
        note_at = None
        if contact.content_not_recorded:
            lines.append(_("Content not recorded"))
        elif note_readable(contact):
            note_at = len(lines)  # the note, if any, read with the page (`_add_notes`)
        elif contact.sealed_note:  # there is a note, not for this reader: say whose it is
            lines.append(_("Its note is for the case's own case manager and their supervisor."))
        if contact.engagement_level:
            lines.append(
                _("Engagement: %(level)s") % {"level": contact.get_engagement_level_display()}
            )
        events.append(
            Event(
                contact.date,
                "contact",
                _("Contact"),
                lines,
                sensitive=contact.sensitive,
                record_id=str(contact.pk),
                note_at=note_at,
                sealed_note=contact.sealed_note if note_at is not None else "",
            )
        )
    if case.outcome and case.outcome_date:
        events.append(
            Event(
                case.outcome_date,
                "outcome",
                _("Outcome reached"),
                [f"{case.get_outcome_display()} ({case.get_outcome_permanence_display()})"],
            )
        )
    for closure in case.closures.all():
        if closure.status == ApprovalStatus.APPROVED:
            title, lines = _("Case closed"), [closure.get_reason_display()]
        elif closure.status == ApprovalStatus.PENDING:
            title, lines = _("Closure proposed"), [closure.get_reason_display()]
        else:
            title = _("Closure sent back")
            lines = [closure.get_reason_display(), closure.review_note]
        events.append(Event(closure.date, "closure", title, lines, record_id=str(closure.pk)))
    return sorted(events, key=lambda event: event.date, reverse=True)


def rating_trend(case: Case) -> list[dict[str, Any]]:
    """Return the three ratings of each assessment, oldest first, for the trend table."""
    return [
        {
            "date": a.date,
            "informed_decisions": a.informed_decisions,
            "engage_procedures": a.engage_procedures,
            "wellbeing": a.wellbeing,
        }
        for a in case.assessments.all()
    ]
