"""The service directory, referrals from a case, and the referral statistics: glue only."""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.permissions import ANY_STAFF, role_required
from engage.cases import workflow
from engage.cases.access import (
    CASE_WORKERS,
    get_case_for_user,
    get_case_object,
    record_case_reads,
)
from engage.directory import services, statistics
from engage.directory.forms import (
    ContactPersonForm,
    DirectorySearchForm,
    ReferralForm,
    ReferralUpdateForm,
    ServiceForm,
)
from engage.directory.models import MANAGERS, ContactPerson, Referral, Service
from engage.lib.crypto import normalise
from engage.lib.forms import run_service
from engage.sharing import screening

PAGE_SIZE = 25


# The directory


@role_required(*ANY_STAFF)
def service_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    services_seen = Service.objects.visible_to(user).select_related("organisation")
    form = DirectorySearchForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        # Folded as the service's copies are (Service.fold_search): case and accents aside.
        if q := normalise(data["q"]):
            services_seen = services_seen.filter(search_text__contains=q)
        if data["type"]:
            services_seen = services_seen.filter(type=data["type"])
        if city := normalise(data["city"]):
            services_seen = services_seen.filter(search_city__contains=city)
        if language := normalise(data["language"]):
            services_seen = services_seen.filter(search_languages__contains=language)
        if data["without_status"]:
            services_seen = services_seen.filter(serves_without_status=True)
        # The network coordinator has no organisation: Django reads `= None` as IS NULL,
        # which its stubs do not allow for.
        if data["whose"] == "ours":
            services_seen = services_seen.filter(
                organisation_id=user.organisation_id  # type: ignore[misc]
            )
        elif data["whose"] == "network":
            services_seen = services_seen.exclude(
                organisation_id=user.organisation_id  # type: ignore[misc]
            )
    if not (form.is_valid() and form.cleaned_data["inactive"]):
        services_seen = services_seen.filter(active=True)
    page = Paginator(services_seen.order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_manage": user.role in MANAGERS and user.organisation_id is not None,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }
    template = "directory/_results.html" if request.htmx else "directory/service_list.html"
    return render(request, template, context)


@role_required(*ANY_STAFF)
def service_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    service = get_object_or_404(
        Service.objects.visible_to(request.user).select_related("organisation", "recipient"),
        pk=pk,
    )
    own = service.organisation_id == request.user.organisation_id
    context = {
        "service": service,
        "own": own,
        # Contact persons never leave their organisation, even on a shared service.
        "contacts": ContactPerson.objects.visible_to(request.user).filter(service=service)
        if own
        else [],
        "can_manage": own and request.user.role in MANAGERS,
        "contact_form": ContactPersonForm() if own and request.user.role in MANAGERS else None,
        "held": own and screening.held(service.recipient),
        "enforcement": own and service.recipient.never_shared_with,
    }
    return render(request, "directory/service_detail.html", context)


def _managed_service(request: AuthenticatedHttpRequest, pk: UUID) -> Service:
    return get_object_or_404(Service.objects.managed_by(request.user), pk=pk)


@role_required(*MANAGERS)
def service_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _service_form(request, None)


@role_required(*MANAGERS)
def service_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    return _service_form(request, _managed_service(request, pk))


def _service_form(request: AuthenticatedHttpRequest, service: Service | None) -> HttpResponse:
    form = ServiceForm(
        request.POST or None, instance=service, organisation=organisation_of(request.user)
    )
    if done := run_service(
        request,
        form,
        lambda: services.save_service(
            organisation_of(request.user),
            by=request.user,
            data=form.cleaned_data,
            service=service,
            expected_version=form.expected_version if service else None,
        ),
    ):
        saved = done.result
        messages.success(request, _("Service saved."))
        if screening.held(saved.recipient):
            messages.warning(
                request,
                _(
                    "Its name resembles an enforcement body: nothing is shared with it until "
                    "a second person (another admin or a supervisor) confirms it is not one."
                ),
            )
        return redirect(saved)
    return render(request, "directory/service_form.html", {"form": form, "service": service})


@role_required(*MANAGERS)
def contact_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    service = _managed_service(request, pk)
    form = ContactPersonForm(request.POST or None)
    if run_service(
        request,
        form,
        lambda: services.save_contact(service, by=request.user, data=form.cleaned_data),
    ):
        messages.success(request, _("Contact person added."))
        return redirect(service)
    context = {"form": form, "service": service}
    return render(request, "directory/contact_form.html", context)


def _managed_contact(request: AuthenticatedHttpRequest, pk: UUID) -> ContactPerson:
    managed = Service.objects.managed_by(request.user).values("pk")
    # The manager django-scopes makes is untyped (docs/architecture.md, "Types").
    contact: ContactPerson = get_object_or_404(
        ContactPerson.objects.visible_to(request.user)
        .filter(service__in=managed)
        .select_related("service"),
        pk=pk,
    )
    return contact


@role_required(*MANAGERS)
def contact_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    contact = _managed_contact(request, pk)
    form = ContactPersonForm(request.POST or None, instance=contact)
    if run_service(
        request,
        form,
        lambda: services.save_contact(
            contact.service,
            by=request.user,
            data=form.cleaned_data,
            contact=contact,
            expected_version=form.expected_version,
        ),
    ):
        messages.success(request, _("Contact person saved."))
        return redirect(contact.service)
    context = {"form": form, "service": contact.service, "contact": contact}
    return render(request, "directory/contact_form.html", context)


@require_POST
@role_required(*MANAGERS)
def contact_remove(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    contact = _managed_contact(request, pk)
    service = contact.service
    services.remove_contact(contact, by=request.user)
    messages.success(request, _("Contact person removed."))
    return redirect(service)


@role_required(*MANAGERS)
def referral_statistics(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = statistics.per_service(organisation_of(request.user))
    return render(request, "directory/statistics.html", {"rows": rows})


# Referrals from a case


@role_required(*CASE_WORKERS)
def referral_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    initial: dict[str, object] = {"made_on": services.today()}
    if chosen := request.GET.get("service"):
        initial["service"] = chosen
    form = ReferralForm(request.POST or None, case=case, initial=initial)
    refusal = None
    try:
        done = run_service(
            request,
            form,
            lambda: services.make_referral(
                case,
                by=request.user,
                service=form.cleaned_data["service"],
                made_on=form.cleaned_data["made_on"],
                reason=form.cleaned_data["reason"],
                categories=form.cleaned_data["categories"],
                request=request,
            ),
            _("Referral recorded."),
        )
    except services.ReferralRefused as refused:
        refusal = str(refused)
    else:
        if done:
            return redirect(done.result)
    context = {"case": case, "form": form, "refusal": refusal}
    return render(request, "directory/referral_form.html", context, status=403 if refusal else 200)


@keeps_typed_work
@role_required(*CASE_WORKERS)
def referral_detail(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    referral = get_case_object(request.user, Referral, pk)
    # Reading a referral is reading the case file: audited like the case page.
    case = get_case_for_user(request.user, referral.case_id, for_work=True)
    record_case_reads(request.user, [case, referral])
    allowed = services.allowed_statuses(referral)
    # No news is taken on the case of a person erased (item 60): the page says why instead.
    erased = workflow.erased_reason(case)
    form = None
    if allowed and erased is None:
        form = ReferralUpdateForm(
            request.POST or None,
            referral=referral,
            allowed=allowed,
            initial={"date": services.today()},
        )
    if form is not None and run_service(
        request,
        form,
        lambda: services.update_referral(
            referral,
            by=request.user,
            status=form.cleaned_data["status"],
            date=form.cleaned_data["date"],
            outcome_note=form.cleaned_data["outcome_note"],
            expected_version=form.cleaned_data["version"],
            request=request,
        ),
        _("Referral updated."),
    ):
        return redirect(referral)
    context = {
        "referral": referral,
        "case": case,
        "service": referral.service,
        "share": referral.share,
        "form": form,
        "erased": erased,
    }
    return render(request, "directory/referral_detail.html", context)
