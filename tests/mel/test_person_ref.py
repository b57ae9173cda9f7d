"""person_ref: HMAC-SHA256 with the round key over the normalised identity (case-folded,
accents stripped, whitespace collapsed name; birth year and month; sex; nationality)."""

import datetime
import hashlib
import hmac

from engage.cases.models import Person
from engage.mel.dataset.rows import person_ref

KEY = b"network-round-2024-key"


def _person(**values):
    data = {
        "given_name": "  Élodie ",
        "family_name": "DUPONT   Martin",
        "date_of_birth": datetime.date(1990, 5, 17),
        "sex": "female",
        "nationality": "FR",
    }
    return Person(**{**data, **values})


def test_it_is_the_hmac_of_the_normalised_identity():
    expected = hmac.new(KEY, b"elodie dupont martin|1990-05|female|FR", hashlib.sha256).hexdigest()
    assert person_ref(_person(), KEY) == expected


def test_spelling_case_accents_spacing_and_the_day_of_birth_do_not_matter():
    same = _person(given_name="elodie", family_name="Dupont Martin",
                   date_of_birth=datetime.date(1990, 5, 2))  # fmt: skip
    assert person_ref(same, KEY) == person_ref(_person(), KEY)


def test_the_month_the_sex_the_nationality_and_the_key_do():
    reference = person_ref(_person(), KEY)
    for other in (
        _person(date_of_birth=datetime.date(1990, 6, 17)),
        _person(sex="other"),
        _person(nationality="BE"),
    ):
        assert person_ref(other, KEY) != reference
    assert person_ref(_person(), b"another-round-key-2025") != reference


def test_it_is_empty_without_a_key_and_works_without_a_nationality_or_birth_date():
    assert person_ref(_person(), None) == ""
    assert len(person_ref(_person(nationality="", date_of_birth=None), KEY)) == 64
