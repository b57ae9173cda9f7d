"""Engage's URLs plus one view that breaks while it handles a case, for the error-page tests."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from engage.accounts.permissions import role_required
from engage.cases.access import CASE_WORKERS, get_case_for_user


class ForcedFailure(Exception):
    pass


@role_required(*CASE_WORKERS)
def failing_case_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Load the case and its client, then fail as a bug would, with personal data in scope."""
    case = get_case_for_user(request.user, pk, for_work=True)
    person = case.person
    notes = [request.POST.get("note"), person.given_name, person.family_name]
    raise ForcedFailure(f"Broken while handling case {case.pk} ({len(notes)} values loaded)")


urlpatterns = [
    path("test-failure/<uuid:pk>/", failing_case_view, name="test_failure"),
    path("", include("engage.urls")),
]
