"""My week, and the personal calendar feed: the page that makes it and the feed itself."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from engage.accounts import mfa
from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role, User, supervised_by
from engage.accounts.permissions import recent_authentication_required, role_required
from engage.agenda import ical, services
from engage.agenda.forms import WeekFilterForm
from engage.agenda.week import upcoming
from engage.cases.access import CASE_WORKERS, record_case_reads
from engage.cases.models import Case
from engage.lib.scoping import user_scope


def _team(user: User) -> QuerySet[User]:
    """The people whose week a supervisor may see: themself and the members of their teams."""
    return (
        User.objects.visible_to(user)
        .filter(supervised_by(user), is_active=True)
        .order_by("first_name", "last_name")
    )


@role_required(*CASE_WORKERS)
def week(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    cases = Case.objects.visible_to(user)
    form = None
    if user.role == Role.SUPERVISOR:
        managers = _team(user)
        form = WeekFilterForm(request.GET or None, managers=managers)
        chosen = form.cleaned_data["case_manager"] if form.is_valid() else None
        cases = (
            cases.filter(case_manager=chosen) if chosen else cases.filter(case_manager__in=managers)
        )
    else:
        chosen = user
        cases = cases.filter(case_manager=user)
    agenda = upcoming(cases, timezone.localdate())
    record_case_reads(user, {item.case for day in agenda.days for item in day.items})
    context = {
        "week": agenda,
        "form": form,
        # A team's week says whose each item is.
        "show_case_manager": chosen is None,
        "is_supervisor": user.role == Role.SUPERVISOR,
    }
    return render(request, "agenda/week.html", context)


# The calendar feed


def _feed_url(request: HttpRequest, key: str) -> str:
    return request.build_absolute_uri(f"{reverse('agenda:feed')}?key={key}")


@role_required(*CASE_WORKERS)
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"feed": services.feed_in_force(request.user)}
    return render(request, "agenda/calendar.html", context)


@require_POST
@role_required(*CASE_WORKERS)
@recent_authentication_required(then="agenda:calendar")
def calendar_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    # As for an API token: the address outlives the session, so an unverified session that
    # ever got here is refused.
    if mfa.required() and not request.user.is_verified():
        raise Http404
    feed, key = services.create_feed(request.user, request=request)
    url = _feed_url(request, key)
    context = {"feed": feed, "url": url, "webcal": "webcal://" + url.split("://", 1)[1]}
    return render(request, "agenda/calendar_created.html", context)


@require_POST
@role_required(*CASE_WORKERS)
def calendar_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    feed = services.feed_in_force(request.user)
    if feed is not None:
        services.revoke_feed(feed, by=request.user, request=request)
        messages.success(request, _("Your calendar address no longer works."))
    return redirect("agenda:calendar")


@login_not_required
@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    """The feed, read by a calendar app with the key and no session (404 for a bad key)."""
    key = request.GET.get("key", "")
    if not key:
        raise Http404
    try:
        calendar_feed = services.read_feed(key, request=request)
    except services.FeedRefused as refused:
        if refused.too_many:
            return HttpResponse(status=429, headers={"Retry-After": "3600"})
        raise Http404 from None
    owner = calendar_feed.user
    zone = owner.organisation.time_zone if owner.organisation else settings.TIME_ZONE
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))
    # No session: the owner's organisation scope and language are entered here.
    with user_scope(owner), translation.override(owner.language or settings.LANGUAGE_CODE):
        appointments = list(services.feed_appointments(owner, today))
        record_case_reads(owner, {appointment.case for appointment in appointments})
        body = ical.calendar(
            appointments,
            name="Engage",
            time_zone=zone,
            now=timezone.now(),
            link=lambda appointment: request.build_absolute_uri(
                appointment.case.get_absolute_url()
            ),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="engage.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
