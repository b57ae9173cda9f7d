"""Issue 10, item 3: re-identifying people in the network dataset.

The attacks: with the round's linkage key, anyone holding the dataset could test a list of
known identities against `person_ref`; without it, most rows of a pilot were unique on city,
sex, age band, region and month. Now the key never reaches the hub and is erased when the
round closes, every group of quasi-identifiers sent has 5 rows or more (measured with pycanon),
and at the hub the rows are encrypted at rest, every read is audited, and submissions are kept
only as long as the network's retention says.
"""

import csv
import datetime
import io
import json
import zipfile
from collections import Counter
from io import StringIO

import pandas as pd
import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity as pycanon

from engage.accounts.factories import CityFactory, UserFactory
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Household, Person, Screening
from engage.mel import services
from engage.mel.dataset import anonymity, submission
from engage.mel.dataset.rows import COLUMNS, derive_rows, person_ref
from engage.mel.models import LinkageRound, Submission
from engage.mel.report import indicators
from tests.mel.rows import held_rows, row
from tests.security.conftest import stepped_up

pytestmark = pytest.mark.django_db

THIS_MONTH = days_ago(0).strftime("%Y-%m")
KEY = "agreed-by-the-pilots-for-2026-round-one"
NATIONALITIES = ("SY", "AF", "ER", "NG", "UA", "IQ", "GE")


@pytest.fixture
def pilot(organisation, alice):
    """A pilot of 40 clients included in the same month, as varied as real ones: most of them
    unique on the quasi-identifiers before protection."""
    for n in range(40):
        CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__given_name=f"Sentinelgiven{n}",
            person__family_name="Sentinelfamily",
            person__sex=("female", "male")[n % 2],
            person__nationality=NATIONALITIES[n % len(NATIONALITIES)],
            person__date_of_birth=datetime.date(1960 + n % 40, 1 + n % 12, 1),
            detention_at_referral=("released", "at_risk", "in_detention", "none")[n % 4],
            migration_status=("irregular", "asylum_seeker", "refused_asylum_seeker")[n % 3],
            inclusion_date=days_ago(100),
        )
    return organisation


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["inclusion_month"] = frame["inclusion_month"].map(anonymity.quarter)
    return frame


def _preview_then_download(client) -> tuple[dict, list[dict], bytes]:
    preview = client.post(reverse("mel:export"), {"period_end": THIS_MONTH})
    response = client.post(
        reverse("mel:export"),
        {"period_end": THIS_MONTH, "sha256": preview.context["preview"].sha256},
    )
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    rows = list(csv.DictReader(io.StringIO(archive.read("cases.csv").decode())))
    return manifest, rows, data


def _every_stored_value() -> str:
    """Everything the database holds, as text: what a thief with a copy of it reads."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.extend(repr(values) for values in cursor.fetchall())
    return "\n".join(parts)


# Singling people out


def test_it_sends_no_group_smaller_than_5(as_user, ada, pilot):
    live = list(derive_rows(pilot, THIS_MONTH))
    columns = ["city", "sex", "age_band", "nationality_region", "inclusion_month"]
    assert pycanon.k_anonymity(_frame(live), columns) == 1  # the attack of the issue
    manifest, sent, _data = _preview_then_download(as_user(ada))
    assert len(sent) == 40  # nobody withheld: their quarter has 40 people
    qis = list(anonymity.QUASI_IDENTIFIERS)
    assert pycanon.k_anonymity(_frame(sent), qis) >= 5
    assert pycanon.k_anonymity(_frame(sent), columns) >= 5
    assert manifest["k_anonymity"] == pycanon.k_anonymity(_frame(sent), qis)


def test_it_writes_the_manifest_fields_of_version_2(as_user, ada, pilot):
    manifest, sent, _data = _preview_then_download(as_user(ada))
    live = {r["case_ref"]: r for r in derive_rows(pilot, THIS_MONTH)}
    changed = [(r["case_ref"], c) for r in sent for c in COLUMNS if r[c] != live[r["case_ref"]][c]]
    assert manifest["version"] == 2
    assert manifest["quasi_identifiers"] == list(anonymity.QUASI_IDENTIFIERS)
    assert manifest["suppressed"] == len(changed) > 0
    assert manifest["withheld"] == 0 and manifest["rows"] == 40
    # Only quasi-identifiers were touched, and only to say "unknown" (an empty city).
    by_ref = {r["case_ref"]: r for r in sent}
    assert {column for _ref, column in changed} <= set(anonymity.SUPPRESSED_VALUE)
    assert all(by_ref[ref][column] == anonymity.SUPPRESSED_VALUE[column] for ref, column in changed)


def test_it_withholds_the_rows_of_a_quarter_with_fewer_than_5_people():
    rows = [row(n) for n in range(1, 8)] + [
        row(20 + n, inclusion_month="2023-07") for n in range(3)
    ]
    protection = anonymity.protect(rows)
    assert protection.withheld == 3 and len(protection.rows) == 7
    assert {r["inclusion_month"] for r in protection.rows} == {"2023-02"}
    assert protection.k_after == 7


def test_it_suppresses_few_cells_taking_the_rows_it_lacks_from_a_group_alike():
    # Nine alike and one of another region: five regions become unknown, nothing else.
    rows = [row(n) for n in range(1, 10)] + [row(10, nationality_region="Eastern Africa")]
    protection = anonymity.protect(rows)
    assert protection.suppressed == {"nationality_region": 5}
    assert (protection.k_before, protection.k_after, protection.withheld) == (1, 5, 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("Sofia", "Plovdiv", "Varna")),
            st.sampled_from(("female", "male", "other", "unknown")),
            st.sampled_from(("18-24", "25-34", "35-49", "unknown")),
            st.sampled_from(("Western Asia", "Eastern Africa", "Southern Asia")),
            st.sampled_from(("asylum_seeker", "irregular")),
            st.sampled_from(("released", "at_risk", "none")),
            st.sampled_from(("2023-01", "2023-02", "2023-05", "2024-01", "")),
        ),
        max_size=60,
    )
)
def test_any_population_leaves_with_no_group_under_5_and_its_months_intact(population):
    rows = []
    for n, (city, sex, age, region, status, detention, included) in enumerate(population):
        rows.append(row(n + 1, city=city, sex=sex, age_band=age, nationality_region=region,
                        migration_status=status, detention_at_referral=detention,
                        included="true" if included else "false",
                        inclusion_month=included))  # fmt: skip
    protection = anonymity.protect(rows)
    sent = protection.rows
    if sent:
        assert pycanon.k_anonymity(_frame(sent), list(anonymity.QUASI_IDENTIFIERS)) >= 5
    assert protection.k_before == (anonymity.k_anonymity(rows) if rows else 0)  # pycanon's
    assert protection.k_after == (anonymity.k_anonymity(sent) if sent else 0)
    originals = {r["case_ref"]: r for r in rows}
    for sent_row in sent:
        original = originals[sent_row["case_ref"]]
        for column in COLUMNS:
            if sent_row[column] != original[column]:
                assert sent_row[column] == anonymity.SUPPRESSED_VALUE[column]
    # A row is withheld only when its whole quarter has fewer than 5 rows.
    quarters = {}
    for r in rows:
        quarters.setdefault(anonymity.quarter(r["inclusion_month"]), []).append(r)
    small = sum(len(members) for members in quarters.values() if len(members) < 5)
    assert protection.withheld == small


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("Sofia", "Plovdiv", "Varna")),
            st.sampled_from(("female", "male")),
            st.sampled_from(("Western Asia", "Eastern Africa", "Southern Asia")),
            st.sampled_from(("2023-01", "2023-02")),
            st.sampled_from(("", "a1" * 8, "b2" * 8, "c3" * 8)),
            st.sampled_from(("", "d4" * 8, "e5" * 8)),
        ),
        max_size=50,
    )
)
def test_no_link_pins_a_suppressed_cell_in_any_population(population):
    rows = [
        row(n + 1, city=city, sex=sex, nationality_region=region, inclusion_month=included,
            case_manager_ref=manager, household_ref=household)
        for n, (city, sex, region, included, manager, household) in enumerate(population)
    ]  # fmt: skip
    originals = {r["case_ref"]: r for r in rows}
    sent = anonymity.protect(rows).rows
    for link, carried in anonymity.LINKS.items():
        various = {c for c, value in anonymity.SUPPRESSED_VALUE.items()
                   if len({r[c] for r in rows} - {value}) > 1}  # fmt: skip
        for hidden in sent:
            others = [r for r in sent if r is not hidden and hidden[link] == r[link] != ""]
            for column in carried:
                value = anonymity.SUPPRESSED_VALUE[column]
                if (hidden[column] == originals[hidden["case_ref"]][column] or not others
                        or column not in various):  # fmt: skip
                    continue
                assert len({r[column] for r in others} - {value}) != 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("Sofia", "Plovdiv")),
            st.sampled_from(("female", "male")),
            # An `18-24` with `child` is an age in dispute; an `unknown` one, no date of birth.
            st.sampled_from(("0-17", "18-24", "25-34", "unknown")),
            st.sampled_from(("Western Asia", "Eastern Africa")),
            st.sampled_from(("2023-01", "2023-02", "2023-05")),
            st.sampled_from(("", "child", "health", "child;health")),
        ),
        max_size=60,
    )
)
def test_no_child_row_is_counted_in_a_group_its_reader_does_not_see(population):
    rows = [
        row(n + 1, city=city, sex=sex, age_band=age, nationality_region=region,
            inclusion_month=included, vulnerable="true" if domains else "false",
            vulnerabilities=domains)
        for n, (city, sex, age, region, included, domains) in enumerate(population)
    ]  # fmt: skip
    originals = {r["case_ref"]: r for r in rows}
    protection = anonymity.protect(rows)
    sent = protection.rows
    qis = list(anonymity.QUASI_IDENTIFIERS)
    if sent:
        assert pycanon.k_anonymity(_frame(_as_read(sent)), qis) >= 5
    assert protection.k_after == (pycanon.k_anonymity(_frame(_as_read(sent)), qis) if sent else 0)
    assert protection.k_before == (pycanon.k_anonymity(_frame(_as_read(rows)), qis) if rows else 0)
    for sent_row in sent:
        original = originals[sent_row["case_ref"]]
        assert sent_row["vulnerabilities"] == original["vulnerabilities"]
        for column in COLUMNS:
            if sent_row[column] != original[column]:
                assert sent_row[column] == anonymity.SUPPRESSED_VALUE[column]
    # Withheld: at least the rows of a quarter under 5, at most those of a quarter with fewer
    # than 5 children, or fewer than 5 others.
    by_quarter, by_kind = Counter(), Counter()
    for r in rows:
        by_quarter[anonymity.quarter(r["inclusion_month"])] += 1
        by_kind[anonymity.quarter(r["inclusion_month"]), "child" in r["vulnerabilities"]] += 1
    assert (sum(n for n in by_quarter.values() if n < 5) <= protection.withheld
            <= sum(n for n in by_kind.values() if n < 5))  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("Sofia", "Varna", "")),
            st.sampled_from(("female", "male", "unknown")),
            st.sampled_from(("2023-01", "2023-04", "")),
            st.sampled_from(("disengaged", "absconded", "outcome_reached", "")),
            st.sampled_from(("high", "low", "unknown")),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_its_l_diversity_is_pycanons(population):
    """The l the admin sees is counted in one grouping (`anonymity.l_diversity`); pycanon,
    which selects each group's rows one group at a time, counts the same on any rows."""
    rows = [
        row(n + 1, city=city, sex=sex, included="true" if included else "false",
            inclusion_month=included, closure_reason=reason, engagement_level=level)
        for n, (city, sex, included, reason, level) in enumerate(population)
    ]  # fmt: skip
    frame = anonymity._frame(rows)
    assert anonymity.l_diversity(rows) == {
        column: pycanon.l_diversity(frame, list(anonymity.QUASI_IDENTIFIERS), [column])
        for column in anonymity.SENSITIVE
    }


def test_the_preview_shows_the_admin_what_was_suppressed_and_why(as_user, ada, organisation, alice):
    for n in range(10):
        CaseFactory(organisation=organisation, case_manager=alice, inclusion_date=days_ago(100),
                    person__nationality="ER" if n == 0 else "SY")  # fmt: skip
    response = as_user(ada).post(reverse("mel:export"), {"period_end": THIS_MONTH})
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response.context["suppressed"] == [("Region of nationality: unknown", 5)]
    protection = response.context["preview"].protection
    assert (protection.k_before, protection.k_after) == (1, 5)
    assert "Region of nationality: unknown" in page and "fewer than 5 rows share" in page
    assert "Download the .zip" in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_preview_offers_no_download_when_every_row_is_withheld(
    as_user, ada, organisation, alice
):
    for _n in range(3):  # three inclusions in the quarter: too few to protect
        CaseFactory(organisation=organisation, case_manager=alice, inclusion_date=days_ago(100))
    response = as_user(ada).post(reverse("mel:export"), {"period_end": THIS_MONTH})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is nothing to send for this period" in page
    assert "Download the .zip" not in page


def test_it_keeps_no_link_that_gives_a_suppressed_cell_back(
    as_user, ada, organisation, alice, team
):
    """A row's links (its case manager, its household, the person's other enrollment) join it
    to rows that may show what was suppressed in it: a case manager's clients share a city, a
    household a city and a region. The coordinator holding the dataset reads a suppressed city
    back from the case manager's other rows, and the row is in a group under 5 again."""
    carol = UserFactory(username="carol", organisation=organisation, team=team)
    pernik = CityFactory(organisation=organisation, name="Pernik")
    households = [Household.objects.create(organisation=organisation) for _n in range(6)]
    for n in range(36):
        in_pernik = n >= 31
        household = households[n // 2] if n < 12 else None
        CaseFactory(
            organisation=organisation,
            case_manager=carol if in_pernik else alice,
            city=pernik if in_pernik else organisation.cities.get(name="Sofia"),
            household=household,
            person__household=household,
            person__sex=("female", "male")[n % 2],
            person__nationality=NATIONALITIES[(n // 2 if household else n) % len(NATIONALITIES)],
            person__date_of_birth=datetime.date(1960 + n % 40, 1 + n % 12, 1),
            detention_at_referral=("released", "at_risk", "in_detention", "none")[n % 4],
            migration_status=("irregular", "asylum_seeker", "refused_asylum_seeker")[n % 3],
            inclusion_date=days_ago(100),
        )
    live = {r["case_ref"]: r for r in derive_rows(organisation, THIS_MONTH)}
    _manifest, sent, _data = _preview_then_download(as_user(ada))
    # The coordinator's reading: a suppressed cell is what the row's case manager's other
    # clients show of the city, or its household's other members of the city and region,
    # when they show one value only.
    recovered = []
    for link, columns in (("case_manager_ref", ("city",)),
                          ("household_ref", ("city", "nationality_region"))):  # fmt: skip
        for hidden in sent:
            truth = live[hidden["case_ref"]]
            linked = [other for other in sent
                      if other is not hidden and hidden[link] and other[link] == hidden[link]]  # fmt: skip
            for column in columns:
                shown = {other[column] for other in linked} - {anonymity.SUPPRESSED_VALUE[column]}
                if hidden[column] != truth[column] and shown == {truth[column]}:
                    recovered.append((link, column, hidden["case_ref"]))
    assert sum(1 for r in sent if r["case_manager_ref"]) > 20  # the links are still sent
    assert recovered == []


def _as_read(rows: list[dict]) -> list[dict]:
    """The rows as the coordinator reads them: a concern in the screening's child domain is a
    client under 18, so a row with `child` and an unknown age band is read as `0-17`."""
    return [
        {**r, "age_band": "0-17"}
        if r["age_band"] == "unknown" and "child" in r["vulnerabilities"].split(";")
        else r
        for r in rows
    ]


def test_it_counts_the_age_band_the_child_domain_gives_back(as_user, ada, organisation, alice):
    """A row's `vulnerabilities` (not a quasi-identifier, never altered) tells its age band when
    it holds `child`: the client is under 18. Three children among thirty adults were sent with
    `age_band=unknown` and `child`, so the coordinator read the band back, and the group the
    export counted (the rows of unknown age) was not the group the reader sees."""
    for n in range(33):
        child = n >= 30
        case = CaseFactory(
            organisation=organisation,
            case_manager=alice,
            person__sex=("female", "male")[n % 2],
            person__nationality=NATIONALITIES[n % 3],
            person__date_of_birth=days_ago(200 + 365 * (10 if child else 20 + n % 30)),
            detention_at_referral="released",
            migration_status="irregular",
            inclusion_date=days_ago(100),
        )
        Screening.objects.create(case=case, date=days_ago(190), detention_risk="high",
                                 intervention_rating="medium", recorded_by=alice,
                                 vulnerability_child=child, vulnerability_health=not child)  # fmt: skip
    live = {r["case_ref"]: r for r in derive_rows(organisation, THIS_MONTH)}
    assert sum(r["age_band"] == "0-17" for r in live.values()) == 3
    manifest, sent, _data = _preview_then_download(as_user(ada))
    qis = list(anonymity.QUASI_IDENTIFIERS)
    read = _as_read(sent)
    given_back = [r["case_ref"] for r, seen in zip(sent, read, strict=True)
                  if r["age_band"] != seen["age_band"] == live[r["case_ref"]]["age_band"]]  # fmt: skip
    assert pycanon.k_anonymity(_frame(read), qis) >= 5, given_back
    assert manifest["k_anonymity"] == pycanon.k_anonymity(_frame(read), qis)
    # `vulnerabilities` is sent as it is; only quasi-identifiers say "unknown".
    assert all(r["vulnerabilities"] == live[r["case_ref"]]["vulnerabilities"] for r in sent)
    # The children are not sent at all: with every other cell suppressed they are still
    # three rows read as under 18 in their quarter (the last resort: withheld).
    assert manifest["withheld"] == 3 and len(sent) == 30
    # The preview counts them, and does not say their quarter had fewer than 5 people.
    preview = as_user(ada).post(reverse("mel:export"), {"period_end": THIS_MONTH})
    assert preview.context["preview"].protection.withheld_for_the_child_domain == 3
    assert "Rows withheld" in preview.content.decode()
    assert "were included in their quarter" not in preview.content.decode()
    assert "3 rows of children are withheld" in preview.content.decode()


# The linkage key


def test_an_attacker_with_the_dataset_and_a_list_of_identities_cannot_test_them(
    as_user, ada, nadia, pilot, tmp_path, settings
):
    services.open_round(pilot, name="2026 round one", key=KEY, by=ada)
    assert KEY not in _every_stored_value()  # kept encrypted at the pilot
    manifest, sent, data = _preview_then_download(as_user(ada))
    refs = {r["person_ref"] for r in sent}
    assert len(refs) == 40 and "" not in refs
    assert KEY not in json.dumps(manifest)
    services.close_round(services.open_round_of(pilot), by=ada)
    (tmp_path / "received.zip").write_bytes(data)
    services.import_submission(tmp_path / "received.zip", by=nadia)

    # The attacker: the dataset, the identities of the clients, and every secret the
    # instance holds (its database read raw, and through the application, and its settings).
    identities = list(Person.objects.filter(organisation=pilot))
    candidates = set(_every_stored_value().replace("'", " ").replace(",", " ").split())
    candidates |= {r.key for r in LinkageRound.objects.all()}
    candidates |= {settings.SECRET_KEY, settings.ENGAGE_INDEX_KEY, *settings.ENGAGE_FIELD_KEYS}
    tried = {person_ref(person, candidate.encode()) for person in identities
             for candidate in candidates if candidate}  # fmt: skip
    assert not tried & refs
    assert {person_ref(person, KEY.encode()) for person in identities} == refs  # the real key


def test_the_hub_neither_makes_nor_receives_a_round_key(as_user, nadia, ada, pilot):
    coordinator = as_user(nadia)
    assert coordinator.get(reverse("mel:linkage")).status_code == 404
    assert coordinator.post(reverse("mel:linkage"), {"name": "x", "key": KEY}).status_code == 404
    assert not LinkageRound.objects.exists()
    # The export takes no key either: one posted with it is ignored.
    _manifest, sent, _data = _preview_then_download(as_user(ada))
    response = as_user(ada).post(
        reverse("mel:export"), {"period_end": THIS_MONTH, "linkage_key": KEY}
    )
    assert "linkage_key" not in response.context["form"].fields
    assert {r["person_ref"] for r in sent} == {""}


def test_it_opens_a_round_only_with_the_password_typed_again(as_user, ada, pilot):
    """The round's key decides who can test names against the network's `person_ref`: a key
    typed from a session left open (a colleague's, or whoever else knows it, the coordinator)
    made every later export testable against a list of names, as a one-month retention
    erased every closed case (item 52). The form is sent again with the password."""
    import time

    from django.test import Client

    from engage.accounts.permissions import AUTHENTICATED_AT

    left_open = Client()
    left_open.force_login(ada)
    session = left_open.session
    session[AUTHENTICATED_AT] = time.time() - 3600
    session.save()
    assert left_open.get(reverse("mel:linkage")).status_code == 200  # reading needs none
    response = left_open.post(reverse("mel:linkage"), {"name": "planted", "key": KEY})
    assert response.status_code == 200
    assert "accounts/confirm_password.html" in [t.name for t in response.templates]
    assert not LinkageRound.objects.exists()
    response = stepped_up(ada).post(reverse("mel:linkage"), {"name": "agreed", "key": KEY})
    assert response.status_code == 302 and LinkageRound.objects.get().name == "agreed"


def test_closing_the_round_erases_its_key(as_user, ada, pilot):
    client = stepped_up(ada)
    response = client.post(reverse("mel:linkage"), {"name": "2026 round one", "key": KEY})
    assert response.status_code == 302
    linkage = LinkageRound.objects.get()
    assert linkage.key == KEY and linkage.opened_by == ada
    assert "2026 round one is open" in client.get(reverse("mel:linkage")).content.decode()
    client.post(reverse("mel:linkage_close", args=[linkage.pk]))
    linkage.refresh_from_db()
    assert linkage.key == "" and linkage.closed_by == ada and linkage.closed_at
    assert services.linkage_key(pilot) is None
    assert {r["person_ref"] for r in derive_rows(pilot, THIS_MONTH, linkage_key=None)} == {""}
    # The database itself refuses a closed round that keeps a key.
    with pytest.raises(IntegrityError), transaction.atomic():
        LinkageRound.objects.filter(pk=linkage.pk).update(key="kept-after-all-0123456789")
    details = list(AuditEvent.objects.filter(object_id=linkage.pk).values_list("detail", flat=True))
    assert sorted(details) == ["linkage round closed, key erased", "linkage round opened"]


def test_a_short_key_or_a_second_open_round_is_refused(as_user, ada, pilot):
    client = stepped_up(ada)
    response = client.post(reverse("mel:linkage"), {"name": "r", "key": "short"})
    assert response.status_code == 200 and response.context["form"].errors["key"]
    services.open_round(pilot, name="one", key=KEY, by=ada)
    with pytest.raises(services.RoundError):
        services.open_round(pilot, name="two", key=KEY + "x", by=ada)
    assert LinkageRound.objects.count() == 1


# At the hub


def _imported(tmp_path, rows, *, pilot="BG-CLA", period_end="2024-06", by=None):
    folder = tmp_path / f"{pilot}-{period_end}-{len(rows)}"
    protection = anonymity.protect(rows)
    submission.write(folder, pilot, period_end, protection.rows,
                     protection=protection.manifest_fields())  # fmt: skip
    services.import_submission(folder, by=by)
    return protection


def test_the_hubs_rows_hold_no_plaintext_at_rest(tmp_path):
    rows = [row(n, city="Quuxsentinelburg", nationality_region="Melanesia") for n in range(1, 8)]
    _imported(tmp_path, rows)
    assert len(held_rows()) == 7
    stored = _every_stored_value()
    assert "Quuxsentinelburg" not in stored and "Melanesia" not in stored
    assert services.imported_rows(["BG-CLA"])[0]["city"] == "Quuxsentinelburg"


def test_every_read_of_the_hubs_rows_is_audited(as_user, nadia, tmp_path):
    _imported(tmp_path, [row(n) for n in range(1, 8)])
    stored = Submission.objects.get()
    as_user(nadia).get(reverse("mel:network"), {"end": "2024-06"})
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, actor_id=nadia.pk).get()
    assert event.object_id == stored.pk
    assert event.detail == "network dataset read (network dashboard): BG-CLA 2024-06"
    call_command("mel_report", start="2024-01", end="2024-06", source="imported",
                 disclosure="network", fmt="json", out=tmp_path / "r.json",
                 stdout=StringIO())  # fmt: skip
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, actor_id=None,
                                     object_id=stored.pk).count() == 1  # fmt: skip


def test_an_expired_submission_is_deleted_with_its_rows(tmp_path, settings):
    settings.ENGAGE_NETWORK_RETENTION_MONTHS = 12
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400), tick=False):
        _imported(tmp_path, [row(n) for n in range(1, 8)], pilot="BG-CLA")
    with time_machine.travel(timezone.now() - datetime.timedelta(days=300), tick=False):
        _imported(tmp_path, [row(n, pilot="CY-CYRC", city="Nicosia") for n in range(1, 8)],
                  pilot="CY-CYRC")  # fmt: skip
    out = StringIO()
    call_command("purge_submissions", stdout=out)
    assert "1 submission(s) older than 12 months deleted." in out.getvalue()
    assert list(Submission.objects.values_list("pilot", flat=True)) == ["CY-CYRC"]
    assert {r["pilot"] for r in held_rows()} == {"CY-CYRC"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).count() == 1
    call_command("purge_submissions", stdout=StringIO())  # idempotent
    assert Submission.objects.count() == 1


# Reading versions 1 and 2


def _write_v2(folder, rows, **claims):
    protection = anonymity.protect(rows)
    fields = {**protection.manifest_fields(), **claims}
    submission.write(folder, "BG-CLA", "2024-06", protection.rows, protection=fields)
    return folder


def test_version_1_still_imports_and_refuses_version_2_values(tmp_path):
    submission.write(tmp_path / "v1", "BG-CLA", "2024-06", [row(1), row(2)])
    assert submission.read(tmp_path / "v1").version == 1
    submission.write(tmp_path / "bad", "BG-CLA", "2024-06",
                     [row(1, city="", detention_at_referral="unknown")])  # fmt: skip
    with pytest.raises(submission.InvalidSubmission) as refusal:
        submission.read(tmp_path / "bad")
    assert {p.column for p in refusal.value.problems} == {"city", "detention_at_referral"}


def test_version_2_accepts_suppressed_values_and_checks_its_k(tmp_path):
    rows = [row(n, city="", detention_at_referral="unknown") for n in range(1, 6)]
    read = submission.read(_write_v2(tmp_path / "v2", rows))
    assert (read.version, read.k_anonymity, read.suppressed) == (2, 5, 0)
    with pytest.raises(submission.InvalidSubmission) as refusal:
        submission.read(_write_v2(tmp_path / "lie", rows, k_anonymity=50))
    assert "says k_anonymity 50, the rows give 5" in refusal.value.report()
    with pytest.raises(submission.InvalidSubmission) as refusal:
        submission.read(_write_v2(tmp_path / "qi", rows, quasi_identifiers=["sex"]))
    assert "quasi_identifiers must be" in refusal.value.report()


def test_the_importer_reads_a_childs_unknown_age_band_as_its_reader_does(tmp_path):
    """A submission made elsewhere, claiming k 5 for five rows of unknown age of which two
    carry the child domain: they are two rows under 18, and the hub says so."""
    rows = [row(n, age_band="unknown", vulnerable="true",
                vulnerabilities="child" if n <= 2 else "health") for n in range(1, 6)]  # fmt: skip
    fields = {"quasi_identifiers": list(anonymity.QUASI_IDENTIFIERS), "k_anonymity": 5,
              "suppressed": 0, "withheld": 0}  # fmt: skip
    submission.write(tmp_path / "v2", "BG-CLA", "2024-06", rows, protection=fields)
    with pytest.raises(submission.InvalidSubmission) as refusal:
        submission.read(tmp_path / "v2")
    assert "says k_anonymity 5, the rows give 2" in refusal.value.report()


def test_indicators_count_unknown_as_its_own_key():
    rows = [row(n, city="", detention_at_referral="unknown", sex="unknown") for n in range(1, 4)]
    rows += [row(n) for n in range(4, 6)]
    (ben03,) = [r.as_dict() for r in indicators.compute(rows, "2023-01", "2024-06")
                if r.as_dict()["id"] == "BEN-03"]  # fmt: skip
    for dimension, expected in (("city", {"unknown": 3, "Sofia": 2}),
                                ("detention_at_referral", {"unknown": 3, "at_risk": 2}),
                                ("sex", {"unknown": 3, "female": 2})):  # fmt: skip
        cells = {c["key"]: c["numerator"] for c in ben03["by"][dimension] if c["numerator"]}
        assert cells == expected, dimension
