"""Consent, sharing and the register of data requests: views are glue around the services."""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.models import Role, User
from engage.accounts.permissions import (
    recent_authentication_required,
    recently_authenticated,
    role_required,
)
from engage.cases import workflow
from engage.cases.access import CASE_WORKERS, get_case_for_user, get_case_object
from engage.cases.models import Case
from engage.cases.models.case import CaseQuerySet
from engage.lib.forms import run_service
from engage.sharing import screening, services
from engage.sharing.forms import (
    ConsentForm,
    DataRequestForm,
    DecisionForm,
    EnforcementBodyForm,
    KindCorrectionForm,
    OverrideForm,
    RecipientForm,
    ScreeningDecisionForm,
    ShareForm,
    WithdrawForm,
)
from engage.sharing.models import (
    Consent,
    DataRequest,
    EnforcementBody,
    Recipient,
    Share,
)

REGISTER_READERS = DataRequest.READ_BY
PAGE_SIZE = 25


@role_required(*CASE_WORKERS)
def case_sharing(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    shares = list(case.shares.select_related("person", "recipient", "consent"))
    context = {
        "case": case,
        "consents": case.consents.select_related("person", "recipient"),
        "shares": shares,
        # Data that left before the person withdrew their consent: ask the recipient to delete.
        "left_after_withdrawal": [share for share in shares if share.withdrawn_after_it_left],
        "may_share": case.shows_sensitive_to(request.user),
        "shared_by": services.SHARED_BY,
        # The client erased and nobody of their household left to consent for: a consent or
        # a share would be refused (item 60), so the page says why instead of offering them.
        "erased": workflow.ERASED
        if workflow.person_erased(case) and not services.releasable_people(case).exists()
        else None,
    }
    return render(request, "sharing/case_sharing.html", context)


def _not_a_sharer(request: AuthenticatedHttpRequest, case: Case) -> HttpResponse | None:
    """Back to the case's sharing page, saying why, for who may not release its data (the
    services refuse it too)."""
    if case.shows_sensitive_to(request.user):
        return None
    messages.error(request, services.SHARED_BY)
    return redirect("sharing:case", case.pk)


@role_required(*CASE_WORKERS)
def consent_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if (refused := _not_a_sharer(request, case)) is not None:
        return refused
    form = ConsentForm(request.POST or None, case=case)
    if run_service(
        request,
        form,
        lambda: services.record_consent(case, by=request.user, data=form.cleaned_data),
        _("Consent recorded."),
    ):
        return redirect("sharing:case", case.pk)
    return render(request, "sharing/consent_form.html", {"case": case, "form": form})


@role_required(*CASE_WORKERS)
def consent_withdraw(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    consent = get_case_object(request.user, Consent, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A refusal says why on the next page (the case's sharing page), not on this form.
        done = run_service(
            request,
            None,
            lambda: services.withdraw_consent(
                consent, by=request.user, note=form.cleaned_data["note"]
            ),
        )
        if done:
            withdrawn = done.result
            messages.success(
                request,
                ngettext(
                    "Consent withdrawn; %(count)s share not handed over yet was cancelled.",
                    "Consent withdrawn; %(count)s shares not handed over yet were cancelled.",
                    withdrawn.voided,
                )
                % {"count": withdrawn.voided},
            )
            if withdrawn.left:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)s share had already been handed over: ask the recipient to "
                        "delete that data (listed below).",
                        "%(count)s shares had already been handed over: ask the recipients to "
                        "delete that data (listed below).",
                        len(withdrawn.left),
                    )
                    % {"count": len(withdrawn.left)},
                )
        return redirect("sharing:case", consent.case_id)
    left = consent.shares.filter(handed_over_at__isnull=False)
    context = {"consent": consent, "form": form, "left": left}
    return render(request, "sharing/consent_withdraw.html", context)


def _share(
    request: AuthenticatedHttpRequest, case: Case, form: ShareForm, *, override: bool
) -> HttpResponse | None:
    """Ask the sharing service; a refusal is a 403 page that says why."""
    if request.method != "POST" or not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        done = run_service(
            request,
            form,
            lambda: services.request_share(
                case,
                by=request.user,
                person=data["person"],
                recipient=data["recipient"],
                purpose=data["purpose"],
                categories=data["categories"],
                override_reason=data.get("override_reason", "") if override else "",
                recently_authenticated=recently_authenticated(request),
                request=request,
            ),
        )
    except services.SharingRefused as refusal:
        context = {"case": case, "reason": str(refusal), "can_override": _can_override(request)}
        return render(request, "sharing/refused.html", context, status=403)
    if not done:
        return None
    share = done.result
    # The worker produces the share (docs/tasks.md): say where it stands now.
    share.refresh_from_db(fields=["status"])
    messages.success(
        request, _("Share requested: %(status)s.") % {"status": share.get_status_display()}
    )
    return redirect("sharing:case", case.pk)


def _can_override(request: AuthenticatedHttpRequest) -> bool:
    return request.user.may_override_consent


@role_required(*CASE_WORKERS)
def share_new(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if (refused := _not_a_sharer(request, case)) is not None:
        return refused
    form = ShareForm(request.POST or None, case=case)
    if (response := _share(request, case, form, override=False)) is not None:
        return response
    context = {"case": case, "form": form, "can_override": _can_override(request)}
    return render(request, "sharing/share_form.html", context)


@role_required(*CASE_WORKERS)
@recent_authentication_required
def share_override(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    if (refused := _not_a_sharer(request, case)) is not None:
        return refused
    form = OverrideForm(request.POST or None, case=case)
    if (response := _share(request, case, form, override=True)) is not None:
        return response
    context = {"case": case, "form": form, "override": True}
    return render(request, "sharing/share_form.html", context)


@role_required(*CASE_WORKERS)
def share_download(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    share = get_case_object(request.user, Share, pk)
    try:
        done = run_service(
            request, None, lambda: services.hand_over(share, by=request.user, request=request)
        )
    except services.SharingRefused as refusal:
        context = {"case": share.case, "reason": str(refusal), "hand_over": True}
        return render(request, "sharing/refused.html", context, status=403)
    if not done:
        return redirect("sharing:case", share.case_id)
    response = HttpResponse(done.result, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="share-{share.case.reference}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(*CASE_WORKERS)
def share_deletion_asked(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    share = get_case_object(request.user, Share, pk)
    run_service(
        request,
        None,
        lambda: services.ask_deletion(share, by=request.user, request=request),
        _("Recorded: the recipient was asked to delete the data."),
    )
    return redirect("sharing:case", share.case_id)


# Recipients (an organisation admin's list), the screening and its second person


def _own_recipient(request: AuthenticatedHttpRequest, pk: UUID) -> Recipient:
    return get_object_or_404(Recipient, organisation=request.user.organisation, pk=pk)


@role_required(Role.ORG_ADMIN)
def recipients(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    form = RecipientForm(request.POST or None)
    done = run_service(
        request,
        form,
        lambda: services.create_recipient(
            organisation,
            by=request.user,
            name=form.cleaned_data["name"],
            type=form.cleaned_data["type"],
        ),
        _("Recipient added."),
    )
    if done:
        if screening.held(done.result):
            messages.warning(request, str(services.HELD_MESSAGE))
        return redirect("sharing:recipients")
    # Every service of the directory is a recipient too: an organisation's list grows with its
    # network, so it is read a page at a time, each screened against the same terms.
    listed = Recipient.objects.filter(organisation=organisation).order_by("name", "pk")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    terms = screening.terms_for(organisation.pk)
    listed_here = [(recipient, screening.warning(recipient, terms)) for recipient in page]
    context = {"form": form, "page": page, "recipients": listed_here}
    return render(request, "sharing/recipients.html", context)


@require_POST
@role_required(Role.ORG_ADMIN)
def recipient_toggle(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    recipient = _own_recipient(request, pk)
    run_service(
        request,
        None,
        # The state the button asked for, not the opposite of the stored one: a second click
        # from a page read before the first must not undo it.
        lambda: services.set_recipient_in_use(
            recipient,
            by=request.user,
            active=request.POST.get("active", "0" if recipient.active else "1") == "1",
            request=request,
        ),
    )
    return redirect("sharing:recipients")


@role_required(Role.ORG_ADMIN)
def recipient_kind(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    recipient = _own_recipient(request, pk)
    form = KindCorrectionForm(request.POST or None, recipient=recipient)
    if run_service(
        request,
        form,
        lambda: services.correct_kind(
            recipient,
            by=request.user,
            type=form.cleaned_data["type"],
            expected_version=form.cleaned_data["version"],
            request=request,
        ),
        _("Kind corrected."),
    ):
        return redirect("sharing:recipients")
    context = {"recipient": recipient, "form": form}
    return render(request, "sharing/recipient_kind.html", context)


@role_required(*services.SECOND_PERSONS)
def recipients_to_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    waiting = screening.waiting(request.user.organisation_id)
    return render(request, "sharing/recipients_to_confirm.html", {"waiting": waiting})


@role_required(*services.SECOND_PERSONS)
def recipient_confirm(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    recipient = get_object_or_404(
        Recipient.objects.select_related("set_by"),
        organisation_id=request.user.organisation_id,
        pk=pk,
    )
    warning = screening.warning(recipient)
    may_confirm = bool(warning) and services.may_confirm(request.user, recipient)
    form = ScreeningDecisionForm(request.POST or None) if may_confirm else None
    if form is not None and run_service(
        request,
        form,
        lambda: services.confirm_recipient(
            recipient,
            by=request.user,
            enforcement=form.cleaned_data["decision"] == ScreeningDecisionForm.ENFORCEMENT,
            request=request,
        ),
        _("Your answer is recorded."),
    ):
        return redirect("sharing:recipients_to_confirm")
    context = {
        "recipient": recipient,
        "warning": warning,
        "matched": warning.partition(":")[2],
        "form": form,
    }
    return render(request, "sharing/recipient_confirm.html", context)


@role_required(Role.ORG_ADMIN)
def enforcement_bodies(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    form = EnforcementBodyForm(request.POST or None)
    if run_service(
        request,
        form,
        lambda: services.add_enforcement_body(
            organisation, by=request.user, name=form.cleaned_data["name"]
        ),
        _("Added to the list."),
    ):
        return redirect("sharing:enforcement_bodies")
    context = {
        "form": form,
        "own": EnforcementBody.objects.filter(organisation=organisation),
        "built_in": screening.BUILT_IN,
    }
    return render(request, "sharing/enforcement_bodies.html", context)


@require_POST
@role_required(Role.ORG_ADMIN)
def enforcement_body_remove(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    entry = get_object_or_404(EnforcementBody, organisation=request.user.organisation, pk=pk)
    run_service(
        request,
        None,
        lambda: services.remove_enforcement_body(entry, by=request.user),
        _("Removed from the list."),
    )
    return redirect("sharing:enforcement_bodies")


# The register of external data requests


def _register_cases(user: User) -> QuerySet[Case]:
    """The cases whose requests `user` reads, decides and registers: a supervisor's, those of
    the teams they lead, not those seen through a client's household only (what an authority
    asked about the partner's case is that team's to answer); the admin's, the organisation's."""
    cases: CaseQuerySet = Case.objects.visible_to(user)
    if user.role == Role.SUPERVISOR:
        cases = cases.of_own_teams(user)
    return cases


def _register_of(user: User) -> QuerySet[DataRequest]:
    """The requests `user` may read and decide: those about a case of `_register_cases`, and
    those about no case. A supervisor does not read what was asked about another team's client;
    the admin sees the organisation's."""
    cases = _register_cases(user).values("pk")
    requests: QuerySet[DataRequest] = DataRequest.objects.visible_to(user)
    return requests.filter(Q(case__isnull=True) | Q(case__in=cases))


@role_required(*REGISTER_READERS)
def data_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    listed = _register_of(request.user).select_related("case", "decided_by")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sharing/requests.html", {"page": page})


def _register_request(request: AuthenticatedHttpRequest, form: DataRequestForm) -> DataRequest:
    data = dict(form.cleaned_data)
    data["case"] = data.pop("case_reference")
    return services.register_request(organisation_of(request.user), by=request.user, data=data)


@keeps_typed_work
@role_required(*REGISTER_READERS)
def data_request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DataRequestForm(request.POST or None, cases=_register_cases(request.user))
    done = run_service(
        request,
        form,
        lambda: _register_request(request, form),
        _("Request registered. Decide on it below."),
    )
    if done:
        return redirect("sharing:request", done.result.pk)
    return render(request, "sharing/request_form.html", {"form": form})


@role_required(*REGISTER_READERS)
def data_request(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    entry = get_object_or_404(_register_of(request.user), pk=pk)
    form = DecisionForm(request.POST or None, instance=entry)
    if run_service(
        request,
        form,
        lambda: services.decide_request(
            entry,
            by=request.user,
            data={name: value for name, value in form.cleaned_data.items() if name != "version"},
            expected_version=form.expected_version,
        ),
        _("Decision recorded."),
    ):
        return redirect("sharing:requests")
    return render(request, "sharing/request_detail.html", {"entry": entry, "form": form})
