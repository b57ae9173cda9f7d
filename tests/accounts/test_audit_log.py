"""The audit log as an organisation admin reads it."""

import pytest
from django.utils import translation
from django.utils.html import escape

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewed_case(as_user, organisation, alice):
    case = CaseFactory(
        organisation=organisation, case_manager=alice, person__given_name="Sentinelname"
    )
    as_user(alice).get(f"/cases/{case.pk}/")
    return case


class TestAuditLog:
    def test_it_shows_who_viewed_which_case_by_reference_only(self, as_user, ada, viewed_case):
        body = as_user(ada).get("/audit/").content.decode()
        assert f"Case {viewed_case.reference}" in body and "Alice" in body
        assert "viewed" in body and "Sentinelname" not in body

    def test_it_filters_by_who_what_and_when(self, as_user, ada, alice, bob, viewed_case):
        client = as_user(ada)
        ref = f"Case {viewed_case.reference}"
        assert ref in client.get("/audit/", {"actor": alice.pk}).content.decode()
        assert ref not in client.get("/audit/", {"actor": bob.pk}).content.decode()
        assert ref in client.get("/audit/", {"action": "view"}).content.decode()
        body = client.get("/audit/", {"action": "lockout"}).content.decode()
        assert "Nothing recorded matches these filters." in body
        body = client.get("/audit/", {"since": "2020-01-02", "until": "2020-01-01"}).content
        assert "The end comes before the start." in body.decode()

    def test_it_shows_only_the_organisations_own_events(self, as_user, olga, viewed_case):
        body = as_user(olga).get("/audit/").content.decode()
        assert viewed_case.reference not in body and "Alice" not in body
        assert "signed in" in body  # her own sign-in is there

    @pytest.mark.parametrize("who", ["alice", "bob", "nadia"])
    def test_it_is_for_organisation_admins_only(self, as_user, who, request):
        assert as_user(request.getfixturevalue(who)).get("/audit/").status_code == 404

    def test_it_answers_htmx_with_the_results_only(self, as_user, ada, viewed_case):
        body = as_user(ada).get("/audit/", HTTP_HX_REQUEST="true").content.decode()
        assert "<table" in body and "<html" not in body

    def test_its_query_count_does_not_grow_with_the_page(
        self, as_user, ada, alice, organisation, django_assert_max_num_queries
    ):
        for _ in range(30):
            case = CaseFactory(organisation=organisation, case_manager=alice)
            AuditEvent.objects.create(
                actor_id=alice.pk,
                organisation_id=organisation.pk,
                action="view",
                object_type="cases.case",
                object_id=case.pk,
            )
        client = as_user(ada)
        with django_assert_max_num_queries(10):
            response = client.get("/audit/")
        assert response.content.decode().count("Case ") >= 30


def test_it_names_a_record_without_a_label_by_its_kind_in_the_readers_words():
    """The log showed the model's code ("imports.importjob") where a record has no label."""
    from engage.audit.labels import kind_of

    assert kind_of("imports.importjob") != "imports.importjob"
    assert kind_of("nothing.here") == "nothing.here"
    with translation.override("fr"):
        assert kind_of("cases.case") == "dossier"


def test_every_model_of_engage_has_its_name_in_every_language():
    """The log names a record without a label by its model's `verbose_name`: 57 models had
    none marked for translation, so an Italian or Greek admin read "case plan", "consent",
    "stakeholder" in English. Django's default name is a plain string; a marked one is lazy."""
    from django.apps import apps
    from django.utils.functional import Promise

    untranslated = [
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("engage.")
        and not model._meta.proxy
        and not (
            isinstance(model._meta.verbose_name, Promise)
            and isinstance(model._meta.verbose_name_plural, Promise)
        )
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("language", "object_type", "kind"),
    [
        ("it", "cases.caseplan", "piano individuale"),
        ("it", "liaison.reportingobligation", "obbligo di presentazione"),
        ("el", "sharing.consent", "συγκατάθεση"),
        ("pl", "network.stakeholder", "interesariusz"),
        # A referral to a service, not into the programme ("aanmelding"): its own context.
        ("nl", "directory.referral", "doorverwijzing"),
    ],
)
def test_it_names_the_kind_of_a_record_in_the_readers_language(language, object_type, kind):
    from engage.audit.labels import kind_of

    with translation.override(language):
        assert kind_of(object_type) == kind


def test_an_italian_admin_reads_the_kind_of_a_record_in_italian(as_user, ada, organisation):
    import uuid

    ada.language = "it"
    ada.save(update_fields=["language"])
    AuditEvent.objects.create(
        actor_id=ada.pk,
        organisation_id=organisation.pk,
        action="view",
        object_type="sharing.consent",
        object_id=uuid.uuid4(),
    )
    body = as_user(ada).get("/audit/").content.decode()
    assert 'title="sharing.consent">consenso</span>' in body
    assert ">consent<" not in body


def _logged(organisation, actor, *entries):
    import uuid

    for action, object_type, detail in entries:
        AuditEvent.objects.create(
            actor_id=actor.pk,
            organisation_id=organisation.pk,
            action=action,
            object_type=object_type,
            object_id=uuid.uuid4(),
            detail=detail,
        )


DETAILS = [
    ("update", "sharing.recipient", "identity; type=health"),
    ("transition", "network.stakeholder", "stage=partner"),
    ("transition", "cases.case", "referred>active"),
    ("update", "cases.eligibilitycriterion", "active=False"),
    ("update", "sharing.recipient", "out_of_use"),
    ("permission_change", "accounts.user", "role:case_manager>supervisor,is_active:yes>no"),
    ("update", "network.stakeholder", "name,city"),
    ("login", "accounts.user", "step_up"),
    ("export", "", "network dataset 2026-12, 84 rows, k 5, sent to the hub"),
    ("permission_change", "accounts.team", "leader:->0b7e"),
]


def test_it_reads_the_frequent_details_and_keeps_each_code_as_written(as_user, ada, organisation):
    _logged(organisation, ada, *DETAILS)
    body = as_user(ada).get("/audit/").content.decode()
    for reading in [
        "name or kind changed; Type: Health service",
        "Relationship stage: Partner",
        "Stage: Referred → Active",
        "In use: no",
        "Role: Case manager → Supervisor; Active: yes → no",
        "Fields: Name, City",
        "“Confirm it is you” check",
    ]:
        assert reading in body
    # The exact record stays, once, under its reading.
    for _action, _type, detail in DETAILS[:8]:
        assert body.count(f'<br><code class="muted" translate="no">{escape(detail)}</code>') == 1
    # A shape not read here, or a value the record does not know (a team's id), shows alone.
    assert '<td data-label="Detail"><code translate="no">network dataset 2026-12' in body
    assert '<td data-label="Detail"><code translate="no">leader:-&gt;0b7e</code></td>' in body


@pytest.mark.parametrize(
    ("language", "readings"),
    [
        ("fr", ["Étape : Orienté → Actif", "Utilisé : non", "Champs : Nom, Ville"]),
        ("pl", ["Etap: Zgłoszony → Aktywny", "W użyciu: nie", "Pola: Nazwa, Miasto"]),
    ],
)
def test_it_reads_the_details_in_the_admins_language(as_user, ada, organisation, language,
                                                     readings):  # fmt: skip
    ada.language = language
    ada.save(update_fields=["language"])
    _logged(organisation, ada, *DETAILS[2:7])
    body = as_user(ada).get("/audit/").content.decode()
    for reading in readings:
        assert reading in body
    assert ">referred&gt;active</code>" in body and ">name,city</code>" in body
