"""The organisation admin's pages: the organisation's own fields, their options, a preview of
each form, and the configuration a sister pilot can start from."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Role
from engage.accounts.permissions import role_required
from engage.custom import config, downloads, services
from engage.custom.figures import answer_counts
from engage.custom.forms import (
    FieldForm,
    OptionForm,
    built_in_fields,
    preview_form,
)
from engage.custom.models import ChoiceOption, CustomField, Form
from engage.lib.forms import error_summary, run_service
from engage.mel.forms import DashboardForm, this_month


def _field(request: AuthenticatedHttpRequest, pk: UUID) -> CustomField:
    """A field of the user's organisation, or 404 (another organisation's too)."""
    return services.get_field_for_admin(request.user, pk)


def _form_name(form: str) -> str:
    if form not in Form.values:
        raise Http404
    return form


@role_required(Role.ORG_ADMIN)
def field_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    fields = (
        services.fields_of(organisation)
        .select_related("condition_field")
        .annotate(answers=Count("values"))
        .order_by("form", "retired_at", "position")
    )
    by_form: dict[str, list[CustomField]] = {form: [] for form in Form.values}
    for field in fields:
        by_form[field.form].append(field)
    places = {form: dict(built_in_fields(form)) for form in Form.values}
    sections = [
        {
            "form": form,
            "label": label,
            "fields": [(field, places[form].get(field.after, "")) for field in by_form[form]],
        }
        for form, label in Form.choices
    ]
    return render(request, "custom/field_list.html", {"sections": sections})


@role_required(Role.ORG_ADMIN)
def field_add(request: AuthenticatedHttpRequest, form: str) -> HttpResponse:
    organisation = organisation_of(request.user)
    form_name = _form_name(form)
    sent = FieldForm(request.POST or None, organisation=organisation, form_name=form_name)
    if done := run_service(
        request,
        sent,
        lambda: services.define_field(
            organisation,
            by=request.user,
            form=form_name,
            type=sent.cleaned_data["type"],
            key=sent.cleaned_data.get("key") or "",
            options=sent.option_labels(),
            **sent.settings(),
        ),
    ):
        field = done.result
        messages.success(request, _("The field was added."))
        return redirect("custom:edit", field.pk)
    return render(
        request,
        "custom/field_form.html",
        {
            "form": sent,
            "form_label": Form(form_name).label,
            "form_name": form_name,
            "error_summary": error_summary(sent),
        },
    )


@role_required(Role.ORG_ADMIN)
def field_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    organisation = organisation_of(request.user)
    field = _field(request, pk)
    sent = FieldForm(
        request.POST or None, organisation=organisation, form_name=field.form, field=field
    )

    def update() -> None:
        changes: dict[str, Any] = sent.settings()
        if not sent.fields["type"].disabled:
            changes["type"] = sent.cleaned_data["type"]
        if not sent.fields["key"].disabled and sent.cleaned_data.get("key"):
            changes["key"] = sent.cleaned_data["key"]
        services.update_field(
            field, by=request.user, expected_version=sent.cleaned_data["version"], **changes
        )

    if run_service(request, sent, update, _("The field was saved.")):
        return redirect("custom:edit", field.pk)
    return _field_page(request, field, sent)


def _field_page(
    request: AuthenticatedHttpRequest,
    field: CustomField,
    sent: FieldForm,
    renamed: OptionForm | None = None,
) -> HttpResponse:
    """The field's page: its settings (`sent`), and a form per option to rename it, where
    `renamed` is the one sent and refused, shown again as typed with why."""
    organisation = organisation_of(request.user)
    option_forms = [
        (
            option,
            renamed
            if renamed is not None and renamed.prefix == _option_prefix(option)
            else OptionForm(
                organisation=organisation,
                existing=option.label_translations,
                version=option.version,
                initial={"label": option.label},
                prefix=_option_prefix(option),
            ),
        )
        for option in field.options.all()
    ]
    return render(
        request,
        "custom/field_form.html",
        {
            "form": sent,
            "field": field,
            "form_label": Form(field.form).label,
            "form_name": field.form,
            "used": services.has_values(field),
            "option_forms": option_forms,
            "new_option": OptionForm(organisation=organisation, prefix="new-option"),
            "error_summary": error_summary(sent),
        },
    )


@require_POST
@role_required(Role.ORG_ADMIN)
def field_action(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Move, retire, bring back or delete a field (a button each on its page and the list)."""
    field = _field(request, pk)
    action = request.POST.get("action", "")
    back = "custom:list" if request.POST.get("back") == "list" else None
    if action in ("up", "down"):
        run_service(
            request, None, lambda: services.move_field(field, by=request.user, up=action == "up")
        )
    elif action == "retire":
        run_service(
            request,
            None,
            lambda: services.retire_field(field, by=request.user),
            _("The field is retired: no longer on the forms, its answers kept."),
        )
    elif action == "restore":
        run_service(
            request,
            None,
            lambda: services.retire_field(field, by=request.user, retired=False),
            _("The field is on the forms again."),
        )
    elif action == "delete":
        if run_service(
            request,
            None,
            lambda: services.delete_field(field, by=request.user),
            _("The field was deleted."),
        ):
            return redirect("custom:list")
    else:
        # The field is found (it is the user's); what is asked of it is not understood.
        return HttpResponseBadRequest()
    if back:
        return redirect(back)
    return redirect("custom:edit", field.pk)


@require_POST
@role_required(Role.ORG_ADMIN)
def option_action(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Add an option to a choice field, or rename, move, retire or bring back one."""
    organisation = organisation_of(request.user)
    field = _field(request, pk)
    action = request.POST.get("action", "")
    if action == "add":
        sent = OptionForm(request.POST, organisation=organisation, prefix="new-option")
        if not sent.is_valid():
            messages.error(request, _("Give the option a label."))
        else:
            run_service(
                request,
                None,
                lambda: services.add_option(
                    field,
                    by=request.user,
                    label=sent.cleaned_data["label"],
                    label_translations=sent.translations(),
                ),
                _("The option was added."),
            )
    else:
        try:
            option_pk = UUID(request.POST.get("option", ""))
        except ValueError:
            return HttpResponseBadRequest()
        option = services.get_option(field, option_pk)
        if action in ("up", "down"):
            run_service(
                request,
                None,
                lambda: services.move_option(option, by=request.user, up=action == "up"),
            )
        elif action in ("retire", "restore"):
            run_service(
                request,
                None,
                lambda: services.retire_option(option, by=request.user, retired=action == "retire"),
            )
        elif action == "rename":
            renamed = OptionForm(
                request.POST,
                organisation=organisation,
                version=option.version,
                prefix=_option_prefix(option),
            )
            if not run_service(
                request,
                renamed,
                lambda: services.update_option(
                    option,
                    by=request.user,
                    label=renamed.cleaned_data["label"],
                    label_translations=renamed.translations(),
                    expected_version=renamed.cleaned_data["version"],
                ),
                _("The option was saved."),
            ):
                # Refused (no label, or renamed by someone else since): the field's page again,
                # the option's form as typed, with why.
                field_form = FieldForm(organisation=organisation, form_name=field.form, field=field)
                return _field_page(request, field, field_form, renamed)
        else:
            raise Http404
    return redirect(f"{field_url(field)}#options")


def _option_prefix(option: ChoiceOption) -> str:
    return f"option-{option.pk}"


def field_url(field: CustomField) -> str:
    from django.urls import reverse

    return reverse("custom:edit", args=[field.pk])


@role_required(Role.ORG_ADMIN)
def form_preview(request: AuthenticatedHttpRequest, form: str) -> HttpResponse:
    form_name = _form_name(form)
    preview = preview_form(organisation_of(request.user), form_name, request.user)
    return render(
        request,
        "custom/preview.html",
        {"form": preview, "form_label": Form(form_name).label, "form_name": form_name},
    )


# The configuration of a pilot, for a sister pilot to start from (issue 15, item 5)


@role_required(Role.ORG_ADMIN)
def config_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    return downloads.configuration(request.user)


# The file checked and waiting for the admin's confirmation, in the session (no personal data).
PENDING = "custom_config_import"


@role_required(Role.ORG_ADMIN)
def config_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    context: dict[str, Any] = {}
    if request.method == "POST" and "confirm" in request.POST:
        document = request.session.pop(PENDING, None)
        if document is None:
            messages.error(request, _("Nothing waits to be imported: choose the file again."))
            return redirect("custom:import")
        try:
            plan = config.check(document, organisation)
            config.apply(plan, organisation, by=request.user)
        except config.ConfigError as error:
            context["problems"] = error.problems
        else:
            messages.success(request, _("The configuration was imported."))
            return redirect("custom:list")
    elif request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["problems"] = [_("Choose a configuration file.")]
        else:
            try:
                document = config.read(upload)
                plan = config.check(document, organisation)
            except config.ConfigError as error:
                context["problems"] = error.problems
            else:
                # What the fields' own rules would refuse at the confirmation, said now.
                if refused := config.refusals(plan, organisation, by=request.user):
                    context["problems"] = refused
                else:
                    request.session[PENDING] = document
                    context["plan"] = plan
    return render(request, "custom/config_import.html", context)


@role_required(Role.SUPERVISOR, Role.ORG_ADMIN)
def figures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The pilot's own figures of its own fields: the answers of its yes/no and choice fields
    counted over its cases, at network disclosure level (`figures.py`)."""
    organisation = organisation_of(request.user)
    period = DashboardForm(request.GET or None, user=request.user, default_end=this_month())
    start, end, _level = period.period()  # always the network level: the form offers no other
    forms = answer_counts(organisation, start=start, end=end)
    return render(
        request,
        "custom/figures.html",
        {"form": period, "forms": forms, "start": start, "end": end, "organisation": organisation},
    )
