"""Feedback from network members (NET-15, issue 14 section 5): a questionnaire per point of an
evaluation cycle, answered once by member organisations' admins and supervisors, aggregated,
never attributed, shown only when closed with enough answers, frozen in the point's snapshot."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse
from django.utils import translation

from engage.accounts.factories import UserFactory
from engage.accounts.models import Role
from engage.audit.models import AuditEvent
from engage.mel.cycles import feedback
from engage.mel.cycles import services as cycles
from engage.mel.models import (
    FeedbackAnswer,
    FeedbackComment,
    FeedbackQuestionnaire,
    FeedbackRespondent,
)
from engage.mel.report import render
from tests.mel.terms import TERM

pytestmark = pytest.mark.django_db

Q1, Q2, Q3, Q4, Q5 = feedback.CURRENT
# Five members' ratings of the five statements, and what they make, worked out by hand.
RATINGS = [
    {Q1: 5, Q2: 4, Q3: 2, Q4: 3, Q5: 1},
    {Q1: 4, Q2: 4, Q3: 3, Q4: 3, Q5: 2},
    {Q1: 4, Q2: 2, Q3: 4, Q4: 5, Q5: 3},
    {Q1: 2, Q2: 5, Q3: 1, Q4: 4, Q5: 4},
    {Q1: 1, Q2: 3, Q3: 5, Q4: 5, Q5: 5},
]
BY_HAND = {
    # answers, distribution 1..5, mean, median, agreeing, share agreeing
    Q1: (5, [1, 1, 0, 2, 1], 3.2, 4, 3, 60.0),
    Q2: (5, [0, 1, 1, 2, 1], 3.6, 4, 3, 60.0),
    Q3: (5, [1, 1, 1, 1, 1], 3.0, 3, 2, 40.0),
    Q4: (5, [0, 0, 2, 1, 2], 4.0, 4, 3, 60.0),
    Q5: (5, [1, 1, 1, 1, 1], 3.0, 3, 2, 40.0),
}


@pytest.fixture(autouse=True)
def _english():
    """The service's messages and the statements in English unless a test says otherwise (a
    request in another language leaves that language active in the test's thread)."""
    with translation.override("en"):
        yield


@pytest.fixture
def cycle(nadia):
    return cycles.define_cycle(by=nadia, data=TERM)


@pytest.fixture
def members(organisation, other_organisation, bob, ada, olga):
    """Six people asked: Bob and Ada, Olga, and three more supervisors."""
    more = [
        UserFactory(role=Role.SUPERVISOR, organisation=org)
        for org in (organisation, other_organisation, other_organisation)
    ]
    return [bob, ada, olga, *more]


def _form(ratings, comment=""):
    return {**{key: str(value) for key, value in ratings.items()}, "comment": comment}


def _answer_all(questionnaire, members, comments=()):
    for n, (person, ratings) in enumerate(zip(members, RATINGS, strict=False)):
        comment = comments[n] if n < len(comments) else ""
        feedback.answer(questionnaire, by=person, ratings=ratings, comment=comment)


class TestAggregation:
    def test_it_aggregates_the_answers_as_worked_out_by_hand(self, cycle, nadia, members):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(questionnaire, members)
        feedback.close_questionnaire(questionnaire, by=nadia)
        shown = feedback.results(questionnaire)
        assert shown["shown"] and shown["answers"] == 5
        for row in shown["results"]:
            n, distribution, mean, median, agreeing, share = BY_HAND[row["key"]]
            assert row["answers"] == n
            assert [row["distribution"][str(p)] for p in feedback.SCALE] == distribution
            assert (row["mean"], row["median"]) == (mean, median)
            assert (row["agreeing"], row["share_agreeing"]) == (agreeing, share)
        net = feedback.indicator(shown)
        assert (net["numerator"], net["denominator"], net["value"]) == (3, 5, 60.0)
        assert [(c["key"], c["value"]) for c in net["by"]["question"]] == [
            (key, BY_HAND[key][5]) for key in feedback.CURRENT
        ]

    def test_it_asks_the_questions_of_the_day_it_opened_by_their_keys(self, cycle, nadia):
        questionnaire = feedback.open_questionnaire(cycle, "6m", by=nadia)
        assert questionnaire.questions == list(feedback.CURRENT)
        assert all(key in feedback.QUESTIONS for key in questionnaire.questions)
        assert feedback.QUESTIONS[Q1].key.endswith(".v1")


class TestDisclosure:
    def test_it_shows_nothing_while_the_questionnaire_is_open(self, cycle, nadia, members):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(questionnaire, members, comments=["More joint trainings."])
        shown = feedback.results(questionnaire)
        assert (shown["shown"], shown["withheld"], shown["results"]) == (False, "open", [])
        assert shown["answers"] == 5  # the number of answers only
        assert feedback.comments(questionnaire, by=nadia) == []

    def test_it_withholds_results_under_the_networks_threshold(self, cycle, nadia, members):
        assert feedback.minimum_answers() == 5  # counts 1-4 are the network level's small counts
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        for person, ratings in zip(members[:4], RATINGS, strict=False):
            feedback.answer(questionnaire, by=person, ratings=ratings, comment="Meet more often.")
        feedback.close_questionnaire(questionnaire, by=nadia)
        shown = feedback.results(questionnaire)
        assert (shown["shown"], shown["withheld"], shown["results"]) == (False, "too_few", [])
        assert feedback.comments(questionnaire, by=nadia) == []
        assert feedback.indicator(shown) == {
            "id": "NET-15", "numerator": None, "denominator": None, "value": None,
            "withheld": True,
        }  # fmt: skip

    def test_it_gives_the_comments_to_the_coordinator_alone_once_shown(
        self, cycle, nadia, members, bob
    ):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(questionnaire, members, comments=["More joint trainings.", "", "Translate."])
        feedback.close_questionnaire(questionnaire, by=nadia)
        assert sorted(feedback.comments(questionnaire, by=nadia)) == [
            "More joint trainings.",
            "Translate.",
        ]
        with pytest.raises(PermissionDenied):
            feedback.comments(questionnaire, by=bob)


class TestAnswering:
    def test_it_takes_one_answer_per_person(self, cycle, nadia, bob):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        feedback.answer(questionnaire, by=bob, ratings=RATINGS[0])
        with pytest.raises(ValidationError, match="already answered"):
            feedback.answer(questionnaire, by=bob, ratings=RATINGS[1])
        assert FeedbackAnswer.objects.count() == 1
        assert FeedbackRespondent.objects.get().user == bob
        assert feedback.has_answered(questionnaire, bob)

    def test_it_refuses_a_rating_off_the_scale_next_to_its_question(self, cycle, nadia, bob):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        with pytest.raises(ValidationError) as refused:
            feedback.answer(questionnaire, by=bob, ratings={**RATINGS[0], Q2: 6, Q3: ""})
        assert set(refused.value.error_dict) == {Q2, Q3}
        assert not FeedbackRespondent.objects.exists()  # nothing written: may answer again

    def test_it_takes_no_answer_once_closed_and_never_opens_again(self, cycle, nadia, bob):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        feedback.close_questionnaire(questionnaire, by=nadia)
        with pytest.raises(ValidationError, match="closed"):
            feedback.answer(questionnaire, by=bob, ratings=RATINGS[0])
        with pytest.raises(ValidationError):
            feedback.close_questionnaire(questionnaire, by=nadia)
        with pytest.raises(ValidationError):
            feedback.open_questionnaire(cycle, "baseline", by=nadia)

    def test_it_asks_admins_and_supervisors_of_member_organisations_only(
        self, cycle, nadia, alice, bob, ada, olga
    ):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        assert set(feedback.invited()) == {bob, ada, olga}
        for outsider in (alice, nadia):
            with pytest.raises(PermissionDenied):
                feedback.answer(questionnaire, by=outsider, ratings=RATINGS[0])
        with pytest.raises(PermissionDenied):
            feedback.open_questionnaire(cycle, "6m", by=ada)
        with pytest.raises(PermissionDenied):
            feedback.close_questionnaire(questionnaire, by=ada)


class TestAnonymity:
    def test_the_answer_tables_have_no_column_linking_to_a_person_an_organisation_or_a_time(
        self,
    ):
        for model, columns in (
            (FeedbackAnswer, {"id", "questionnaire", "ratings"}),
            (FeedbackComment, {"id", "questionnaire", "text"}),
        ):
            fields = model._meta.concrete_fields
            assert {f.name for f in fields} == columns
            assert [f.related_model for f in fields if f.is_relation] == [FeedbackQuestionnaire]
            assert not any(isinstance(f, models.DateField) for f in fields)
            assert isinstance(model._meta.pk, models.UUIDField)
            assert model._meta.ordering == ["id"]  # random keys, never time
        # Who answered holds no answer.
        assert {f.name for f in FeedbackRespondent._meta.concrete_fields} == {
            "id",
            "questionnaire",
            "user",
        }

    def test_the_audit_log_says_who_answered_never_what(self, cycle, nadia, members):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(questionnaire, members, comments=["Our secret wish"])
        events = AuditEvent.objects.filter(detail__contains="answered")
        assert events.count() == 5
        assert {e.actor_id for e in events} == {p.pk for p in members[:5]}
        assert {e.object_id for e in events} == {questionnaire.pk}
        answer_keys = set(FeedbackAnswer.objects.values_list("pk", flat=True)) | set(
            FeedbackComment.objects.values_list("pk", flat=True)
        )
        assert not AuditEvent.objects.filter(object_id__in=answer_keys).exists()
        for event in AuditEvent.objects.all():
            assert "secret" not in event.detail
            assert not any(f'"{key}"' in event.detail for key in feedback.CURRENT)


class TestSnapshots:
    def test_a_snapshot_freezes_the_closed_questionnaires_results_without_comments(
        self, cycle, nadia, members, organisation
    ):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(questionnaire, members, comments=["Secret comment"])
        feedback.close_questionnaire(questionnaire, by=nadia)
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network",
                                        source="live", pilots=[organisation.code])  # fmt: skip
        net = next(i for i in snapshot.report["indicators"] if i["id"] == "NET-15")
        assert (net["numerator"], net["denominator"], net["value"]) == (3, 5, 60.0)
        assert snapshot.report["member_feedback"]["answers"] == 5
        assert "Secret comment" not in json.dumps(snapshot.report)
        # The comparison names it; the document puts it in the network's section, in words.
        rows = {row["id"]: row for row in cycles.comparison(cycle)["indicators"]}
        assert rows["NET-15"]["name"] == str(feedback_name())
        html = render.as_html(snapshot.report)
        assert "NET-15" in html and str(feedback.QUESTIONS[Q3].text).replace("'", "&#x27;") in html

    def test_an_open_questionnaire_or_a_stricter_level_is_frozen_withheld(
        self, cycle, nadia, members, organisation
    ):
        opened = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(opened, members)
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network",
                                        source="live", pilots=[organisation.code])  # fmt: skip
        net = next(i for i in snapshot.report["indicators"] if i["id"] == "NET-15")
        assert net["withheld"] and net["numerator"] is None
        # Public figures need 10 answers: five are withheld there.
        six = feedback.open_questionnaire(cycle, "6m", by=nadia)
        _answer_all(six, members)
        feedback.close_questionnaire(six, by=nadia)
        public = cycles.take_snapshot(cycle, "6m", by=nadia, level="public", source="live",
                                      pilots=[organisation.code])  # fmt: skip
        assert public.report["member_feedback"]["withheld"] == "too_few"
        assert public.report["member_feedback"]["minimum"] == 10

    def test_a_point_without_questionnaire_has_no_net_15(self, cycle, nadia, organisation):
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network",
                                        source="live", pilots=[organisation.code])  # fmt: skip
        assert "NET-15" not in {i["id"] for i in snapshot.report["indicators"]}
        assert "member_feedback" not in snapshot.report

    def test_a_cycle_with_a_questionnaire_is_not_deleted(self, cycle, nadia):
        feedback.open_questionnaire(cycle, "baseline", by=nadia)
        with pytest.raises(ValidationError):
            cycles.delete_cycle(cycle, by=nadia)


def feedback_name():
    from engage.network.report import NAMES

    return NAMES["NET-15"]


class TestPages:
    def test_the_coordinator_opens_and_closes_after_confirming(
        self, as_user, cycle, nadia, members
    ):
        client = as_user(nadia)
        page = client.get(reverse("mel:cycle", args=[cycle.pk]))
        assert "Open the members' questionnaire" in page.content.decode()
        response = client.post(
            reverse("mel:questionnaire_open", args=[cycle.pk]), {"point": "baseline"}
        )
        assert response.status_code == 302
        questionnaire = FeedbackQuestionnaire.objects.get()
        _answer_all(questionnaire, members, comments=["Fewer meetings, more exchanges."])
        page = client.get(reverse("mel:cycle", args=[cycle.pk])).content.decode()
        assert "5 answers from 6 people asked" in page
        assert "Fewer meetings" not in page  # nothing while open
        close = reverse("mel:questionnaire_close", args=[questionnaire.pk])
        refused = client.post(close, {})
        assert refused.status_code == 200
        assert "Tick the box to confirm" in refused.content.decode()
        questionnaire.refresh_from_db()
        assert questionnaire.is_open
        assert client.post(close, {"confirm": "on"}).status_code == 302
        questionnaire.refresh_from_db()
        assert not questionnaire.is_open
        page = client.get(reverse("mel:cycle", args=[cycle.pk])).content.decode()
        assert "Fewer meetings, more exchanges." in page
        assert 'data-question="strengthens_work.v1"' in page
        assert "60.0% (3 of 5)" in page

    def test_a_supervisor_answers_from_the_notice_on_their_home_page(
        self, as_user, cycle, nadia, bob
    ):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        client = as_user(bob)
        home = client.get(reverse("dashboard:home")).content.decode()
        url = reverse("mel:questionnaire", args=[questionnaire.pk])
        assert url in home
        form = client.get(url).content.decode()
        assert "Your answers are anonymous." in form
        # A missing rating: said next to its statement, nothing recorded.
        sent = client.post(url, _form({**RATINGS[0], Q4: ""}))
        assert sent.status_code == 200
        assert "Choose how far you agree" in sent.content.decode()
        assert not FeedbackRespondent.objects.exists()
        assert client.post(url, _form(RATINGS[0], "More data training")).status_code == 302
        assert FeedbackAnswer.objects.get().ratings == RATINGS[0]
        assert FeedbackComment.objects.get().text == "More data training"
        assert url not in client.get(reverse("dashboard:home")).content.decode()
        again = client.get(url).content.decode()
        assert "You have already answered" in again

    def test_an_organisation_admin_sees_the_notice_too(self, as_user, cycle, nadia, ada):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        home = as_user(ada).get(reverse("dashboard:home")).content.decode()
        assert reverse("mel:questionnaire", args=[questionnaire.pk]) in home

    def test_other_roles_get_404(self, as_user, client, cycle, nadia, alice, bob, charlie):
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        answer = reverse("mel:questionnaire", args=[questionnaire.pk])
        close = reverse("mel:questionnaire_close", args=[questionnaire.pk])
        opening = reverse("mel:questionnaire_open", args=[cycle.pk])
        for person in (alice, charlie):  # case managers: not asked
            as_user(person)
            assert client.get(answer).status_code == 404
            assert client.post(answer, _form(RATINGS[0])).status_code == 404
            assert client.get(close).status_code == 404
        as_user(bob)
        assert client.get(close).status_code == 404
        assert client.post(opening, {"point": "6m"}).status_code == 404
        assert client.get(reverse("mel:cycle", args=[cycle.pk])).status_code == 404
        as_user(nadia)
        assert client.get(answer).status_code == 404  # the coordinator does not answer
        assert client.get(opening).status_code == 405  # opening only by a form sent
        assert not FeedbackRespondent.objects.exists()

    def test_the_coordinators_page_in_french(self, as_user, cycle, nadia, members):
        nadia.language = "fr"
        nadia.save(update_fields=["language"])
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        _answer_all(questionnaire, members)
        feedback.close_questionnaire(questionnaire, by=nadia)
        page = as_user(nadia).get(reverse("mel:cycle", args=[cycle.pk])).content.decode()
        assert 'lang="fr"' in page
        with translation.override("fr"):
            french = str(feedback.QUESTIONS[Q1].text)
            heading = translation.gettext("Members' feedback")
        with translation.override("en"):
            assert french != str(feedback.QUESTIONS[Q1].text)
        assert french in page and heading in page
        assert "60,0" in page  # the share with the French decimal sign

    def test_a_members_form_in_their_language(self, as_user, cycle, nadia, bob):
        bob.language = "pl"
        bob.save(update_fields=["language"])
        questionnaire = feedback.open_questionnaire(cycle, "baseline", by=nadia)
        page = as_user(bob).get(reverse("mel:questionnaire", args=[questionnaire.pk]))
        with translation.override("pl"):
            notice = str(translation.gettext("Your answers are anonymous."))
        assert notice != "Your answers are anonymous."
        assert notice in page.content.decode()
