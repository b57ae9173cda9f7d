"""Submissions imported at the network hub, and their rows (no personal data by contract, and
encrypted at rest all the same); a pilot's key for the linkage round it is in."""

import json
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Organisation, Role, User
from engage.lib.fields import EncryptedTextField
from engage.lib.memory import collection_paused
from engage.lib.scoping import organisation_scoped
from engage.mel.dataset.case_rows import CaseRow as CaseRow  # the model, defined with its rules
from engage.mel.dataset.rows import COLUMNS
from engage.mel.dataset.stored import (
    StoredRows,
    numbered,
    packed,
    packed_columns,
    unpacked,
    unpacked_columns,
)
from engage.mel.report.disclosure import Perturbation


class Submission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.CharField(_("pilot"), max_length=13, db_index=True)
    period_end = models.CharField(_("period end"), max_length=7)
    generated_at = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the pilot's manifest says of its protection (version 2; empty for version 1).
    version = models.PositiveSmallIntegerField(default=1, db_default=1)
    k_anonymity = models.PositiveIntegerField(null=True, blank=True)
    suppressed = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        # Kept, one per pilot and period end (the dataset spec, version 2): a new submission
        # for the same period end replaces that one.
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "period_end"], name="one_submission_per_pilot_period"
            )
        ]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"{self.pilot} {self.period_end}"


class SubmissionRows(models.Model):
    """A submission's rows, kept whole as one encrypted document (issue 17).

    The document is JSON, column by column (`StoredRows`): `columns` (the dataset's when it was
    imported), `size` (the rows), `values` (for each column its distinct values in the order
    they first appear), `codes` (each row's number among them, column after column: `width`
    bytes each, little-endian, in base64) and `keys` (each row's record and content keys, made
    with the instance's perturbation secret at import, and the `stamp` of that secret and those
    columns). Documents kept before were `{"columns": [...], "rows": [[...], ...]}`, each row
    its values; they are read as they are.

    A stolen database or backup of the hub does not give the rows away, though they hold no
    name (issue 10, item 3). One token a submission, not one a row: a report reads 100,000 rows
    with one decryption and one JSON parse a submission instead of 100,000 of each. The rows
    are only ever written and read whole: a submission is kept as the pilot sent it, and a new
    one for the same period end replaces it (the dataset spec, version 2).

    A submission without this record has no rows at the hub (a version 1 submission whose
    rows a later import replaced); an empty one has no rows. Read the rows through
    `services.imported_rows`, which audits each read.
    """

    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    payload = EncryptedTextField()

    class Meta:
        verbose_name = _("rows of a submission")
        verbose_name_plural = _("rows of submissions")

    def __str__(self) -> str:
        return f"rows of {self.submission_id}"

    @classmethod
    def of(cls, submission: Submission, rows: list[dict[str, str]]) -> "SubmissionRows":
        """The document of `rows`, column by column, with each row's two keys."""
        read = [{c: row[c] for c in COLUMNS} for row in rows]  # as `rows` reads them
        perturbation = Perturbation.of_instance()
        document = {
            "columns": list(COLUMNS),
            "size": len(read),
            **packed_columns([numbered([row[c] for row in read]) for c in COLUMNS]),
            "keys": {
                "stamp": perturbation.stamp(COLUMNS),
                "records": packed(np.array(perturbation.records(read)), ">u4"),
                "contents": packed(np.array(perturbation.contents(read)), ">u4"),
            },
        }
        return cls(submission=submission, payload=json.dumps(document, separators=(",", ":")))

    @classmethod
    def held(cls) -> Exists:
        """A condition on submissions: the hub holds its rows (none, for an empty one)."""
        return Exists(cls.objects.filter(submission=OuterRef("pk")))

    @classmethod
    def pilots(cls) -> list[str]:
        """The pilots of which the hub holds at least one row."""
        held = Submission.objects.filter(cls.held(), rows__gt=0)
        return sorted(set(held.values_list("pilot", flat=True)))

    def rows(self) -> Sequence[dict[str, str]]:
        """The rows, with every column of the dataset: a column the document lacks (kept
        before the dataset gained it) is empty, as version 1's new columns are.

        Rows kept column by column are `StoredRows`, with the keys made at import where they
        were made with this instance's secret for these columns (else the report makes them);
        a document of the earlier shape gives dicts."""
        with collection_paused():  # the rows' values, none of them garbage
            document = json.loads(self.payload)
            if "rows" in document:
                return _earlier_rows(document)
            return _stored_rows(document)


def _stored_rows(document: dict[str, Any]) -> StoredRows:
    names, size = tuple(document["columns"]), document["size"]
    held = dict(zip(names, unpacked_columns(document, len(names), size), strict=True))
    empty = ([""], np.zeros(size, np.intp))
    columns = {name: held.get(name, empty) for name in COLUMNS}
    keys = document.get("keys") or {}
    if names != COLUMNS or keys.get("stamp") != Perturbation.of_instance().stamp(COLUMNS):
        return StoredRows(COLUMNS, columns, size)
    records, contents = (
        unpacked(keys[name], ">u4", size).astype(np.int64) for name in ("records", "contents")
    )
    known = np.ones(size, bool)
    return StoredRows(COLUMNS, columns, size, records=records, contents=contents, known=known)


def _earlier_rows(document: dict[str, Any]) -> list[dict[str, str]]:
    """A document of the earlier shape, a list of values a row."""
    columns = tuple(document["columns"])
    if columns == COLUMNS:
        return [dict(zip(COLUMNS, values, strict=True)) for values in document["rows"]]
    empty = dict.fromkeys(COLUMNS, "")
    return [{**empty, **dict(zip(columns, values, strict=True))} for values in document["rows"]]


class DatasetRow(models.Model):
    """Retired: one enrollment as a pilot submitted it, one encrypted token a row.

    Migration 0007 moved every row into its submission's `SubmissionRows` and emptied this
    table; nothing reads or writes it since. Dropping it is a later migration's work, once no
    running version writes it.
    """

    id = models.BigAutoField(primary_key=True)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    values = EncryptedTextField(blank=True, db_default="")
    # The columns of the dataset, in its order (see dataset.COLUMNS): only `pilot` and
    # `case_ref` were filled.
    pilot = models.CharField(max_length=13, blank=True)
    case_ref = models.CharField(max_length=64, blank=True)
    person_ref = models.CharField(max_length=64, blank=True)
    household_ref = models.CharField(max_length=64, blank=True)
    city = models.CharField(max_length=120, blank=True)
    referral_month = models.CharField(max_length=24, blank=True)
    referral_source = models.CharField(max_length=24, blank=True)
    detention_at_referral = models.CharField(max_length=24, blank=True)
    migration_status = models.CharField(max_length=24, blank=True)
    sex = models.CharField(max_length=24, blank=True)
    age_band = models.CharField(max_length=24, blank=True)
    nationality_region = models.CharField(max_length=40, blank=True)
    vulnerable = models.CharField(max_length=24, blank=True)
    vulnerabilities = models.CharField(max_length=60, blank=True)
    family_with_children = models.CharField(max_length=24, blank=True)
    included = models.CharField(max_length=24, blank=True)
    inclusion_month = models.CharField(max_length=24, blank=True)
    engagement_level = models.CharField(max_length=24, blank=True)
    status = models.CharField(max_length=24, blank=True)
    closure_month = models.CharField(max_length=24, blank=True)
    closure_reason = models.CharField(max_length=24, blank=True)
    outcome = models.CharField(max_length=24, blank=True)
    outcome_permanence = models.CharField(max_length=24, blank=True)
    idm_baseline = models.CharField(max_length=24, blank=True)
    idm_latest = models.CharField(max_length=24, blank=True)
    engage_baseline = models.CharField(max_length=24, blank=True)
    engage_latest = models.CharField(max_length=24, blank=True)
    wellbeing_baseline = models.CharField(max_length=24, blank=True)
    wellbeing_latest = models.CharField(max_length=24, blank=True)
    assessments = models.CharField(max_length=24, blank=True)
    contacts = models.CharField(max_length=24, blank=True)
    face_to_face_contacts = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "case_ref"], name="unique_row_per_submission_case"
            )
        ]
        verbose_name = _("submitted dataset row")
        verbose_name_plural = _("submitted dataset rows")

    def __str__(self) -> str:
        return f"{self.pilot} {self.case_ref}"


class LinkageRound(models.Model):
    """The key the pilots agreed among themselves for one reporting round, as this pilot keeps
    it: encrypted, and erased when the round closes. The hub never makes, stores or receives
    it: without it nobody holding the dataset can test a list of identities against
    `person_ref` (issue 10, item 3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(
        _("round"), max_length=60, help_text=_("As the pilots call it, e.g. 2025 first half.")
    )
    key = EncryptedTextField(blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = organisation_scoped("organisation")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(closed_at__isnull=True),
                name="one_open_linkage_round",
            ),
            # The database itself refuses a closed round that still holds its key.
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(key=""), name="closed_round_has_no_key"
            ),
        ]
        verbose_name = _("linkage round")
        verbose_name_plural = _("linkage rounds")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SentCases(models.Model):
    """What the pilot sent the network of each of its cases, in one encrypted document: by
    `case_ref`, the quasi-identifiers as the network holds them, the columns of them that were
    replaced, the links sent and the links emptied (`anonymity.Sent`), and the first and last
    period end it was sent for. The hub keeps a submission per period end, so a later one must
    tell nothing the earlier ones hid: the next export sends each case as it was sent
    (docs/indicators.md, "Protection across submissions").

    No more than the network holds already, encrypted like the rest all the same, and read and
    written whole (one decryption, not one per case). Kept when a person is erased, as their
    case's row is (their facts stay in the evidence, and the network still holds what was
    sent)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    document = EncryptedTextField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = organisation_scoped("organisation")

    class Meta:
        verbose_name = _("cases sent to the network")
        verbose_name_plural = _("cases sent to the network")

    def __str__(self) -> str:
        return str(self.organisation_id)


class EvaluationCycle(models.Model):
    """The network's evaluation plan for a term: a period start and four points."""

    class Point(models.TextChoices):
        BASELINE = "baseline", _("Baseline")
        SIX_MONTHS = "6m", _("6 months")
        MIDTERM = "midterm", _("Mid-term")
        END = "end", _("End of term")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120)
    # Months, YYYY-MM, as everywhere in the dataset and the reports.
    period_start = models.CharField(_("start of the term"), max_length=7)
    baseline = models.CharField(_("baseline"), max_length=7)
    six_months = models.CharField(_("6 months"), max_length=7)
    midterm = models.CharField(_("mid-term"), max_length=7)
    end_of_term = models.CharField(_("end of term"), max_length=7)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-period_start", "name"]
        verbose_name = _("evaluation cycle")
        verbose_name_plural = _("evaluation cycles")

    def __str__(self) -> str:
        return self.name

    def month_of(self, point: str) -> str:
        """The month at which `point` takes its figures."""
        months: dict[str, str] = {
            self.Point.BASELINE: self.baseline,
            self.Point.SIX_MONTHS: self.six_months,
            self.Point.MIDTERM: self.midterm,
            self.Point.END: self.end_of_term,
        }
        return months[point]


class Snapshot(models.Model):
    """The report of one point of a cycle, frozen: the JSON as it was computed and published.

    Never recomputed: a correction imported later changes the next snapshot, not this one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(EvaluationCycle, on_delete=models.PROTECT, related_name="snapshots")
    point = models.CharField(_("point"), max_length=10, choices=EvaluationCycle.Point.choices)
    pilots = models.JSONField(_("pilots"), default=list)
    disclosure = models.CharField(_("disclosure level"), max_length=10)
    source = models.CharField(_("source"), max_length=10)
    report = models.JSONField()
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "point"], name="one_snapshot_per_point")
        ]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")

    def __str__(self) -> str:
        return f"{self.cycle} {self.get_point_display()}"


class Narrative(models.Model):
    """What the figures of one outcome area at one point mean, in the evaluators' words."""

    class Area(models.TextChoices):
        BENEFICIARIES = "beneficiaries", _("Beneficiaries")
        ENGAGEMENT = "engagement", _("Engagement")
        RESOLUTION = "resolution", _("Case resolution")
        CAPABILITY = "capability", _("Decision making, procedures and well-being")
        CONTACT = "contact", _("Contact")
        GROWTH = "growth", _("Growth")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="narratives")
    area = models.CharField(_("outcome area"), max_length=20, choices=Area.choices)
    relevance = models.TextField(_("relevance"), blank=True)
    progress = models.TextField(_("progress"), blank=True)
    adaptations = models.TextField(_("adaptations"), blank=True)
    lessons = models.TextField(_("lessons"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["area"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "area"], name="one_narrative_per_area")
        ]
        verbose_name = _("narrative")
        verbose_name_plural = _("narratives")

    def __str__(self) -> str:
        return f"{self.snapshot} {self.get_area_display()}"


class FeedbackQuestionnaire(models.Model):
    """The network members' feedback at one point of a cycle (`mel.cycles.feedback`): opened
    by the network coordinator, answered once by each member organisation's admins and
    supervisors, then closed for good.

    Never attributed: an answer (`FeedbackAnswer`, `FeedbackComment`) holds no key to a person,
    an organisation or a time; who has answered is `FeedbackRespondent`, which holds no answer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(
        EvaluationCycle, on_delete=models.PROTECT, related_name="questionnaires"
    )
    point = models.CharField(_("point"), max_length=10, choices=EvaluationCycle.Point.choices)
    # The keys of the questions asked (`feedback.QUESTIONS`), fixed when it opens: a question
    # reworded later gets a new key, so the answers of each key stay comparable across points.
    questions = models.JSONField(default=list)
    opened_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "point"], name="one_questionnaire_per_point")
        ]
        verbose_name = _("members' questionnaire")
        verbose_name_plural = _("members' questionnaires")

    def __str__(self) -> str:
        return f"{self.cycle} {self.get_point_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class FeedbackAnswer(models.Model):
    """One member's ratings, {question key: 1..5}, and nothing else: no person, no organisation,
    no time, and a random key, so neither a column nor the order of the rows (read by `id`,
    never by time) says whose they are or when they came."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        FeedbackQuestionnaire, on_delete=models.PROTECT, related_name="answers"
    )
    ratings = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")

    def __str__(self) -> str:
        return str(self.questionnaire)


class FeedbackComment(models.Model):
    """What a member wrote in the questionnaire's free text, apart from their ratings (a
    comment cannot be put beside the ratings given with it), and like them unattributed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        FeedbackQuestionnaire, on_delete=models.PROTECT, related_name="comments"
    )
    text = models.TextField()

    class Meta:
        ordering = ["id"]
        verbose_name = _("questionnaire comment")
        verbose_name_plural = _("questionnaire comments")

    def __str__(self) -> str:
        return str(self.questionnaire)


class FeedbackRespondent(models.Model):
    """Who has answered a questionnaire, for the once-only rule and the count of answers
    against the people invited: no answer, and no time (nothing to match an answer with)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        FeedbackQuestionnaire, on_delete=models.PROTECT, related_name="respondents"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "user"], name="one_answer_per_person")
        ]
        verbose_name = _("questionnaire respondent")
        verbose_name_plural = _("questionnaire respondents")

    def __str__(self) -> str:
        return str(self.questionnaire)


class ReportRunQuerySet(models.QuerySet["ReportRun"]):
    def visible_to(self, user: User) -> "ReportRunQuerySet":
        """The runs `user` may open: a network coordinator's own; an organisation's supervisors
        and admins, their organisation's (each of their reports is the pilot's own live figures
        at a disclosure level, the same for any of them); nobody else's."""
        if not user.is_active:
            return self.none()
        if user.role == Role.NETWORK_COORDINATOR:
            return self.filter(requested_by=user, organisation=None)
        if user.role in (Role.SUPERVISOR, Role.ORG_ADMIN) and user.organisation_id:
            return self.filter(organisation_id=user.organisation_id).exclude(level="exact")
        return self.none()


class ReportRun(models.Model):
    """A report asked for on the web, computed by a background task (`mel.runs`, docs/tasks.md),
    and kept finished so the same report is served again until the data change.

    What it keeps is the report as data after disclosure control: counts and percentages,
    never a row or a person. An `exact` run keeps exact counts: it is its coordinator's alone
    (`visible_to`, and the reuse in `runs.start`), and encrypted at rest like every report.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being computed")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Not made")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Whose run it is: the pilot whose staff asked, or none (the network coordinator's).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The parameters, as the form gave them (`pilots` empty: every pilot of the source).
    start = models.CharField(max_length=7)
    end = models.CharField(max_length=7)
    pilots = models.JSONField(default=list)
    source = models.CharField(max_length=10)
    level = models.CharField(max_length=10)
    baseline_start = models.CharField(max_length=7, blank=True)
    baseline_end = models.CharField(max_length=7, blank=True)
    overrides = models.JSONField(default=dict)
    language = models.CharField(max_length=10, blank=True)
    # sha256 of the parameters and whose run it is; and the data's mark when it was computed.
    fingerprint = models.CharField(max_length=64, db_index=True)
    data_version = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.PositiveSmallIntegerField(default=0)
    steps = models.PositiveSmallIntegerField(default=0)
    step_label = models.CharField(max_length=60, blank=True)  # a key of runs.STEPS, and a pilot
    report = EncryptedTextField(default="")  # JSON of services.report_for, when done
    error = models.CharField(max_length=200, blank=True)  # what failed, for the page
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("computed report")
        verbose_name_plural = _("computed reports")

    def __str__(self) -> str:
        return f"{self.start}..{self.end} {self.level}"

    def get_absolute_url(self) -> str:
        return reverse("mel:report_run", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.step / self.steps)) if self.steps else 0

    @property
    def baseline(self) -> tuple[str, str] | None:
        return (self.baseline_start, self.baseline_end) if self.baseline_start else None

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.report) if self.report else {}
        return data
