from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "engage.documents"
    label = "documents"
    verbose_name = _("Documents")

    # The limits on what comes in from outside (Pillow's pixel limit, the range of dates every
    # form and API field accepts) are installed by the first app, engage.audit: a date field
    # copies its class's validators when it is built, and another app's ready() may import
    # forms before this one runs (docs/security.md, issue 10 items 10 and 17).
