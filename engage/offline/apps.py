from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineConfig(AppConfig):
    name = "engage.offline"
    label = "offline"
    verbose_name = _("Offline visits")

    def ready(self) -> None:
        from engage.cases import page_facts
        from engage.offline import (
            services,
            signals,  # noqa: F401 (ends the devices at sign-out)
        )

        page_facts.register(services.taken_offline_fact)
