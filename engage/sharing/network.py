"""What the network sees of the organisations' registers of data requests: counts only."""

from typing import Any

from django.db.models import Count

from engage.lib.scoping import scopes_disabled
from engage.sharing.models import DataRequest


def request_counts() -> list[dict[str, Any]]:
    """Count the requests for data by requester type and decision, across the network.

    Across every organisation on purpose (the network coordinator belongs to none), and so
    outside the organisation scope: only counts leave this function, never a request.
    """
    with scopes_disabled():
        return list(
            DataRequest.objects.values("requester_type", "decision")
            .annotate(n=Count("id"))
            .order_by("requester_type", "decision")
        )
