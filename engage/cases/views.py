from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, Subquery
from django.forms import BaseForm, ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.models import Role, User
from engage.accounts.permissions import role_required
from engage.cases import approvals as approval_queue
from engage.cases import duplicates, extra_fields, page_facts, services, workflow
from engage.cases.access import (
    CASE_READERS,
    CASE_WORKERS,
    get_case_for_user,
    get_case_object,
    record_case_reads,
)
from engage.cases.due import (
    DEFAULT_SORT,
    attach_approved_plans,
    caseload,
    caseload_rows,
    due_items,
    listed,
    next_contact_on,
    rows_of,
    sort_by_kind,
    sort_rows,
    with_due_facts,
)
from engage.cases.eligibility import Records, check_criteria
from engage.cases.forms import (
    ActionEditForm,
    ActionForm,
    ActionStatusForm,
    AppointmentForm,
    AppointmentStatusForm,
    AssessmentForm,
    CaseSearchForm,
    ClosureForm,
    ContactForm,
    ContactIntervalForm,
    CriterionTranslationsForm,
    EligibilityCriterionForm,
    FirstMeetingForm,
    GoalEditForm,
    GoalForm,
    GoalReopenForm,
    GoalStatusForm,
    HouseholdFormSet,
    InclusionForm,
    NewEnrollmentForm,
    OutcomeForm,
    PersonForm,
    PlanForm,
    PlanReviewForm,
    ReassessmentRequestForm,
    ReassignCasesForm,
    ReassignForm,
    ReferralForm,
    ReviewForm,
    ScreeningForm,
    household_with_one_more,
)
from engage.cases.models import (
    Action,
    Appointment,
    Case,
    CasePlan,
    Closure,
    EligibilityCriterion,
    Goal,
    InclusionDecision,
    Screening,
)
from engage.cases.models.case import OPEN_STAGES
from engage.cases.next_step import next_step
from engage.cases.planned import planned_fact
from engage.cases.readiness import closure_warnings
from engage.cases.search import people_matching
from engage.cases.sent_back import sent_back_on
from engage.cases.timeline import (
    household_others,
    prefetch_for_timeline,
    rating_trend,
    still_to_do,
    timeline_page,
)
from engage.lib.concurrency import ConcurrentEditError
from engage.lib.forms import error_summary, run_service, typed_values

PAGE_SIZE = 25


def _step_page(request, case, form, *, title, intro="", template="cases/step_form.html", **extra):
    context = {
        "case": case,
        "form": form,
        "title": title,
        "intro": intro,
        "error_summary": error_summary(form),
        **extra,
    }
    return render(request, template, context)


def _with_extra(request, form, form_name: str, *, case=None, record_id=None):
    """Add the organisation's own fields of `form_name` to `form` (`cases.extra_fields`)."""
    return extra_fields.extend(
        form,
        form_name,
        organisation=request.user.organisation,
        user=request.user,
        case=case,
        record_id=None if record_id is None else str(record_id),
    )


def _refuse_if_not_allowed(request: HttpRequest, case: Case, step: str) -> HttpResponse | None:
    if run_service(request, None, lambda: workflow.require_step(case, step)) is None:
        return redirect(case)
    return None


def _run_step(
    request: HttpRequest,
    form: BaseForm,
    form_name: str,
    case: Case,
    store: Callable[[dict[str, Any]], Any],
    success: str,
) -> object | None:
    """Once `form` is sent and valid, store a step's record (`store`, given the form's own
    fields) with the organisation's own fields of `form_name` beside it, in one transaction
    (`cases.extra_fields`); refusals are shown next to the fields (`run_service`)."""
    return run_service(
        request,
        form,
        lambda: extra_fields.saving(
            form,
            form_name,
            lambda: store(extra_fields.own_data(form)),
            case=case,
            record_id=lambda record: record.pk,
            by=request.user,
        ),
        success,
    )


# Lists


@role_required(*CASE_READERS)
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseSearchForm(request.GET, user=request.user)
    cases = Case.objects.visible_to(request.user)
    due_filter = ""
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"].strip():
            people = people_matching(
                request.user.organisation_id, q, among=cases.values("person_id")
            )
            cases = cases.filter(Q(reference__icontains=q) | people)
        if data["stage"] == "all":
            pass
        elif data["stage"]:
            cases = cases.filter(stage=data["stage"])
        else:
            cases = cases.filter(stage__in=OPEN_STAGES)
        if data.get("case_manager"):
            cases = cases.filter(case_manager=data["case_manager"])
        due_filter = data["due"]
    else:
        cases = cases.filter(stage__in=OPEN_STAGES)
    today = services.today()
    cases = cases.order_by("-referral_date", "reference")
    sort = request.GET.get("sort", "")
    if due_filter or sort:
        # An order or a filter of what is due is worked out in Python over every case listed.
        rows = caseload_rows(cases, today)
        if due_filter:
            rows = [row for row in rows if any(item.kind == due_filter for item in row.due)]
        if due_filter and sort.removeprefix("-") in ("", DEFAULT_SORT):
            # What is filtered for, the most overdue first: the "Due" column's order here.
            sort_by_kind(rows, due_filter)
            if sort.startswith("-"):
                rows.reverse()
            sort = sort or DEFAULT_SORT
        elif sort:
            sort = sort_rows(rows, sort)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        # The list's own order is the database's: the ids of the cases listed, in that order,
        # then only the page's cases with their due facts. A supervisor's or an admin's list is
        # hundreds to thousands of cases, which were all read and decrypted for a page of 25;
        # and a count beside the page would run a name search twice.
        page = Paginator(list(cases.values_list("pk", flat=True)), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        shown = Case.objects.visible_to(request.user).filter(pk__in=list(page.object_list))
        loaded = {case.pk: case for case in listed(with_due_facts(shown, today))}
        page.object_list = rows_of([loaded[pk] for pk in page.object_list if pk in loaded], today)
    record_case_reads(request.user, [row.case for row in page])
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "sort": sort}
    template = "cases/_case_results.html" if request.htmx else "cases/case_list.html"
    return render(request, template, context)


@role_required(Role.SUPERVISOR)
def approvals(request: HttpRequest) -> HttpResponse:
    """The approval queue: each kind the longest waiting first, with how long it has waited."""
    waiting = approval_queue.queue(request.user)
    record_case_reads(request.user, [entry.case for entry in waiting])
    today = services.today()
    rows = [
        {"entry": entry, "waited": entry.waited(today), "criteria": entry.criteria}
        for entry in waiting
    ]
    context = {
        kind: [row for row in rows if row["entry"].kind == name]
        for kind, name in (
            ("decisions", approval_queue.INCLUSION),
            ("plans", approval_queue.PLAN),
            ("closures", approval_queue.CLOSURE),
        )
    }
    context["count"] = len(rows)
    return render(request, "cases/approvals.html", context)


def _to_next_in_queue(request: HttpRequest, decided: approval_queue.Waiting) -> HttpResponse:
    """After a decision, the next item waiting ("approve and next"), or the emptied queue."""
    following = approval_queue.following(request.user, decided)
    if following is None:
        messages.info(request, _("Nothing else is waiting for your approval."))
        return redirect("cases:approvals")
    return redirect(following.url)


# Possible duplicates


@role_required(Role.SUPERVISOR, Role.ORG_ADMIN)
def possible_duplicates(request: HttpRequest) -> HttpResponse:
    # Decided flags stay listed: the 200 newest were shown, so a flag still waiting could fall
    # below flags decided since. Waiting ones come first, a page at a time.
    page = Paginator(duplicates.listed(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    pairs = duplicates.pairs_for(request.user, page.object_list)
    record_case_reads(
        request.user,
        [
            case
            for pair in pairs
            for side in (pair.known, pair.new)
            for case in (*side.cases, *side.through)
        ],
    )
    return render(request, "cases/possible_duplicates.html", {"pairs": pairs, "page": page})


@require_POST
@role_required(Role.SUPERVISOR)
def possible_duplicate_decide(request: HttpRequest, pk: UUID) -> HttpResponse:
    item = duplicates.get_for_user(request.user, pk)
    run_service(
        request,
        None,
        lambda: duplicates.decide(item, decision=request.POST.get("decision", ""), by=request.user),
        _("Your decision is recorded."),
    )
    return redirect("cases:duplicates")


# Referral


@keeps_typed_work
@role_required(*CASE_WORKERS)
def referral_create(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    data = request.POST or None
    person_form = PersonForm(data, prefix="person")
    referral_form = _with_extra(
        request,
        ReferralForm(data, prefix="referral", organisation=organisation, user=request.user),
        extra_fields.REFERRAL,
    )
    household = HouseholdFormSet(data, prefix="household")
    adding = request.method == "POST" and "add_member" in request.POST
    if adding:
        # "Add a household member" without JavaScript: the page again as typed, unchecked,
        # with one more block, its first field focused.
        person_form = PersonForm(initial=typed_values(person_form), prefix="person")
        referral_form = _with_extra(
            request,
            ReferralForm(
                initial=typed_values(referral_form),
                prefix="referral",
                organisation=organisation,
                user=request.user,
            ),
            extra_fields.REFERRAL,
        )
        household = household_with_one_more(household)
        household.forms[-1].fields["given_name"].widget.attrs["autofocus"] = True
    duplicate, duplicate_confirmation = None, ""
    if (
        request.method == "POST"
        and not adding
        and all([person_form.is_valid(), referral_form.is_valid(), household.is_valid()])
    ):
        referral = extra_fields.own_data(referral_form)
        try:
            done = run_service(
                request,
                referral_form,
                lambda: extra_fields.saving(
                    referral_form,
                    extra_fields.REFERRAL,
                    lambda: services.register_referral(
                        organisation=organisation,
                        by=request.user,
                        case_manager=referral.pop("case_manager"),
                        city=referral.pop("city"),
                        person=person_form.cleaned_data,
                        referral=referral,
                        household_members=[f.cleaned_data for f in household if f.cleaned_data],
                        different_person=request.POST.get("different_person", ""),
                    ),
                    case=lambda case: case,
                    record_id=lambda case: case.pk,
                    by=request.user,
                ),
            )
        except duplicates.PossibleDuplicateFound as found:
            duplicate = duplicates.warning_for(request.user, found.matches, request=request)
            duplicate_confirmation = found.confirmation
            record_case_reads(request.user, duplicate.own_cases)
        else:
            if done:
                case = done.result
                messages.success(
                    request, _("Referral %(ref)s registered.") % {"ref": case.reference}
                )
                return redirect(case)
    return render(
        request,
        "cases/referral_form.html",
        {
            "person_form": person_form,
            "referral_form": referral_form,
            "household": household,
            "duplicate": duplicate,
            "duplicate_confirmation": duplicate_confirmation,
            "error_summary": error_summary(referral_form, person_form, household),
        },
    )


# The case page

TIMELINE_PAGE = 30  # events per page of the timeline, newest first


@role_required(*CASE_READERS)
def case_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    today = services.today()
    case = get_case_for_user(
        request.user,
        pk,
        # What is due and the records shown one to one, in the query of the case.
        # (Its agreed plans from those the timeline reads, with their reviews, just below.)
        loading=lambda cases: page_facts.annotate(
            with_due_facts(cases, today, approved_plans=False)
            .select_related("first_meeting", "screening", "previous")
            .annotate(**_enrollments(request.user), **planned_fact()),
            request.user,
        ),
    )
    prefetch_for_timeline(case, household=True)
    attach_approved_plans(case)
    works = request.user.role in CASE_WORKERS
    if works and case.is_open:  # the answers shown and the contact form's fields: one query
        extra_fields.read_for_page(case, request.user, [extra_fields.CONTACT])
    due = due_items(case, today)
    sent_back = sent_back_on(case) if case.is_open else []
    steps = workflow.allowed_steps(case) if works else set()
    # Not on the case of a person erased, where a contact would be refused (`AFTER_ERASURE`).
    contacts = "contact" in steps
    context = {
        "case": case,
        "due": due,
        "steps": steps,
        # The one step that comes next, from the case's records: the page's main button.
        "next": next_step(case, request.user, due=due, sent_back=sent_back, today=today),
        # What a supervisor sent back, with the note, until it is acted on.
        "sent_back": sent_back if works else [],
        "events": timeline_page(
            case,
            request.GET.get("page"),
            per_page=TIMELINE_PAGE,
            show_sensitive=works,
            show_details=works,
            user=request.user,
        ),
        "trend": rating_trend(case) if works else [],
        "show_details": works,
        "plans": case.plans.all(),
        "open_actions": still_to_do(case) if works else [],
        "household": household_others(case),
        "contact_form": _with_extra(
            request, ContactForm(initial={"date": today}), extra_fields.CONTACT, case=case
        )
        if contacts
        else None,
        "next_contact": _next_contact(case, today),
        "interval_form": ContactIntervalForm(instance=case) if contacts else None,
        "previous": case.previous if case.previous_visible else None,
        "next_enrollment": {
            "pk": case.next_enrollment_pk,
            "reference": case.next_enrollment_reference,
        }
        if case.next_enrollment_pk
        else None,
    }
    return render(request, "cases/case_detail.html", context)


def _enrollments(user: User) -> dict[str, Subquery | Exists]:
    """The case this one was reopened as, if `user` may see it (its id and reference), and
    whether they may see the one it reopened: read in the case's own query. An enrollment a
    colleague outside their caseload holds is not named."""
    visible = Case.objects.visible_to(user)
    reopened = visible.filter(previous=OuterRef("pk"))
    return {
        "next_enrollment_pk": Subquery(reopened.values("pk")[:1]),
        "next_enrollment_reference": Subquery(reopened.values("reference")[:1]),
        "previous_visible": Exists(visible.filter(pk=OuterRef("previous_id"))),
    }


def _next_contact(case: Case, today) -> dict | None:
    """When the next contact is due on the case page, as the caseload shows it."""
    due_on = next_contact_on(case)
    if due_on is None:
        return None
    return {"next_contact_on": due_on, "next_contact_overdue": (today - due_on).days}


def _one_record_step(
    request: HttpRequest,
    case: Case,
    form_class: type[ModelForm],
    form_name: str,
    save: Callable[..., Any],
    success: str,
) -> tuple[BaseForm, object | None]:
    """The form of a step a case has one record of (its first meeting, its screening), with the
    organisation's own fields: new, or, once recorded (without consent, say), changed from the
    version its page showed. Returns the form and whether the record was stored."""
    model = form_class._meta.model
    existing = model.objects.visible_to(request.user).filter(case=case).first()
    form = _with_extra(
        request,
        form_class(
            request.POST or None,
            instance=existing or model(case=case),
            initial=None if existing else {"date": services.today()},
        ),
        form_name,
        case=case,
        record_id=existing.pk if existing else None,
    )
    done = _run_step(
        request, form, form_name, case,
        lambda data: save(
            case, by=request.user, expected_version=form.cleaned_data.get("version"),
            data={k: v for k, v in data.items() if k != "version"},
        ),
        success,
    )  # fmt: skip
    return form, done


@keeps_typed_work
@role_required(*CASE_WORKERS)
def first_meeting(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "first_meeting"):
        return refused
    if not case.shows_sensitive_to(request.user):  # the service refuses it too
        messages.error(request, services.FIRST_MEETING_BY)
        return redirect(case)
    form, done = _one_record_step(
        request, case, FirstMeetingForm, extra_fields.FIRST_MEETING,
        services.record_first_meeting, _("First meeting recorded."),
    )  # fmt: skip
    if done:
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("First meeting"),
        intro=gettext_lazy(
            "Explain the programme, our independence from the authorities and how data is protected, then record the client's consent to case management."
        ),
    )


@keeps_typed_work
@role_required(*CASE_WORKERS)
def screening(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "screening"):
        return refused
    form, done = _one_record_step(
        request, case, ScreeningForm, extra_fields.SCREENING, services.save_screening,
        _("Screening saved."),
    )  # fmt: skip
    if done:
        return redirect(case)
    return _step_page(
        request, case, form, title=gettext_lazy("Screening"), template="cases/screening_form.html"
    )


@keeps_typed_work
@role_required(*CASE_WORKERS)
def inclusion(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "decide_inclusion"):
        return refused
    # The checklist with what the referral, first meeting and screening already show.
    checks = check_criteria(services.eligibility_checklist(case.organisation), Records.of(case))
    form = InclusionForm(request.POST or None, checks=checks, initial={"date": services.today()})
    if run_service(
        request,
        form,
        lambda: services.propose_inclusion(case, by=request.user, **form.cleaned_data),
        _("The decision was sent to a supervisor for approval."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Inclusion decision"),
        intro=gettext_lazy(
            "The team decides against the pilot's eligibility criteria; a supervisor approves."
        ),
        template="cases/inclusion_form.html",
    )


def _review_view(request, item, case, service, *, kind, title, template, extra=None):
    """Show a pending item to a supervisor and take their approval or sending back; then on
    to the next item waiting."""
    form = ReviewForm(request.POST or None)
    approve = request.POST.get("decision") == "approve"
    decided = approval_queue.waiting_for(kind, item)
    if run_service(
        request,
        form,
        lambda: service(
            item, by=request.user, approve=approve, note=form.cleaned_data["review_note"]
        ),
        _("Approved.") if approve else _("Sent back with your note."),
    ):
        return _to_next_in_queue(request, decided)
    return render(
        request,
        template,
        {"case": case, "item": item, "form": form, "title": title, **(extra or {})},
    )


@role_required(Role.SUPERVISOR)
def inclusion_review(request: HttpRequest, pk: UUID) -> HttpResponse:
    decision = get_case_object(request.user, InclusionDecision, pk)
    case = get_case_for_user(request.user, decision.case_id)
    return _review_view(
        request,
        decision,
        case,
        services.review_inclusion,
        kind=approval_queue.INCLUSION,
        title=gettext_lazy("Approve the inclusion decision"),
        template="cases/review_decision.html",
    )


@keeps_typed_work
@role_required(*CASE_WORKERS)
def assessment_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "assess"):
        return refused
    previous = list(case.assessments.all())  # by date
    latest = previous[-1] if previous else None
    initial = {"date": services.today()}
    if latest is not None:
        initial |= {name: getattr(latest, name) for name in ("needs", "risks", "strengths")}
    form = _with_extra(
        request,
        AssessmentForm(request.POST or None, initial=initial),
        extra_fields.ASSESSMENT,
        case=case,
    )
    if _run_step(
        request, form, extra_fields.ASSESSMENT, case,
        lambda data: services.record_assessment(case, by=request.user, data=data),
        _("Assessment recorded."),
    ):  # fmt: skip
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Assessment"),
        template="cases/assessment_form.html",
        # Beside the form: the ratings given before and what screening found.
        previous=previous[::-1],
        screening=Screening.objects.visible_to(request.user).filter(case=case).first(),
        intro=gettext_lazy(
            "Review needs, vulnerabilities, risks and strengths with the client, and rate the three abilities so change can be shown over time."
        ),
    )


@keeps_typed_work
@role_required(*CASE_WORKERS)
def reassessment_request(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "assess"):
        return refused
    form = ReassessmentRequestForm(request.POST or None)
    if run_service(
        request,
        form,
        lambda: services.request_reassessment(case, by=request.user, **form.cleaned_data),
        _("Reassessment flagged as due."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Reassess early"),
        intro=gettext_lazy(
            "Situations change: a new decision, a new law or a crisis makes a reassessment due now."
        ),
    )


# Case plans


@keeps_typed_work
@role_required(*CASE_WORKERS)
def plan_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "plan"):
        return refused
    form = PlanForm(request.POST or None, case=case)
    if done := run_service(
        request,
        form,
        lambda: services.create_plan(case, by=request.user, **form.cleaned_data),
        _("Plan started: add the goals agreed with the client."),
    ):
        return redirect("cases:plan_detail", done.result.pk)
    return _step_page(request, case, form, title=gettext_lazy("New case plan"))


@dataclass
class GoalCard:
    """A goal on the plan page, with the forms that change it (each with ids of its own)."""

    goal: Goal
    editable: bool
    edit_form: BaseForm | None = None
    status_form: BaseForm | None = None
    reopen_form: BaseForm | None = None
    action_form: BaseForm | None = None
    notice: str = ""

    @classmethod
    def build(cls, goal: Goal, *, editable: bool, **forms) -> "GoalCard":
        card = cls(goal, editable, **forms)
        if not editable:
            return card
        ids = f"{{}}-goal-{goal.pk}-%s"
        if goal.status == Goal.Status.OPEN:
            card.status_form = card.status_form or GoalStatusForm(
                instance=goal,
                auto_id=ids.format("settle"),
                initial={"status": Goal.Status.ACHIEVED, "status_date": services.today()},
            )
        else:
            card.reopen_form = card.reopen_form or GoalReopenForm(
                instance=goal, auto_id=ids.format("reopen")
            )
        card.action_form = ActionForm(
            auto_id=ids.format("new-action"), initial={"due_date": services.today()}
        )
        return card


def _plan_is_editable(user, case: Case, plan: CasePlan) -> bool:
    # The "plan" step: in the programme, and not on the case of a person erased, nor the plan
    # of a household member erased (`services.require_editable_plan`).
    return (
        user.role in CASE_WORKERS
        and "plan" in workflow.allowed_steps(case)
        and plan.status != CasePlan.Status.PENDING
        and plan.person.erased_at is None
    )


@role_required(*CASE_WORKERS)
def plan_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _plan_page(request, get_case_object(request.user, CasePlan, pk))


def _plan_page(
    request: HttpRequest, plan: CasePlan, *, approval_form: ReviewForm | None = None
) -> HttpResponse:
    """The plan's page; `approval_form` sent back with its error (a note missing), above the
    plan's goals and actions as the supervisor was deciding on them."""
    case = get_case_for_user(request.user, plan.case_id)
    goals = plan.goals.prefetch_related("actions")
    works = request.user.role in CASE_WORKERS
    # Reviewed and decided while the "plan" step is open: not on the case of a person erased.
    plans = "plan" in workflow.allowed_steps(case)
    editable = _plan_is_editable(request.user, case, plan)
    context = {
        "case": case,
        "plan": plan,
        "goals": [GoalCard.build(goal, editable=editable) for goal in goals],
        "reviews": plan.reviews.select_related("reviewed_by"),
        "editable": editable,
        "submission_refusal": services.submission_refusal(plan)
        if editable and plan.status == CasePlan.Status.DRAFT
        else None,
        "goal_form": _with_extra(
            request, GoalForm(auto_id="new-goal-%s"), extra_fields.GOAL, case=case
        )
        if editable
        else None,
        "review_form": PlanReviewForm(auto_id="review-%s", initial={"date": services.today()})
        if works
        and plans
        and plan.status == CasePlan.Status.APPROVED
        and plan.person.erased_at is None  # not of a household member erased
        else None,
        "approval_form": approval_form or ReviewForm()
        if request.user.role == Role.SUPERVISOR and plans and plan.status == CasePlan.Status.PENDING
        else None,
        "action_statuses": Action.Status.choices,
    }
    return render(request, "cases/plan_detail.html", context)


def _plan_form_post(request, plan, form, run, success):
    if run_service(request, form, run, success):
        return redirect("cases:plan_detail", plan.pk)
    case = plan.case
    return _step_page(request, case, form, title=gettext_lazy("Case plan"), back=plan)


@keeps_typed_work
@require_POST
@role_required(*CASE_WORKERS)
def goal_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    case = plan.case
    form = _with_extra(request, GoalForm(request.POST), extra_fields.GOAL, case=case)
    return _plan_form_post(
        request,
        plan,
        form,
        lambda: extra_fields.saving(
            form,
            extra_fields.GOAL,
            lambda: services.add_goal(plan, by=request.user, data=extra_fields.own_data(form)),
            case=case,
            record_id=lambda goal: goal.pk,
            by=request.user,
        ),
        _("Goal added."),
    )


@keeps_typed_work
@require_POST
@role_required(*CASE_WORKERS)
def action_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    goal = get_case_object(request.user, Goal, pk, case_path="plan__case")
    form = ActionForm(request.POST)
    return _plan_form_post(
        request,
        goal.plan,
        form,
        lambda: services.add_action(goal, by=request.user, data=form.cleaned_data),
        _("Action added."),
    )


@require_POST
@role_required(*CASE_WORKERS)
def action_status(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Set an action's status from its row of the plan, as the row showed it (its version)."""
    action = get_case_object(request.user, Action, pk, case_path="goal__plan__case")
    form = ActionStatusForm(request.POST)
    done = None
    if "status" in form.errors:
        messages.error(request, _("Choose a valid status."))
    elif not form.is_valid():  # no version: a page from before versions, as good as stale
        messages.error(request, ConcurrentEditError.message)
    else:
        done = run_service(
            request,
            None,
            lambda: services.set_action_status(
                action,
                by=request.user,
                status=form.cleaned_data["status"],
                expected_version=form.cleaned_data["version"],
            ),
        )
    if done and request.htmx:
        return render(
            request,
            "cases/_action_row.html",
            {"action": action, "editable": True, "action_statuses": Action.Status.choices},
        )
    # Without JavaScript, or refused: the whole plan as it now is (a row shows no message).
    return _back_to_plan(request, action.goal.plan_id, f"action-{action.pk}")


# Plans stay current: goals and actions changed in place with htmx (the changed fragment is the
# answer), or without JavaScript on a page of their own that returns to the plan.


def _back_to_plan(request: HttpRequest, plan_id: UUID, anchor: str) -> HttpResponse:
    url = reverse("cases:plan_detail", args=[plan_id]) + f"#{anchor}"
    if request.htmx:  # a fragment cannot show the message: the whole page, where it was
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _refuse_plan_edit(request: HttpRequest, plan: CasePlan, anchor: str) -> HttpResponse | None:
    """Say why the plan cannot change now (closed case, waiting for approval), or None."""
    if run_service(request, None, lambda: services.require_editable_plan(plan)) is None:
        return _back_to_plan(request, plan.pk, anchor)
    return None


def _goal_answer(request, goal: Goal, form: BaseForm | None, *, title, notice="", **forms):
    """The goal's card (htmx), or the form on a page of its own when it was refused."""
    if request.htmx:
        card = GoalCard.build(goal, editable=True, **forms)
        card.notice = notice
        context = {"card": card, "plan": goal.plan, "action_statuses": Action.Status.choices}
        return render(request, "cases/_goal.html", context)
    return _step_page(request, goal.plan.case, form, title=title, back=goal.plan)


@keeps_typed_work
@role_required(*CASE_WORKERS)
def goal_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    goal = get_case_object(request.user, Goal, pk, case_path="plan__case")
    if refused := _refuse_plan_edit(request, goal.plan, f"goal-{goal.pk}"):
        return refused
    form = GoalEditForm(request.POST or None, instance=goal, auto_id=f"edit-goal-{goal.pk}-%s")
    if run_service(
        request,
        form,
        lambda: services.edit_goal(
            goal,
            by=request.user,
            description=form.cleaned_data["description"],
            expected_version=form.expected_version,
        ),
        None if request.htmx else _("Goal saved."),
    ):
        if request.htmx:
            return _goal_answer(request, goal, None, title="")
        return _back_to_plan(request, goal.plan_id, f"goal-{goal.pk}")
    return _goal_answer(request, goal, form, title=gettext_lazy("Edit the goal"), edit_form=form)


@require_POST
@role_required(*CASE_WORKERS)
def goal_status(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Mark a goal achieved or no longer pursued (its open actions are cancelled)."""
    goal = get_case_object(request.user, Goal, pk, case_path="plan__case")
    if refused := _refuse_plan_edit(request, goal.plan, f"goal-{goal.pk}"):
        return refused
    form = GoalStatusForm(request.POST, instance=goal, auto_id=f"settle-goal-{goal.pk}-%s")
    if done := run_service(
        request,
        form,
        lambda: services.set_goal_status(
            goal,
            by=request.user,
            status=form.cleaned_data["status"],
            date=form.cleaned_data["status_date"],
            expected_version=form.expected_version,
        ),
    ):
        count = done.result
        if goal.status == Goal.Status.ACHIEVED:
            notice = _("The goal is marked as achieved.")
        else:
            notice = _("The goal is marked as no longer pursued.")
        if count:
            notice += " " + ngettext(
                "Its open action was cancelled.",
                "Its %(count)d open actions were cancelled.",
                count,
            ) % {"count": count}
        if request.htmx:
            return _goal_answer(request, goal, None, title="", notice=notice)
        messages.success(request, notice)
        return _back_to_plan(request, goal.plan_id, f"goal-{goal.pk}")
    return _goal_answer(
        request,
        goal,
        form,
        title=gettext_lazy("Achieved or no longer pursued"),
        status_form=form,
    )


@require_POST
@role_required(*CASE_WORKERS)
def goal_reopen(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Take an achieved or abandoned goal up again."""
    goal = get_case_object(request.user, Goal, pk, case_path="plan__case")
    if refused := _refuse_plan_edit(request, goal.plan, f"goal-{goal.pk}"):
        return refused
    form = GoalReopenForm(request.POST, instance=goal, auto_id=f"reopen-goal-{goal.pk}-%s")
    if run_service(
        request,
        form,
        lambda: services.set_goal_status(
            goal,
            by=request.user,
            status=Goal.Status.OPEN,
            date=None,
            expected_version=form.expected_version,
        ),
        None if request.htmx else _("The goal is in progress again."),
    ):
        if request.htmx:
            return _goal_answer(request, goal, None, title="")
        return _back_to_plan(request, goal.plan_id, f"goal-{goal.pk}")
    return _goal_answer(
        request, goal, form, title=gettext_lazy("Take the goal up again"), reopen_form=form
    )


@keeps_typed_work
@role_required(*CASE_WORKERS)
def action_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    action = get_case_object(request.user, Action, pk, case_path="goal__plan__case")
    plan = action.goal.plan
    if refused := _refuse_plan_edit(request, plan, f"action-{action.pk}"):
        return refused
    form = ActionEditForm(
        request.POST or None, instance=action, auto_id=f"edit-action-{action.pk}-%s"
    )
    if run_service(
        request,
        form,
        lambda: services.edit_action(
            action,
            by=request.user,
            data={name: form.cleaned_data[name] for name in ActionEditForm.Meta.fields},
            expected_version=form.expected_version,
        ),
        None if request.htmx else _("Action saved."),
    ):
        if not request.htmx:
            return _back_to_plan(request, plan.pk, f"action-{action.pk}")
        form = None
    if request.htmx:
        context = {
            "action": action,
            "plan": plan,
            "editable": True,
            "edit_form": form,
            "action_statuses": Action.Status.choices,
        }
        return render(request, "cases/_action_row.html", context)
    return _step_page(request, plan.case, form, title=gettext_lazy("Edit the action"), back=plan)


@require_POST
@role_required(*CASE_WORKERS)
def plan_submit(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    if run_service(request, None, lambda: services.submit_plan(plan, by=request.user)):
        if plan.status == CasePlan.Status.PENDING:
            messages.success(request, _("The plan was sent to a supervisor for approval."))
        else:
            messages.success(request, _("The plan is agreed."))
    return redirect("cases:plan_detail", plan.pk)


@require_POST
@role_required(Role.SUPERVISOR)
def plan_approval(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    form = ReviewForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    decided = approval_queue.waiting_for(approval_queue.PLAN, plan)
    if run_service(
        request,
        form,
        lambda: services.review_plan(
            plan, by=request.user, approve=approve, note=form.cleaned_data["review_note"]
        ),
        _("Plan approved.") if approve else _("Plan sent back with your note."),
    ):
        return _to_next_in_queue(request, decided)
    # Refused (a note missing): the plan's page again, its goals and actions with the same two
    # buttons, the reason next to the note (a page of the note alone hid what was decided on).
    return _plan_page(request, plan, approval_form=form)


@keeps_typed_work
@require_POST
@role_required(*CASE_WORKERS)
def plan_review(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    form = PlanReviewForm(request.POST)
    return _plan_form_post(
        request,
        plan,
        form,
        lambda: services.add_plan_review(plan, by=request.user, **form.cleaned_data),
        _("Plan review recorded."),
    )


# Intervention


@keeps_typed_work
@role_required(*CASE_WORKERS)
def contact_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "contact"):
        return refused
    form = _with_extra(
        request,
        ContactForm(request.POST or None, initial={"date": services.today()}),
        extra_fields.CONTACT,
        case=case,
    )
    if _run_step(
        request, form, extra_fields.CONTACT, case,
        lambda data: services.log_contact(
            case, by=request.user, data=data, next_appointment=form.appointment()
        ),
        _("Contact logged."),
    ):  # fmt: skip
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = case.get_absolute_url()
            return response
        return redirect(case)
    if request.htmx:
        context = {
            "case": case,
            "contact_form": form,
            "error_summary": error_summary(form, form.next_appointment),
        }
        return render(request, "cases/_contact_form.html", context)
    return _step_page(
        request, case, form, title=gettext_lazy("Log a contact"), template="cases/contact_page.html"
    )


# Appointments


@keeps_typed_work
@role_required(*CASE_WORKERS)
def appointment_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "appointment"):
        return refused
    form = AppointmentForm(request.POST or None, initial={"date": services.today()})
    if run_service(
        request,
        form,
        lambda: services.plan_appointment(case, by=request.user, data=form.cleaned_data),
        _("Appointment planned."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Plan an appointment"),
        intro=gettext_lazy(
            "It appears in your week and, if you subscribed to it, in your calendar, with the "
            "case reference and the kind of appointment only."
        ),
    )


@keeps_typed_work
@role_required(*CASE_WORKERS)
def appointment_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    appointment = get_case_object(request.user, Appointment, pk)
    case = appointment.case
    if not appointment.is_planned:
        messages.error(request, _("This appointment was already marked done or cancelled."))
        return redirect(case)
    form = AppointmentForm(request.POST or None, instance=appointment)
    if run_service(
        request,
        form,
        lambda: services.edit_appointment(
            appointment,
            by=request.user,
            data={name: form.cleaned_data[name] for name in services.APPOINTMENT_FIELDS},
            expected_version=form.expected_version,
        ),
        _("Appointment changed."),
    ):
        return redirect(case)
    return _step_page(request, case, form, title=gettext_lazy("Change the appointment"))


@require_POST
@role_required(*CASE_WORKERS)
def appointment_status(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Mark a planned appointment as held, or cancel it (from the case page)."""
    appointment = get_case_object(request.user, Appointment, pk)
    form = AppointmentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        held = form.cleaned_data["status"] == Appointment.Status.DONE
        change = services.mark_appointment_done if held else services.cancel_appointment
        run_service(
            request,
            None,
            lambda: change(
                appointment, by=request.user, expected_version=form.cleaned_data["version"]
            ),
            _("Appointment marked as held.") if held else _("Appointment cancelled."),
        )
    return redirect(reverse("cases:detail", args=[appointment.case_id]) + "#appointments")


@role_required(*CASE_WORKERS)
def outcome(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "outcome"):
        return refused
    form = OutcomeForm(
        request.POST or None,
        instance=case,
        initial={"outcome_date": case.outcome_date or services.today()},
    )
    if run_service(
        request,
        form,
        lambda: services.record_outcome(
            case,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            permanence=form.cleaned_data["outcome_permanence"],
            date=form.cleaned_data["outcome_date"],
            expected_version=form.expected_version,
        ),
        _("Outcome recorded."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Outcome reached"),
        intro=gettext_lazy("A migration outcome can be recorded before the case closes."),
    )


# Closure


@keeps_typed_work
@role_required(*CASE_WORKERS)
def closure_request(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "close"):
        return refused
    form = _with_extra(
        request,
        ClosureForm(request.POST or None, case=case, initial={"date": services.today()}),
        extra_fields.CLOSURE,
        case=case,
    )
    if _run_step(
        request, form, extra_fields.CLOSURE, case,
        lambda data: services.request_closure(case, by=request.user, data=data),
        _("The closure was sent to a supervisor for approval."),
    ):  # fmt: skip
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Close the case"),
        intro=gettext_lazy(
            "Disengagement is not a failure: recording the reasons helps the network learn."
        ),
        template="cases/closure_form.html",
        submit_label=gettext_lazy("Send for approval"),
        # Pointed out before sending, never refused (cases.readiness).
        warnings=closure_warnings(case, services.today()),
    )


@role_required(Role.SUPERVISOR)
def closure_review(request: HttpRequest, pk: UUID) -> HttpResponse:
    closure = get_case_object(request.user, Closure, pk)
    case = get_case_for_user(request.user, closure.case_id)
    return _review_view(
        request,
        closure,
        case,
        services.review_closure,
        kind=approval_queue.CLOSURE,
        title=gettext_lazy("Approve the closure"),
        template="cases/review_closure.html",
        # What the case manager was told was still undone, as it stands now.
        extra={"warnings": closure_warnings(case, services.today(), closure.reason)},
    )


@require_POST
@role_required(*CASE_WORKERS)
def closure_keep_open(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Act on a closure sent back by keeping the case open, as the supervisor's note asked."""
    closure = get_case_object(request.user, Closure, pk)
    run_service(
        request,
        None,
        lambda: services.keep_case_open(closure, by=request.user),
        _("The case stays open."),
    )
    return redirect("cases:detail", closure.case_id)


@role_required(*CASE_WORKERS)
def reopen(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "reopen"):
        return refused
    initial = {
        "referral_date": case.organisation.today(),
        "legal_basis": case.organisation.default_legal_basis or case.legal_basis,
    }
    form = NewEnrollmentForm(request.POST or None, initial=initial)
    if done := run_service(
        request,
        form,
        lambda: services.reopen(case, by=request.user, referral=form.cleaned_data),
        _("A new enrollment was opened."),
    ):
        return redirect(done.result)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Reopen as a new enrollment"),
        intro=gettext_lazy(
            "The closed enrollment stays as it was; the new one starts at referral."
        ),
    )


@role_required(*CASE_WORKERS)
def contact_interval(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "contact"):
        return refused
    form = ContactIntervalForm(request.POST or None, instance=case)
    if run_service(
        request,
        form,
        lambda: services.set_contact_interval(
            case,
            by=request.user,
            days=form.cleaned_data["interval_days"],
            expected_version=form.expected_version,
        ),
        _("The contact interval was saved."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("How often to contact the client"),
        intro=gettext_lazy(
            "The caseload flags contact as overdue after this many days without one."
        ),
    )


@role_required(Role.SUPERVISOR, Role.ORG_ADMIN)
def reassign(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    if refused := _refuse_if_not_allowed(request, case, "reassign"):
        return refused
    form = ReassignForm(request.POST or None, instance=case)
    if run_service(
        request,
        form,
        lambda: services.reassign(
            case,
            by=request.user,
            case_manager=form.cleaned_data["case_manager"],
            expected_version=form.expected_version,
        ),
        _("Case reassigned."),
    ):
        return redirect(case)
    return _step_page(request, case, form, title=gettext_lazy("Reassign the case"))


@role_required(Role.SUPERVISOR, Role.ORG_ADMIN)
def reassign_cases(request: HttpRequest) -> HttpResponse:
    """Give a case manager's open cases, all or those ticked, to another one, once confirmed.

    `?from=<id>` chooses whose cases; the form is then sent twice: to see what will move, and
    to confirm it. Only the cases the user may see are offered, and the service checks again.
    """
    user = request.user
    open_cases = Case.objects.visible_to(user).open()
    if user.role != Role.ORG_ADMIN:
        # The cases the service moves (`services._check_reassigner`): a supervisor's teams', not
        # those seen through a client's household only, which it would refuse to move.
        open_cases = open_cases.of_own_teams(user)
    holders = User.objects.filter(pk__in=open_cases.values("case_manager")).order_by(
        "first_name", "last_name"
    )
    chosen = request.POST.get("from") or request.GET.get("from")
    from_manager = None
    if chosen:
        try:
            from_manager = holders.get(pk=UUID(chosen))
        except (ValueError, User.DoesNotExist):
            raise Http404 from None  # someone else's colleague, or nobody: not found either way
    context = {"holders": holders, "from_manager": from_manager, "confirming": False}
    if from_manager is None:
        return render(request, "cases/reassign_cases.html", context)
    cases = list(
        open_cases.filter(case_manager=from_manager).select_related("person").order_by("reference")
    )
    record_case_reads(user, cases)
    form = ReassignCasesForm(request.POST or None, cases=cases, from_manager=from_manager)
    if request.method == "POST" and form.is_valid() and "edit" not in request.POST:
        if "confirm" not in request.POST:
            context["confirming"] = True
        else:
            to_manager = form.cleaned_data["case_manager"]
            done = run_service(
                request,
                form,
                lambda: services.reassign_cases(
                    by=user,
                    from_manager=from_manager,
                    to_manager=to_manager,
                    case_ids=form.chosen_ids(),
                ),
            )
            if done:
                moved = done.result
                messages.success(
                    request,
                    ngettext(
                        "%(count)d case reassigned from %(from)s to %(to)s.",
                        "%(count)d cases reassigned from %(from)s to %(to)s.",
                        len(moved),
                    )
                    % {"count": len(moved), "from": from_manager, "to": to_manager},
                )
                return redirect("dashboard:home")
    context |= {"form": form, "cases": cases, "moving": form.moving() if form.is_bound else []}
    return render(request, "cases/reassign_cases.html", context)


# The organisation's checklist


@role_required(Role.ORG_ADMIN)
def eligibility_criteria(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    adding = request.method == "POST" and not {"toggle", "edit"} & set(request.POST)
    form = EligibilityCriterionForm(request.POST if adding else None, organisation=organisation)
    if request.method == "POST" and "toggle" in request.POST:
        try:
            pk = UUID(request.POST["toggle"])
        except ValueError:
            raise Http404 from None  # a malformed id is not found either, never an error
        criterion = get_object_or_404(EligibilityCriterion, organisation=organisation, pk=pk)
        # The state the button asked for, not the opposite of the stored one: a second click
        # from a page read before the first must not undo it.
        wanted = request.POST.get("active", "0" if criterion.active else "1")
        services.set_criterion_in_use(criterion, by=request.user, active=wanted == "1")
        return redirect("cases:eligibility")
    editing, edit_form = None, None
    if chosen := request.POST.get("edit") or request.GET.get("edit"):
        try:
            pk = UUID(chosen)
        except ValueError:
            raise Http404 from None
        editing = get_object_or_404(EligibilityCriterion, organisation=organisation, pk=pk)
        sent = request.POST if request.method == "POST" else None
        edit_form = CriterionTranslationsForm(
            sent, organisation=organisation, criterion=editing, prefix="edit"
        )
        if run_service(
            request,
            edit_form,
            lambda: services.translate_criterion(
                editing,
                by=request.user,
                translations=edit_form.translations(),
                established_by=edit_form.cleaned_data["established_by"],
                expected_version=edit_form.cleaned_data["version"],
            ),
            _("The criterion was saved."),
        ):
            return redirect("cases:eligibility")
    elif adding and form.is_valid():
        services.add_criterion(
            organisation,
            by=request.user,
            text=form.cleaned_data["text"],
            translations=form.translations(),
            established_by=form.cleaned_data["established_by"],
        )
        messages.success(request, _("Criterion added."))
        return redirect("cases:eligibility")
    criteria = EligibilityCriterion.objects.filter(organisation=organisation)
    context = {"form": form, "criteria": criteria, "editing": editing, "edit_form": edit_form}
    return render(request, "cases/eligibility.html", context)


def dashboard_caseload(user, today):
    """The rows of "My caseload" for the dashboard."""
    return caseload(Case.objects.visible_to(user).filter(case_manager=user), today)
