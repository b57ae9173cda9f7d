from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "engage.network"
    label = "network"
    verbose_name = _("Network building")

    def ready(self) -> None:
        from engage.mel.report import parts
        from engage.network import report

        parts.register(report.PART)
