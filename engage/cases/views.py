from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engage.accounts.models import Role
from engage.accounts.permissions import role_required
from engage.cases import services, workflow
from engage.cases.access import (
    CASE_READERS,
    CASE_WORKERS,
    get_case_for_user,
    get_case_object,
    read_case,
    record_case_reads,
)
from engage.cases.due import caseload, due_items, with_due_facts
from engage.cases.forms import (
    ActionForm,
    AssessmentForm,
    CaseSearchForm,
    ClosureForm,
    ContactForm,
    CriterionTranslationsForm,
    EligibilityCriterionForm,
    FirstMeetingForm,
    GoalForm,
    HouseholdFormSet,
    InclusionForm,
    NewEnrollmentForm,
    OutcomeForm,
    PersonForm,
    PlanForm,
    PlanReviewForm,
    ReassessmentRequestForm,
    ReassignForm,
    ReferralForm,
    ReviewForm,
    ScreeningForm,
)
from engage.cases.models import (
    Action,
    Case,
    CasePlan,
    Closure,
    EligibilityCriterion,
    Goal,
    InclusionDecision,
    Screening,
)
from engage.cases.models.case import OPEN_STAGES
from engage.cases.models.process import ApprovalStatus
from engage.cases.search import matching_people
from engage.cases.timeline import prefetch_for_timeline, rating_trend, timeline
from engage.lib.concurrency import ConcurrentEditError
from engage.lib.forms import apply_validation_error

PAGE_SIZE = 25


def _run_step(
    request: HttpRequest,
    form: BaseForm,
    run: Callable[[BaseForm], object],
    success: str,
) -> bool:
    """Validate `form` and call the service; on refusal show why on the form. True on success."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        run(form)
    except ConcurrentEditError:
        form.add_conflict_error()
        return False
    except ValidationError as error:
        apply_validation_error(form, error)
        return False
    messages.success(request, success)
    return True


def _step_page(request, case, form, *, title, intro="", template="cases/step_form.html", **extra):
    context = {"case": case, "form": form, "title": title, "intro": intro, **extra}
    return render(request, template, context)


def _refuse_if_not_allowed(request: HttpRequest, case: Case, step: str) -> HttpResponse | None:
    try:
        workflow.require_step(case, step)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(case)
    return None


# Lists


@role_required(*CASE_READERS)
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseSearchForm(request.GET)
    cases = Case.objects.visible_to(request.user)
    due_filter = ""
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"].strip():
            people = matching_people(request.user.organisation_id, q)
            cases = cases.filter(Q(reference__icontains=q) | Q(person_id__in=people))
        if data["stage"] == "all":
            pass
        elif data["stage"]:
            cases = cases.filter(stage=data["stage"])
        else:
            cases = cases.filter(stage__in=OPEN_STAGES)
        due_filter = data["due"]
    else:
        cases = cases.filter(stage__in=OPEN_STAGES)
    today = services.today()
    rows = [
        (case, due_items(case, today))
        for case in with_due_facts(cases, today).order_by("-referral_date", "reference")
    ]
    if due_filter:
        rows = [(case, due) for case, due in rows if any(item.kind == due_filter for item in due)]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    record_case_reads(request.user, [case for case, _due in page])
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "cases/_case_results.html" if request.htmx else "cases/case_list.html"
    return render(request, template, context)


@role_required(Role.SUPERVISOR)
def approvals(request: HttpRequest) -> HttpResponse:
    visible = Case.objects.visible_to(request.user).values("pk")
    pending = ApprovalStatus.PENDING
    context = {
        "decisions": InclusionDecision.objects.filter(case__in=visible, status=pending)
        .select_related("case__person", "proposed_by")
        .exclude(proposed_by=request.user),
        "plans": CasePlan.objects.filter(case__in=visible, status=pending)
        .select_related("case__person", "person", "created_by")
        .exclude(created_by=request.user),
        "closures": Closure.objects.filter(case__in=visible, status=pending)
        .select_related("case__person", "requested_by")
        .exclude(requested_by=request.user),
    }
    record_case_reads(request.user, [item.case for items in context.values() for item in items])
    return render(request, "cases/approvals.html", context)


# Referral


@role_required(*CASE_WORKERS)
def referral_create(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    data = request.POST or None
    person_form = PersonForm(data, prefix="person")
    referral_form = ReferralForm(
        data, prefix="referral", organisation=organisation, user=request.user
    )
    household = HouseholdFormSet(data, prefix="household")
    if request.method == "POST" and all(
        [person_form.is_valid(), referral_form.is_valid(), household.is_valid()]
    ):
        referral = dict(referral_form.cleaned_data)
        try:
            case = services.register_referral(
                organisation=organisation,
                by=request.user,
                case_manager=referral.pop("case_manager"),
                city=referral.pop("city"),
                person=person_form.cleaned_data,
                referral=referral,
                household_members=[form.cleaned_data for form in household if form.cleaned_data],
            )
        except ValidationError as error:
            apply_validation_error(referral_form, error)
        else:
            messages.success(request, _("Referral %(ref)s registered.") % {"ref": case.reference})
            return redirect(case)
    return render(
        request,
        "cases/referral_form.html",
        {"person_form": person_form, "referral_form": referral_form, "household": household},
    )


# The case page

TIMELINE_PAGE = 30  # events per page of the timeline, newest first


@role_required(*CASE_READERS)
def case_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = prefetch_for_timeline(read_case(request, pk))
    today = services.today()
    annotated = with_due_facts(
        Case.objects.visible_to(request.user).filter(pk=case.pk), today
    ).get()
    works = request.user.role in CASE_WORKERS
    context = {
        "case": case,
        "due": due_items(annotated, today),
        "steps": workflow.allowed_steps(case) if works else set(),
        "next_hint": workflow.NEXT_STEP_HINTS[case.stage],
        "events": Paginator(
            timeline(case, show_sensitive=works, show_details=works), TIMELINE_PAGE
        ).get_page(request.GET.get("page")),
        "trend": rating_trend(case) if works else [],
        "show_details": works,
        "plans": case.plans.all(),
        "household": case.household.members.exclude(pk=case.person_id) if case.household_id else [],
        "pending_decision": next(
            (d for d in case.inclusion_decisions.all() if d.status == ApprovalStatus.PENDING), None
        ),
        "pending_closure": next(
            (c for c in case.closures.all() if c.status == ApprovalStatus.PENDING), None
        ),
        "contact_form": ContactForm(initial={"date": today}) if works and case.is_open else None,
        "previous": case.previous,
        "next_enrollment": Case.objects.visible_to(request.user).filter(previous=case).first(),
        "is_supervisor": request.user.role == Role.SUPERVISOR,
    }
    return render(request, "cases/case_detail.html", context)


@role_required(*CASE_WORKERS)
def identity_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "edit_identity"):
        return refused
    form = PersonForm(request.POST or None, instance=case.person)
    data_fields = [name for name in form.fields if name != "version"]
    if _run_step(
        request,
        form,
        lambda f: services.update_identity(
            case.person,
            by=request.user,
            expected_version=f.expected_version,
            data={name: f.cleaned_data[name] for name in data_fields},
        ),
        _("Identity details saved."),
    ):
        return redirect(case)
    return _step_page(request, case, form, title=gettext_lazy("Identity and contact details"))


@role_required(*CASE_WORKERS)
def first_meeting(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "first_meeting"):
        return refused
    form = FirstMeetingForm(request.POST or None, initial={"date": services.today()})
    if _run_step(
        request,
        form,
        lambda f: services.record_first_meeting(case, by=request.user, data=f.cleaned_data),
        _("First meeting recorded."),
    ):
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


@role_required(*CASE_WORKERS)
def screening(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "screening"):
        return refused
    existing = Screening.objects.filter(case=case).first()
    form = ScreeningForm(
        request.POST or None,
        instance=existing or Screening(case=case),
        initial=None if existing else {"date": services.today()},
    )
    if _run_step(
        request,
        form,
        lambda f: services.save_screening(
            case,
            by=request.user,
            expected_version=f.cleaned_data.get("version"),
            data={k: v for k, v in f.cleaned_data.items() if k != "version"},
        ),
        _("Screening saved."),
    ):
        return redirect(case)
    return _step_page(
        request, case, form, title=gettext_lazy("Screening"), template="cases/screening_form.html"
    )


@role_required(*CASE_WORKERS)
def inclusion(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "decide_inclusion"):
        return refused
    criteria = services.eligibility_checklist(case.organisation)
    form = InclusionForm(
        request.POST or None, criteria=criteria, initial={"date": services.today()}
    )
    if _run_step(
        request,
        form,
        lambda f: services.propose_inclusion(case, by=request.user, **f.cleaned_data),
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
    )


def _review_view(request, item, case, service, *, title, template, extra=None):
    """Show a pending item to a supervisor and take their approval or sending back."""
    form = ReviewForm(request.POST or None)
    approve = request.POST.get("decision") == "approve"
    if _run_step(
        request,
        form,
        lambda f: service(
            item, by=request.user, approve=approve, note=f.cleaned_data["review_note"]
        ),
        _("Approved.") if approve else _("Sent back with your note."),
    ):
        return redirect(case)
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
        title=gettext_lazy("Approve the inclusion decision"),
        template="cases/review_decision.html",
    )


@role_required(*CASE_WORKERS)
def assessment_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "assess"):
        return refused
    latest = case.assessments.last()
    initial = {"date": services.today()}
    if latest is not None:
        initial |= {name: getattr(latest, name) for name in ("needs", "risks", "strengths")}
    form = AssessmentForm(request.POST or None, initial=initial)
    if _run_step(
        request,
        form,
        lambda f: services.record_assessment(case, by=request.user, data=f.cleaned_data),
        _("Assessment recorded."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Assessment"),
        template="cases/assessment_form.html",
        intro=gettext_lazy(
            "Review needs, vulnerabilities, risks and strengths with the client, and rate the three abilities so change can be shown over time."
        ),
    )


@role_required(*CASE_WORKERS)
def reassessment_request(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "assess"):
        return refused
    form = ReassessmentRequestForm(request.POST or None)
    if _run_step(
        request,
        form,
        lambda f: services.request_reassessment(case, by=request.user, **f.cleaned_data),
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


@role_required(*CASE_WORKERS)
def plan_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "plan"):
        return refused
    form = PlanForm(request.POST or None, case=case)
    created = {}
    if _run_step(
        request,
        form,
        lambda f: created.setdefault(
            "plan", services.create_plan(case, by=request.user, **f.cleaned_data)
        ),
        _("Plan started: add the goals agreed with the client."),
    ):
        return redirect("cases:plan_detail", created["plan"].pk)
    return _step_page(request, case, form, title=gettext_lazy("New case plan"))


@role_required(*CASE_WORKERS)
def plan_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    case = read_case(request, plan.case_id)
    goals = plan.goals.prefetch_related("actions")
    works = request.user.role in CASE_WORKERS
    editable = works and case.in_programme and plan.status != CasePlan.Status.PENDING
    context = {
        "case": case,
        "plan": plan,
        "goals": goals,
        "reviews": plan.reviews.select_related("reviewed_by"),
        "editable": editable,
        "goal_form": GoalForm() if editable else None,
        "action_form": ActionForm(initial={"due_date": services.today()}) if editable else None,
        "review_form": PlanReviewForm(initial={"date": services.today()})
        if works and case.in_programme and plan.status == CasePlan.Status.APPROVED
        else None,
        "approval_form": ReviewForm()
        if request.user.role == Role.SUPERVISOR and plan.status == CasePlan.Status.PENDING
        else None,
        "action_statuses": Action.Status.choices,
    }
    return render(request, "cases/plan_detail.html", context)


def _plan_form_post(request, plan, form, run, success):
    if _run_step(request, form, run, success):
        return redirect("cases:plan_detail", plan.pk)
    case = plan.case
    return _step_page(request, case, form, title=gettext_lazy("Case plan"), back=plan)


@require_POST
@role_required(*CASE_WORKERS)
def goal_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    form = GoalForm(request.POST)
    return _plan_form_post(
        request,
        plan,
        form,
        lambda f: services.add_goal(plan, by=request.user, data=f.cleaned_data),
        _("Goal added."),
    )


@require_POST
@role_required(*CASE_WORKERS)
def action_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    goal = get_case_object(request.user, Goal, pk, case_path="plan__case")
    form = ActionForm(request.POST)
    return _plan_form_post(
        request,
        goal.plan,
        form,
        lambda f: services.add_action(goal, by=request.user, data=f.cleaned_data),
        _("Action added."),
    )


@require_POST
@role_required(*CASE_WORKERS)
def action_status(request: HttpRequest, pk: UUID) -> HttpResponse:
    action = get_case_object(request.user, Action, pk, case_path="goal__plan__case")
    status = request.POST.get("status", "")
    try:
        if status not in Action.Status.values:
            raise ValidationError(_("Choose a valid status."))
        services.set_action_status(action, by=request.user, status=status)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    if request.htmx:
        return render(
            request,
            "cases/_action_row.html",
            {"action": action, "editable": True, "action_statuses": Action.Status.choices},
        )
    return redirect("cases:plan_detail", action.goal.plan_id)


@require_POST
@role_required(*CASE_WORKERS)
def plan_submit(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    try:
        services.submit_plan(plan, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
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
    if _run_step(
        request,
        form,
        lambda f: services.review_plan(
            plan, by=request.user, approve=approve, note=f.cleaned_data["review_note"]
        ),
        _("Plan approved.") if approve else _("Plan sent back with your note."),
    ):
        return redirect("cases:plan_detail", plan.pk)
    return _step_page(
        request, plan.case, form, title=gettext_lazy("Approve the case plan"), back=plan
    )


@require_POST
@role_required(*CASE_WORKERS)
def plan_review(request: HttpRequest, pk: UUID) -> HttpResponse:
    plan = get_case_object(request.user, CasePlan, pk)
    form = PlanReviewForm(request.POST)
    return _plan_form_post(
        request,
        plan,
        form,
        lambda f: services.add_plan_review(plan, by=request.user, **f.cleaned_data),
        _("Plan review recorded."),
    )


# Intervention


@role_required(*CASE_WORKERS)
def contact_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "contact"):
        return refused
    form = ContactForm(request.POST or None, initial={"date": services.today()})
    if _run_step(
        request,
        form,
        lambda f: services.log_contact(case, by=request.user, data=f.cleaned_data),
        _("Contact logged."),
    ):
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = case.get_absolute_url()
            return response
        return redirect(case)
    if request.htmx:
        return render(request, "cases/_contact_form.html", {"case": case, "contact_form": form})
    return _step_page(request, case, form, title=gettext_lazy("Log a contact"))


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
    if _run_step(
        request,
        form,
        lambda f: services.record_outcome(
            case,
            by=request.user,
            outcome=f.cleaned_data["outcome"],
            permanence=f.cleaned_data["outcome_permanence"],
            date=f.cleaned_data["outcome_date"],
            expected_version=f.expected_version,
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


@role_required(*CASE_WORKERS)
def closure_request(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "close"):
        return refused
    form = ClosureForm(request.POST or None, case=case, initial={"date": services.today()})
    if _run_step(
        request,
        form,
        lambda f: services.request_closure(case, by=request.user, data=f.cleaned_data),
        _("The closure was sent to a supervisor for approval."),
    ):
        return redirect(case)
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Close the case"),
        intro=gettext_lazy(
            "Disengagement is not a failure: recording the reasons helps the network learn."
        ),
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
        title=gettext_lazy("Approve the closure"),
        template="cases/review_closure.html",
    )


@role_required(*CASE_WORKERS)
def reopen(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if refused := _refuse_if_not_allowed(request, case, "reopen"):
        return refused
    form = NewEnrollmentForm(request.POST or None, initial={"referral_date": services.today()})
    created = {}
    if _run_step(
        request,
        form,
        lambda f: created.setdefault(
            "case", services.reopen(case, by=request.user, referral=f.cleaned_data)
        ),
        _("A new enrollment was opened."),
    ):
        return redirect(created["case"])
    return _step_page(
        request,
        case,
        form,
        title=gettext_lazy("Reopen as a new enrollment"),
        intro=gettext_lazy(
            "The closed enrollment stays as it was; the new one starts at referral."
        ),
    )


@role_required(Role.SUPERVISOR, Role.ORG_ADMIN)
def reassign(request: HttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    if refused := _refuse_if_not_allowed(request, case, "reassign"):
        return refused
    form = ReassignForm(request.POST or None, instance=case)
    if _run_step(
        request,
        form,
        lambda f: services.reassign(
            case,
            by=request.user,
            case_manager=f.cleaned_data["case_manager"],
            expected_version=f.expected_version,
        ),
        _("Case reassigned."),
    ):
        return redirect(case)
    return _step_page(request, case, form, title=gettext_lazy("Reassign the case"))


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
        services.toggle_criterion(criterion, by=request.user)
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
        if sent is not None and edit_form.is_valid():
            services.translate_criterion(
                editing, by=request.user, translations=edit_form.translations()
            )
            messages.success(request, _("The criterion's other languages were saved."))
            return redirect("cases:eligibility")
    elif adding and form.is_valid():
        services.add_criterion(
            organisation,
            by=request.user,
            text=form.cleaned_data["text"],
            translations=form.translations(),
        )
        messages.success(request, _("Criterion added."))
        return redirect("cases:eligibility")
    criteria = EligibilityCriterion.objects.filter(organisation=organisation)
    context = {"form": form, "criteria": criteria, "editing": editing, "edit_form": edit_form}
    return render(request, "cases/eligibility.html", context)


def dashboard_caseload(user, today):
    """The rows of "My caseload" for the dashboard."""
    return caseload(Case.objects.visible_to(user).filter(case_manager=user), today)
