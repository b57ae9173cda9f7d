from uuid import UUID

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "engage.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from engage.accounts import signals  # noqa: F401 (connects the audit receivers)
        from engage.audit import labels

        labels.register("accounts.user", _user_labels)


def _user_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.accounts.models import User

    users = User.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return {user.pk: user.get_full_name() or user.username for user in users}
