"""The audit log, as an organisation admin reads and filters it."""

import datetime

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Role, User
from engage.accounts.permissions import role_required
from engage.audit.labels import labels_for
from engage.audit.models import AuditEvent

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(label=_("Who"), queryset=User.objects.none(), required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    high = forms.BooleanField(label=_("High severity only"), required=False)

    def __init__(self, *args, organisation_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = User.objects.filter(
            organisation_id=organisation_id
        ).order_by("first_name", "last_name")
        self.fields["action"].choices = [("", _("Anything")), *AuditEvent.Action.choices]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end comes before the start."))
        return data


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@role_required(Role.ORG_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation_id = request.user.organisation_id
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
        }
        for event in rows
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "entries": entries, "query": query.urlencode()}
    template = "accounts/_audit_results.html" if request.htmx else "accounts/audit_log.html"
    return render(request, template, context)
