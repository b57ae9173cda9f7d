"""The stakeholder map, network activities and cost figures: glue only (rules in services)."""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest, organisation_id_of
from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.models import Role
from engage.accounts.permissions import ANY_STAFF, role_required
from engage.lib.forms import confirmation, run_service
from engage.network import services
from engage.network.forms import (
    ActivityForm,
    ActivitySearchForm,
    BudgetForm,
    DetentionCostForm,
    InteractionForm,
    StageForm,
    StakeholderForm,
    StakeholderSearchForm,
)
from engage.network.models import (
    MANAGERS,
    Activity,
    ActorType,
    DetentionCost,
    Interaction,
    ProgrammeBudget,
    Stage,
    Stakeholder,
    StakeholderQuerySet,
    may_manage,
    owner_filter,
)

PAGE_SIZE = 25
KEEPERS = (*MANAGERS, Role.NETWORK_COORDINATOR)


def _query_without_page(request: AuthenticatedHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _filtered(request: AuthenticatedHttpRequest) -> bool:
    return any(value for key, value in request.GET.items() if key != "page")


# The stakeholder map


def _search_stakeholders(
    request: AuthenticatedHttpRequest,
) -> tuple[StakeholderSearchForm, StakeholderQuerySet]:
    user = request.user
    found = Stakeholder.objects.visible_to(user).select_related("organisation")
    form = StakeholderSearchForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"].strip():
            # The "About" text is the owner's: a shared stakeholder gives others its name, type,
            # level, place and stage only, so its text neither shows nor is searched for them.
            about = Q(description__icontains=q) & owner_filter(user)
            found = found.filter(Q(name__icontains=q) | Q(city__icontains=q) | about)
        for name in ("actor_type", "level", "stage", "country"):
            if data[name]:
                found = found.filter(**{name: data[name]})
        if data["whose"] == "ours":
            found = found.filter(owner_filter(user))
        elif data["whose"] == "shared":
            found = found.exclude(owner_filter(user))
    return form, found


@role_required(*ANY_STAFF)
def stakeholder_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, found = _search_stakeholders(request)
    page = Paginator(found.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "filtered": _filtered(request),
        "can_manage": may_manage(request.user),
    }
    template = "network/_stakeholder_results.html" if request.htmx else "network/stakeholders.html"
    return render(request, template, context)


def _in_order_of(field: str, values: list[str]) -> Case:
    """Sorts by `field` in the order of its choices (the map's rows and columns), not by code."""
    return Case(*(When(**{field: value}, then=Value(n)) for n, value in enumerate(values)))


@role_required(*ANY_STAFF)
def stakeholder_map(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The stakeholders by type of actor and stage: the map as a table (same filters).

    Paged like the list: a page names PAGE_SIZE stakeholders, row by row and cell by cell in
    the table's order, so a page is a slice of the map. The counts are the whole map's (one
    grouped query): a cell says how many of its stakeholders are on other pages."""
    form, found = _search_stakeholders(request)
    counted: dict[tuple[str, str], int] = {
        (group["actor_type"], group["stage"]): group["n"]
        for group in found.order_by().values("actor_type", "stage").annotate(n=Count("pk"))
    }
    in_order = found.order_by(
        _in_order_of("actor_type", ActorType.values), _in_order_of("stage", Stage.values),
        "name", "pk",
    )  # fmt: skip
    page = Paginator(in_order, PAGE_SIZE).get_page(request.GET.get("page"))
    cells: dict[tuple[str, str], list[Stakeholder]] = {}
    for stakeholder in page.object_list:
        cells.setdefault((stakeholder.actor_type, stakeholder.stage), []).append(stakeholder)
    rows = []
    for value, label in ActorType.choices:
        listed = [cells.get((value, stage), []) for stage in Stage.values]
        rows.append({
            "label": label,
            # Each stage's label with its cell: a phone shows a row as a card, the cells named.
            "cells": [
                (stage_label, names, counted.get((value, stage), 0) - len(names))
                for (stage, stage_label), names in zip(Stage.choices, listed, strict=True)
            ],
            "total": sum(counted.get((value, stage), 0) for stage in Stage.values),
            "listed": sum(len(names) for names in listed),
        })  # fmt: skip
    totals = [
        (label, sum(counted.get((t, s), 0) for t in ActorType.values)) for s, label in Stage.choices
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "stages": Stage.choices,
        "totals": totals,
        "count": sum(total for _label, total in totals),
        "query": _query_without_page(request),
        "filtered": _filtered(request),
    }
    return render(request, "network/stakeholder_map.html", context)


@role_required(*ANY_STAFF)
def stakeholder_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    user = request.user
    stakeholder = get_object_or_404(
        Stakeholder.objects.visible_to(user).select_related("organisation"), pk=pk
    )
    own = Stakeholder.objects.owned_by_side_of(user).filter(pk=pk).exists()
    can_manage = own and may_manage(user)
    interactions = (
        Interaction.objects.filter(stakeholder=stakeholder).select_related("recorded_by")
        if own
        else Interaction.objects.none()
    )
    page = Paginator(interactions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "stakeholder": stakeholder,
        "own": own,
        "can_manage": can_manage,
        "stages": stakeholder.stages.select_related("by"),
        "page": page,
        "stage_form": StageForm(stakeholder=stakeholder, initial={"date": services.today()})
        if can_manage
        else None,
        "interaction_form": InteractionForm(initial={"date": services.today()})
        if can_manage
        else None,
    }
    return render(request, "network/stakeholder_detail.html", context)


def _managed_stakeholder(request: AuthenticatedHttpRequest, pk: UUID) -> Stakeholder:
    stakeholder: Stakeholder = get_object_or_404(
        Stakeholder.objects.managed_by(request.user), pk=pk
    )
    return stakeholder


@role_required(*KEEPERS)
def stakeholder_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _stakeholder_form(request, None)


@role_required(*KEEPERS)
def stakeholder_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    return _stakeholder_form(request, _managed_stakeholder(request, pk))


def _stakeholder_form(
    request: AuthenticatedHttpRequest, stakeholder: Stakeholder | None
) -> HttpResponse:
    initial = {"stage_date": services.today()} if stakeholder is None else None
    form = StakeholderForm(request.POST or None, instance=stakeholder, initial=initial)
    if done := run_service(
        request,
        form,
        lambda: services.save_stakeholder(
            by=request.user,
            data=form.cleaned_data,
            stakeholder=stakeholder,
            expected_version=form.expected_version if stakeholder else None,
            stage=form.cleaned_data.get("stage"),
            stage_date=form.cleaned_data.get("stage_date"),
        ),
    ):
        saved = done.result
        messages.success(request, _("Stakeholder saved."))
        return redirect(saved)
    context = {"form": form, "stakeholder": stakeholder}
    return render(request, "network/stakeholder_form.html", context)


@role_required(*KEEPERS)
def stakeholder_stage(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    stakeholder = _managed_stakeholder(request, pk)
    form = StageForm(
        request.POST or None, stakeholder=stakeholder, initial={"date": services.today()}
    )
    if run_service(
        request,
        form,
        lambda: services.change_stage(
            stakeholder,
            by=request.user,
            stage=form.cleaned_data["stage"],
            date=form.cleaned_data["date"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("Stage changed."))
        return redirect(stakeholder)
    context = {"form": form, "stakeholder": stakeholder, "what": "stage"}
    return render(request, "network/stakeholder_step.html", context, status=_status(form))


@keeps_typed_work
@role_required(*KEEPERS)
def interaction_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    stakeholder = _managed_stakeholder(request, pk)
    form = InteractionForm(request.POST or None, initial={"date": services.today()})
    if run_service(
        request,
        form,
        lambda: services.log_interaction(stakeholder, by=request.user, data=form.cleaned_data),
    ):
        messages.success(request, _("Interaction logged."))
        return redirect(stakeholder)
    context = {"form": form, "stakeholder": stakeholder, "what": "interaction"}
    return render(request, "network/stakeholder_step.html", context, status=_status(form))


@require_POST
@role_required(*KEEPERS)
def interaction_delete(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    interaction = get_object_or_404(
        Interaction.objects.filter(stakeholder__in=Stakeholder.objects.managed_by(request.user)),
        pk=pk,
    )
    stakeholder = interaction.stakeholder
    if asked := confirmation(
        request,
        question=_("Remove this interaction?"),
        consequence=_("It leaves the stakeholder's record and the network's figures."),
        button=_("Remove"),
        back=stakeholder.get_absolute_url(),
    ):
        return asked
    services.delete_interaction(interaction, by=request.user)
    messages.success(request, _("Interaction removed."))
    return redirect(stakeholder)


def _status(form: forms.BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


# Network activities


@role_required(*ANY_STAFF)
def activity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    found = Activity.objects.visible_to(request.user).select_related("organisation")
    form = ActivitySearchForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            found = found.filter(kind=data["kind"])
        if data["start"]:
            found = found.filter(date__gte=data["start"])
        if data["end"]:
            found = found.filter(date__lte=data["end"])
        if q := data["q"].strip():
            found = found.filter(Q(title__icontains=q) | Q(city__icontains=q))
    page = Paginator(found.order_by("-date", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "filtered": _filtered(request),
        "can_manage": may_manage(request.user),
        "managed": set(
            Activity.objects.managed_by(request.user)
            .filter(pk__in=[a.pk for a in page.object_list])
            .values_list("pk", flat=True)
        ),
    }
    return render(request, "network/activities.html", context)


@keeps_typed_work
@role_required(*KEEPERS)
def activity_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _activity_form(request, None)


@keeps_typed_work
@role_required(*KEEPERS)
def activity_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    activity = get_object_or_404(Activity.objects.managed_by(request.user), pk=pk)
    return _activity_form(request, activity)


def _activity_form(request: AuthenticatedHttpRequest, activity: Activity | None) -> HttpResponse:
    initial = {"date": services.today()} if activity is None else None
    form = ActivityForm(request.POST or None, instance=activity, initial=initial, user=request.user)
    if run_service(
        request,
        form,
        lambda: services.save_activity(
            by=request.user,
            data=form.cleaned_data,
            activity=activity,
            expected_version=form.expected_version if activity else None,
        ),
    ):
        messages.success(request, _("Activity saved."))
        return redirect("network:activities")
    context = {"form": form, "activity": activity}
    return render(request, "network/activity_form.html", context, status=_status(form))


@require_POST
@role_required(*KEEPERS)
def activity_delete(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    activity = get_object_or_404(Activity.objects.managed_by(request.user), pk=pk)
    if asked := confirmation(
        request,
        question=_("Remove this activity?"),
        consequence=_("It leaves the list and the network's figures (NET indicators)."),
        button=_("Remove this activity"),
        back=reverse("network:activity_edit", args=[activity.pk]),
    ):
        return asked
    services.delete_activity(activity, by=request.user)
    messages.success(request, _("Activity removed."))
    return redirect("network:activities")


# Costs


@role_required(Role.NETWORK_COORDINATOR)
def detention_costs(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _detention_cost_form(request, None)


@role_required(Role.NETWORK_COORDINATOR)
def detention_cost_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    return _detention_cost_form(request, get_object_or_404(DetentionCost, pk=pk))


def _detention_cost_form(
    request: AuthenticatedHttpRequest, cost: DetentionCost | None
) -> HttpResponse:
    form = DetentionCostForm(request.POST or None, instance=cost)
    if run_service(
        request,
        form,
        lambda: services.save_detention_cost(
            by=request.user,
            data=form.cleaned_data,
            cost=cost,
            expected_version=form.expected_version if cost else None,
        ),
    ):
        messages.success(request, _("Cost of detention saved."))
        return redirect("network:detention_costs")
    listed = DetentionCost.objects.select_related("entered_by")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "cost": cost, "page": page}
    return render(request, "network/detention_costs.html", context, status=_status(form))


@role_required(Role.ORG_ADMIN)
def budgets(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _budget_form(request, None)


@role_required(Role.ORG_ADMIN)
def budget_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    budget = get_object_or_404(
        ProgrammeBudget.objects.filter(organisation_id=organisation_id_of(request.user)), pk=pk
    )
    return _budget_form(request, budget)


def _budget_form(request: AuthenticatedHttpRequest, budget: ProgrammeBudget | None) -> HttpResponse:
    form = BudgetForm(request.POST or None, instance=budget)
    if run_service(
        request,
        form,
        lambda: services.save_budget(
            by=request.user,
            data=form.cleaned_data,
            budget=budget,
            expected_version=form.expected_version if budget else None,
        ),
    ):
        messages.success(request, _("Budget saved."))
        return redirect("network:budgets")
    listed = ProgrammeBudget.objects.filter(organisation_id=organisation_id_of(request.user))
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "budget": budget, "page": page}
    return render(request, "network/budgets.html", context, status=_status(form))
