"""The organisation admin's export of the organisation's own records (see own_export).

Two steps: the first draws a passphrase and shows it once (Engage keeps it nowhere); the second
downloads the archive encrypted with it. Between the two the passphrase travels in the page,
signed, so that nobody can download an archive under a passphrase of their own choosing.
"""

from typing import Any

from django import forms
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Role
from engage.accounts.permissions import recent_authentication_required, role_required
from engage.sharing import own_export

TOKEN_MINUTES = 30


def _salt(request: AuthenticatedHttpRequest) -> str:
    return f"engage.own_export:{request.user.pk}"


class DownloadForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, request: AuthenticatedHttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_token(self) -> str:
        try:
            passphrase = signing.loads(
                self.cleaned_data["token"], salt=_salt(self.request), max_age=TOKEN_MINUTES * 60
            )
        except signing.BadSignature:
            raise forms.ValidationError(
                _("This passphrase has expired: prepare the export again.")
            ) from None
        if not isinstance(passphrase, str) or not own_export.is_generated(passphrase):
            raise forms.ValidationError(_("Prepare the export again."))
        return passphrase


@role_required(Role.ORG_ADMIN)
@recent_authentication_required
def own_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = organisation_of(request.user)
    if request.method == "POST" and "token" in request.POST:
        form = DownloadForm(request.POST, request=request)
        if form.is_valid():
            content = own_export.export_own_records(
                organisation,
                by=request.user,
                passphrase=form.cleaned_data["token"],
                request=request,
            )
            # The organisation's own data to itself, not a share (no consent to check): see
            # own_export's docstring and docs/security.md R11.
            response = HttpResponse(content, content_type="application/zip")
            name = f"engage-{organisation.code}-{timezone.localdate():%Y%m%d}.zip"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "no-store"
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return render(request, "sharing/own_export.html", {"errors": form.errors["token"]})
    if request.method == "POST":
        passphrase = own_export.new_passphrase()
        token = signing.dumps(passphrase, salt=_salt(request))
        return render(
            request,
            "sharing/own_export.html",
            {
                "passphrase": passphrase,
                "form": DownloadForm(initial={"token": token}, request=request),
                "minutes": TOKEN_MINUTES,
            },
        )
    return render(request, "sharing/own_export.html", {})
