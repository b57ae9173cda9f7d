from typing import TYPE_CHECKING
from uuid import UUID

from django.apps import AppConfig
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Not at run time: the app's module loads before the models.
    from engage.audit.labels import Labeller


class LiaisonConfig(AppConfig):
    name = "engage.liaison"
    label = "liaison"
    verbose_name = _("Liaison with authorities")

    def ready(self) -> None:
        from engage.audit import labels
        from engage.cases import due as cases_due
        from engage.cases import page_facts
        from engage.documents import keeping
        from engage.liaison import due, report, services
        from engage.liaison.templatetags.liaison import card_facts
        from engage.mel.report import parts

        page_facts.register(card_facts)  # what the case page's liaison card holds
        parts.register(report.PART)  # a pilot's own report: reporting days, release requests
        cases_due.register(due.REPORTING_RULE)
        cases_due.register(due.LIAISON_RULE)
        keeping.register(services.SENT_LETTERS)  # the PDF of a letter sent is kept
        labels.register("liaison.liaisonrecord", _case_labels("LiaisonRecord", _("Liaison")))
        labels.register("liaison.letter", _case_labels("Letter", _("Letter")))
        labels.register(
            "liaison.reportingobligation",
            _case_labels("ReportingObligation", _("Reporting obligation")),
        )
        labels.register(
            "liaison.reportingevent",
            _case_labels("ReportingEvent", _("Reporting day"), "obligation__case"),
        )
        labels.register("liaison.lettertemplate", _template_labels)


# The audit log names a case's record by its case's reference, and a template by its name
# (a model letter holds no client).


def _case_labels(model_name: str, label: Promise, case_path: str = "case") -> "Labeller":
    def labels_for(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
        from django.apps import apps

        model = apps.get_model("liaison", model_name)
        rows = model.objects.filter(
            **{f"{case_path}__organisation_id": organisation_id, "pk__in": ids}
        )
        return {
            pk: f"{label} · {reference}"
            for pk, reference in rows.values_list("pk", f"{case_path}__reference")
        }

    return labels_for


def _template_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.liaison.models import LetterTemplate

    rows = LetterTemplate.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return dict(rows.values_list("pk", "name"))
