"""The Engage fields a spreadsheet column can fill, and the guesses made from its header.

An import registers each row as a referral (`cases.services.register_referrals`): the person's
identity and the facts of the referral, with its case manager and city. What happened after
the referral (screening, inclusion, contacts, closure) is recorded in Engage from then on,
through the process, not typed into a spreadsheet column.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import LegalBasis
from engage.cases.models.case import (
    DetentionStatus,
    MigrationStatus,
    ReferralSource,
)
from engage.cases.models.person import Sex
from engage.lib.crypto import normalise

TEXT, DATE, CHOICE, COUNTRY, EMAIL, STAFF, CITY = (
    "text",
    "date",
    "choice",
    "country",
    "email",
    "staff",
    "city",
)


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str | Promise
    kind: str
    target: str  # "person" or "referral" (or "case" for case manager and city)
    required: bool = False
    choices: type[models.TextChoices] | None = None
    max_length: int = 0
    headers: tuple[str, ...] = ()  # header names (English and French) that suggest this field
    synonyms: dict[str, str] = field(default_factory=dict)  # spreadsheet word -> value

    @property
    def choice_class(self) -> type[models.TextChoices]:
        """The choices of a field of kind CHOICE (every such field has them)."""
        if self.choices is None:
            raise TypeError(f"{self.name} is not a choice field")
        return self.choices


FIELDS = [
    ImportField(
        "given_name",
        _("given name"),
        TEXT,
        "person",
        required=True,
        max_length=150,
        headers=("given name", "first name", "firstname", "forename", "name", "prenom"),
    ),
    ImportField(
        "family_name",
        _("family name"),
        TEXT,
        "person",
        max_length=150,
        headers=("family name", "last name", "lastname", "surname", "nom", "nom de famille"),
    ),
    ImportField(
        "date_of_birth",
        _("date of birth"),
        DATE,
        "person",
        headers=(
            "date of birth",
            "birth date",
            "birthdate",
            "dob",
            "born",
            "date de naissance",
            "naissance",
            "ne le",
            "nee le",
        ),
    ),
    ImportField(
        "sex",
        _("sex"),
        CHOICE,
        "person",
        choices=Sex,
        headers=("sex", "gender", "sexe", "genre"),
        synonyms={
            "f": Sex.FEMALE,
            "w": Sex.FEMALE,
            "woman": Sex.FEMALE,
            "femme": Sex.FEMALE,
            "feminin": Sex.FEMALE,
            "m": Sex.MALE,
            "h": Sex.MALE,
            "man": Sex.MALE,
            "homme": Sex.MALE,
            "masculin": Sex.MALE,
            "x": Sex.OTHER,
            "autre": Sex.OTHER,
            "non binaire": Sex.OTHER,
            "inconnu": Sex.UNKNOWN,
            "not known": Sex.UNKNOWN,
            "unknown": Sex.UNKNOWN,
        },
    ),
    ImportField(
        "nationality",
        _("nationality"),
        COUNTRY,
        "person",
        headers=("nationality", "citizenship", "country of origin", "nationalite", "pays"),
    ),
    ImportField(
        "phone",
        _("phone"),
        TEXT,
        "person",
        max_length=40,
        headers=("phone", "telephone", "phone number", "mobile", "tel", "portable", "gsm"),
    ),
    ImportField(
        "email",
        _("email"),
        EMAIL,
        "person",
        max_length=254,
        headers=("email", "e mail", "mail", "courriel", "adresse e mail"),
    ),
    ImportField(
        "address",
        _("address"),
        TEXT,
        "person",
        max_length=1000,
        headers=("address", "adresse", "home address", "domicile"),
    ),
    ImportField(
        "document_number",
        _("document number"),
        TEXT,
        "person",
        max_length=60,
        headers=(
            "document number",
            "document",
            "passport",
            "passport number",
            "id number",
            "numero de document",
            "passeport",
            "numero de passeport",
        ),
    ),
    ImportField(
        "languages",
        _("languages spoken"),
        TEXT,
        "person",
        max_length=200,
        headers=("languages", "languages spoken", "language", "langues", "langues parlees"),
    ),
    ImportField(
        "referral_date",
        _("referral date"),
        DATE,
        "referral",
        required=True,
        headers=(
            "referral date",
            "referred on",
            "date of referral",
            "date referred",
            "date d orientation",
            "date de signalement",
            "oriente le",
        ),
    ),
    ImportField(
        "referral_source",
        _("referred by"),
        CHOICE,
        "referral",
        required=True,
        choices=ReferralSource,
        headers=("referral source", "referred by", "source", "oriente par", "orientation"),
        synonyms={
            "ong": ReferralSource.NGO,
            "association": ReferralSource.NGO,
            "police": ReferralSource.POLICE,
            "self": ReferralSource.SELF,
            "lui meme": ReferralSource.SELF,
            "elle meme": ReferralSource.SELF,
            "centre de retention": ReferralSource.DETENTION_CENTRE,
            "detention": ReferralSource.DETENTION_CENTRE,
            "autorite": ReferralSource.AUTHORITY,
            "authorities": ReferralSource.AUTHORITY,
            "word of mouth": ReferralSource.COMMUNITY,
            "bouche a oreille": ReferralSource.COMMUNITY,
            "autre": ReferralSource.OTHER,
        },
    ),
    ImportField(
        "detention_at_referral",
        _("detention at referral"),
        CHOICE,
        "referral",
        required=True,
        choices=DetentionStatus,
        headers=("detention", "detention status", "detention at referral", "retention"),
        synonyms={
            "detained": DetentionStatus.IN_DETENTION,
            "en retention": DetentionStatus.IN_DETENTION,
            "released": DetentionStatus.RELEASED,
            "libere": DetentionStatus.RELEASED,
            "liberee": DetentionStatus.RELEASED,
            "at risk": DetentionStatus.AT_RISK,
            "a risque": DetentionStatus.AT_RISK,
            "none": DetentionStatus.NONE,
            "no": DetentionStatus.NONE,
            "non": DetentionStatus.NONE,
            "aucune": DetentionStatus.NONE,
        },
    ),
    ImportField(
        "migration_status",
        _("migration status at referral"),
        CHOICE,
        "referral",
        required=True,
        choices=MigrationStatus,
        headers=("migration status", "legal status", "status", "statut", "statut migratoire"),
        synonyms={
            "asylum": MigrationStatus.ASYLUM_SEEKER,
            "demandeur d asile": MigrationStatus.ASYLUM_SEEKER,
            "demandeuse d asile": MigrationStatus.ASYLUM_SEEKER,
            "refused": MigrationStatus.REFUSED_ASYLUM_SEEKER,
            "deboute": MigrationStatus.REFUSED_ASYLUM_SEEKER,
            "deboutee": MigrationStatus.REFUSED_ASYLUM_SEEKER,
            "undocumented": MigrationStatus.IRREGULAR,
            "sans papiers": MigrationStatus.IRREGULAR,
            "irregulier": MigrationStatus.IRREGULAR,
            "irreguliere": MigrationStatus.IRREGULAR,
            "inconnu": MigrationStatus.UNKNOWN,
        },
    ),
    ImportField(
        "interpreter_language",
        _("interpreter language"),
        TEXT,
        "referral",
        max_length=100,
        headers=("interpreter", "interpreter language", "interprete", "langue d interpretation"),
    ),
    ImportField(
        "legal_basis",
        _("legal basis for processing"),
        CHOICE,
        "referral",
        required=True,
        choices=LegalBasis,
        headers=("legal basis", "base legale", "base juridique"),
        synonyms={"consentement": LegalBasis.CONSENT},
    ),
    ImportField(
        "purpose",
        _("purpose of processing"),
        TEXT,
        "referral",
        required=True,
        max_length=200,
        headers=("purpose", "finalite"),
    ),
    ImportField(
        "case_manager",
        _("case manager"),
        STAFF,
        "case",
        required=True,
        headers=(
            "case manager",
            "caseworker",
            "case worker",
            "key worker",
            "gestionnaire de cas",
            "referent",
            "referente",
        ),
    ),
    ImportField("city", _("city"), CITY, "case", required=True, headers=("city", "town", "ville")),
]
BY_NAME = {f.name: f for f in FIELDS}
# Fields that may have one value for every row, typed in the mapping form (used when the
# column is not in the file or its cell is empty).
DEFAULTABLE = [
    "referral_source",
    "detention_at_referral",
    "migration_status",
    "legal_basis",
    "purpose",
    "case_manager",
    "city",
]


def header_key(text: str) -> str:
    """A header or a cell as compared: no case, accents, punctuation or extra spaces."""
    return " ".join("".join(c if c.isalnum() else " " for c in normalise(str(text))).split())


def guess(headers: list[str], extra: Sequence[ImportField] = ()) -> dict[str, str]:
    """Return {header: field name} for the headers that name a field, each field once;
    `extra` are the organisation's own fields (`engage.imports.extra`)."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    # Each field's label in each of Engage's languages too ("Data segnalazione").
    from engage.imports.values import languages

    labels: dict[str, set[str]] = {}
    for language in languages():
        with translation.override(language):
            for spec in [*FIELDS, *extra]:
                labels.setdefault(spec.name, set()).add(header_key(str(spec.label)))
    for header in headers:
        key = header_key(header)
        for spec in [*FIELDS, *extra]:
            if spec.name not in taken and (
                key in spec.headers or key in labels[spec.name] or key == spec.name
            ):
                found[header] = spec.name
                taken.add(spec.name)
                break
    return found
