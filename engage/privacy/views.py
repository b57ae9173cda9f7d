"""The person's own requests about their data: views are glue around `privacy.services`."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseRedirectBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role
from engage.accounts.permissions import recent_authentication_required, role_required
from engage.cases import services as cases_services
from engage.cases import workflow
from engage.cases.access import CASE_WORKERS, get_case_for_user, get_case_object
from engage.cases.forms import PersonForm
from engage.lib.forms import error_summary, run_service
from engage.privacy import access, services
from engage.privacy.forms import SubjectRequestForm
from engage.privacy.models import SubjectRequest
from engage.sharing.models import DataRequest

FORMATS = ("json", "pdf")


@role_required(*CASE_WORKERS)
def case_requests(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    requests = list(case.subject_requests.select_related("person", "case"))
    context = {
        "case": case,
        "subject_requests": requests,
        "can_copy": case.shows_sensitive_to(request.user),
        # The erasures this user may do (`services.may_erase`: the team holding the person).
        "erasable": {
            entry.pk
            for entry in requests
            if entry.kind == SubjectRequest.Kind.ERASURE
            and services.may_erase(entry, request.user)
        },
        "copy_made_by": services.COPY_MADE_BY,
        # What the copy leaves out for its maker's role (`access.person_data`): the register of
        # authority requests, which a case manager does not read.
        "register_left_out": request.user.role not in DataRequest.READ_BY,
    }
    return render(request, "privacy/case_requests.html", context)


@role_required(*CASE_WORKERS)
def request_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    form = SubjectRequestForm(request.POST or None, case=case)
    if run_service(
        request,
        form,
        lambda: services.record_request(
            case, by=request.user, data=form.cleaned_data, request=request
        ),
        _("The person's request is recorded."),
    ):
        return redirect("privacy:case", case.pk)
    return render(request, "privacy/request_form.html", {"case": case, "form": form})


@role_required(*CASE_WORKERS)
def rectify(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Correct the person's identity and contact details (the right to rectification).

    `cases` owns the identity and its rule (`cases.services.update_identity`); each field
    changed is kept in the change history, and a concurrent edit is caught by its version.
    """
    case = get_case_for_user(request.user, pk, for_work=True)
    if run_service(request, None, lambda: workflow.require_step(case, "edit_identity")) is None:
        return redirect(case)
    form = PersonForm(request.POST or None, instance=case.person)
    data_fields = [name for name in form.fields if name != "version"]
    if run_service(
        request,
        form,
        lambda: cases_services.update_identity(
            case,
            by=request.user,
            expected_version=form.expected_version,
            data={name: form.cleaned_data[name] for name in data_fields},
        ),
        _("Identity details saved."),
    ):
        return redirect(case)
    context = {
        "case": case,
        "form": form,
        "title": gettext_lazy("Identity and contact details"),
        "intro": gettext_lazy(
            "Correct what the person asks to be corrected: each field changed is kept in the "
            "change history."
        ),
        "error_summary": error_summary(form),
    }
    return render(request, "cases/step_form.html", context)


@role_required(*CASE_WORKERS)
def export(request: AuthenticatedHttpRequest, pk: UUID, fmt: str) -> HttpResponse:
    entry = get_case_object(request.user, SubjectRequest, pk)
    if entry.kind != SubjectRequest.Kind.ACCESS or fmt not in FORMATS:
        raise Http404
    done = run_service(
        request, None, lambda: services.hand_over_access(entry, by=request.user, request=request)
    )
    if not done:  # refused: the reason is a message on the person's requests
        return redirect("privacy:case", entry.case_id)
    data = done.result
    if fmt == "json":
        response = HttpResponse(
            access.as_json(data), content_type="application/json; charset=utf-8"
        )
    else:
        response = HttpResponse(
            access.as_pdf(data, str(entry.person)), content_type="application/pdf"
        )
    response["Content-Disposition"] = f'attachment; filename="data-{entry.case.reference}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.SUPERVISOR)
@recent_authentication_required
def erase(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Erasure at the person's request, by a supervisor who has just confirmed their password."""
    entry = get_case_object(request.user, SubjectRequest, pk)
    if entry.kind != SubjectRequest.Kind.ERASURE or entry.person.erased_at is not None:
        raise Http404
    if not services.may_erase(entry, request.user):  # the service refuses it too
        messages.error(request, services.ERASED_BY)
        return redirect("privacy:case", entry.case_id)
    if request.method == "POST" and run_service(
        request,
        None,
        lambda: services.erase_on_request(entry, by=request.user),
        _("The person's identity and notes are erased."),
    ):
        return redirect("privacy:case", entry.case_id)
    return render(request, "privacy/erase.html", {"entry": entry, "case": entry.case})


# The addresses these pages had while they lived in `sharing` or `cases`: links kept elsewhere
# still work.
# Each loads what it names for the user first, so another organisation's id is still a 404.


@role_required(*CASE_WORKERS)
def moved_request_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    return redirect("privacy:request_new", case.pk, permanent=True)


class _RedirectKeepingMethod(HttpResponseRedirectBase):
    """308: the browser sends the same request again, a form's POST included."""

    status_code = 308


@role_required(*CASE_WORKERS)
def moved_rectify(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Rectification's address while it lived on the case, `/cases/<id>/identity/`."""
    case = get_case_for_user(request.user, pk, for_work=True)
    return _RedirectKeepingMethod(reverse("privacy:rectify", args=[case.pk]))


@role_required(*CASE_WORKERS)
def moved_export(request: AuthenticatedHttpRequest, pk: UUID, fmt: str) -> HttpResponse:
    entry = get_case_object(request.user, SubjectRequest, pk)
    return redirect("privacy:export", entry.pk, fmt, permanent=True)
