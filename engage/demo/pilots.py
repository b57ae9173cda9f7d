"""The seven pilots of the network, as described in shared/seeds/002 (public information)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPilot:
    code: str
    name: str
    country: str
    cities: tuple[str, ...]
    case_managers: tuple[str, ...]  # first names; the surname is always "Demo"
    supervisor: str
    admin: str
    case_count: int  # fictional cases in the demo, between 60 and 150 as pilots differ in size


PILOTS = (
    DemoPilot(
        "BE-JRS",
        "Jesuit Refugee Service Belgium",
        "BE",
        ("Brussels", "Antwerp"),
        ("Lotte", "Youssef"),
        "Marie",
        "Pieter",
        70,
    ),
    DemoPilot(
        "BG-CLA",
        "Centre for Legal Aid - Voice in Bulgaria",
        "BG",
        ("Sofia",),
        ("Elena", "Georgi", "Desislava"),
        "Iva",
        "Nikolay",
        110,
    ),
    DemoPilot(
        "CY-CYRC",
        "Cyprus Refugee Council",
        "CY",
        ("Nicosia", "Limassol"),
        ("Andreas", "Eleni", "Maria"),
        "Christina",
        "Stelios",
        95,
    ),
    DemoPilot(
        "GR-HR360",
        "HumanRights360",
        "GR",
        ("Athens",),
        ("Katerina", "Nikos"),
        "Sofia",
        "Dimitris",
        65,
    ),
    DemoPilot(
        "IT-CILD",
        "CILD and Progetto Diritti",
        "IT",
        ("Rome",),
        ("Giulia", "Marco", "Amina"),
        "Francesca",
        "Luca",
        120,
    ),
    DemoPilot(
        "PL-SIP",
        "Association for Legal Intervention (SIP)",
        "PL",
        ("Warsaw",),
        ("Agnieszka", "Tomasz", "Olena"),
        "Katarzyna",
        "Piotr",
        85,
    ),
    DemoPilot(
        "GB-DA",
        "Detention Action",
        "GB",
        ("London",),
        ("Grace", "Samuel", "Priya", "Tom"),
        "Ruth",
        "James",
        145,
    ),
)
