from typing import TYPE_CHECKING
from uuid import UUID

from django.apps import AppConfig
from django.db import models as db
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Not at run time: the app's module loads before the models.
    from engage.audit.labels import Labeller


class CasesConfig(AppConfig):
    name = "engage.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from engage.audit import labels
        from engage.cases import models
        from engage.lib import scoping

        # Every record of a case is visible_to(user) only on the cases the user may see.
        scoping.register_case_rule(lambda user: models.Case.objects.visible_to(user).values("pk"))
        labels.register("cases.case", _case_labels)
        labels.register("cases.person", _person_labels)
        for model in (
            models.FirstMeeting,
            models.Screening,
            models.InclusionDecision,
            models.Assessment,
            models.CasePlan,
            models.Contact,
            models.Appointment,
            models.Closure,
        ):
            labels.register(model._meta.label_lower, _record_labels(model))


# The audit log names records by their case's reference, never by a person's name.


def _case_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.cases.models import Case

    cases = Case.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return {
        pk: _("Case %(reference)s") % {"reference": ref}
        for pk, ref in cases.values_list("pk", "reference")
    }


def _person_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.cases.models import Case

    cases = Case.objects.filter(organisation_id=organisation_id, person_id__in=ids)
    return {
        pk: _("Person of case %(reference)s") % {"reference": ref}
        for pk, ref in cases.values_list("person_id", "reference")
    }


def _record_labels(model: type[db.Model]) -> "Labeller":
    def labeller(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
        # A case's record has one manager, `objects`: `_default_manager` is that one.
        rows = model._default_manager.filter(case__organisation_id=organisation_id, pk__in=ids)
        name = str(model._meta.verbose_name)
        # Only the first letter: `str.capitalize` would lower the reference's letters too.
        name = name[:1].upper() + name[1:]
        return {pk: f"{name} · {ref}" for pk, ref in rows.values_list("pk", "case__reference")}

    return labeller
