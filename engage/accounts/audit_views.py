"""The audit log, as an organisation admin reads and filters it."""

import datetime
from typing import Any, cast
from uuid import UUID

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Role, User
from engage.accounts.permissions import role_required
from engage.audit.details import readable
from engage.audit.labels import kind_of, labels_for
from engage.audit.models import AuditEvent

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Who"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    action = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    high = forms.BooleanField(label=_("High severity only"), required=False)

    def __init__(self, *args: Any, organisation_id: UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = cast("forms.ModelChoiceField[User]", self.fields["actor"])
        actor.queryset = User.objects.filter(organisation_id=organisation_id).order_by(
            "first_name", "last_name"
        )
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", _("Anything")), *AuditEvent.Action.choices]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end comes before the start."))
        return data


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@role_required(Role.ORG_ADMIN)
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation_id = organisation_of(request.user).pk
    form = AuditFilterForm(request.GET or None, organisation_id=organisation_id)
    events = AuditEvent.objects.filter(organisation_id=organisation_id)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            events = events.filter(actor_id=data["actor"].pk)
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["since"]:
            events = events.filter(at__gte=_day_start(data["since"]))
        if data["until"]:
            events = events.filter(at__lt=_day_start(data["until"] + datetime.timedelta(days=1)))
        if data["high"]:
            events = events.filter(high_severity=True)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events.order_by("-at"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    people = User.objects.in_bulk({e.actor_id for e in rows if e.actor_id})
    labels = labels_for(organisation_id, rows)
    entries = [
        {
            "event": event,
            "actor": people.get(event.actor_id),
            "label": labels.get((event.object_type, event.object_id)),
            "kind": kind_of(event.object_type) if event.object_type else "",
            # The detail in the reader's words where its shape is known; the page keeps the code.
            "detail": readable(event),
        }
        for event in rows
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "entries": entries, "query": query.urlencode()}
    template = "accounts/_audit_results.html" if request.htmx else "accounts/audit_log.html"
    return render(request, template, context)
