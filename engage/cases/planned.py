"""A case's planned appointments as the case page reads them: whether it has any, in the case's
own query, and then the list, once per case object. The appointments card and the key facts
(template tags) show them; the case page's view asks for the fact."""

from django.db.models import Exists, OuterRef

from engage.cases.models import Appointment, Case

PLANNED = "has_planned_appointments"


def planned_fact() -> dict[str, Exists]:
    """Whether the case has a planned appointment, for the case page's query: most cases have
    none, and then `planned_appointments` reads nothing."""
    return {PLANNED: Exists(Appointment.objects.filter(case=OuterRef("pk")).planned())}


def planned_appointments(case: Case) -> list[Appointment]:
    """The case's planned appointments in their order, read once per case object: the case
    page shows the next one in its key facts and all of them in their card."""
    read: list[Appointment] | None = case.__dict__.get("_planned_appointments")
    if read is None and not case.__dict__.get(PLANNED, True):
        read = case.__dict__["_planned_appointments"] = []
    if read is None:
        read = case.__dict__["_planned_appointments"] = list(
            Appointment.objects.filter(case=case).planned()
        )
    return read
