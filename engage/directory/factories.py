"""Test factories for the directory."""

from typing import Any

import factory

from engage.directory.models import RECIPIENT_TYPE, ContactPerson, Service
from engage.sharing.models import Recipient


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    """A service of the directory with its sharing recipient, as `save_service` makes them."""

    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    type = "accommodation"
    city = "Sofia"
    languages = "Bulgarian, English"
    recipient = factory.LazyAttribute(
        lambda o: Recipient.objects.create(
            organisation=o.organisation, name=o.name, type=RECIPIENT_TYPE[o.type]
        )
    )

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Service:
        # With the folded copies the directory's search reads, as `save_service` writes them
        # (`model_class`, not `type[Service]`: `type` is a field of the factory).
        service: Service = model_class(*args, **kwargs)
        service.fold_search()
        service.save(force_insert=True)
        return service


class ContactPersonFactory(factory.django.DjangoModelFactory[ContactPerson]):
    class Meta:
        model = ContactPerson

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Intake officer"
