"""A goal's answers to the organisation's own fields on the plan page (they were only in the
API): under the label they were given under, a sensitive one only for the case's own case
manager and their supervisor, in one query for all the goals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engage.cases import services as case_services
from engage.cases.factories import RATINGS, CaseFactory, days_ago, to_included
from engage.custom import services
from engage.custom.models import CustomValue


@pytest.fixture
def plan(organisation, alice, bob, ada):
    case = CaseFactory(organisation=organisation, case_manager=alice)
    to_included(case, alice, bob)
    case_services.record_assessment(case, by=alice, data={"date": days_ago(2), **RATINGS})
    plan = case_services.create_plan(case, by=alice, person=case.person)
    define = services.define_field
    define(
        organisation, by=ada, form="goal", type="choice", key="lead", label="Who leads zz",
        options=["Client", "Case manager"],
    )  # fmt: skip
    define(organisation, by=ada, form="goal", type="date", key="since", label="Since zz")
    define(
        organisation, by=ada, form="goal", type="short_text", key="why", label="Why zz",
        sensitive=True,
    )  # fmt: skip
    for number in range(3):
        goal = case_services.add_goal(
            plan, by=alice, data={"area": "health", "description": f"Goal {number}"}
        )
        services.save_values(
            case,
            "goal",
            goal.pk,
            {"lead": "client", "since": days_ago(5), "why": f"Zzsecret {number}"},
            by=alice,
        )
    return plan


def test_the_plan_page_shows_each_goals_answers(as_user, alice, plan):
    page = as_user(alice).get(reverse("cases:plan_detail", args=[plan.pk])).content.decode()
    assert page.count("<dt>Who leads zz") == 3 and page.count("<dd>Client") == 3
    assert "Since zz" in page
    assert "Zzsecret 0" in page and "Zzsecret 2" in page  # her own case: the sensitive one too


def test_an_answer_keeps_the_label_it_was_given_under(as_user, alice, ada, plan):
    field = services.fields_of(plan.case.organisation).get(key="lead")
    services.update_field(field, by=ada, label="Who drives it zz")
    page = as_user(alice).get(reverse("cases:plan_detail", args=[plan.pk])).content.decode()
    assert page.count("<dt>Who leads zz") == 3


def test_other_staff_do_not_see_a_sensitive_answer(as_user, ada, plan):
    page = as_user(ada).get(reverse("cases:plan_detail", args=[plan.pk]))
    if page.status_code == 200:  # the admin may read the plan, not the sensitive answer
        assert "Who leads zz" in page.content.decode()
    assert b"Zzsecret" not in page.content


def test_the_goals_answers_are_read_in_one_query(as_user, alice, plan):
    client = as_user(alice)
    url = reverse("cases:plan_detail", args=[plan.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    goal = case_services.add_goal(plan, by=alice, data={"area": "health", "description": "4"})
    services.save_values(plan.case, "goal", goal.pk, {"lead": "client"}, by=alice)
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    custom = [q for q in four.captured_queries if "custom_customvalue" in q["sql"]]
    assert len(custom) == 1
    assert len(four) - len(three) <= len(three) and CustomValue.objects.count() == 10
