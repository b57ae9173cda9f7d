"""Loading what an API call may see: the doors of `cases.access`, plus one for a client."""

from uuid import UUID

from django.http import Http404

from engage.accounts.models import User
from engage.cases.access import CASE_WORKERS, record_case_reads
from engage.cases.models import Case, Person


def get_client_for_user(user: User, pk: UUID) -> tuple[Person, Case]:
    """Return the client `pk` with their latest case the user works on, or 404.

    Only the people working on the case see a client's identity (the web's identity page is
    theirs alone); an organisation admin gets 404, as there. Like the doors of `cases.access`,
    it records the read of the case (R21): a correction answers with the whole identity too.
    """
    if user.role not in CASE_WORKERS:
        raise Http404
    case = (
        Case.objects.visible_to(user)
        .filter(person_id=pk)
        .select_related("person")
        .order_by("-referral_date", "-created_at")
        .first()
    )
    if case is None:
        raise Http404
    record_case_reads(user, [case])
    return case.person, case
