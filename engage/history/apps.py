from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "engage.history"
    label = "history"
    verbose_name = _("Change history")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from engage.cases import data_version
        from engage.history import context, services
        from engage.lib import chain

        # The history is hash-chained too; erasure may blank the values, not the rest.
        chain.register("history.Change", blankable=("before", "after"))

        # Every write of a case's records is a row here: its head marks the data's version.
        data_version.register(services.data_version)

        # Every new database connection learns where the acting user comes from (see context).
        connection_created.connect(context.prepare_connection, dispatch_uid="engage.history")
