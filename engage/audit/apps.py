from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "engage.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from engage.lib import chain, dates, images

        # Limits on what comes in from outside, set once for the whole process before any app
        # imports a form (this app is first in INSTALLED_APPS; a date field copies its class's
        # validators when it is built): Pillow's pixel limit, and the range of dates every form
        # and API field accepts (docs/security.md, issue 10 items 10 and 17).
        images.install()
        dates.install()

        # The audit log is hash-chained by the database; on SQLite the hash is our function.
        chain.register("audit.AuditEvent")
        connection_created.connect(chain.prepare_connection, dispatch_uid="engage.lib.chain")
