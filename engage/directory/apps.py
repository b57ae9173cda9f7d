from uuid import UUID

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "engage.directory"
    label = "directory"
    verbose_name = _("Service directory")

    def ready(self) -> None:
        from engage.audit import labels
        from engage.cases import due, page_facts
        from engage.directory import follow_up
        from engage.directory.templatetags.directory import card_fact

        due.register(follow_up.RULE)
        page_facts.register(card_fact)  # whether the case page's referrals card has any
        labels.register("directory.referral", _referral_labels)
        labels.register("directory.service", _service_labels)


# The audit log names a referral by its case's reference, and a service by its name (a
# provider's name is not personal data).


def _referral_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.directory.models import Referral

    rows = Referral.objects.filter(case__organisation_id=organisation_id, pk__in=ids)
    return {
        pk: _("Referral · %(reference)s") % {"reference": reference}
        for pk, reference in rows.values_list("pk", "case__reference")
    }


def _service_labels(organisation_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    from engage.directory.models import Service

    rows = Service.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return dict(rows.values_list("pk", "name"))
