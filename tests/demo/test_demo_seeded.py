"""The demo network as `make demo` seeds it, seeded twice as running it again does: seeded
once for the module (docs/testing.md), each test reading what it needs.

The pilots' own fields: defined through the custom services, answered on a share of the
fictional cases (encrypted, in the history and the audit log), never in the network dataset.
The services and referrals, the network's map, activities and costs, and the cases of each
pilot: valid through the same services as real ones, and not made twice."""

import decimal
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.cases.models import Case
from engage.custom.models import CustomField, CustomValue, FieldType
from engage.demo.fields import PILOT_FIELDS, TRAFFICKING_NOTES
from engage.directory.models import ContactPerson, Referral, Service
from engage.history.models import Change
from engage.mel import services as mel
from engage.mel.cycles import feedback
from engage.mel.dataset.rows import derive_rows
from engage.mel.forms import last_month, months_before
from engage.mel.models import EvaluationCycle, FeedbackAnswer
from engage.network.models import Activity, DetentionCost, Interaction, ProgrammeBudget, Stakeholder
from engage.sharing.services import covering_consent
from tests.sqlite_template import copy_back, seeded_and_kept

pytestmark = pytest.mark.django_db

CASES = 40  # per pilot: enough for referrals in every status and answers to every field

LANGUAGES = {"BE-JRS": {"fr", "nl"}, "BG-CLA": {"bg"}, "CY-CYRC": {"el"}, "GR-HR360": {"el"},
             "IT-CILD": {"it"}, "PL-SIP": {"pl"}, "GB-DA": set()}  # fmt: skip


def _counts() -> tuple[int, ...]:
    return (Case.objects.count(), CustomField.objects.count(), CustomValue.objects.count(),
            Change.objects.count(), AuditEvent.objects.count(), Service.objects.count(),
            Referral.objects.count(), Stakeholder.objects.count(), Activity.objects.count())  # fmt: skip


@pytest.fixture(scope="module")
def _seeded_twice(django_db_setup, django_db_blocker):
    """The demo seeded twice for the module instead of once or twice per test (about 5 s a
    seeding on a fast machine): each test runs in a savepoint of this transaction, its changes
    undone after it as always, and the whole is rolled back at the module's end
    (docs/testing.md, "Habits for new tests"). Gives what the first seeding had made."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        # On SQLite the first seeding is the round trips' (tests.sqlite_template), committed
        # and taken away at the end; elsewhere it is made in the transaction below.
        copied = seeded_and_kept(cases_per_pilot=CASES)
        try:
            with transaction.atomic():
                if not copied:
                    call_command("seed_demo", cases_per_pilot=CASES, stdout=StringIO())
                with scopes_disabled():  # as every test has it (tests/conftest.py)
                    first = _counts()
                call_command("seed_demo", cases_per_pilot=CASES, stdout=StringIO())
                yield first
                transaction.set_rollback(True)
        finally:
            if copied:
                assert copy_back("default")  # the database as migrated again


@pytest.fixture
def seeded(_seeded_twice, db):
    return CustomValue.objects.select_related("field__organisation", "case")


def test_every_pilot_has_its_own_fields_in_its_languages(seeded):
    fields = CustomField.objects.select_related("organisation")
    by_pilot = Counter(field.organisation.code for field in fields)
    assert by_pilot == {code: len(specs) for code, specs in PILOT_FIELDS.items()}
    for field in fields:
        assert set(field.label_translations) == LANGUAGES[field.organisation.code], field.key
    reception = fields.get(organisation__code="CY-CYRC", key="reception_centre")
    assert reception.form == "referral" and reception.type == FieldType.CHOICE
    assert [o.label for o in reception.options.all()] == ["Pournara", "Kofinou", "Limnes", "Other"]
    assert reception.options.get(key="kofinou").label_translations == {"el": "Κοφίνου"}
    post = fields.get(organisation__code="PL-SIP", key="border_guard_post")
    assert (post.form, post.type) == ("referral", FieldType.SHORT_TEXT)
    office = fields.get(organisation__code="BE-JRS", key="cpas_office")
    assert office.form == "first_meeting" and office.condition_field.key == "cpas_contacted"
    assert office.condition_value == "yes"
    score = fields.get(key="second_risk_score")
    assert (score.type, score.min_value, score.max_value) == (FieldType.NUMBER, 0, 10)
    assert fields.get(key="community_ties").type == FieldType.CHOICES
    assert fields.get(key="trafficking_indicators").sensitive
    assert fields.get(key="interpreter_used").form == "contact"
    assert [f.key for f in fields if f.is_retired] == ["covid_release"]
    # Defined by the pilot's admin, each in the audit log.
    for field in fields:
        assert field.created_by.username == f"{field.organisation.code.lower()}-admin"
    assert AuditEvent.objects.filter(detail__startswith="custom field").count() == len(fields) + 1


def test_a_share_of_the_cases_has_answers_that_decrypt(seeded):
    answered = Counter(value.field.organisation.code for value in seeded)
    assert set(answered) == set(PILOT_FIELDS)
    with_answers = 0
    for code, count in answered.items():
        cases = Case.objects.filter(organisation__code=code).count()
        shown = CustomValue.objects.filter(case__organisation__code=code).values("case").distinct()
        with_answers += shown.count()
        # A realistic share. The lowest is GB-DA's, whose one question is asked of the clients
        # referred from detention only, a number that moves with the day the demo is seeded
        # (its story is told back from today): seeded on ten days of 2027, 12 to 25 of its 43
        # cases, 11 to 20 of them with an answer (the bound of 0.3 of 40 failed on two).
        assert 0.15 < shown.count() / cases <= 1, code
        assert count
    assert with_answers < Case.objects.count()  # not every case
    by_key = {key: [v for v in seeded if v.field.key == key] for key in
              {f.key for specs in PILOT_FIELDS.values() for f in specs}}  # fmt: skip
    assert all(by_key.values()), [key for key, values in by_key.items() if not values]
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM custom_customvalue")  # nosemgrep: raw-sql
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all(text.startswith("gAAAA") for text in stored)  # encrypted at rest
    assert {v.data for v in by_key["reception_centre"]} <= {
        "pournara",
        "kofinou",
        "limnes",
        "other",
    }
    assert all(0 <= decimal.Decimal(v.data) <= 10 for v in by_key["second_risk_score"])
    assert all(isinstance(v.data, list) and v.data for v in by_key["community_ties"])
    assert {v.data for v in by_key["trafficking_indicators"]} <= set(TRAFFICKING_NOTES)
    assert all(v.case.referral_date.year == 2021 for v in by_key["covid_release"])
    contacted = {v.record_id for v in by_key["cpas_contacted"] if v.data is True}
    assert {v.record_id for v in by_key["cpas_office"]} <= contacted  # only when yes
    assert all(v.label_at_entry == "CPAS contacté" for v in by_key["cpas_contacted"])
    assert all(v.updated_by_id == v.case.case_manager_id for v in seeded)


def test_the_answers_are_in_the_history_and_the_audit_log_as_given_by_the_case_manager(seeded):
    values = {value.pk: value for value in seeded}
    changes = Change.objects.filter(model="custom.customvalue")
    assert changes.count() == len(values)
    for change in changes:
        assert change.actor_id == values[change.object_id].case.case_manager_id
    audited = AuditEvent.objects.filter(detail__startswith="custom:", object_type="cases.case")
    records = {(v.case_id, v.field.form, v.record_id) for v in values.values()}
    assert audited.count() == len(records)


def test_seeding_again_adds_nothing(_seeded_twice, db):
    assert _counts() == _seeded_twice


def test_no_answer_is_in_the_network_dataset(seeded):
    words = {"custom", "Pournara", "pournara", "PSG", "CPAS", "OCMW", "Lesvos", "lesvos"}
    words |= {note[:30] for note in TRAFFICKING_NOTES}
    month = timezone.localdate().strftime("%Y-%m")
    organisations = {value.field.organisation for value in seeded}
    for organisation in organisations:
        rows = list(derive_rows(organisation, month))
        assert rows
        text = repr(rows)
        assert not [word for word in words if word in text]
        assert not {column for row in rows for column in row if column.startswith("custom")}


def test_every_pilot_has_its_cases_once(seeded):
    per_pilot = Counter(Case.objects.values_list("organisation__code", flat=True))
    assert len(per_pilot) == 7
    # (and two more: the likely duplicate left for the supervisor, engage/demo/duplicates.py)
    assert all(CASES + 2 <= count <= CASES + 3 for count in per_pilot.values()), per_pilot


def test_every_pilot_has_services_and_referrals_in_every_status(seeded):
    services = Counter(Service.objects.values_list("organisation__code", flat=True))
    assert len(services) == 7 and set(services.values()) == {6}
    assert ContactPerson.objects.count() == 42
    assert Service.objects.filter(shared=True).exists()
    referrals = Referral.objects.select_related("case", "service__recipient", "share")
    assert len({r.case.organisation_id for r in referrals}) == 7
    assert set(referrals.values_list("status", flat=True)) == set(Referral.Status.values)
    for referral in referrals:
        assert referral.service.organisation_id == referral.case.organisation_id
        if referral.disclosed:
            consent = covering_consent(
                referral.case,
                referral.case.person,
                referral.service.recipient,
                "referral",
                referral.categories,
                on=referral.made_on,
            )
            assert consent is not None and referral.share.consent == consent
        else:
            assert referral.share is None


def test_every_pilot_has_a_map_activities_and_costs(seeded):
    """Enough for every NET-* and a cost comparison in the default report."""
    stakeholders = Counter(Stakeholder.objects.values_list("organisation__code", flat=True))
    assert len(stakeholders) == 8 and stakeholders[None] == 3  # seven pilots and the network
    assert set(stakeholders.values()) == {8, 3}
    assert {s.stage for s in Stakeholder.objects.all()} == {"identified", "contacted", "engaged",
                                                           "partner"}  # fmt: skip
    assert Interaction.objects.filter(stakeholder__organisation__isnull=True).exists()
    assert len(set(Activity.objects.values_list("organisation", flat=True))) == 8
    assert DetentionCost.objects.count() == 7 and ProgrammeBudget.objects.count() == 7
    end = last_month()
    report = mel.report_for(start=months_before(end, 12), end=end, pilots=[], source="live",
                            level="exact")  # fmt: skip
    net = {i["id"]: i for i in report["indicators"] if i["id"].startswith("NET-")}
    assert len(net) == 14 and all(net[i]["numerator"] for i in net), net
    compared = {c["country"]: c for c in report["cost_comparison"]["countries"]}
    assert compared["BG"]["compared"] is True
    assert compared["PL"]["reason"] == "currencies_differ"
    # The network's evaluation cycle: the six-month questionnaire answered and closed, its
    # results shown (six answers, above the threshold); this month's open, on the home page of
    # those who have not answered it yet.
    (cycle,) = EvaluationCycle.objects.all()
    closed = cycle.questionnaires.get(point="6m")
    assert not closed.is_open and FeedbackAnswer.objects.filter(questionnaire=closed).count() == 6
    assert feedback.results(closed)["shown"] is True
    (waiting,) = feedback.waiting_for(User.objects.get(username="be-jrs-sup"))
    assert waiting.point == "midterm" and waiting.is_open
