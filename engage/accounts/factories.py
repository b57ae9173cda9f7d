import os

import factory
from django_otp_webauthn.models import WebAuthnCredential

from engage.accounts.models import City, Organisation, Role, Team, User

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    country = "BG"
    code = factory.Sequence(lambda n: f"BG-T{n:03d}")
    name = factory.Sequence(lambda n: f"Test pilot {n}")


class CityFactory(factory.django.DjangoModelFactory[City]):
    class Meta:
        model = City

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"City {n}")


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = "Test"
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CASE_MANAGER
    password = factory.django.Password(PASSWORD)

    class Params:
        network = factory.Trait(role=Role.NETWORK_COORDINATOR, organisation=None)


class SecurityKeyFactory(factory.django.DjangoModelFactory[WebAuthnCredential]):
    """A registered WebAuthn key as stored (its key pair never existed: it cannot sign)."""

    class Meta:
        model = WebAuthnCredential

    user = factory.SubFactory(UserFactory)
    name = "Security key"
    credential_id = factory.LazyFunction(lambda: os.urandom(32))
    public_key = factory.LazyFunction(lambda: os.urandom(77))
