from uuid import UUID

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomConfig(AppConfig):
    name = "engage.custom"
    label = "custom"
    verbose_name = _("Custom fields")

    def ready(self) -> None:
        from engage.audit import labels
        from engage.cases import extra_fields, timeline
        from engage.custom.forms import ProcessFormExtension
        from engage.custom.importing import ImportProvider
        from engage.custom.reading import add_to_timeline
        from engage.imports import extra as import_columns

        # The process forms in `cases` ask for the organisation's own fields through this
        # hook, so `cases` does not import this app (docs/architecture.md).
        extra_fields.register(ProcessFormExtension())
        # Likewise the case's timeline shows each record's answers, and the spreadsheet
        # import takes columns for the referral's own fields.
        timeline.register(add_to_timeline)
        import_columns.register(ImportProvider())
        labels.register("custom.customfield", _field_labels)


def _field_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.custom.models import CustomField

    rows = CustomField.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return {field.pk: field.shown_label for field in rows}
