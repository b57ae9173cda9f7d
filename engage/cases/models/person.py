import datetime
import re
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import Countries
from django_countries.fields import CountryField

from engage.accounts.models import Organisation
from engage.cases.facts import age_on
from engage.lib.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedTextField,
)
from engage.lib.scoping import organisation_scoped


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    # Said of the sex (Polish "Inna", "Nieznana", of "płeć").
    OTHER = "other", pgettext_lazy("sex", "Other")
    UNKNOWN = "unknown", pgettext_lazy("sex", "Not known")


# Nationality answers that are not a country, with the codes of ICAO Doc 9303 (machine-readable
# travel documents), which refugee and stateless persons' travel documents already carry.
STATELESS = "XXA"
NATIONALITY_UNKNOWN = "XXX"  # "person of unspecified nationality"


class Nationalities(Countries):
    """The countries, and first the two answers that are not one: stateless and unknown.

    Neither is an ISO 3166 country, so the network dataset's `nationality_region` is `unknown`
    for both (`mel.m49.region_of`), as the dataset spec has it for anything but a country; the
    linkage key (`mel.dataset.person_ref`) counts "unknown" as not given.
    """

    override = {STATELESS: _("Stateless"), NATIONALITY_UNKNOWN: _("Unknown")}
    first = [STATELESS, NATIONALITY_UNKNOWN]
    first_repeat = False


class Household(models.Model):
    """People who live together and are supported together (a family)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("organisation")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return str(_("Household"))


class Person(models.Model):
    """Who someone is: every identifying fact about a client or household member, in one place."""

    class Relationship(models.TextChoices):
        CLIENT = "client", _("Client")
        PARTNER = "partner", _("Partner or spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other relative")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("household"),
    )
    relationship = models.CharField(
        _("relationship"),
        max_length=16,
        choices=Relationship.choices,
        default=Relationship.CLIENT,
    )
    given_name = EncryptedCharField(_("given name"), max_length=150)
    family_name = EncryptedCharField(_("family name"), max_length=150, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = CountryField(_("nationality"), blank=True, countries=Nationalities)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    email = EncryptedEmailField(_("email"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    document_number = EncryptedCharField(
        _("document number"),
        max_length=60,
        blank=True,
        help_text=_("Only if the client wants it recorded."),
    )
    languages = EncryptedCharField(_("languages spoken"), max_length=200, blank=True)
    # Fields corrected at the person's request (rectification), shown as corrected.
    corrected_fields = models.JSONField(
        default=list, blank=True, editable=False, verbose_name=_("corrected fields")
    )
    erased_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("erased at")
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = organisation_scoped("organisation")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def age_on(self, day: datetime.date) -> int | None:
        """Return the person's age in whole years on `day` (None without a date of birth)."""
        return age_on(self.date_of_birth, day) if self.date_of_birth else None

    @property
    def phone_uri(self) -> str:
        """Return the phone as a `tel:` address a phone can dial ("" without a number).

        Numbers are typed as people write them ("+359 88 123 4567", "(02) 123-45"): only the
        digits and a leading + are dialled.
        """
        digits = re.sub(r"[^\d]", "", self.phone)
        if not digits:
            return ""
        plus = "+" if self.phone.strip().startswith("+") else ""
        return f"tel:{plus}{digits}"


class SearchToken(models.Model):
    """One keyed hash (blind index) of a word of a person's name, their phone or document.

    Search hashes the words typed with the same key and looks them up here, so identifying
    fields are never decrypted to be searched and never compared in plaintext.
    """

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="search_tokens")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)

    objects = organisation_scoped("organisation")

    class Meta:
        indexes = [models.Index(fields=["organisation", "digest"])]
        verbose_name = _("search token")
        verbose_name_plural = _("search tokens")

    def __str__(self) -> str:
        return self.digest
