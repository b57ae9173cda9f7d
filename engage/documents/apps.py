from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "engage.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        # Limits on what comes in from outside, set once for the whole process
        # (docs/security.md, issue 10 items 10 and 17): Pillow's pixel limit, and the range of
        # dates every form and API field accepts.
        from engage.lib import dates, images

        images.install()
        dates.install()
