from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineConfig(AppConfig):
    name = "engage.offline"
    label = "offline"
    verbose_name = _("Offline visits")

    def ready(self) -> None:
        from engage.offline import signals  # noqa: F401 (ends the devices at sign-out)
