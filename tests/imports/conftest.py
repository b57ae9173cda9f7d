import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from engage.accounts.factories import CityFactory

HEADERS = [
    "Prénom",
    " Nom ",
    "Date de naissance",
    "Sexe",
    "Nationalité",
    "Date d'orientation",
    "Orienté par",
    "Rétention",
    "Statut",
    "Case manager",
    "Notes",
]


def next_year() -> str:
    return f"01/01/{timezone.localdate().year + 1}"


def messy_rows() -> list[list]:
    """Rows as pilots keep them: dates in four ways, stray spaces, words of their own."""
    return [
        # 2: an Excel date cell, French words
        ["Amina", "Haddad", datetime.datetime(1990, 4, 3),  # noqa: DTZ001 (an Excel cell: naive)
         "Femme", "Syrie",
         "03/04/2024", "ONG", "Libérée", "Demandeuse d'asile", "alice", "x"],
        # 3: ISO, English words, stray spaces
        ["  Omar ", "  Farouk", "1985-12-01", " male ", "SY",
         "2024-02-29", "ngo", "released", "asylum_seeker", " Alice Test ", ""],
        # 4: DD.MM.YYYY and an Excel serial number (45383 = 2024-04-01)
        ["Lina", "Nasser", "24.12.2001", "F", "Afghanistan",
         45383, "police", "none", "irregular", "alice", ""],
        # 5: a day that does not exist, an unknown sex, a referral in the future
        ["Yusuf", "Karimi", "31/02/1990", "Q", "AF",
         next_year(), "ngo", "none", "irregular", "alice", ""],
        # 6: no given name, an unknown country, an unknown case manager
        ["", "Rahimi", "", "M", "Atlantis",
         "02/01/2024", "ngo", "none", "irregular", "zed", ""],
        # 7: born after the referral
        ["Sara", "Ali", "05/05/2024", "F", "IQ",
         "04/05/2024", "ngo", "none", "irregular", "alice", ""],
        # 8: a two-digit year
        ["Reza", "Ali", "", "M", "IR",
         "04/05/24", "ngo", "none", "irregular", "alice", ""],
    ]


def xlsx_bytes(headers: list, rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: list, rows: list[list], delimiter=";") -> bytes:
    lines = [delimiter.join(headers)] + [
        delimiter.join("" if cell is None else str(cell) for cell in row) for row in rows
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def plovdiv(organisation):
    return CityFactory(organisation=organisation, name="Plovdiv")
