from typing import Any, cast
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from engage.accounts import services, step_up
from engage.accounts.forms import (
    ConfirmPasswordForm,
    OrganisationForm,
    PasswordChangeForm,
    PasswordResetForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Role, Team, User
from engage.accounts.permissions import (
    ANY_STAFF,
    recent_authentication_required,
    role_required,
)
from engage.lib.forms import run_service

PAGE_SIZE = 25


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 401  # the page says why; the status says it too
        return response

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if language := form.get_user().language:
            # Their own language from now on, on this device too, even signed out again.
            translation.activate(language)
            set_language_cookie(response, language)
        return response


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Set the cookie Django's LocaleMiddleware reads, as Django's own switch does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_not_required
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: Django's, and for a signed-in person their choice kept
    on their profile, for their next sign-in, their emails and their documents."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and translation.check_for_language(language)
    ):
        services.set_language(request.user, language, request=request)
    return response


@method_decorator(role_required(*ANY_STAFF), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard:home")
    form_class = PasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        # A wrong current password counts as one at the step-up prompt: five end the session.
        if form.has_error("old_password", "password_incorrect"):
            refused = step_up.failed(cast(AuthenticatedHttpRequest, self.request))
            if refused is not None:
                return refused
        return super().form_invalid(form)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(form.user)
        messages.success(
            self.request,
            _("Your password was changed. API tokens you had made no longer work."),
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email: the same answer whether the address is known or not."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, Any]:
        return {"minutes": _reset_link_minutes()}

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        response = super().form_valid(form)
        # Django calls a response's closers once the server has sent it (the test client
        # too), so the email is rendered and sent after the person has their answer.
        # (`_resource_closers` is Django's own, not in its stubs.)
        response._resource_closers.append(form.send_deferred)  # type: ignore[attr-defined]
        return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(minutes=_reset_link_minutes(), **kwargs)


def _reset_link_minutes() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 60)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from an emailed link (Django hides the posted passwords from
    error reports). It signs nobody in, so the next sign-in asks for the password and then
    for the second step, as always."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def get_user(self, uidb64: str) -> User | None:
        # Django reads the account whether or not it is active: a link sent before a
        # deactivation chose the deactivated account's password, for its reactivation.
        user: User | None = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: "SetPasswordForm[User]") -> HttpResponse:
        response = super().form_valid(form)
        services.password_reset(form.user, request=self.request)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def get_colleague(user: User, pk: UUID) -> User:
    """Return a user of `user`'s own organisation, or 404."""
    return get_object_or_404(User.objects.visible_to(user).select_related("team"), pk=pk)


def get_team(user: User, pk: UUID) -> Team:
    return get_object_or_404(Team.objects.visible_to(user), pk=pk)


def _search_users(user: User, form: UserSearchForm) -> QuerySet[User]:
    users = User.objects.visible_to(user).select_related("team")
    if not form.is_valid():
        return users
    if q := form.cleaned_data["q"].strip():
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    if role := form.cleaned_data["role"]:
        users = users.filter(role=role)
    if status := form.cleaned_data["status"]:
        users = users.filter(is_active=status == "active")
    return users


@role_required(Role.ORG_ADMIN)
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET)
    page = Paginator(_search_users(request.user, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx:
        return render(request, "accounts/_user_results.html", context)
    return render(request, "accounts/user_list.html", context)


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    form = UserCreateForm(request.POST or None, organisation=organisation)
    if done := run_service(
        request, form, lambda: services.create_user(organisation=organisation, **form.cleaned_data)
    ):
        messages.success(request, _("%(name)s can now sign in.") % {"name": done.result})
        return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def user_edit(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    colleague = get_colleague(request.user, pk)
    form = UserEditForm(
        request.POST or None, instance=colleague, organisation=colleague.organisation
    )
    if run_service(
        request,
        form,
        lambda: services.update_user(
            colleague,
            by=request.user,
            expected_version=form.expected_version,
            role=form.cleaned_data["role"],
            team=form.cleaned_data["team"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            email=form.cleaned_data["email"],
            may_override_consent=form.cleaned_data["may_override_consent"],
            language=form.cleaned_data["language"],
        ),
    ):
        # Named after the change: the name may be what changed.
        messages.success(request, _("The changes to %(name)s were saved.") % {"name": colleague})
        return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "colleague": colleague})


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def user_deactivate(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    colleague = get_colleague(request.user, pk)
    # Nothing to fill in: the form only carries a refusal (an admin deactivating themselves).
    form = forms.Form(request.POST if request.method == "POST" else None)
    if done := run_service(
        request, form, lambda: services.deactivate_user(colleague, by=request.user)
    ):
        messages.success(
            request,
            _("%(name)s was deactivated; %(count)s open session(s) ended.")
            % {"name": colleague, "count": done.result},
        )
        return redirect("accounts:user_list")
    error = next(iter(form.non_field_errors()), None)
    return render(
        request, "accounts/user_deactivate.html", {"colleague": colleague, "error": error}
    )


@require_POST
@role_required(Role.ORG_ADMIN)
@recent_authentication_required(then="accounts:user_list")
def user_reactivate(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    colleague = get_colleague(request.user, pk)
    services.reactivate_user(colleague, by=request.user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": colleague})
    return redirect("accounts:user_list")


@role_required(Role.ORG_ADMIN)
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    teams = Team.objects.visible_to(request.user).with_member_counts().order_by("name", "pk")
    page = Paginator(teams, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/team_list.html", {"page": page})


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def team_form(request: AuthenticatedHttpRequest, pk: UUID | None = None) -> HttpResponse:
    organisation = organisation_of(request.user)
    team = get_team(request.user, pk) if pk else Team(organisation=organisation)
    form = TeamForm(request.POST or None, instance=team, organisation=organisation)
    if run_service(
        request,
        form,
        lambda: services.save_team(
            form.instance, expected_version=form.cleaned_data.get("version"), by=request.user
        ),
    ):
        messages.success(request, _("Team %(name)s was saved.") % {"name": form.instance})
        return redirect("accounts:team_list")
    return render(
        request, "accounts/team_form.html", {"form": form, "team": team, "creating": pk is None}
    )


@role_required(Role.ORG_ADMIN)
# Its settings decide how long personal data lives: a retention of one month, saved from a
# session left open, erased every closed case at the next run (docs/security.md, item 52).
@recent_authentication_required
def organisation_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if run_service(
        request,
        form,
        lambda: services.update_organisation(
            organisation, expected_version=form.expected_version, **form.cleaned_data
        ),
        _("The organisation's details were saved."),
    ):
        return redirect("accounts:organisation_edit")
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


@sensitive_post_parameters("password")
@role_required(*ANY_STAFF)
def confirm_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step-up: type the password again before a sensitive operation."""
    target = request.POST.get("next") or request.GET.get("next") or reverse("dashboard:home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard:home")
    form = ConfirmPasswordForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST":
        if (refused := step_up.verify(request, form)) is not None:
            return refused
        if form.is_valid():
            return redirect(target)
    return render(request, "accounts/confirm_password.html", {"form": form, "next": target})
