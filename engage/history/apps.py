from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "engage.history"
    label = "history"
    verbose_name = _("Change history")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from engage.history import context
        from engage.lib import chain

        # The history is hash-chained too; erasure may blank the values, not the rest.
        chain.register("history.Change", blankable=("before", "after"))

        # Every new database connection learns where the acting user comes from (see context).
        connection_created.connect(context.prepare_connection, dispatch_uid="engage.history")
