"""The organisation admin's export of the organisation's own records (see own_export)."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Role
from engage.accounts.permissions import recent_authentication_required, role_required
from engage.sharing import own_export


class ExportForm(forms.Form):
    passphrase = forms.CharField(
        label=_("Passphrase"),
        min_length=own_export.MIN_PASSPHRASE,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters; several words are easiest. Engage does not keep it: "
            "without it the archive cannot be opened. Pass it on by another channel than "
            "the file."
        ),
    )
    confirmation = forms.CharField(
        label=_("Passphrase again"), widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("passphrase") != data.get("confirmation"):
            self.add_error("confirmation", _("The two passphrases differ."))
        return data


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def own_records(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        content = own_export.export_own_records(
            organisation,
            by=request.user,
            passphrase=form.cleaned_data["passphrase"],
            request=request,
        )
        # The organisation's own data to itself, not a share (no consent to check): see
        # own_export's docstring and docs/security.md R11.
        response = HttpResponse(content, content_type="application/octet-stream")
        name = f"engage-{organisation.code}-{timezone.localdate():%Y%m%d}.engage-export"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return render(request, "sharing/own_export.html", {"form": form})
