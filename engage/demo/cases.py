"""Fictional cases for the demo: believable caseloads, every stage and closure reason.

Each pilot gets its cases from a random generator seeded with the pilot's code, so the same
command gives the same demo. Rows are written with `bulk_create`: the services check one
human action at a time, which would take minutes for thousands of rows, so this module keeps
the same invariants itself (dates in order, approvals by the supervisor, the case's stage and
engagement matching its records) and the tests check them on the result.

Names are obviously synthetic: made-up family names that no real person carries.
"""

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from engage.accounts.models import LegalBasis, Organisation, User
from engage.cases.models import (
    Action,
    Assessment,
    Case,
    CasePlan,
    Closure,
    Contact,
    EligibilityCriterion,
    EngagementRecord,
    FirstMeeting,
    Goal,
    Household,
    InclusionDecision,
    Person,
    PlanReview,
    Screening,
)
from engage.cases.models.case import (
    DEFAULT_PURPOSE,
    DetentionStatus,
    EngagementLevel,
    MigrationStatus,
    Outcome,
    Permanence,
    ReferralSource,
    Stage,
)
from engage.cases.models.closure import ClosureReason, DisengagementFactor
from engage.cases.models.person import Sex
from engage.cases.models.process import (
    VULNERABILITY_DOMAINS,
    ApprovalStatus,
    EstablishedBy,
    Rating,
)
from engage.cases.search import insert_tokens
from engage.demo.fields import answer_fields
from engage.lib.bulk import Insert, prepare_insert

FIRST_REFERRAL = datetime.date(2021, 1, 1)
LAST_REFERRAL = datetime.date(2024, 12, 31)

GIVEN_NAMES = {
    Sex.FEMALE: (
        "Amal",
        "Aisha",
        "Fatima",
        "Mariam",
        "Nadia",
        "Sara",
        "Leila",
        "Hawa",
        "Grace",
        "Esther",
        "Zainab",
        "Yasmin",
        "Olena",
        "Farah",
        "Rokia",
        "Noor",
        "Blessing",
        "Samira",
    ),
    Sex.MALE: (
        "Yusuf",
        "Omar",
        "Ahmad",
        "Karim",
        "Ibrahim",
        "Samuel",
        "Daniel",
        "Mamadou",
        "Ali",
        "Hassan",
        "Tariq",
        "Emmanuel",
        "Bilal",
        "Musa",
        "Reza",
        "Dawit",
        "Farid",
        "Kofi",
    ),
}
CHILD_NAMES = ("Adam", "Lina", "Zara", "Noah", "Malik", "Sofia", "Idris", "Maya", "Elias")
# Family names made up for the demo: recognisably not anyone's real name.
FAMILY_NAMES = (
    "Sampleton",
    "Exampleyan",
    "Fictiva",
    "Demodou",
    "Placeholdro",
    "Testova",
    "Mockford",
    "Pretendi",
    "Specimenko",
    "Imaginaria",
    "Madeupu",
    "Dummett-Demo",
    "Notrealov",
    "Fakhoury-Demo",
    "Synthetica",
    "Inventado",
    "Pseudonymi",
    "Lorem-Ipsum",
)
# Nationalities seen across the pilots (ISO codes), roughly by how often.
NATIONALITIES = (
    ("AF", 12),
    ("SY", 10),
    ("NG", 7),
    ("IQ", 6),
    ("UA", 6),
    ("MA", 5),
    ("DZ", 4),
    ("ER", 4),
    ("SO", 4),
    ("CD", 4),
    ("CM", 4),
    ("GN", 3),
    ("PK", 3),
    ("BD", 3),
    ("IR", 3),
    ("TR", 3),
    ("GE", 2),
    ("AL", 2),
    ("VN", 2),
    ("SN", 2),
    ("XXA", 2),  # stateless
    ("XXX", 1),  # nationality unknown
    ("", 2),
)
LANGUAGES = ("Arabic", "Dari", "Pashto", "Tigrinya", "Somali", "French", "Ukrainian", "Farsi", "")

REFERRAL_SOURCES = (
    (ReferralSource.NGO, 30),
    (ReferralSource.DETENTION_CENTRE, 20),
    (ReferralSource.COMMUNITY, 15),
    (ReferralSource.SELF, 12),
    (ReferralSource.AUTHORITY, 10),
    (ReferralSource.POLICE, 5),
    (ReferralSource.OTHER, 8),
)
DETENTION = (
    (DetentionStatus.AT_RISK, 45),
    (DetentionStatus.RELEASED, 25),
    (DetentionStatus.IN_DETENTION, 15),
    (DetentionStatus.NONE, 15),
)
MIGRATION = (
    (MigrationStatus.ASYLUM_SEEKER, 35),
    (MigrationStatus.REFUSED_ASYLUM_SEEKER, 25),
    (MigrationStatus.IRREGULAR, 25),
    (MigrationStatus.BARRIER_TO_RETURN, 8),
    (MigrationStatus.OTHER, 4),
    (MigrationStatus.UNKNOWN, 3),
)
# Among closed cases: most are resolved or move on; few are removed or detained.
CLOSURE_REASONS = (
    (ClosureReason.RESOLVED, 35),
    (ClosureReason.TRANSFERRED, 12),
    (ClosureReason.OTHER, 12),
    (ClosureReason.DISENGAGED, 18),
    (ClosureReason.ABSCONDED, 9),
    (ClosureReason.REMOVED, 5),
    (ClosureReason.DETAINED, 6),
    (ClosureReason.DECEASED, 2),
)
OUTCOMES = (
    (Outcome.PROTECTION, 35),
    (Outcome.REGULARISATION, 18),
    (Outcome.THIRD_COUNTRY, 10),
    (Outcome.VOLUNTARY_RETURN, 14),
    (Outcome.TEMPORARY_STATUS, 17),
    (Outcome.OTHER, 6),
)
TEMPORARY_OUTCOMES = {Outcome.TEMPORARY_STATUS}
CONTACT_TYPES = (
    (Contact.Type.FACE_TO_FACE, 45),
    (Contact.Type.PHONE, 25),
    (Contact.Type.MESSAGE, 15),
    (Contact.Type.HOME_VISIT, 8),
    (Contact.Type.ACCOMPANIMENT, 7),
)
CONTACT_NOTES = (
    "Went through the next steps of the asylum procedure.",
    "Prepared the interview with the lawyer.",
    "Checked on accommodation; the room is stable for now.",
    "Accompanied to the hospital appointment.",
    "Talked about the options if the appeal fails, including third countries.",
    "Helped with the school enrolment of the children.",
    "Reporting obligation met; discussed the letter from the immigration office.",
    "Referred to the food bank; follow up next week.",
    "Discussed the Dublin decision and what it means.",
    "Quick call to confirm the hearing date.",
    "Client worried about detention; explained their rights and our support.",
    "Went over the budget and the cash support.",
)
GOALS = {
    Goal.Area.MIGRATION: (
        "Explore every option for legal stay",
        "Prepare the appeal with the legal aid lawyer",
        "Look into family reunification in a third country",
        "Understand what a voluntary return would involve",
    ),
    Goal.Area.BASIC_NEEDS: ("Secure stable accommodation", "Regular access to food and cash"),
    Goal.Area.HEALTH: ("Regular appointments with a doctor", "Access to psychological support"),
    Goal.Area.ACTIVITY: ("Join a language course", "Volunteer with a community group"),
    Goal.Area.FAMILY: ("Enrol the children in school", "Restore contact with family members"),
    Goal.Area.OTHER: ("Open a bank account",),
}
ACTIONS = (
    "Meet the lawyer",
    "Collect the documents",
    "Call the shelter",
    "Book the appointment",
    "Fill in the application",
    "Visit the school",
    "Attend the first session",
)
# Each with the recorded fact that establishes it, if any (cases.eligibility).
# What the supervisor wrote when sending back (cases.sent_back): the demo shows them at the top of
# the first case manager's caseload.
INCLUSION_NOTE = (
    "The checklist says they cannot live in a city where we work: check the new address with "
    "them, then propose the inclusion again."
)
PLAN_NOTE = (
    "Add a goal on accommodation: the shelter place ends next month. The migration goal needs "
    "an action with the lawyer and a date."
)
CLOSURE_NOTE = (
    "Not yet: they called the office on Monday and want to keep coming. Meet them this week "
    "and record how they are before we decide."
)
DEFAULT_CRITERIA = (
    ("At risk of detention, in detention, or recently released", EstablishedBy.DETENTION),
    ("Consents to case management", EstablishedBy.CONSENT),
    ("Lives, or can live, in a city where we work", ""),
    ("We can offer the support the case needs", ""),
)


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _days(date: datetime.date, low: int, high: int, rng: random.Random) -> datetime.date:
    return date + datetime.timedelta(days=rng.randint(low, high))


def _date_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _moment(date: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(11)))


@dataclass
class Rows:
    """Every row of one pilot's cases, written in dependency order by `save`."""

    households: list[Household] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    first_meetings: list[FirstMeeting] = field(default_factory=list)
    screenings: list[Screening] = field(default_factory=list)
    decisions: list[InclusionDecision] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    plans: list[CasePlan] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    reviews: list[PlanReview] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    engagement: list[EngagementRecord] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)

    def prepare(self) -> list[Insert]:
        """Every row's INSERT, prepared (encrypted) but not run, in dependency order: the
        people's search tokens right after the people."""
        inserts = []
        for name in self.__dataclass_fields__:
            if rows := getattr(self, name):
                inserts.append(prepare_insert(type(rows[0]), rows))
            if name == "people":
                inserts.append(insert_tokens(self.people))
        return inserts


@dataclass
class Plot:
    """How one case's story goes, decided before any row is made."""

    stage: str
    referral: datetime.date
    end: datetime.date  # closure, decline, or today for open cases
    closure_reason: str = ""
    outcome: str = ""
    contact_overdue: bool = False
    assessment_overdue: bool = False
    action_overdue: bool = False
    pending: str = ""  # "inclusion", "plan" or "closure": waiting for the supervisor
    sent_back: bool = False  # the supervisor sent `pending` back with a note (cases.sent_back)
    contact_interval: int | None = None  # the case's own contact interval; None: the pilot's
    disengaged: bool = False  # the client stopped engaging at the last contacts (an active case)


class PilotStory:
    """Writes one pilot's fictional cases."""

    def __init__(
        self,
        organisation: Organisation,
        case_managers: list[User],
        supervisor: User,
        count: int,
        today: datetime.date,
    ):
        self.organisation = organisation
        self.case_managers = case_managers
        self.supervisor = supervisor
        self.count = count
        self.today = today
        self.rng = random.Random(organisation.code)  # noqa: S311 (repeatable, not secret)
        # Goals achieved or given up in live plans: drawn apart, so the rest stays as it was.
        self.goal_rng = random.Random(f"{organisation.code}/goals")  # noqa: S311
        self.cities = list(organisation.cities.all())
        self.rows = Rows()
        self.inserts: list[Insert] = []
        self.criteria = [c.text for c in self._criteria()]

    def _criteria(self) -> list[EligibilityCriterion]:
        existing = list(self.organisation.eligibility_criteria.filter(active=True))
        if existing:
            return existing
        return EligibilityCriterion.objects.bulk_create(
            EligibilityCriterion(
                organisation=self.organisation, text=text, position=n, established_by=fact
            )
            for n, (text, fact) in enumerate(DEFAULT_CRITERIA)
        )

    # The shape of the pilot

    def plots(self) -> list[tuple[User, Plot]]:
        rng, today = self.rng, self.today
        plots: list[tuple[User, Plot]] = []
        active_per_manager = {cm: rng.randint(12, 18) for cm in self.case_managers}
        active_total = min(sum(active_per_manager.values()), int(self.count * 0.5))
        pipeline = min(len(self.case_managers) * 2, self.count // 10)
        declined = max(1, self.count * 8 // 100)
        # An inclusion and a first plan the supervisor sent back, for the first case manager.
        sent_back = 2 if self.count >= 20 else 0
        closed = max(self.count - active_total - pipeline - sent_back - declined, 0)

        managers = [cm for cm, n in active_per_manager.items() for _ in range(n)]
        rng.shuffle(managers)
        for n in range(active_total):
            referral = _date_between(rng, datetime.date(2023, 1, 1), LAST_REFERRAL)
            plot = Plot(Stage.ACTIVE, referral, today)
            plot.contact_overdue = rng.random() < 0.15
            plot.assessment_overdue = rng.random() < 0.15
            plot.action_overdue = rng.random() < 0.2
            if rng.random() < 0.2:
                plot.outcome = _pick(rng, OUTCOMES)
            manager = managers[n % len(managers)]
            # A few clients need closer or looser contact than the pilot's interval, and a few
            # have stopped engaging lately: the caseload ranks them (docs/caseload.md).
            plot.contact_interval = {3: 7, 6: 30, 9: 10}.get(n % 10)
            plot.disengaged = n % 12 == 8
            if n % 12 == 5:
                plot.pending = "closure"
                plot.closure_reason = ClosureReason.RESOLVED
                plot.outcome = plot.outcome or _pick(rng, OUTCOMES)
            elif n == 11:  # a closure the supervisor sent back: the client called meanwhile
                plot.pending, plot.sent_back = "closure", True
                plot.closure_reason = ClosureReason.DISENGAGED
                manager = self.case_managers[0]
            plots.append((manager, plot))
        for n in range(pipeline):
            stage = (Stage.REFERRED, Stage.SCREENING, Stage.SCREENING, Stage.INCLUDED)[n % 4]
            plot = Plot(stage, today - datetime.timedelta(days=rng.randint(3, 35)), today)
            if stage == Stage.SCREENING and n % 3 == 1:
                plot.pending = "inclusion"
            if stage == Stage.INCLUDED and n % 2 == 1:
                plot.pending = "plan"
            plots.append((self.case_managers[n % len(self.case_managers)], plot))
        for stage, pending in ((Stage.SCREENING, "inclusion"), (Stage.INCLUDED, "plan"))[
            :sent_back
        ]:
            plot = Plot(stage, today - datetime.timedelta(days=rng.randint(20, 35)), today)
            plot.pending, plot.sent_back = pending, True
            plots.append((self.case_managers[0], plot))
        for _n in range(declined):
            referral = _date_between(rng, FIRST_REFERRAL, LAST_REFERRAL)
            plots.append(
                (self._manager(), Plot(Stage.DECLINED, referral, _days(referral, 7, 25, rng)))
            )
        every_reason = [reason for reason, _weight in CLOSURE_REASONS]  # at least one of each
        for n in range(closed):
            referral = _date_between(rng, FIRST_REFERRAL, LAST_REFERRAL)
            reason = every_reason[n] if n < len(every_reason) else _pick(rng, CLOSURE_REASONS)
            length = (
                rng.randint(60, 300) if reason != ClosureReason.RESOLVED else rng.randint(180, 720)
            )
            end = min(_days(referral, length, length, rng), today - datetime.timedelta(days=30))
            plot = Plot(Stage.CLOSED, referral, end, closure_reason=reason)
            if reason == ClosureReason.RESOLVED:  # a resolved case always has its outcome
                plot.outcome = _pick(rng, OUTCOMES)
            elif reason == ClosureReason.TRANSFERRED and rng.random() < 0.2:
                plot.outcome = Outcome.THIRD_COUNTRY
            plots.append((self._manager(), plot))
        # About a quarter of the people reach an outcome: top up among the active cases.
        waiting = [p for _cm, p in plots if p.stage == Stage.ACTIVE and not p.outcome]
        missing = round(self.count / 4) - sum(1 for _cm, p in plots if p.outcome)
        for plot in rng.sample(waiting, max(0, min(missing, len(waiting)))):
            plot.outcome = _pick(rng, OUTCOMES)
        return plots

    def _manager(self) -> User:
        return self.rng.choice(self.case_managers)

    def write(self) -> int:
        """Build the pilot's cases and write them. Return how many cases."""
        self.build()
        return self.save()

    def build(self) -> None:
        """Make every row of the story in memory (`self.rows`) and prepare their INSERTs, the
        fields encrypted: nothing is written yet (the bench's processes build at once, then
        write one after another on SQLite)."""
        plots = self.plots()
        long_ago = self.today - datetime.timedelta(days=400)
        reopened = next(
            (
                i
                for i, (_cm, p) in enumerate(plots)
                if p.stage == Stage.CLOSED
                and p.closure_reason == ClosureReason.DISENGAGED
                and p.end < long_ago
            ),
            None,
        )
        for index, (case_manager, plot) in enumerate(plots):
            case = self.case(case_manager, plot)
            if index == reopened:
                self.reopen(case, plot)
        self.inserts = self.rows.prepare()

    def save(self) -> int:
        """Write the rows `build` made, and the pilot's fields answered on them. Return how
        many cases."""
        for insert in self.inserts:
            insert.run()
        # `created_at` is set on saving; what waits (or was sent back) is dated from its day, so
        # the approval queue shows how long it has waited.
        waiting: list[InclusionDecision | Closure] = [*self.rows.decisions, *self.rows.closures]
        for record in waiting:
            if record.status != ApprovalStatus.APPROVED:
                type(record).objects.filter(pk=record.pk).update(created_at=_moment(record.date))
        # The pilot's own fields (engage.demo.fields), answered on these records.
        answer_fields(self.organisation, self.rows, today=self.today)
        return len(self.rows.cases)

    # One case

    def case(self, case_manager: User, plot: Plot, person: Person | None = None) -> Case:
        rng = self.rng
        household = None
        if person is None:
            person, household = self.person(plot.referral)
        else:
            household = person.household
        case = Case(
            organisation=self.organisation,
            person=person,
            household=household,
            case_manager=case_manager,
            city=rng.choice(self.cities),
            referral_date=plot.referral,
            referral_source=_pick(rng, REFERRAL_SOURCES),
            detention_at_referral=_pick(rng, DETENTION),
            migration_status=_pick(rng, MIGRATION),
            interpreter_language=rng.choice(LANGUAGES),
            legal_basis=_pick(
                rng,
                (
                    (LegalBasis.CONSENT, 85),
                    (LegalBasis.VITAL_INTEREST, 5),
                    (LegalBasis.LEGITIMATE_INTEREST, 10),
                ),
            ),
            purpose=str(DEFAULT_PURPOSE),
            stage=plot.stage,
            contact_interval_days=plot.contact_interval,
        )
        self.rows.cases.append(case)
        if plot.stage == Stage.REFERRED:
            return case
        meeting = _days(plot.referral, 1, 6, rng)
        self.first_meeting(case, meeting)
        screening = _days(meeting, 1, 6, rng)
        if plot.stage == Stage.SCREENING and not plot.pending:
            if rng.random() < 0.5:
                self.screening(case, min(screening, self.today))
            return case
        self.screening(case, screening)
        decided = _days(screening, 1, 5, rng)
        if plot.stage == Stage.SCREENING:  # the inclusion waits for the supervisor
            self.decision(
                case,
                min(decided, self.today),
                include=True,
                approved=False,
                sent_back=INCLUSION_NOTE if plot.sent_back else "",
            )
            return case
        if plot.stage == Stage.DECLINED:
            reason = rng.choice(
                (
                    "Not at risk of detention: referred on to general legal aid.",
                    "Lives outside the cities where we work; referred to a partner NGO.",
                    "Did not consent after the first meeting.",
                )
            )
            self.decision(case, decided, include=False, approved=True, reason=reason)
            case.declined_date, case.declined_reason = decided, reason
            return case
        decided = min(decided, self.today)
        self.decision(case, decided, include=True, approved=True)
        case.inclusion_date = decided
        self.story(case, plot, meeting, decided)
        return case

    def person(self, referral: datetime.date) -> tuple[Person, Household | None]:
        rng = self.rng
        sex = _pick(rng, ((Sex.MALE, 58), (Sex.FEMALE, 38), (Sex.OTHER, 1), (Sex.UNKNOWN, 3)))
        names = GIVEN_NAMES.get(sex) or GIVEN_NAMES[rng.choice((Sex.FEMALE, Sex.MALE))]
        family_name = rng.choice(FAMILY_NAMES)
        age = rng.choice((16, 17, *range(18, 60), 19, 22, 24, 27, 29, 31, 33, 66))
        born = referral - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
        person = Person(
            organisation=self.organisation,
            given_name=rng.choice(names),
            family_name=family_name,
            sex=sex,
            date_of_birth=born if rng.random() < 0.92 else None,
            nationality=_pick(rng, NATIONALITIES),
            phone=f"+00 555 {rng.randint(100000, 999999)}",
            languages=rng.choice(LANGUAGES),
        )
        household = None
        if age >= 22 and rng.random() < 0.25:
            household = Household(organisation=self.organisation)
            self.rows.households.append(household)
            person.household = household
            if rng.random() < 0.6:
                self._member(household, Person.Relationship.PARTNER, family_name, referral, 30)
            for _n in range(rng.randint(1, 3)):
                self._member(household, Person.Relationship.CHILD, family_name, referral, 8)
        self.rows.people.append(person)
        return person, household

    def _member(
        self,
        household: Household,
        relationship: str,
        family_name: str,
        referral: datetime.date,
        age: int,
    ) -> None:
        rng = self.rng
        born = referral - datetime.timedelta(days=(age + rng.randint(-6, 6)) * 365)
        given = (
            rng.choice(CHILD_NAMES)
            if relationship == Person.Relationship.CHILD
            else (rng.choice(GIVEN_NAMES[Sex.FEMALE]))
        )
        self.rows.people.append(
            Person(
                organisation=self.organisation,
                household=household,
                relationship=relationship,
                given_name=given,
                family_name=family_name,
                date_of_birth=born,
                sex=rng.choice((Sex.FEMALE, Sex.MALE)),
            )
        )

    def first_meeting(self, case: Case, date: datetime.date) -> None:
        self.rows.first_meetings.append(
            FirstMeeting(
                case=case,
                date=date,
                programme_explained=True,
                independence_explained=True,
                data_protection_explained=True,
                consent_given=True,
                declaration_signed=True,
                consent_method=self.rng.choice(list(FirstMeeting.Method)),
                recorded_by=case.case_manager,
            )
        )

    def _vulnerabilities(self, person: Person, date: datetime.date) -> dict[str, Any]:
        """The IDC screening's domains, each at its chance, except the child's: flagged for a
        client under 18 on `date`, always, and never for an adult (the network dataset reads
        `child` as the age band 0-17)."""
        rng = self.rng
        born = person.date_of_birth
        minor = born is not None and (date.year - born.year) - (
            (date.month, date.day) < (born.month, born.day)
        ) < 18
        chances = {"child": 0.06, "gender": 0.12, "health": 0.35, "protection": 0.2, "other": 0.08}
        notes = {
            "child": "Unaccompanied when referred.",
            "gender": "Risk of gender-based violence.",
            "health": "Needs regular medical follow-up.",
            "protection": "Survivor of torture: referred to a specialist service.",
            "other": "No support network in the city.",
        }
        values: dict[str, Any] = {}
        for code, _label in VULNERABILITY_DOMAINS:
            drawn = rng.random() < chances[code]  # drawn for every domain, as ever
            flagged = minor if code == "child" else drawn
            values[f"vulnerability_{code}"] = flagged
            values[f"vulnerability_{code}_note"] = notes[code] if flagged else ""
        return values

    def screening(self, case: Case, date: datetime.date) -> None:
        rng = self.rng
        self.rows.screenings.append(
            Screening(
                case=case,
                date=date,
                accommodation=rng.choice(("Shelter", "Staying with friends", "Rented room", "")),
                detention_risk=_pick(
                    rng, ((Rating.HIGH, 40), (Rating.MEDIUM, 45), (Rating.LOW, 15))
                ),
                return_possible=rng.random() < 0.3,
                return_imminent=rng.random() < 0.05,
                intervention_rating=_pick(
                    rng, ((Rating.HIGH, 30), (Rating.MEDIUM, 50), (Rating.LOW, 20))
                ),
                recorded_by=case.case_manager,
                **self._vulnerabilities(case.person, date),
            )
        )

    def decision(
        self,
        case: Case,
        date: datetime.date,
        *,
        include: bool,
        approved: bool,
        reason: str = "",
        sent_back: str = "",
    ) -> None:
        met = include or self.rng.random() < 0.5
        status = ApprovalStatus.APPROVED if approved else ApprovalStatus.PENDING
        reviewed_at = _moment(date) if approved else None
        if sent_back:
            status, reviewed_at = ApprovalStatus.REJECTED, self._reviewed(date)
        self.rows.decisions.append(
            InclusionDecision(
                case=case,
                include=include,
                date=date,
                criteria=[
                    {"text": text, "met": met or n > 0} for n, text in enumerate(self.criteria)
                ],
                reason=reason,
                proposed_by=case.case_manager,
                status=status,
                reviewed_by=self.supervisor if reviewed_at else None,
                reviewed_at=reviewed_at,
                review_note=sent_back,
            )
        )

    def _reviewed(self, date: datetime.date) -> datetime.datetime:
        """When the supervisor looked at what was proposed on `date`: soon after, never later
        than now."""
        return min(_moment(min(date + datetime.timedelta(days=2), self.today)), timezone.now())

    # Life in the programme

    def story(
        self, case: Case, plot: Plot, meeting: datetime.date, included: datetime.date
    ) -> None:
        rng, today = self.rng, self.today
        end = plot.end if plot.stage == Stage.CLOSED else today
        if plot.stage == Stage.INCLUDED:
            self.contacts(case, plot, meeting, end, EngagementLevel.ACTIVE)
            if plot.pending == "plan":
                # A plan goes to the supervisor once the first assessment is recorded.
                assessed = min(_days(included, 1, 2, rng), today)
                self.assessments(case, plot, assessed, end)
                self.plan(case, min(_days(assessed, 0, 2, rng), today), approved=False, plot=plot)
            return
        level = _pick(
            rng,
            (
                (EngagementLevel.ACTIVE, 62),
                (EngagementLevel.COMPLIANT, 30),
                (EngagementLevel.DISENGAGED, 8),
            ),
        )
        if plot.closure_reason in (ClosureReason.DISENGAGED, ClosureReason.ABSCONDED):
            level = EngagementLevel.COMPLIANT
        self.assessments(case, plot, _days(included, 3, 15, rng), end)
        plan_on = min(_days(included, 5, 20, rng), end)
        self.plan(case, plan_on, approved=True, plot=plot)
        self.contacts(case, plot, meeting, end, level)
        if plot.disengaged:
            self.disengage(case)
        if plot.outcome:
            case.outcome = plot.outcome
            case.outcome_permanence = (
                Permanence.TEMPORARY
                if plot.outcome in TEMPORARY_OUTCOMES or rng.random() < 0.15
                else Permanence.PERMANENT
            )
            case.outcome_date = max(_date_between(rng, plan_on, end), plan_on)
        if plot.stage == Stage.CLOSED or plot.pending == "closure":
            self.closure(case, plot, end)

    def assessments(self, case: Case, plot: Plot, first: datetime.date, end: datetime.date) -> None:
        rng = self.rng
        stop = end
        if plot.assessment_overdue:
            stop = end - datetime.timedelta(days=rng.randint(100, 150))
        ratings = [rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)]
        date, first_one = first, True
        while date <= stop or first_one:
            self.rows.assessments.append(
                Assessment(
                    case=case,
                    date=min(date, end),
                    trigger=Assessment.Trigger.SCHEDULED,
                    needs="Accommodation, legal advice." if first_one else "",
                    informed_decisions=ratings[0],
                    engage_procedures=ratings[1],
                    wellbeing=ratings[2],
                    recorded_by=case.case_manager,
                    **self._vulnerabilities(case.person, min(date, end)),
                )
            )
            first_one = False
            # Most people grow more able to take part in their case; some go backwards.
            ratings = [
                min(5, max(1, r + _pick(rng, ((1, 40), (0, 48), (-1, 12))))) for r in ratings
            ]
            date = _days(date, 75, 90, rng)

    def _settle(
        self,
        goal: Goal,
        plot: Plot,
        *,
        approved: bool,
        start: datetime.date,
        end: datetime.date,
    ) -> None:
        """Date a closed case's achieved goals; end some goals of agreed plans still running.

        Plans stay current (issue 11 #5): in an active case about one goal in six beyond the
        migration case is achieved or no longer pursued, with the date.
        """
        rng = self.goal_rng
        first = min(start + datetime.timedelta(days=10), end)
        if goal.status == Goal.Status.ACHIEVED:
            goal.status_date = _date_between(rng, first, end)
        elif (
            approved
            and plot.stage == Stage.ACTIVE
            and goal.area != Goal.Area.MIGRATION
            and rng.random() < 0.17
        ):
            goal.status = _pick(rng, ((Goal.Status.ACHIEVED, 3), (Goal.Status.DROPPED, 1)))
            goal.status_date = _date_between(rng, first, end)

    def _next_action(self, goal: Goal, plot: Plot, *, approved: bool) -> None:
        """A running plan has what comes next: about half its open goals an action due soon,
        which the case page lists and "My week" shows."""
        rng = self.goal_rng
        if not approved or plot.stage != Stage.ACTIVE or goal.status != Goal.Status.OPEN:
            return
        if rng.random() < 0.5:
            self.rows.actions.append(
                Action(
                    goal=goal,
                    description=rng.choice(ACTIONS),
                    owner=rng.choice(list(Action.Owner)),
                    third_party="",
                    due_date=self.today + datetime.timedelta(days=rng.randint(1, 40)),
                )
            )

    def plan(self, case: Case, date: datetime.date, *, approved: bool, plot: Plot) -> None:
        rng = self.rng
        plan = CasePlan(
            case=case,
            person=case.person,
            status=CasePlan.Status.APPROVED if approved else CasePlan.Status.PENDING,
            needs_approval=True,
            approved_by=self.supervisor if approved else None,
            approved_at=_moment(_days(date, 1, 4, rng)) if approved else None,
            submitted_at=None if approved else _moment(date),
            created_by=case.case_manager,
        )
        if plot.sent_back and plot.pending == "plan":  # a draft again, with the note
            plan.status, plan.review_note = CasePlan.Status.DRAFT, PLAN_NOTE
            plan.reviewed_by, plan.reviewed_at = self.supervisor, self._reviewed(date)
        self.rows.plans.append(plan)
        others = [area for area in Goal.Area if area != Goal.Area.MIGRATION]
        areas = [Goal.Area.MIGRATION, *rng.sample(others, rng.randint(1, 3))]
        end = plot.end if plot.stage == Stage.CLOSED else self.today
        overdue_left = plot.action_overdue
        for area in areas:
            option = rng.choice(list(Goal.Option)) if area == Goal.Area.MIGRATION else ""
            goal = Goal(
                plan=plan,
                area=area,
                migration_option=option,
                description=rng.choice(GOALS[area]),
                status=Goal.Status.ACHIEVED
                if plot.stage == Stage.CLOSED and rng.random() < 0.5
                else Goal.Status.OPEN,
            )
            self._settle(goal, plot, approved=approved, start=date, end=end)
            self.rows.goals.append(goal)
            for _n in range(rng.randint(1, 3)):
                due = _days(date, 10, 120, rng)
                if due > end or (plot.stage != Stage.CLOSED and due > self.today):
                    status, done = Action.Status.OPEN, None
                elif overdue_left:
                    status, done, overdue_left = Action.Status.OPEN, None, False
                    due = self.today - datetime.timedelta(days=rng.randint(2, 20))
                elif plot.stage == Stage.CLOSED and rng.random() < 0.2:
                    status, done = Action.Status.CANCELLED, None
                else:
                    status, done = Action.Status.DONE, min(due, end)
                if status == Action.Status.OPEN and (
                    plot.stage == Stage.CLOSED or goal.status != Goal.Status.OPEN
                ):
                    status = Action.Status.CANCELLED  # as closing a case or a goal does
                self.rows.actions.append(
                    Action(
                        goal=goal,
                        description=rng.choice(ACTIONS),
                        owner=rng.choice(list(Action.Owner)),
                        third_party="",
                        due_date=due,
                        status=status,
                        completed_on=done,
                    )
                )
            self._next_action(goal, plot, approved=approved)
        if approved:
            review = _days(date, 80, 95, rng)
            stop = (
                end - datetime.timedelta(days=rng.randint(100, 140))
                if plot.assessment_overdue
                else end
            )
            while review <= stop:
                self.rows.reviews.append(
                    PlanReview(
                        plan=plan,
                        date=review,
                        note="Went through the goals together; updated the actions.",
                        reviewed_by=case.case_manager,
                    )
                )
                review = _days(review, 80, 95, rng)

    def contacts(
        self, case: Case, plot: Plot, start: datetime.date, end: datetime.date, level: str
    ) -> None:
        rng, today = self.rng, self.today
        stop = end
        if plot.contact_overdue:
            stop = end - datetime.timedelta(days=rng.randint(16, 45))
        drifting = plot.closure_reason in (ClosureReason.DISENGAGED, ClosureReason.ABSCONDED)
        date, seen = start, ""
        while date <= stop:
            late = (stop - date).days < 60
            if drifting and late and rng.random() < 0.4:
                level = EngagementLevel.DISENGAGED
            elif not drifting and rng.random() < 0.05:
                level = _pick(
                    rng,
                    (
                        (EngagementLevel.ACTIVE, 60),
                        (EngagementLevel.COMPLIANT, 35),
                        (EngagementLevel.DISENGAGED, 5),
                    ),
                )
            recorded = level if rng.random() < 0.5 or level != seen else ""
            not_recorded = rng.random() < 0.04
            self.rows.contacts.append(
                Contact(
                    case=case,
                    date=date,
                    type=_pick(rng, CONTACT_TYPES),
                    duration_minutes=rng.choice((10, 15, 20, 30, 45, 60, 90, None)),
                    note="" if not_recorded else rng.choice(CONTACT_NOTES),
                    content_not_recorded=not_recorded,
                    sensitive=rng.random() < 0.05,
                    engagement_level=recorded,
                    recorded_by=case.case_manager,
                )
            )
            if recorded and recorded != seen:
                self.rows.engagement.append(
                    EngagementRecord(
                        case=case,
                        date=date,
                        level=recorded,
                        source=EngagementRecord.Source.CONTACT,
                        recorded_by=case.case_manager,
                    )
                )
                seen = recorded
                case.engagement_level = recorded
            # Weekly at first, then every week or two; never in the future.
            gap = rng.randint(3, 9) if (date - start).days < 60 else rng.randint(5, 16)
            date = date + datetime.timedelta(days=gap)
            if date > today:
                break

    def disengage(self, case: Case) -> None:
        """The last two contacts saw the client disengaged: the case's engagement since then."""
        seen = [contact for contact in self.rows.contacts if contact.case is case][-2:]
        if not seen:
            return
        for contact in seen:
            contact.engagement_level = EngagementLevel.DISENGAGED
        since = seen[0].date
        self.rows.engagement = [
            record
            for record in self.rows.engagement
            if not (record.case is case and record.date >= since)
        ]
        self.rows.engagement.append(
            EngagementRecord(
                case=case,
                date=since,
                level=EngagementLevel.DISENGAGED,
                source=EngagementRecord.Source.CONTACT,
                recorded_by=case.case_manager,
            )
        )
        case.engagement_level = EngagementLevel.DISENGAGED

    def closure(self, case: Case, plot: Plot, date: datetime.date) -> None:
        rng = self.rng
        factors: list[DisengagementFactor] = []
        other = ""
        if plot.closure_reason in (ClosureReason.DISENGAGED, ClosureReason.ABSCONDED):
            factors = rng.sample(
                [f for f in DisengagementFactor if f != DisengagementFactor.OTHER],
                rng.randint(1, 3),
            )
            if rng.random() < 0.1:
                factors.append(DisengagementFactor.OTHER)
                other = "Found informal work far from the city."
        approved = plot.stage == Stage.CLOSED
        status = ApprovalStatus.APPROVED if approved else ApprovalStatus.PENDING
        reviewed_at = _moment(date) if approved else None
        if plot.sent_back:
            date = date - datetime.timedelta(days=4)
            status, reviewed_at = ApprovalStatus.REJECTED, self._reviewed(date)
        elif not approved:  # waiting for a few days already, so the queue says how long
            date = date - datetime.timedelta(days=len(self.rows.closures) % 6 + 1)
        self.rows.closures.append(
            Closure(
                case=case,
                date=date,
                reason=plot.closure_reason,
                outcome=case.outcome,
                outcome_permanence=case.outcome_permanence,
                onward_referral="Legal aid clinic" if rng.random() < 0.2 else "",
                disengagement_factors=[str(f) for f in factors],
                disengagement_other=other,
                requested_by=case.case_manager,
                status=status,
                reviewed_by=self.supervisor if reviewed_at else None,
                reviewed_at=reviewed_at,
                review_note=CLOSURE_NOTE if plot.sent_back else "",
            )
        )
        if approved:
            case.closure_date = date

    def reopen(self, closed: Case, plot: Plot) -> None:
        """The person comes back after disengaging: a new enrollment linked to the old one."""
        referral = _days(plot.end, 60, 200, self.rng)  # the plot ended over 400 days ago
        again = Plot(Stage.ACTIVE, referral, self.today)
        case = self.case(closed.case_manager, again, person=closed.person)
        case.previous = closed


def seed_cases(
    organisation: Organisation,
    *,
    case_managers: list[User],
    supervisor: User,
    count: int,
    today: datetime.date | None = None,
) -> int:
    """Create `count` fictional cases for `organisation` (plus one reopened), unless it has some."""
    if Case.objects.filter(organisation=organisation).exists():
        return 0
    story = PilotStory(
        organisation, case_managers, supervisor, count, today or timezone.localdate()
    )
    return story.write()
