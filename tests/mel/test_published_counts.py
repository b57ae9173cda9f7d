"""Issue 10, item 8 (red team): counts about people printed beside the indicators, at `network`
and `public` level, are perturbed and masked like the indicators' own."""

from engage.mel import services
from engage.mel.report import render
from tests.mel.rows import row

START, BEFORE, AFTER = "2024-01", "2024-05", "2024-06"


def _report(rows, end, level):
    return services.report(rows, start=START, end=end, pilots=["BG-CLA"], level=level)


def test_it_shows_no_exact_small_number_of_enrollments_at_network_or_public_level():
    rows = [row(n) for n in range(3)]
    for level, mask, smallest in (("network", "<5", 5), ("public", "<10", 10)):
        report = _report(rows, AFTER, level)
        shown = report["coverage"]["rows"]
        assert shown in (0, mask) or shown >= smallest  # perturbed, then masked
        assert "Data: 3 enrollments" not in render.as_html(report)
    assert _report(rows, AFTER, "exact")["coverage"]["rows"] == 3


def test_it_does_not_count_a_new_referral_exactly_between_two_monthly_reports():
    # The reader holds May's and June's public reports; one person was referred (not included
    # yet) in June. Without perturbation the enrollments line moves by exactly that person,
    # whoever they are; perturbed, it moves by other amounts for some of the newcomers.
    before = [row(n, inclusion_month="2023-02") for n in range(40)]
    may = _report(before, BEFORE, "public")["coverage"]["rows"]
    moves = set()
    for n in range(100, 124):
        newcomer = row(n, referral_month=AFTER, included="false", inclusion_month="")
        moves.add(_report([*before, newcomer], AFTER, "public")["coverage"]["rows"] - may)
    assert moves != {1}


def _city_keys(report) -> set[str]:
    return {
        cell["key"]
        for indicator in report["indicators"]
        for cell in indicator.get("by", {}).get("city", [])
    }


def test_a_newcomers_city_is_not_named_by_a_key_that_appears_with_them():
    # June adds one person, in a city nobody else is in: May's and June's network reports
    # must list the same city keys, so the reader cannot tell where the newcomer lives.
    before = [row(n) for n in range(12)]
    after = [*before, row(99, city="Smolyan", inclusion_month="2024-06")]
    for level in ("network", "public"):
        may, june = _report(before, BEFORE, level), _report(after, AFTER, level)
        assert _city_keys(may) == _city_keys(june) == {"Sofia", "unknown"}
    assert "Smolyan" in _city_keys(_report(after, AFTER, "exact"))


def test_a_city_is_a_key_once_it_holds_more_rows_than_the_levels_threshold():
    rows = [row(n) for n in range(12)] + [row(50 + n, city="Varna") for n in range(5)]
    assert "Varna" in _city_keys(_report(rows, AFTER, "network"))
    assert "Varna" not in _city_keys(_report(rows, AFTER, "public"))  # 5 rows: under 10
