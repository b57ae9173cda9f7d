import zoneinfo
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth import forms as auth_forms
from django.utils.translation import get_language, get_language_info, override
from django.utils.translation import gettext_lazy as _

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import (
    ORGANISATION_ROLES,
    LegalBasis,
    Organisation,
    Role,
    Team,
    User,
)
from engage.lib.concurrency import VersionedFormMixin

ROLE_CHOICES = [(role.value, role.label) for role in ORGANISATION_ROLES]


def _model_choice(field: forms.Field) -> "forms.ModelChoiceField[Any]":
    """A form's field known to be a ModelChoiceField (`self.fields` holds plain `Field`s)."""
    return cast("forms.ModelChoiceField[Any]", field)


def _choice(field: forms.Field) -> forms.ChoiceField:
    """A form's field known to be a ChoiceField."""
    return cast(forms.ChoiceField, field)


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *ROLE_CHOICES]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Active and inactive")),
            ("active", _("Active")),
            ("inactive", _("Inactive")),
        ],
    )


def language_choices() -> list[tuple[str, str]]:
    """Engage's languages, each in its own name, after "the browser's"."""
    return [("", _("The browser's language"))] + [
        (code, get_language_info(code)["name_local"].capitalize())
        for code, _name in settings.LANGUAGES
    ]


class _UserDetailsForm(forms.ModelForm[User]):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "role",
            "team",
            "may_override_consent",
            "language",
        ]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self.fields["team"]).queryset = Team.objects.filter(organisation=organisation)
        self.fields["team"].help_text = _(
            "Case managers see their own cases; a team's supervisor sees the team's."
        )
        if "language" in self.fields:
            _choice(self.fields["language"]).choices = language_choices()
            self.fields["language"].help_text = _(
                "Engage, its emails and its documents speak this language to them. Each person "
                "can change it with the language switch at the top of every page."
            )


class UserCreateForm(_UserDetailsForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only. Used to sign in."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 12 characters. The new user must choose their own at first sign-in."),
    )

    class Meta(_UserDetailsForm.Meta):
        fields = ["username", "first_name", "last_name", "email", "role", "team"]

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        candidate = User(
            username=self.cleaned_data.get("username", ""),
            first_name=self.data.get("first_name", ""),
            last_name=self.data.get("last_name", ""),
            email=self.data.get("email", ""),
        )
        password_validation.validate_password(password, candidate)
        return password


class UserEditForm(VersionedFormMixin, _UserDetailsForm):
    pass


class TeamForm(VersionedFormMixin, forms.ModelForm[Team]):
    class Meta:
        model = Team
        fields = ["name", "leader"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        _model_choice(self.fields["leader"]).queryset = User.objects.filter(
            organisation=organisation, role=Role.SUPERVISOR, is_active=True
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        clash = Team.objects.filter(organisation=self.organisation, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Your organisation already has a team with this name."))
        return name


class OrganisationForm(VersionedFormMixin, forms.ModelForm[Organisation]):
    cities = forms.CharField(
        label=_("Cities"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One city per line: the cities where the pilot works with clients."),
        error_messages={"required": _("Name at least one city.")},
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "contact_interval_days",
            "reassessment_interval_days",
            "plan_review_interval_days",
            "retention_months",
            "offline_hours",
            "caseload_target_min",
            "caseload_target_max",
            "time_zone",
            "default_legal_basis",
        ]
        # The limit's bounds said in hours and days, next to the field (the model's validators
        # would only say "less than or equal to 336").
        error_messages = {
            "offline_hours": {
                "min_value": _("Between 1 hour and 14 days (336 hours)."),
                "max_value": _("Between 1 hour and 14 days (336 hours)."),
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones() | {self.instance.time_zone})
        self.fields["time_zone"].widget = forms.Select(choices=[(zone, zone) for zone in zones])
        self.fields["time_zone"].required = False  # left out: stays as it is
        # The model's bounds, so that a browser says them before sending too.
        self.fields["offline_hours"].widget.attrs.update(min=1, max=24 * 14)
        _choice(self.fields["default_legal_basis"]).choices = [
            ("", _("None: chosen on each referral")),
            *LegalBasis.choices,
        ]
        self.fields["cities"].initial = "\n".join(
            self.instance.cities.values_list("name", flat=True)
        )

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data.get("time_zone") or self.instance.time_zone
        return zone

    def clean_cities(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["cities"].splitlines() if line.strip()]
        if not names:
            raise forms.ValidationError(_("Name at least one city."))
        too_long = [name for name in names if len(name) > 100]
        if too_long:
            raise forms.ValidationError(_("A city name may have at most 100 characters."))
        return names


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autofocus": True})
    )

    def __init__(
        self, *args: Any, user: User, request: AuthenticatedHttpRequest, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not is_their_password(self.request, self.user, password):
            raise forms.ValidationError(_("This is not your password."))
        return password


def is_their_password(request: AuthenticatedHttpRequest, user: User, password: str) -> bool:
    """Whether `password` is `user`'s, typed again inside their session: checked as a sign-in
    checks it, so that django-axes counts the failures (locking the person and address out
    after five, as on the sign-in page) and the audit log records each one
    (`accounts.signals`, detail `step_up`). The step-up prompt and the password change."""
    request.engage_step_up = True
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with the current password checked as the step-up prompt checks it
    (`is_their_password`): Django's `check_password` counted nothing, so whoever held a
    session could guess it without end, and the right guess set their own (docs/security.md,
    item 50). The view ends the session after five wrong ones (`step_up.failed`)."""

    def __init__(self, user: User, *args: Any, request: AuthenticatedHttpRequest, **kwargs: Any):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        password: str = self.cleaned_data["old_password"]
        if not is_their_password(self.request, self.user, password):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return password


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class VerifyForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset request, except that the email goes out after the answer has gone.

    Only a known address causes an email; rendered and sent during the request (an SMTP round
    trip), it would make the answer for a known address measurably slower than for an unknown
    one, and so tell whether an account exists. The view calls `send_deferred` once the
    response has been sent, so both answers are the same page in the same time class.
    """

    email = forms.EmailField(
        label=_("Email address of your Engage account"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (language, arguments, keyword arguments) of each email to send.
        self._deferred: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # In the person's own language, or else the one the page was asked in.
        language = getattr(context.get("user"), "language", "") or get_language()
        self._deferred.append(
            (language, (subject_template_name, email_template_name, context, *args), kwargs)
        )

    def send_deferred(self) -> None:
        for language, args, kwargs in self._deferred:
            with override(language):
                super().send_mail(*args, **kwargs)  # logs failures by user id, never the address
        self._deferred.clear()
