"""A person's appointments as an iCalendar feed (RFC 5545), for the calendar of their phone.

A phone's calendar is outside the firewall: it is copied to the servers of whoever provides
it. So each event carries the kind of appointment and the case reference, its day and time,
and a link to the case page (a random id, useless without signing in) — never the client's
name, the place or a note (docs/agenda.md). Times are written in UTC, converted from the
organisation's time zone, so the calendar needs no time zone definition.
"""

import datetime
import zoneinfo
from collections.abc import Callable, Iterable

from icalendar import Calendar, Event, vDuration

from engage.cases.models import Appointment

PRODUCT = "-//Engage//Agenda//EN"
# How long an appointment with a time lasts in the calendar (Engage records no end).
LENGTH = datetime.timedelta(hours=1)
REFRESH = datetime.timedelta(hours=1)


def summary(appointment: Appointment) -> str:
    """The event's title: the kind of appointment and the case reference, nothing else."""
    return f"{appointment.get_kind_display()} · {appointment.case.reference}"


def calendar(
    appointments: Iterable[Appointment],
    *,
    name: str,
    time_zone: str,
    now: datetime.datetime,
    link: Callable[[Appointment], str],
) -> bytes:
    """Return the feed of `appointments`; `link(appointment)` gives the case page's address."""
    zone = zoneinfo.ZoneInfo(time_zone)
    feed = Calendar()
    feed.add("prodid", PRODUCT)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", name)
    # How often a calendar app should read the feed again (the draft standard and the de facto one).
    feed.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    feed.add("x-published-ttl", vDuration(REFRESH).to_ical().decode())
    for appointment in appointments:
        feed.add_component(_event(appointment, zone=zone, now=now, link=link(appointment)))
    ical: bytes = feed.to_ical()
    return ical


def _event(
    appointment: Appointment, *, zone: zoneinfo.ZoneInfo, now: datetime.datetime, link: str
) -> Event:
    event = Event()
    event.add("uid", f"{appointment.pk}@engage")
    event.add("dtstamp", now.astimezone(datetime.UTC))
    event.add("sequence", appointment.version)
    if appointment.time is None:
        event.add("dtstart", appointment.date)
        event.add("dtend", appointment.date + datetime.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        start = datetime.datetime.combine(appointment.date, appointment.time, tzinfo=zone)
        event.add("dtstart", start.astimezone(datetime.UTC))
        event.add("dtend", (start + LENGTH).astimezone(datetime.UTC))
    event.add("summary", summary(appointment))
    event.add("url", link)
    # A calendar shared with others shows "busy" only.
    event.add("class", "PRIVATE")
    return event
