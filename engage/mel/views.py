"""The evidence pages: a pilot's submission, imports at the hub, reports and dashboards.

Views are glue: the rules (who gets which figures, what is audited) are in `services.py`,
the figures of the dashboards in `dashboards.py`, the file responses in `downloads.py`.
"""

import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Role
from engage.accounts.permissions import (
    recent_authentication_required,
    role_required,
    step_up_needed,
)
from engage.mel import downloads, runs, services
from engage.mel.dataset.submission import MAX_REPORTED, InvalidSubmission
from engage.mel.forms import (
    FORMAT_CHOICES,
    DashboardForm,
    ExportForm,
    ImportForm,
    LinkageRoundForm,
    ReportForm,
    last_month,
    pilot_sources,
    this_month,
)
from engage.mel.models import LinkageRound, Submission
from engage.mel.report import dashboards
from engage.mel.report import render as render_report

NETWORK = Role.NETWORK_COORDINATOR
PILOT_STAFF = (Role.SUPERVISOR, Role.ORG_ADMIN)


# What each suppressed column becomes, as the preview says it.
SUPPRESSED_AS = {
    "city": _("City: left empty"),
    "sex": _("Sex: unknown"),
    "age_band": _("Age band: unknown"),
    "nationality_region": _("Region of nationality: unknown"),
    "migration_status": _("Migration status: unknown"),
    "detention_at_referral": _("Detention at referral: unknown"),
}


@role_required(Role.ORG_ADMIN)
@recent_authentication_required  # the dataset leaves the organisation (issue 10 #12)
def export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """This organisation's network submission: first a preview of what the export suppressed
    and why, then the download of exactly the rows previewed (what `engage export_dataset`
    writes)."""
    organisation = organisation_of(request.user)
    form = ExportForm(request.POST or None, initial={"period_end": this_month()})
    context: dict[str, Any] = {"form": form, "organisation": organisation,
                     "linkage_round": services.open_round_of(organisation)}  # fmt: skip
    if request.method == "POST" and form.is_valid():
        period_end, checked = form.cleaned_data["period_end"], form.cleaned_data["sha256"]
        if checked:
            with tempfile.TemporaryDirectory(prefix="engage-export-") as folder:
                try:
                    services.export(organisation, Path(folder), period_end,
                                    expected_sha256=checked, by=request.user,
                                    request=request)  # fmt: skip
                except services.PreviewOutdated:
                    context["outdated"] = True
                else:
                    return downloads.submission_zip(
                        Path(folder), f"{organisation.code}-{period_end}.zip"
                    )
        preview = services.preview(organisation, period_end)
        context.update(
            preview=preview,
            suppressed=[
                (SUPPRESSED_AS[column], count)
                for column, count in preview.protection.suppressed.items()
            ],
            download_form=ExportForm(initial={"period_end": period_end, "sha256": preview.sha256}),
        )
    return render(request, "mel/export.html", context)


@role_required(Role.ORG_ADMIN)
def linkage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The key of this pilot's linkage round: entered here, kept encrypted, erased at closure."""
    organisation = organisation_of(request.user)
    # The key decides who can test names against the network's person_ref: typed from a
    # session left open, every later export was testable by whoever knew it (as item 52's
    # retention). Reading the page needs no password; opening a round does (R20).
    if request.method == "POST" and (refused := step_up_needed(request)):
        return refused
    current = services.open_round_of(organisation)
    form = LinkageRoundForm(request.POST or None)
    if request.method == "POST" and current is None and form.is_valid():
        try:
            services.open_round(organisation, name=form.cleaned_data["name"],
                                key=form.cleaned_data["key"], by=request.user,
                                request=request)  # fmt: skip
        except services.RoundError as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("mel:linkage")
    # A round a reporting period: the older ones were cut off at 20, now they are paged.
    rounds = (
        LinkageRound.objects.visible_to(request.user)
        .select_related("opened_by", "closed_by")
        .order_by("-opened_at", "pk")
    )
    page = Paginator(rounds, 20).get_page(request.GET.get("page"))
    return render(request, "mel/linkage.html", {"form": form, "current": current, "page": page})


@require_POST
@role_required(Role.ORG_ADMIN)
def linkage_close(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    linkage = get_object_or_404(
        LinkageRound.objects.visible_to(request.user), pk=pk, closed_at=None
    )
    services.close_round(linkage, by=request.user, request=request)
    return redirect("mel:linkage")


@role_required(NETWORK)
def import_submission(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Import a pilot's .zip; a refused submission stores nothing and its report is shown."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            context["counts"] = _import(request, form.cleaned_data["submission"])
        except InvalidSubmission as refused:
            context["problems"] = refused.problems[:MAX_REPORTED]
            context["problem_count"] = len(refused.problems)
            status = 400
        else:
            context["imported"] = Submission.objects.select_related("imported_by").first()
            form = context["form"] = ImportForm()
    return render(request, "mel/import.html", context, status=status)


def _import(request: AuthenticatedHttpRequest, upload: UploadedFile) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="engage-import-") as folder:
        path = Path(folder) / "submission.zip"
        with open(path, "wb") as file:
            for chunk in upload.chunks():
                file.write(chunk)
        return services.import_submission(path, by=request.user, request=request)


@role_required(NETWORK)
def submissions(request: AuthenticatedHttpRequest) -> HttpResponse:
    listed = Submission.objects.select_related("imported_by").order_by("-imported_at")
    page = Paginator(listed, 25).get_page(request.GET.get("page"))
    retention = settings.ENGAGE_NETWORK_RETENTION_MONTHS
    return render(request, "mel/submissions.html", {"page": page, "retention": retention})


@role_required(NETWORK, *PILOT_STAFF)
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The options of `engage mel_report`; the report is made in the background (`mel.runs`)
    and shown on its own page, or the one already made for them over the same data."""
    form = ReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Exact figures are the coordinator's alone, and need the password again (R20).
        if data["disclosure"] == "exact" and (refused := step_up_needed(request)):
            return refused
        baseline = (
            (data["baseline_start"], data["baseline_end"]) if data["baseline_start"] else None
        )
        # The form offers only what the user may have; the service checks again (a 403).
        run, _reused = runs.start(
            by=request.user,
            start=data["start"],
            end=data["end"],
            pilots=data["pilots"],
            source=data["source"],
            level=data["disclosure"],
            baseline=baseline,
            overrides=pilot_sources(form),
        )
        return redirect(run)
    return render(request, "mel/report_form.html", {"form": form})


@role_required(NETWORK, *PILOT_STAFF)
def report_run(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """A report's page: its progress while it is made (polled by htmx, refreshed without
    JavaScript), then the report itself with its downloads, or why it was not made."""
    run = runs.get_run_for_user(request.user, pk)
    context: dict[str, Any] = {"run": run, "step_text": runs.step_text(run.step_label)}
    if request.htmx:
        if run.in_progress:
            return render(request, "mel/_report_progress.html", context)
        # Finished: htmx reloads the whole page, which shows the report.
        return HttpResponse(headers={"HX-Refresh": "true"})
    context["formats"] = FORMAT_CHOICES
    if run.status == run.Status.DONE:
        if run.level == "exact" and (refused := step_up_needed(request)):
            return refused
        result = runs.disclose(run, by=request.user, channel="web report page", request=request)
        context["body"] = render_report.report_body(result)
    return render(request, "mel/report_run.html", context)


@role_required(NETWORK, *PILOT_STAFF)
def report_download(request: AuthenticatedHttpRequest, pk: UUID, fmt: str) -> HttpResponse:
    """The finished report as a file, rendered from the report kept on the run."""
    run = runs.get_run_for_user(request.user, pk)
    if run.status != run.Status.DONE or fmt not in services.REPORT_FORMATS:
        raise Http404
    if run.level == "exact" and (refused := step_up_needed(request)):
        return refused
    result = runs.disclose(run, by=request.user, channel=f"web report {fmt}", request=request)
    name = f"indicators-{run.start}-{run.end}.{fmt}"
    if fmt == "pdf":  # laid out by the worker when the report was made (runs.pdf_of)
        return downloads.report_file_bytes(runs.pdf_of(run, result), fmt, name)
    return downloads.report_file(result, fmt, name)


@role_required(NETWORK)
def network_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    # By default the last complete month: the period every pilot should have submitted.
    form = DashboardForm(request.GET or None, user=request.user, default_end=last_month())
    start, end, level = form.period()
    if level == "exact" and (refused := step_up_needed(request)):
        return refused
    context = dashboards.network(start=start, end=end, level=level, by=request.user,
                                 request=request, overrides=pilot_sources(form))  # fmt: skip
    freshness = dashboards.freshness(end, context["sources"])
    context.update(
        form=form,
        freshness=freshness,
        missing=[entry for entry in freshness if not entry["current"] and not entry["live"]],
    )
    return render(request, "mel/network_dashboard.html", context)


@role_required(*PILOT_STAFF)
def pilot_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    # By default up to this month: live figures as the cases stand today. Pilot staff see
    # their own pilot at network level only.
    form = DashboardForm(request.GET or None, user=request.user, default_end=this_month())
    start, end, _level = form.period()
    organisation = organisation_of(request.user)
    context = dashboards.pilot(organisation=organisation, start=start, end=end,
                               by=request.user, request=request)  # fmt: skip
    context.update(form=form, organisation=organisation)
    return render(request, "mel/pilot_dashboard.html", context)
