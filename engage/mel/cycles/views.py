"""Evaluation cycles, for the network coordinator: define a cycle, take a frozen snapshot at
each point, write the narratives, compare the snapshots. Views are glue around `cycles.py`.

Cycles and snapshots belong to the network, not to an organisation: only the network
coordinator reaches them, everyone else gets 404 (`role_required`).
"""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.models import Role
from engage.accounts.permissions import role_required, step_up_needed
from engage.lib.forms import run_service
from engage.mel import downloads
from engage.mel.cycles import feedback_views
from engage.mel.cycles import services as cycles
from engage.mel.cycles.forms import CycleDeleteForm, CycleForm, NarrativeForm, SnapshotForm
from engage.mel.models import EvaluationCycle, Narrative, Snapshot
from engage.mel.report import render as rendering

NETWORK = Role.NETWORK_COORDINATOR
FORMATS = ("html", "pdf", "json", "xlsx")


def _exact_needs_password(
    request: AuthenticatedHttpRequest, *snapshots: Snapshot
) -> HttpResponse | None:
    """The password prompt, when one of `snapshots` holds exact figures and the password was
    not typed in the last minutes (R20: as for the exact report and dashboard)."""
    if any(snapshot.disclosure == "exact" for snapshot in snapshots):
        return step_up_needed(request)
    return None


@role_required(NETWORK)
def cycle_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    cycles_ = EvaluationCycle.objects.annotate(snapshot_count=Count("snapshots")).order_by(
        "-period_start", "name"
    )
    page = Paginator(cycles_, 20).get_page(request.GET.get("page"))
    return render(request, "mel/cycles/list.html", {"page": page})


@role_required(NETWORK)
def cycle_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CycleForm(request.POST or None)
    if done := run_service(
        request,
        form,
        lambda: cycles.define_cycle(by=request.user, data=form.cleaned_data),
    ):
        cycle = done.result
        messages.success(request, _("Evaluation cycle defined."))
        return redirect("mel:cycle", cycle.pk)
    return render(request, "mel/cycles/form.html", {"form": form})


@role_required(NETWORK)
def cycle_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    cycle = get_object_or_404(EvaluationCycle, pk=pk)
    taken = {s.point: s for s in cycle.snapshots.all()}
    if refused := _exact_needs_password(request, *taken.values()):
        return refused
    comparison = cycles.comparison(cycle, by=request.user, request=request)
    points = [
        {
            "point": value,
            "label": label,
            "month": cycle.month_of(value),
            "snapshot": taken.get(value),
        }
        for value, label in EvaluationCycle.Point.choices
    ]
    context = {
        "cycle": cycle,
        "points": points,
        "comparison": rendering.comparison_context(comparison),
        "formats": FORMATS[:3],
        "feedback": feedback_views.cycle_context(cycle, request.user),
    }
    return render(request, "mel/cycles/detail.html", context)


@role_required(NETWORK)
def cycle_delete(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    cycle = get_object_or_404(EvaluationCycle, pk=pk)
    form = CycleDeleteForm(request.POST or None)
    if run_service(
        request,
        form,
        lambda: cycles.delete_cycle(cycle, by=request.user),
    ):
        messages.success(request, _("Evaluation cycle deleted."))
        return redirect("mel:cycles")
    return render(request, "mel/cycles/delete.html", {"cycle": cycle, "form": form})


def _point(request: AuthenticatedHttpRequest) -> str:
    point = request.POST.get("point") or request.GET.get("point", "")
    if point not in cycles.POINTS:
        raise Http404
    return point


@role_required(NETWORK)
def snapshot_take(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Ask for confirmation, then compute the point's report and freeze it."""
    cycle = get_object_or_404(EvaluationCycle, pk=pk)
    point = _point(request)
    form = SnapshotForm(request.POST or None)
    exact = form.is_bound and form.data.get("disclosure") == "exact"
    if exact and (refused := step_up_needed(request)):
        return refused  # the prompt sends the form again with the password
    if done := run_service(
        request,
        form,
        lambda: cycles.take_snapshot(
            cycle,
            point,
            by=request.user,
            level=form.cleaned_data["disclosure"],
            source=form.cleaned_data["source"],
            request=request,
        ),
    ):
        snapshot = done.result
        messages.success(request, _("Snapshot taken: its figures are now frozen."))
        return redirect("mel:snapshot", snapshot.pk)
    context = {
        "cycle": cycle,
        "point": point,
        "point_label": EvaluationCycle.Point(point).label,
        "month": cycle.month_of(point),
        "form": form,
        "questionnaire": cycle.questionnaires.filter(point=point).first(),
    }
    return render(request, "mel/cycles/snapshot_take.html", context)


@role_required(NETWORK)
def snapshot_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    snapshot = get_object_or_404(Snapshot.objects.select_related("cycle", "created_by"), pk=pk)
    if refused := _exact_needs_password(request, snapshot):
        return refused
    cycles.snapshot_disclosed(snapshot, by=request.user, channel="shown", request=request)
    written = {n.area: n for n in snapshot.narratives.all()}
    areas = [
        {"area": value, "label": label, "narrative": written.get(value)}
        for value, label in Narrative.Area.choices
    ]
    context = {
        "snapshot": snapshot,
        "report": snapshot.report,
        "indicators": rendering.indicator_rows(snapshot.report),
        "charts": rendering.charts(snapshot.report),
        "areas": areas,
        "fields": cycles.NARRATIVE_FIELDS,
        "formats": FORMATS,
        "member_feedback": feedback_views.labelled(snapshot.report.get("member_feedback")),
    }
    return render(request, "mel/cycles/snapshot.html", context)


@role_required(NETWORK)
def snapshot_download(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """The frozen report as a file, rendered from the stored JSON (never recomputed)."""
    snapshot = get_object_or_404(Snapshot.objects.select_related("cycle"), pk=pk)
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        raise Http404
    if refused := _exact_needs_password(request, snapshot):
        return refused
    report = cycles.snapshot_disclosed(
        snapshot, by=request.user, channel="downloaded", request=request
    )
    filename = f"snapshot-{snapshot.point}-{report['period']['end']}.{fmt}"
    return downloads.report_file(report, fmt, filename)


@keeps_typed_work
@role_required(NETWORK)
def narrative_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    snapshot = get_object_or_404(Snapshot.objects.select_related("cycle"), pk=pk)
    area = request.POST.get("area") or request.GET.get("area", "")
    if area not in cycles.AREAS:
        raise Http404
    if refused := _exact_needs_password(request, snapshot):
        return refused
    cycles.snapshot_disclosed(snapshot, by=request.user, channel="shown", request=request)
    narrative = cycles.narrative_for(snapshot, area)
    form = NarrativeForm(request.POST or None, instance=narrative)
    if run_service(
        request,
        form,
        lambda: cycles.save_narrative(
            snapshot,
            area,
            by=request.user,
            data=form.cleaned_data,
            expected_version=form.expected_version,
        ),
    ):
        messages.success(request, _("Narrative saved."))
        return redirect("mel:snapshot", snapshot.pk)
    context = {
        "snapshot": snapshot,
        "area": area,
        "area_label": Narrative.Area(area).label,
        "form": form,
        "indicators": [
            row
            for row in rendering.indicator_rows(snapshot.report)
            if cycles.AREA_OF_PREFIX.get(row["id"].split("-")[0]) == area
        ],
    }
    return render(request, "mel/cycles/narrative_form.html", context)


@role_required(NETWORK)
def comparison_download(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    cycle = get_object_or_404(EvaluationCycle, pk=pk)
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS[:3]:
        raise Http404
    if refused := _exact_needs_password(request, *cycle.snapshots.all()):
        return refused
    content = cycles.comparison_bytes(cycle, fmt, by=request.user, request=request)
    return downloads.file(content, fmt, f"evaluation-{cycle.period_start}.{fmt}")
