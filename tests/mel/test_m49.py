"""The country-to-region mapping behind the dataset's `nationality_region` column."""

import pytest
from django_countries import countries

from engage.mel.dataset.m49 import SUB_REGIONS, region_of

M49_NAMES = {
    "Northern Africa",
    "Eastern Africa",
    "Middle Africa",
    "Southern Africa",
    "Western Africa",
    "Caribbean",
    "Central America",
    "South America",
    "Northern America",
    "Central Asia",
    "Eastern Asia",
    "South-eastern Asia",
    "Southern Asia",
    "Western Asia",
    "Eastern Europe",
    "Northern Europe",
    "Southern Europe",
    "Western Europe",
    "Australia and New Zealand",
    "Melanesia",
    "Micronesia",
    "Polynesia",
}


def test_every_country_the_app_offers_has_an_m49_sub_region():
    codes = {country.code for country in countries} - {"AQ", "XK"}
    assert len(codes) > 240
    assert {code: region_of(code) for code in codes if region_of(code) not in M49_NAMES} == {}


def test_the_mapping_uses_only_the_22_m49_names():
    assert set(SUB_REGIONS.values()) == M49_NAMES
    assert all(code == code.upper() and len(code) == 2 for code in SUB_REGIONS)


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("SY", "Western Asia"),
        ("AF", "Southern Asia"),
        ("NG", "Western Africa"),
        ("ER", "Eastern Africa"),
        ("CD", "Middle Africa"),
        ("MA", "Northern Africa"),
        ("UA", "Eastern Europe"),
        ("GB", "Northern Europe"),
        ("IT", "Southern Europe"),
        ("BE", "Western Europe"),
        ("MX", "Central America"),
        ("CU", "Caribbean"),
        ("BR", "South America"),
        ("US", "Northern America"),
        ("VN", "South-eastern Asia"),
        ("CN", "Eastern Asia"),
        ("KZ", "Central Asia"),
        ("AU", "Australia and New Zealand"),
        ("FJ", "Melanesia"),
        ("GU", "Micronesia"),
        ("WS", "Polynesia"),
        ("SD", "Northern Africa"),
        ("SS", "Eastern Africa"),
        ("TR", "Western Asia"),
        ("CY", "Western Asia"),
        ("RU", "Eastern Europe"),
        ("GL", "Northern America"),
        ("TW", "Eastern Asia"),
    ],
)
def test_spot_checks(code, region):
    assert region_of(code) == region


def test_lower_case_codes_are_accepted():
    assert region_of("sy") == "Western Asia"


def test_empty_unknown_and_unassigned_codes_give_unknown():
    assert region_of("") == region_of("zz") == "unknown"
    assert region_of("AQ") == region_of("XK") == "unknown"
