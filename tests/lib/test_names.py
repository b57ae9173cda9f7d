"""Names in Latin letters and by sound, before they are hashed for search (engage.lib.names)."""

import pytest

from engage.lib.names import latin_forms, name_words, sound_key


def _keys(word: str) -> set[str]:
    return {sound_key(form) for form in latin_forms(word)}


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Mohammed", "Mohamed", "Muhammad", "Mohammad", "Мухаммед", "Mehmet"], "mhmd"),
        (
            ["Aleksandr", "Alexander", "Oleksandr", "Олександр", "Александър", "Александр"],
            "alksndr",
        ),
        (["Yusuf", "Youssef", "Jusuf", "Юсуф", "Γιουσούφ", "Iosif", "Joseph"], "ysf"),
        (["Schröder", "Schroeder", "SCHRODER"], "shrdr"),
        (["Omar", "Umar"], "amr"),
    ],
)
def test_it_gives_common_transliterations_one_sound_key(spellings, key):
    for spelling in spellings:
        assert _keys(spelling) == {key}, spelling


def test_it_spells_other_scripts_in_latin_letters():
    assert latin_forms("Александр") == {"aleksandr"}
    assert latin_forms("Αλέξανδρος") == {"alexandros"}
    assert latin_forms("Παπαδόπουλος") == {"papadopoulos"}  # omicron-upsilon is ou
    assert latin_forms("Александър") == {"aleksandar"}  # Bulgarian ъ
    assert latin_forms("Łukasz") == {"lukasz"}


def test_it_spells_an_umlaut_both_ways():
    assert latin_forms("Schröder") == {"schroder", "schroeder"}
    assert latin_forms("Müller") == {"muller", "mueller"}


def test_it_gives_no_key_too_short_to_tell_people_apart():
    assert sound_key("ali") == ""
    assert sound_key("nour") == ""


def test_it_splits_names_into_words_as_written():
    assert name_words("Abu-Bakr", " Al  Hassan", "O'Neill") == [
        "Abu",
        "Bakr",
        "Al",
        "Hassan",
        "O",
        "Neill",
    ]
