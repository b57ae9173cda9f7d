# ruff: noqa: RUF001 (labels in Bulgarian and Greek, and en dashes, are meant)
"""Each demo pilot's own fields (docs/custom-fields.md), and answers on its fictional cases.

The fields are defined by the pilot's admin through `custom.services`, labelled in English
and in the pilot's languages, like an admin would on *Your own fields*. The answers are given
while the cases are written (`engage.demo.cases`), from the records in the order they were
made and a random generator of their own seeded with the pilot's code, so the same command
gives the same answers and the rest of the demo stays as it was. They are stored in bulk by
`custom.services.add_answers` as each case's own case manager (encrypted, in the history and
the audit log as answers given on the forms), on a realistic share of the records: every
referral, the first meetings, each case's latest assessment and the contacts of the last two
months. Answer texts are in English, like the rest of the demo's notes.
"""

import datetime
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engage.accounts.models import Organisation, User
from engage.cases.models import Assessment, Case, Contact, FirstMeeting
from engage.cases.models.case import DetentionStatus
from engage.custom import services as custom
from engage.custom.models import CustomField, FieldType, Form
from engage.history.context import acting

# (key, English label, {language: label})
Option = tuple[str, str, dict[str, str]]
# What a record answers: (the generator, the record, the record's answers so far) -> a value or
# None for no answer.
Answer = Callable[[random.Random, Any, dict[str, Any]], Any]

DETAINED = (DetentionStatus.IN_DETENTION, DetentionStatus.RELEASED)


@dataclass(frozen=True)
class DemoField:
    form: str
    type: str
    key: str
    label: str
    translations: dict[str, str]
    answer: Answer
    options: tuple[Option, ...] = ()
    help_text: str = ""
    help_translations: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    shown_when: tuple[str, str] | None = None  # (key of a field of the same form, its answer)
    retired: bool = False  # asked in the past, no longer on the forms; its answers stay


def _share(rng: random.Random, chance: float, value: Callable[[], Any]) -> Any:
    return value() if rng.random() < chance else None


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


# BE-JRS

BRUSSELS_OFFICES = (
    "CPAS de Bruxelles",
    "CPAS de Schaerbeek",
    "CPAS d'Anderlecht",
    "OCMW Sint-Jans-Molenbeek",
    "CPAS de Saint-Gilles",
)


def _cpas_contacted(rng: random.Random, meeting: FirstMeeting, _values: dict[str, Any]) -> Any:
    return _share(rng, 0.9, lambda: rng.random() < 0.4)


def _cpas_office(rng: random.Random, meeting: FirstMeeting, values: dict[str, Any]) -> Any:
    if not values.get("cpas_contacted"):
        return None
    if meeting.case.city.name == "Antwerp":
        return "OCMW Antwerpen"
    return _share(rng, 0.9, lambda: rng.choice(BRUSSELS_OFFICES))


# BG-CLA

TIES = (
    ("family", "Family in Bulgaria", {"bg": "Семейство в България"}),
    ("diaspora", "Community from their country", {"bg": "Общност от сънародници"}),
    ("faith", "Religious community", {"bg": "Религиозна общност"}),
    ("friends", "Friends or neighbours", {"bg": "Приятели или съседи"}),
    ("work", "Employer or colleagues", {"bg": "Работодател или колеги"}),
    ("none", "None yet", {"bg": "Все още няма"}),
)


def _sar_registered(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    return _share(rng, 0.85, lambda: rng.random() < 0.7)


def _community_ties(rng: random.Random, assessment: Assessment, _values: dict[str, Any]) -> Any:
    if rng.random() >= 0.8:
        return None
    if rng.random() < 0.15:
        return ["none"]
    ties = [key for key, _label, _t in TIES[:-1]]
    return sorted(rng.sample(ties, rng.randint(1, 3)), key=ties.index)


# CY-CYRC


def _reception_centre(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    if rng.random() >= 0.8:
        return None
    centres: tuple[tuple[str, int], ...] = (("pournara", 45), ("kofinou", 25), ("other", 15))
    if case.referral_date >= datetime.date(2024, 1, 1):  # Limnes opened in 2024
        centres += (("limnes", 15),)
    return _pick(rng, centres)


def _arrival(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    return _share(
        rng, 0.7, lambda: case.referral_date - datetime.timedelta(days=rng.randint(10, 400))
    )


# GR-HR360


def _first_registration(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    places = (("lesvos", 30), ("samos", 20), ("chios", 10), ("leros", 8), ("kos", 10),
              ("evros", 15), ("other", 7))  # fmt: skip
    return _share(rng, 0.8, lambda: _pick(rng, places))


def _second_risk(rng: random.Random, assessment: Assessment, _values: dict[str, Any]) -> Any:
    # The higher the detention risk at referral, the higher the score.
    scores: dict[str, int] = {DetentionStatus.IN_DETENTION: 7, DetentionStatus.AT_RISK: 5}
    base = scores.get(assessment.case.detention_at_referral, 3)
    return _share(rng, 0.85, lambda: max(0, min(10, base + rng.randint(-3, 3))))


# IT-CILD

TRAFFICKING_NOTES = (
    "Says the debt for the journey is still being paid to the same people; avoids talking "
    "about where they work. Told about the anti-trafficking helpline; will talk again.",
    "Documents kept by the 'employer'. With consent, referred to the anti-trafficking "
    "project for an interview.",
    "Was moved between cities by the people who organised the journey. No wish to report "
    "for now; safety plan agreed.",
)


def _interpreter(rng: random.Random, contact: Contact, _values: dict[str, Any]) -> Any:
    if rng.random() >= 0.9:
        return None
    return rng.random() < (0.8 if contact.case.interpreter_language else 0.1)


def _trafficking(rng: random.Random, assessment: Assessment, _values: dict[str, Any]) -> Any:
    return _share(rng, 0.12, lambda: rng.choice(TRAFFICKING_NOTES))


# PL-SIP

POSTS = ("PSG Michałowo", "PSG w Terespolu", "Placówka SG Warszawa-Okęcie", "PSG Białowieża",
         "PSG Czeremcha", "PSG Narewka", "PSG w Dubiczach Cerkiewnych")  # fmt: skip
GUARDED_CENTRES: tuple[Option, ...] = (
    ("biala_podlaska", "Biała Podlaska", {}),
    ("bialystok", "Białystok", {}),
    ("ketrzyn", "Kętrzyn", {}),
    ("krosno_odrzanskie", "Krosno Odrzańskie", {}),
    ("lesznowola", "Lesznowola", {}),
    ("przemysl", "Przemyśl", {}),
    ("wedrzyn", "Wędrzyn", {}),
)


def _post(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    return _share(rng, 0.75, lambda: rng.choice(POSTS))


def _guarded_centre(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    if case.detention_at_referral not in DETAINED:
        return None
    return _share(rng, 0.9, lambda: rng.choice(GUARDED_CENTRES)[0])


# GB-DA


def _english(*keys_and_labels: str) -> tuple[Option, ...]:
    pairs = zip(keys_and_labels[::2], keys_and_labels[1::2], strict=True)
    return tuple((key, label, {}) for key, label in pairs)


REMOVAL_CENTRES = ("harmondsworth", "colnbrook", "brook_house", "tinsley_house", "yarls_wood",
                   "derwentside", "dungavel", "other")  # fmt: skip


REMOVAL_CENTRE_OPTIONS = _english(
    "harmondsworth", "Harmondsworth", "colnbrook", "Colnbrook", "brook_house", "Brook House",
    "tinsley_house", "Tinsley House", "yarls_wood", "Yarl's Wood", "derwentside", "Derwentside",
    "dungavel", "Dungavel", "other", "Other",
)  # fmt: skip


def _removal_centre(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    if case.detention_at_referral not in DETAINED:
        return None
    return _share(rng, 0.9, lambda: rng.choice(REMOVAL_CENTRES))


def _covid_release(rng: random.Random, case: Case, _values: dict[str, Any]) -> Any:
    if case.referral_date.year > 2021:  # asked until the field was retired
        return None
    return _share(rng, 0.8, lambda: rng.random() < 0.35)


PILOT_FIELDS: dict[str, tuple[DemoField, ...]] = {
    "BE-JRS": (
        DemoField(
            Form.FIRST_MEETING,
            FieldType.YES_NO,
            "cpas_contacted",
            "CPAS/OCMW (municipal social welfare office) contacted",
            {"fr": "CPAS contacté", "nl": "OCMW gecontacteerd"},
            _cpas_contacted,
        ),
        DemoField(
            Form.FIRST_MEETING,
            FieldType.SHORT_TEXT,
            "cpas_office",
            "Which office",
            {"fr": "Quel CPAS", "nl": "Welk OCMW"},
            _cpas_office,
            shown_when=("cpas_contacted", "yes"),
        ),
    ),
    "BG-CLA": (
        DemoField(
            Form.REFERRAL,
            FieldType.YES_NO,
            "sar_registered",
            "Registered with the State Agency for Refugees",
            {"bg": "Регистриран в Държавната агенция за бежанците"},
            _sar_registered,
            settings={"after": "migration_status"},
        ),
        DemoField(
            Form.ASSESSMENT,
            FieldType.CHOICES,
            "community_ties",
            "Community ties",
            {"bg": "Връзки с общността"},
            _community_ties,
            options=TIES,
        ),
    ),
    "CY-CYRC": (
        DemoField(
            Form.REFERRAL,
            FieldType.CHOICE,
            "reception_centre",
            "Reception centre",
            {"el": "Κέντρο υποδοχής"},
            _reception_centre,
            options=(
                ("pournara", "Pournara", {"el": "Πουρνάρα"}),
                ("kofinou", "Kofinou", {"el": "Κοφίνου"}),
                ("limnes", "Limnes", {"el": "Λίμνες"}),
                ("other", "Other", {"el": "Άλλο"}),
            ),
        ),
        DemoField(
            Form.REFERRAL,
            FieldType.DATE,
            "arrival_date",
            "Date of arrival in Cyprus",
            {"el": "Ημερομηνία άφιξης στην Κύπρο"},
            _arrival,
            settings={"after": "referral_date"},
        ),
    ),
    "GR-HR360": (
        DemoField(
            Form.REFERRAL,
            FieldType.CHOICE,
            "first_registration",
            "Place of first registration",
            {"el": "Τόπος πρώτης καταγραφής"},
            _first_registration,
            options=(
                ("lesvos", "Lesvos", {"el": "Λέσβος"}),
                ("samos", "Samos", {"el": "Σάμος"}),
                ("chios", "Chios", {"el": "Χίος"}),
                ("leros", "Leros", {"el": "Λέρος"}),
                ("kos", "Kos", {"el": "Κως"}),
                ("evros", "Evros", {"el": "Έβρος"}),
                ("other", "Other", {"el": "Άλλο"}),
            ),
        ),
        DemoField(
            Form.ASSESSMENT,
            FieldType.NUMBER,
            "second_risk_score",
            "Second risk score (0–10)",
            {"el": "Δεύτερη βαθμολογία κινδύνου (0–10)"},
            _second_risk,
            help_text="0: no risk of detention; 10: detention expected within days.",
            help_translations={
                "el": "0: κανένας κίνδυνος κράτησης· 10: κράτηση αναμένεται μέσα σε λίγες ημέρες."
            },
            settings={"min_value": 0, "max_value": 10, "after": "wellbeing"},
        ),
    ),
    "IT-CILD": (
        DemoField(
            Form.CONTACT,
            FieldType.YES_NO,
            "interpreter_used",
            "Interpreter or cultural mediator present",
            {"it": "Presenza di interprete o mediatore culturale"},
            _interpreter,
            settings={"after": "type"},
        ),
        DemoField(
            Form.ASSESSMENT,
            FieldType.LONG_TEXT,
            "trafficking_indicators",
            "Indicators of trafficking (details)",
            {"it": "Indicatori di tratta (dettagli)"},
            _trafficking,
            help_text="Only what the case needs. Seen by the case manager and supervisor only.",
            help_translations={
                "it": "Solo quanto serve al caso. Visibile solo al case manager e al supervisore."
            },
            settings={"sensitive": True, "after": "risks"},
        ),
    ),
    "PL-SIP": (
        DemoField(
            Form.REFERRAL,
            FieldType.SHORT_TEXT,
            "border_guard_post",
            "Border Guard post",
            {"pl": "Placówka Straży Granicznej"},
            _post,
            settings={"after": "detention_at_referral"},
        ),
        DemoField(
            Form.REFERRAL,
            FieldType.CHOICE,
            "guarded_centre",
            "Guarded centre for foreigners",
            {"pl": "Strzeżony ośrodek dla cudzoziemców"},
            _guarded_centre,
            options=GUARDED_CENTRES,
            settings={"after": "detention_at_referral"},
        ),
    ),
    "GB-DA": (
        DemoField(
            Form.REFERRAL,
            FieldType.CHOICE,
            "removal_centre",
            "Immigration removal centre",
            {},
            _removal_centre,
            options=REMOVAL_CENTRE_OPTIONS,
            settings={"after": "detention_at_referral"},
        ),
        DemoField(
            Form.REFERRAL,
            FieldType.YES_NO,
            "covid_release",
            "Released in the COVID-19 releases (2020–21)",
            {},
            _covid_release,
            retired=True,
        ),
    ),
}


def seed_fields(organisation: Organisation, *, by: User) -> list[CustomField]:
    """Define the pilot's own fields, unless it has some. Return those defined."""
    if CustomField.objects.filter(organisation=organisation).exists():
        return []
    defined: dict[str, CustomField] = {}
    for spec in PILOT_FIELDS.get(organisation.code, ()):
        condition: dict[str, Any] = {}
        if spec.shown_when:
            key, value = spec.shown_when
            condition = {"condition_field": defined[key], "condition_value": value}
        defined[spec.key] = custom.define_field(
            organisation,
            by=by,
            form=spec.form,
            type=spec.type,
            key=spec.key,
            label=spec.label,
            label_translations=spec.translations,
            help_text=spec.help_text,
            help_text_translations=spec.help_translations,
            options=[
                {"key": key, "label": label, "label_translations": translations}
                for key, label, translations in spec.options
            ],
            **spec.settings,
            **condition,
        )
    return list(defined.values())


def retire_fields(fields: list[CustomField], *, by: User) -> None:
    """Retire the fields just defined that the pilot no longer asks (after their answers)."""
    retired = {
        (spec.form, spec.key) for specs in PILOT_FIELDS.values() for spec in specs if spec.retired
    }
    for each in fields:
        if (each.form, each.key) in retired:
            custom.retire_field(each, by=by)


def answer_fields(organisation: Organisation, rows: Any, *, today: datetime.date) -> int:
    """Answer the pilot's own fields on the records just written (`cases.Rows`).

    Return how many answers."""
    specs = PILOT_FIELDS.get(organisation.code, ())
    fields = {
        (f.form, f.key): f
        for f in CustomField.objects.filter(organisation=organisation).prefetch_related("options")
    }
    specs = tuple(spec for spec in specs if (spec.form, spec.key) in fields)
    if not specs:
        return 0
    latest = {assessment.case_id: assessment for assessment in rows.assessments}
    recent = today - datetime.timedelta(days=60)
    records = {
        Form.REFERRAL: [(case, case) for case in rows.cases],
        Form.FIRST_MEETING: [(meeting.case, meeting) for meeting in rows.first_meetings],
        Form.ASSESSMENT: [(assessment.case, assessment) for assessment in latest.values()],
        Form.CONTACT: [
            (contact.case, contact) for contact in rows.contacts if contact.date >= recent
        ],
    }
    rng = random.Random(f"{organisation.code}/fields")  # noqa: S311 (repeatable, not secret)
    # By form and by case manager: each answers on their own cases.
    answers: dict[tuple[str, User], list[tuple[Case, object, dict[str, Any]]]] = defaultdict(list)
    for form, found in records.items():
        asked = [spec for spec in specs if spec.form == form]
        if not asked:
            continue
        for case, record in found:
            values: dict[str, Any] = {}
            for spec in asked:
                value = spec.answer(rng, record, values)
                if value is not None:
                    values[spec.key] = value
            if values:
                answers[(form, case.case_manager)].append((case, record.pk, values))
    made = 0
    for (answered, manager), given in answers.items():
        with acting(manager):
            made += len(
                custom.add_answers(
                    answered,
                    given,
                    by=manager,
                    fields=[f for (of, _key), f in fields.items() if of == answered],
                )
            )
    return made
