"""Importing an existing caseload: an organisation admin's pages. Views are glue around
`imports.services`."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Role, User
from engage.accounts.permissions import role_required
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases.access import record_case_reads
from engage.cases.models import Case
from engage.imports import services
from engage.imports.forms import DuplicatesForm, MappingForm, UploadForm, ValuesForm
from engage.imports.models import ImportJob, SavedMapping
from engage.imports.validation import Mapping
from engage.lib.forms import confirmation, run_service

PROBLEMS_SHOWN = 200


def get_job(user: User, pk: UUID) -> ImportJob:
    """One import of the user's organisation, or 404."""
    # The manager django-scopes makes is untyped (docs/architecture.md, "Types").
    job: ImportJob = get_object_or_404(ImportJob.objects.visible_to(user), pk=pk)
    return job


@role_required(Role.ORG_ADMIN)
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, organisation=organisation)
    if done := run_service(
        request,
        form,
        lambda: services.upload(
            organisation,
            by=request.user,
            filename=form.cleaned_data["file"].name,
            data=form.cleaned_data["file"].read(),
            saved=form.cleaned_data["saved_mapping"],
            request=request,
        ),
    ):
        return redirect("imports:mapping", done.result.pk)
    jobs = Paginator(ImportJob.objects.visible_to(request.user), 20).get_page(
        request.GET.get("page")
    )
    mappings = SavedMapping.objects.visible_to(request.user)
    return render(request, "imports/index.html", {"form": form, "jobs": jobs, "mappings": mappings})


@role_required(Role.ORG_ADMIN)
def mapping(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    job = get_job(request.user, pk)
    if job.status not in (job.Status.UPLOADED, job.Status.CHECKED, job.Status.FAILED):
        return redirect("imports:job", job.pk)
    headers = services.headers_of(job)
    current = Mapping.from_json(job.mapping)
    form = MappingForm(
        request.POST or None, headers=headers, mapping=current, organisation=job.organisation
    )
    if run_service(
        request,
        form,
        lambda: services.check_job(
            job,
            by=request.user,
            mapping=form.mapping(values=current.values),
            save_as=form.cleaned_data["save_as"],
            request=request,
        ),
    ):
        return redirect("imports:job", job.pk)
    return render(request, "imports/mapping.html", {"job": job, "form": form})


def _job_context(job: ImportJob) -> dict[str, Any]:
    report = services.report_of(job) or {}
    problems = report.get("problems", [])
    duplicates_form = DuplicatesForm(duplicates=report.get("duplicates", []))
    return {
        "job": job,
        "report": report,
        "problems": problems[:PROBLEMS_SHOWN],
        "problem_count": len(problems),
        "values_form": ValuesForm(unknown=report.get("unknown_values", {})),
        "duplicates_form": duplicates_form,
        "duplicate_rows": [
            (duplicate, duplicates_form[f"line_{duplicate['line']}"])
            for duplicate in report.get("duplicates", [])
        ],
    }


@role_required(Role.ORG_ADMIN)
def job(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    job = get_job(request.user, pk)
    if job.status == job.Status.UPLOADED:
        return redirect("imports:mapping", job.pk)
    if request.htmx:
        if job.in_progress:
            return render(request, "imports/_progress.html", {"job": job})
        # Finished: htmx reloads the whole page, which shows the result.
        return HttpResponse(headers={"HX-Refresh": "true"})
    if job.file_deleted_at is None and job.report:
        # The report quotes the file's cells: reading it is a read of personal data.
        record(request.user, AuditEvent.Action.VIEW, job, detail="import_report", request=request)
        # Its possible duplicates name the existing clients a row matched, by their cases'
        # references: a read of each case, as the duplicate warning of a referral by hand is.
        report = services.report_of(job) or {}
        named = {ref for row in report.get("duplicates", []) for ref in row["cases"]}
        if named:
            cases = Case.objects.visible_to(request.user).filter(reference__in=named)
            record_case_reads(request.user, cases)
    return render(request, "imports/job.html", _job_context(job))


def _after(request: HttpRequest, job: ImportJob, run: Callable[[], object]) -> HttpResponse:
    run_service(request, None, run)
    return redirect("imports:job", job.pk)


@require_POST
@role_required(Role.ORG_ADMIN)
def values(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    job = get_job(request.user, pk)
    report = services.report_of(job) or {}
    form = ValuesForm(request.POST, unknown=report.get("unknown_values", {}))
    form.is_valid()
    return _after(
        request, job, lambda: services.map_values(job, by=request.user, values=form.values())
    )


@require_POST
@role_required(Role.ORG_ADMIN)
def duplicates(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    job = get_job(request.user, pk)
    report = services.report_of(job) or {}
    form = DuplicatesForm(request.POST, duplicates=report.get("duplicates", []))
    form.is_valid()
    return _after(
        request,
        job,
        lambda: services.decide_duplicates(job, by=request.user, decisions=form.decisions()),
    )


@require_POST
@role_required(Role.ORG_ADMIN)
def commit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    job = get_job(request.user, pk)
    return _after(request, job, lambda: services.queue(job, by=request.user, request=request))


@require_POST
@role_required(Role.ORG_ADMIN)
def discard(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    job = get_job(request.user, pk)
    if asked := confirmation(
        request,
        question=_("Discard this file?"),
        consequence=_(
            "The file, its report and the values you chose are deleted; nothing of it is stored."
        ),
        button=_("Discard this file"),
        back=reverse("imports:job", args=[job.pk]),
    ):
        return asked
    if run_service(
        request,
        None,
        lambda: services.discard(job, by=request.user, request=request),
        _("The file and its report were deleted."),
    ):
        return redirect("imports:index")
    return redirect("imports:job", job.pk)


@require_POST
@role_required(Role.ORG_ADMIN)
def mapping_delete(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    saved = get_object_or_404(SavedMapping.objects.visible_to(request.user), pk=pk)
    services.delete_mapping(saved, by=request.user, request=request)
    messages.success(request, _("Mapping “%(name)s” deleted.") % {"name": saved.name})
    return redirect("imports:index")
