"""Test factories for the directory."""

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


class ContactPersonFactory(factory.django.DjangoModelFactory[ContactPerson]):
    class Meta:
        model = ContactPerson

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Intake officer"
