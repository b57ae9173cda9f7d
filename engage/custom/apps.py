from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomConfig(AppConfig):
    name = "engage.custom"
    label = "custom"
    verbose_name = _("Custom fields")

    def ready(self) -> None:
        from engage.audit import labels
        from engage.cases import extra_fields
        from engage.custom.forms import ProcessFormExtension

        # The process forms in `cases` ask for the organisation's own fields through this
        # hook, so `cases` does not import this app (docs/architecture.md).
        extra_fields.register(ProcessFormExtension())
        labels.register("custom.customfield", _field_labels)


def _field_labels(organisation_id, ids) -> dict:
    from engage.custom.models import CustomField

    rows = CustomField.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return {field.pk: field.shown_label for field in rows}
