from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "engage.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
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


def _case_labels(organisation_id, ids) -> dict:
    from engage.cases.models import Case

    cases = Case.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return {
        pk: _("Case %(reference)s") % {"reference": ref}
        for pk, ref in cases.values_list("pk", "reference")
    }


def _person_labels(organisation_id, ids) -> dict:
    from engage.cases.models import Case

    cases = Case.objects.filter(organisation_id=organisation_id, person_id__in=ids)
    return {
        pk: _("Person of case %(reference)s") % {"reference": ref}
        for pk, ref in cases.values_list("person_id", "reference")
    }


def _record_labels(model):
    def labeller(organisation_id, ids) -> dict:
        rows = model.objects.filter(case__organisation_id=organisation_id, pk__in=ids)
        name = str(model._meta.verbose_name)
        # Only the first letter: `str.capitalize` would lower the reference's letters too.
        name = name[:1].upper() + name[1:]
        return {pk: f"{name} · {ref}" for pk, ref in rows.values_list("pk", "case__reference")}

    return labeller
