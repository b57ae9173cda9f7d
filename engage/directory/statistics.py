"""Per-service referral figures for an organisation: its own numbers, shown exactly.

`accepted` counts every referral the service accepted, whatever happened next (completed,
no-show or still running); the median days to accept is over those with an answer date.
"""

import statistics as stats
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast
from uuid import UUID

from django.db.models import Count, Q, QuerySet

from engage.accounts.models import Organisation
from engage.directory.models import Referral, Service

Status = Referral.Status
ACCEPTED_ONCE = (Status.ACCEPTED, Status.COMPLETED, Status.NO_SHOW)


class _Counts(TypedDict):
    """What `per_service` counts of each service's referrals."""

    made: int
    accepted: int
    declined: int
    completed: int
    no_show: int
    waiting: int


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    CountedService = WithAnnotations[Service, _Counts]


@dataclass(frozen=True)
class ServiceFigures:
    service: Service
    made: int
    accepted: int
    declined: int
    completed: int
    no_show: int
    waiting: int
    median_days_to_accept: float | None


def per_service(organisation: Organisation) -> list[ServiceFigures]:
    """Return the figures of every service of `organisation` that has referrals, by name."""
    # The counts are annotations, which the queryset's type does not say.
    counted = cast(
        "QuerySet[CountedService]",
        Service.objects.filter(organisation=organisation)
        .annotate(
            made=Count("referrals"),
            accepted=Count("referrals", filter=Q(referrals__status__in=ACCEPTED_ONCE)),
            declined=Count("referrals", filter=Q(referrals__status=Status.DECLINED)),
            completed=Count("referrals", filter=Q(referrals__status=Status.COMPLETED)),
            no_show=Count("referrals", filter=Q(referrals__status=Status.NO_SHOW)),
            waiting=Count("referrals", filter=Q(referrals__status=Status.MADE)),
        )
        .filter(made__gt=0)
        .order_by("name"),
    )
    days: dict[UUID, list[int]] = {}
    answered = Referral.objects.filter(
        service__organisation=organisation,
        status__in=ACCEPTED_ONCE,
        answered_on__isnull=False,
    ).values_list("service_id", "made_on", "answered_on")
    for service_id, made_on, answered_on in answered:
        if answered_on is None:  # left out by the query
            continue
        days.setdefault(service_id, []).append((answered_on - made_on).days)
    return [
        ServiceFigures(
            service=service,
            made=service.made,
            accepted=service.accepted,
            declined=service.declined,
            completed=service.completed,
            no_show=service.no_show,
            waiting=service.waiting,
            median_days_to_accept=stats.median(days[service.pk]) if service.pk in days else None,
        )
        for service in counted
    ]
