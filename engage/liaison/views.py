"""Liaison records, letters and reporting obligations of a case, and the model letters: glue."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from engage.accounts.http import AuthenticatedHttpRequest, organisation_id_of, organisation_of
from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.models import Role
from engage.accounts.permissions import role_required
from engage.cases import workflow
from engage.cases.access import (
    CASE_WORKERS,
    get_case_for_user,
    get_case_object,
    record_case_reads,
)
from engage.cases.models import Case
from engage.liaison import letters, services
from engage.liaison.forms import (
    FollowUpForm,
    LetterDraftForm,
    LetterTemplateForm,
    LiaisonForm,
    ObligationForm,
    OutcomeForm,
    ReportingEventForm,
)
from engage.liaison.models import (
    LetterTemplate,
    LiaisonRecord,
    ReportingEvent,
    ReportingObligation,
)
from engage.lib.forms import run_service

PAGE_SIZE = 25


def _work_case(request: AuthenticatedHttpRequest, pk: UUID) -> Case:
    return get_case_for_user(request.user, pk, for_work=True)


# Liaison records


@keeps_typed_work
@role_required(*CASE_WORKERS)
def liaison_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = _work_case(request, pk)
    initial: dict[str, object] = {"date": services.today()}
    if chosen := request.GET.get("letter"):
        initial.update(letter=chosen, kind=LiaisonRecord.Kind.LETTER, disclosure="share")
    form = LiaisonForm(request.POST or None, case=case, initial=initial)
    refusal = None
    try:
        done = run_service(
            request,
            form,
            lambda: services.record_liaison(
                case,
                by=request.user,
                request=request,
                **{
                    name: form.cleaned_data[name]
                    for name in (
                        "kind",
                        "date",
                        "authority",
                        "categories",
                        "officer",
                        "summary",
                        "letter",
                        "outcome",
                        "outcome_note",
                        "follow_up_on",
                    )
                },
            ),
            _("Liaison recorded."),
        )
    except services.LiaisonRefused as refused:
        refusal = str(refused)
    else:
        if done:
            return redirect(done.result)
    context = {"case": case, "form": form, "refusal": refusal}
    return render(request, "liaison/liaison_form.html", context, status=403 if refusal else 200)


@keeps_typed_work
@role_required(*CASE_WORKERS)
def liaison_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    liaison = get_case_object(request.user, LiaisonRecord, pk)
    case = _work_case(request, liaison.case_id)
    # Reading a case's record is reading the case file: audited like the case page.
    record_case_reads(request.user, [case, liaison])
    erased = workflow.erased_reason(case)
    form = None
    if erased is None:
        form = OutcomeForm(
            request.POST or None,
            initial={
                "outcome": liaison.outcome,
                "outcome_note": liaison.outcome_note,
                "follow_up_on": liaison.follow_up_on,
                "version": liaison.version,
            },
        )
    if form is not None and run_service(
        request,
        form,
        lambda: services.record_outcome(
            liaison,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            outcome_note=form.cleaned_data["outcome_note"],
            follow_up_on=form.cleaned_data["follow_up_on"],
            expected_version=form.cleaned_data["version"],
            request=request,
        ),
    ):
        messages.success(request, _("Outcome saved."))
        return redirect(liaison)
    context = {
        "liaison": liaison,
        "case": case,
        "share": liaison.share,
        "form": form,
        "erased": erased,
        "late": liaison.follow_up_overdue_days(services.today()),
    }
    return render(request, "liaison/liaison_detail.html", context)


# Letters


@role_required(*CASE_WORKERS)
def letter_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = _work_case(request, pk)
    templates = LetterTemplate.objects.of(case.organisation_id).filter(active=True)
    template = None
    if chosen := request.GET.get("template") or request.POST.get("template"):
        try:
            template = templates.get(pk=UUID(str(chosen)))
        except (ValueError, LetterTemplate.DoesNotExist):
            raise Http404 from None
    initial = {"language": request.LANGUAGE_CODE}
    if template is not None:
        # The language chosen for the letter, else the template's own.
        language = request.GET.get("language") or template.language
        if language not in dict(settings.LANGUAGES):
            language = template.language
        initial = {
            "title": template.name,
            "language": language,
            "text": letters.draft(template, case, request.user, services.today(), language),
        }
    form = LetterDraftForm(
        request.POST or None, initial=initial, from_template=template is not None
    )
    if done := run_service(
        request,
        form,
        lambda: services.save_letter(
            case,
            by=request.user,
            template=template,
            title=form.cleaned_data["title"],
            text=form.cleaned_data["text"],
            language=form.cleaned_data["language"],
        ),
    ):
        letter = done.result
        messages.success(
            request,
            _("Letter saved as a PDF in the case's documents. Nothing was sent."),
        )
        return redirect(f"{case.get_absolute_url()}?letter={letter.pk}#liaison")
    drafting = template is not None or request.GET.get("blank") or request.method == "POST"
    context = {
        "case": case,
        "form": form if drafting else None,
        "templates": templates,
        "template": template,
        "drafted_in": form["language"].value(),
        "languages": settings.LANGUAGES,
    }
    return render(request, "liaison/letter_form.html", context)


# Reporting obligations


@keeps_typed_work
@role_required(*CASE_WORKERS)
def obligation_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = _work_case(request, pk)
    form = ObligationForm(request.POST or None, case=case)
    if done := run_service(
        request,
        form,
        lambda: services.save_obligation(case, by=request.user, data=form.cleaned_data),
    ):
        obligation = done.result
        messages.success(request, _("Reporting obligation recorded."))
        return redirect(obligation)
    return render(request, "liaison/obligation_form.html", {"case": case, "form": form})


@keeps_typed_work
@role_required(*CASE_WORKERS)
def obligation_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    obligation = get_case_object(request.user, ReportingObligation, pk)
    case = _work_case(request, obligation.case_id)
    form = ObligationForm(request.POST or None, instance=obligation, case=case)
    if run_service(
        request,
        form,
        lambda: services.save_obligation(
            case,
            by=request.user,
            data=form.cleaned_data,
            obligation=obligation,
            expected_version=form.expected_version,
        ),
    ):
        messages.success(request, _("Reporting obligation saved."))
        return redirect(obligation)
    context = {"case": case, "form": form, "obligation": obligation}
    return render(request, "liaison/obligation_form.html", context)


@keeps_typed_work
@role_required(*CASE_WORKERS)
def obligation_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    obligation = get_case_object(request.user, ReportingObligation, pk)
    case = _work_case(request, obligation.case_id)
    record_case_reads(request.user, [case, obligation])
    today = services.today()
    erased = workflow.erased_reason(case)
    form = None if erased else ReportingEventForm(request.POST or None, initial={"date": today})
    if form is not None and run_service(
        request,
        form,
        lambda: services.record_reporting(
            obligation,
            by=request.user,
            date=form.cleaned_data["date"],
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        ),
    ):
        messages.success(request, _("Reporting day recorded."))
        return redirect(obligation)
    events = ReportingEvent.objects.visible_to(request.user).filter(obligation=obligation)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "case": case,
        "obligation": obligation,
        "form": form,
        "erased": erased,
        "page": page,
        "missed_days": obligation.missed_days(today),
        "follow_up_form": FollowUpForm(initial={"on": today}),
    }
    return render(request, "liaison/obligation_detail.html", context)


@keeps_typed_work
@role_required(*CASE_WORKERS)
def follow_up(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    event = get_case_object(request.user, ReportingEvent, pk, case_path="obligation__case")
    obligation = event.obligation
    case = _work_case(request, obligation.case_id)
    form = FollowUpForm(request.POST or None, initial={"on": services.today()})
    if run_service(
        request,
        form,
        lambda: services.follow_up_missed(
            event, by=request.user, on=form.cleaned_data["on"], note=form.cleaned_data["note"]
        ),
    ):
        messages.success(request, _("Follow-up recorded."))
        return redirect(obligation)
    context = {"case": case, "obligation": obligation, "event": event, "form": form}
    return render(request, "liaison/follow_up_form.html", context)


# Model letters (the organisation admin's)


@role_required(Role.ORG_ADMIN)
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation_id = organisation_id_of(request.user)
    templates = LetterTemplate.objects.of(organisation_id).order_by("name", "pk")
    page = Paginator(templates, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "placeholders": letters.PLACEHOLDERS}
    return render(request, "liaison/template_list.html", context)


@keeps_typed_work
@role_required(Role.ORG_ADMIN)
def template_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _template_form(request, None)


@keeps_typed_work
@role_required(Role.ORG_ADMIN)
def template_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    organisation_id = organisation_id_of(request.user)
    template = get_object_or_404(LetterTemplate.objects.of(organisation_id), pk=pk)
    return _template_form(request, template)


def _template_form(
    request: AuthenticatedHttpRequest, template: LetterTemplate | None
) -> HttpResponse:
    organisation = organisation_of(request.user)
    initial = {} if template else {"language": request.LANGUAGE_CODE}
    form = LetterTemplateForm(
        request.POST or None,
        instance=template,
        initial=initial,
        organisation=organisation,
    )
    if run_service(
        request,
        form,
        lambda: services.save_template(
            organisation,
            by=request.user,
            data=form.cleaned_data,
            template=template,
            expected_version=form.expected_version if template else None,
        ),
    ):
        messages.success(request, _("Template saved."))
        return redirect("liaison:templates")
    context = {"form": form, "template": template, "placeholders": letters.PLACEHOLDERS}
    return render(request, "liaison/template_form.html", context)
