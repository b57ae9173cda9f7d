from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "engage.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from engage.api import (
            schema,  # noqa: F401  (registers the token scheme for the schema)
            signals,  # noqa: F401  (ends the tokens with the sessions)
        )
