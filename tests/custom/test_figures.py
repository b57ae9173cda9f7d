"""The pilot's own figures of its own fields: answers of yes/no and choice fields counted over
the organisation's cases, under the network's disclosure control, for its supervisors and admin
only, and never in the network dataset or the network's dashboard."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engage.cases.factories import CaseFactory
from engage.custom import figures, services
from engage.custom.models import CustomValue
from engage.mel.dataset.rows import derive_rows
from engage.mel.report import disclosure
from tests.spies import calls_of

URL = reverse("custom:figures")


@pytest.fixture
def no_noise(monkeypatch):
    """Perturbation off, so that the counts are the hand-computed ones."""
    monkeypatch.setattr(disclosure, "noise", lambda cell_key, count: 0)


@pytest.fixture
def own(organisation, ada):
    define = services.define_field
    return {
        "housing": define(
            organisation, by=ada, form="referral", type="choice", label="Housing zz", key="housing",
            options=["Shelter", "Friends", "Street"],
        ),
        "needs": define(
            organisation, by=ada, form="referral", type="choices", label="Needs zz", key="needs",
            options=["Food", "Legal", "Medical"],
        ),
        "followup": define(
            organisation, by=ada, form="contact", type="yes_no", label="Follow-up zz", key="followup",
        ),
        "faith": define(
            organisation, by=ada, form="referral", type="choice", label="Faith zz", key="faith",
            options=["Asked", "Not asked"], sensitive=True,
        ),
        "notes": define(
            organisation, by=ada, form="referral", type="short_text", label="Notes zz", key="notes",
        ),
    }  # fmt: skip


def _answer(case, form, record_id, values, by):
    services.save_values(case, form, record_id, values, by=by)


@pytest.fixture
def answered(organisation, alice, own):
    """Twelve cases, answered so: Housing 9 shelter, 3 friends, 0 street; Needs (answered on
    11) food 11, legal 5, medical 0; Follow-up (a contact field: the answer saved last counts) 7 yes, 5 no; the
    sensitive Faith 12 asked."""
    cases = [CaseFactory(organisation=organisation, case_manager=alice) for _ in range(12)]
    for number, case in enumerate(cases):
        housing = "shelter" if number < 9 else "friends"
        needs = (["food"] + (["legal"] if number % 2 else [])) if number < 11 else []
        referral = {"housing": housing, "faith": "asked", "notes": "Zzwritten"}
        if needs:
            referral["needs"] = needs
        _answer(case, "referral", case.pk, referral, alice)
        first, later = str(uuid.uuid4()), str(uuid.uuid4())
        _answer(case, "contact", first, {"followup": number >= 7}, alice)
        _answer(case, "contact", later, {"followup": number < 7}, alice)
        CustomValue.objects.filter(record_id=first).update(
            updated_at=timezone.now() - datetime.timedelta(days=3)
        )
    return cases


def _by_label(found):
    result = {}
    for section in found:
        for item in section.fields:
            result[item.field.label] = item
    return result


def test_it_counts_each_answer_over_the_cases_hand_computed(organisation, answered, no_noise):
    found = _by_label(figures.answer_counts(organisation))
    housing = found["Housing zz"]
    assert housing.answered == 12
    lines = {line.label: line.count for line in housing.lines}
    # Friends (3) is under the threshold: "<5". Street is 0, so the rest of 12 would give
    # Friends away exactly: the next smallest shown answer, Shelter, is withheld with it.
    assert lines == {"Shelter": None, "Friends": "<5", "Street": 0}
    followup = found["Follow-up zz"]
    assert followup.answered == 12
    assert {line.label: line.count for line in followup.lines} == {"Yes": 7, "No": 5}
    needs = found["Needs zz"]
    assert needs.answered == 11
    by_option = {line.label: (line.count, line.share) for line in needs.lines}
    # Food is ticked by all 11 who answered: nobody is left out, so it is shown.
    assert by_option["Food"] == (11, 100.0)
    assert by_option["Legal"] == (5, 45.5)
    assert by_option["Medical"] == (0, 0.0)


def test_it_withholds_an_option_ticked_by_all_but_a_few(organisation, alice, own, no_noise):
    for number in range(12):
        case = CaseFactory(organisation=organisation, case_manager=alice)
        _answer(case, "referral", case.pk, {"needs": ["food"] if number else ["legal"]}, alice)
    needs = _by_label(figures.answer_counts(organisation))["Needs zz"]
    by_option = {line.label: (line.count, line.share) for line in needs.lines}
    # Food: 11 of 12, so the one who did not tick it would follow from the two shown numbers.
    assert by_option["Food"] == (None, None)
    assert by_option["Legal"] == ("<5", None)
    assert needs.answered == 12


def test_the_counts_are_perturbed_like_the_networks(organisation, answered, monkeypatch):
    noise = calls_of(monkeypatch, disclosure, "noise")
    found = _by_label(figures.answer_counts(organisation))
    drawn = [count for _cell_key, count in noise]
    follow_up = [12, 7, 5]  # answered, yes, no
    housing = [12, 9, 3, 0]
    needs = [11, 11, 11, 11, 11, 5, 0]  # answered, then each option over those who answered
    assert sorted(drawn) == sorted(follow_up + housing + needs)
    followup = found["Follow-up zz"]
    assert abs(followup.answered - 12) <= disclosure.NOISE_LIMIT
    counts = [line.count for line in followup.lines]
    for count, truth in zip(counts, (7, 5), strict=True):
        # The noise follows the cases' random ids: a part may fall under five, and then the
        # other is withheld too, or the total less the one shown would give it away.
        if count is None:
            assert "<5" in counts
        else:
            assert count == "<5" or abs(count - truth) <= disclosure.NOISE_LIMIT
    again = _by_label(figures.answer_counts(organisation))["Follow-up zz"]
    assert [line.count for line in again.lines] == [line.count for line in followup.lines]


def test_it_leaves_a_sensitive_field_uncounted_and_marks_a_retired_one(
    organisation, answered, own, ada, no_noise
):
    services.retire_field(own["housing"], by=ada)
    option = own["needs"].options.get(key="medical")
    services.retire_option(option, by=ada)
    found = _by_label(figures.answer_counts(organisation))
    assert found["Faith zz"].lines == [] and found["Faith zz"].answered == 0
    assert found["Housing zz"].field.is_retired
    assert found["Housing zz"].answered == 12
    assert [line.retired for line in found["Needs zz"].lines] == [False, False, True]
    assert "Notes zz" not in found  # a text field is not counted


def test_it_counts_only_cases_in_the_period(organisation, alice, own, no_noise):
    old = CaseFactory(
        organisation=organisation,
        case_manager=alice,
        referral_date=datetime.date(2020, 1, 10),
        closure_date=datetime.date(2020, 6, 1),
    )
    _answer(old, "referral", old.pk, {"housing": "street"}, alice)
    recent = CaseFactory(organisation=organisation, case_manager=alice)
    _answer(recent, "referral", recent.pk, {"housing": "shelter"}, alice)
    this_year = timezone.localdate().strftime("%Y-%m")
    found = _by_label(figures.answer_counts(organisation, start="2021-01", end=this_year))
    assert {line.label: line.count for line in found["Housing zz"].lines}["Street"] == 0
    found = _by_label(figures.answer_counts(organisation, start="2020-01", end="2020-12"))
    assert {line.label: line.count for line in found["Housing zz"].lines}["Street"] == "<5"


def test_its_queries_do_not_grow_with_fields_and_answers(organisation, answered, ada, alice):
    with CaptureQueriesContext(connection) as few:
        figures.answer_counts(organisation)
    for number in range(10):
        field = services.define_field(
            organisation, by=ada, form="closure", type="choice", label=f"More {number}",
            options=["A", "B"],
        )  # fmt: skip
        for case in answered:
            _answer(case, "closure", str(uuid.uuid4()), {field.key: "a"}, alice)
    with CaptureQueriesContext(connection) as many:
        figures.answer_counts(organisation)
    assert len(few) == len(many) == 3


def test_the_page_shows_the_counts_to_the_supervisor_and_admin(
    as_user, bob, ada, answered, no_noise
):
    for user in (bob, ada):
        page = as_user(user).get(URL).content.decode()
        assert "Housing zz" in page and "Follow-up zz" in page and "Needs zz" in page
        assert "&lt;5" in page and "withheld" in page
        assert "Faith zz" in page and "not counted here" in page
        assert "Notes zz" not in page and "Zzwritten" not in page
        assert '<th scope="row">Shelter</th>' in page


def test_it_says_when_there_is_nothing_to_count(as_user, ada):
    page = as_user(ada).get(URL).content.decode()
    assert 'id="no-fields"' in page


def test_the_dashboards_link_to_it(as_user, bob, ada):
    for user, where in ((bob, "dashboard:home"), (ada, "dashboard:home"), (ada, "mel:pilot")):
        assert URL in as_user(user).get(reverse(where)).content.decode()


def test_others_never_see_these_counts(as_user, alice, olga, charlie, nadia, answered):
    # A case manager (of the pilot or another), the network coordinator: no page at all.
    for user in (alice, charlie, nadia):
        response = as_user(user).get(URL)
        assert response.status_code in (403, 404)
        assert b"Housing zz" not in response.content
    page = as_user(olga).get(URL).content.decode()  # another organisation's admin: their own
    assert "Housing zz" not in page and 'id="no-fields"' in page


def test_the_counts_never_reach_the_network(as_user, nadia, organisation, answered):
    month = timezone.localdate().strftime("%Y-%m")
    rows = list(derive_rows(organisation, month))
    assert rows
    flat = repr(rows)
    for word in ("housing", "shelter", "needs", "followup", "zz"):
        assert word not in flat.lower()
    page = as_user(nadia).get(reverse("mel:network"), {"end": month}).content.decode()
    assert "Housing zz" not in page and "Shelter" not in page and "Follow-up zz" not in page


def test_it_does_not_count_the_answers_given_on_a_sensitive_contact(
    organisation, alice, own, no_noise
):
    """A contact marked sensitive keeps what its own fields say as it keeps its note, for the
    case's own people (docs/security.md, item 47): the figures, which every supervisor and the
    admin read, counted them ("Follow-up: yes, 8 cases")."""
    from engage.cases import services as case_services
    from engage.cases.factories import days_ago, to_screening

    for _n in range(8):
        case = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
        contact = case_services.log_contact(
            case,
            by=alice,
            data={
                "date": days_ago(2),
                "type": "phone",
                "engagement_level": "active",
                "note": "Zzhidden note",
                "sensitive": True,
            },
        )
        _answer(case, "contact", contact.pk, {"followup": "yes"}, alice)
    shown = {
        each.field.key: each for form in figures.answer_counts(organisation) for each in form.fields
    }
    assert shown["followup"].answered == 0
    assert [line.count for line in shown["followup"].lines] == [0, 0]
