from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "engage.agenda"
    label = "agenda"
    verbose_name = _("Agenda")

    def ready(self) -> None:
        from engage.agenda import signals  # noqa: F401 (ends the feed with the sessions)
