from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "engage.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from engage.lib import chain

        # The audit log is hash-chained by the database; on SQLite the hash is our function.
        chain.register("audit.AuditEvent")
        connection_created.connect(chain.prepare_connection, dispatch_uid="engage.lib.chain")
