"""The case endpoints: scoping, field-level access, audit of reads, concurrency, mass assignment."""

import json

import pytest

from engage.accounts.factories import UserFactory
from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Case, CasePlan, Household, Person, Stage
from engage.privacy.services import erase_person

pytestmark = pytest.mark.django_db


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_it_lists_exactly_the_cases_each_person_may_see(
    api, organisation, other_organisation, alice, bob, ada, charlie, nadia
):
    mine = CaseFactory(organisation=organisation, case_manager=alice)
    bobs = CaseFactory(organisation=organisation, case_manager=bob)
    theirs = CaseFactory(organisation=other_organisation, case_manager=charlie)
    assert _ids(api(alice).get("/api/v1/cases/")) == {str(mine.pk)}
    assert _ids(api(bob).get("/api/v1/cases/")) == {str(mine.pk), str(bobs.pk)}
    assert _ids(api(ada).get("/api/v1/cases/")) == {str(mine.pk), str(bobs.pk)}
    assert _ids(api(charlie).get("/api/v1/cases/")) == {str(theirs.pk)}
    assert api(nadia).get("/api/v1/cases/").status_code == 404


def test_it_runs_a_token_request_in_its_organisations_scope(api, organisation, alice, ada):
    """The middleware saw an anonymous visitor; the view enters the token owner's scope, or the
    scoped managers would raise (ScopeError, a 500) or find nothing."""
    case = CaseFactory(organisation=organisation, case_manager=alice)
    response = api(ada).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["reference"] == case.reference


def test_it_gives_404_for_another_organisations_case_and_its_records(
    api, active_case, alice, charlie
):
    client = api(charlie)
    contact = services.log_contact(
        active_case, by=alice, data={"date": days_ago(0), "type": "phone", "note": "Hidden"}
    )
    urls = [
        f"/api/v1/cases/{active_case.pk}/",
        f"/api/v1/cases/{active_case.pk}/contacts/",
        f"/api/v1/clients/{active_case.person_id}/",
        f"/api/v1/contacts/{contact.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
        assert "Amal" not in response.content.decode()
    response = client.patch(
        f"/api/v1/cases/{active_case.pk}/", {"outcome": ""}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 404


def test_it_searches_with_the_blind_index(api, active_case, alice, organisation):
    CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Other")
    client = api(alice)
    assert _ids(client.get("/api/v1/cases/", {"q": "journeytest amal"})) == {str(active_case.pk)}
    # The beginning of a word (three letters or more), never the inside of one.
    assert _ids(client.get("/api/v1/cases/", {"q": "Journey"})) == {str(active_case.pk)}
    assert _ids(client.get("/api/v1/cases/", {"q": "ourney"})) == set()
    assert _ids(client.get("/api/v1/cases/", {"q": active_case.reference})) == {str(active_case.pk)}


def test_it_filters_orders_and_pages(api, organisation, alice):
    for n in range(3):
        CaseFactory(organisation=organisation, case_manager=alice, referral_date=days_ago(n + 1))
    closed = CaseFactory(organisation=organisation, case_manager=alice, stage=Stage.CLOSED)
    client = api(alice)
    assert str(closed.pk) not in _ids(client.get("/api/v1/cases/"))  # open stages by default
    assert _ids(client.get("/api/v1/cases/", {"stage": "closed"})) == {str(closed.pk)}
    page = client.get("/api/v1/cases/", {"page_size": 2, "ordering": "referral_date"}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    dates = [row["referral_date"] for row in page["results"]]
    assert dates == sorted(dates)
    assert client.get("/api/v1/cases/", {"page_size": 1000}).json()["count"] == 3
    assert client.get("/api/v1/cases/", {"page": 99}).status_code == 404
    response = client.get("/api/v1/cases/", {"stage": "nonsense"})
    assert response.status_code == 400 and "stage" in response.json()["error"]["fields"]
    overdue = client.get("/api/v1/cases/", {"due": "contact", "stage": "all"}).json()
    assert all("contact" in row["due"] for row in overdue["results"])


def test_it_audits_one_read_per_case_read_and_per_case_listed(api, active_case, alice):
    client = api(alice)
    before = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count()
    client.get("/api/v1/cases/")
    # The list shows the client's name: a read of the case too (issue 10, item 4).
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count() == before + 1
    before += 1
    for url in (
        f"/api/v1/cases/{active_case.pk}/",
        f"/api/v1/cases/{active_case.pk}/contacts/",
        f"/api/v1/cases/{active_case.pk}/plans/",
        f"/api/v1/clients/{active_case.person_id}/",
    ):
        assert client.get(url).status_code == 200, url
        reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).order_by("-at")
        assert reads.count() == before + 1, url
        event = reads.first()
        assert (event.object_id, event.actor_id) == (active_case.pk, alice.pk)
        assert event.request_id
        before += 1


# Field-level access (R04): what each role gets of a case, the checked-in matrix.
CASE_FIELDS = {
    "id", "reference", "stage", "client", "case_manager", "city", "previous", "referral_date",
    "referral_source", "interpreter_language", "legal_basis", "purpose", "inclusion_date",
    "declined_date", "engagement_level", "outcome", "outcome_permanence", "outcome_date",
    "closure_date", "created_at",
}  # fmt: skip
# The answers to the organisation's own fields (engage.custom) go with the case work too.
SENSITIVE = {"detention_at_referral", "migration_status", "declined_reason", "custom"}
FIELD_MATRIX = {
    "alice": CASE_FIELDS | SENSITIVE,
    "bob": CASE_FIELDS | SENSITIVE,
    "ada": CASE_FIELDS,
}
CLIENT_MATRIX = {"alice": 200, "bob": 200, "ada": 404}


@pytest.mark.parametrize("who", sorted(FIELD_MATRIX))
def test_each_role_gets_exactly_its_fields(api, active_case, who, request):
    client = api(request.getfixturevalue(who))
    body = client.get(f"/api/v1/cases/{active_case.pk}/").json()
    assert set(body) == FIELD_MATRIX[who]
    assert set(body["client"]) == {"id", "given_name", "family_name"}
    response = client.get(f"/api/v1/clients/{active_case.person_id}/")
    assert response.status_code == CLIENT_MATRIX[who]
    if response.status_code == 200:
        assert response.json()["given_name"] == "Amal"
    contacts = client.get(f"/api/v1/cases/{active_case.pk}/contacts/").status_code
    assert contacts == CLIENT_MATRIX[who]


def test_it_names_an_earlier_enrollment_only_to_a_caller_who_may_see_it(api, organisation, alice):
    dan = UserFactory(username="dan", organisation=organisation)
    earlier = CaseFactory(organisation=organisation, case_manager=dan, household=None)
    later = CaseFactory(organisation=organisation, case_manager=alice, person=earlier.person,
                        previous=earlier, household=None)  # fmt: skip
    client = api(alice)
    assert client.get(f"/api/v1/cases/{earlier.pk}/").status_code == 404
    body = client.get(f"/api/v1/cases/{later.pk}/").json()
    assert body["previous"] is None and str(earlier.pk) not in json.dumps(body)
    # Once the earlier one is hers too, it is named.
    Case.objects.filter(pk=earlier.pk).update(case_manager=alice)
    assert client.get(f"/api/v1/cases/{later.pk}/").json()["previous"] == str(earlier.pk)


def test_it_registers_a_referral_through_the_service(api, organisation, alice):
    response = api(alice).post(
        "/api/v1/cases/",
        {
            "client": {"given_name": "Nour", "family_name": "Apitest", "nationality": "SY"},
            "referral_date": days_ago(1).isoformat(),
            "referral_source": "ngo",
            "detention_at_referral": "released",
            "migration_status": "asylum_seeker",
            "legal_basis": "consent",
            "purpose": "Case management",
            "city": "Sofia",
            "case_manager": str(alice.pk),
        },
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.organisation == organisation and case.stage == Stage.REFERRED
    assert response["ETag"] == '"v1"' and response["Location"] == f"/api/v1/cases/{case.pk}/"
    assert case.person.given_name == "Nour"
    # Found by the blind index at once: the service indexed the person.
    assert str(case.pk) in _ids(api(alice).get("/api/v1/cases/", {"q": "Apitest", "stage": "all"}))


def test_it_answers_service_rules_as_field_errors(api, organisation, alice):
    response = api(alice).post(
        "/api/v1/cases/",
        {
            "client": {"given_name": "Nour"},
            "referral_date": days_ago(-3).isoformat(),
            "referral_source": "ngo",
            "detention_at_referral": "released",
            "migration_status": "asylum_seeker",
            "legal_basis": "consent",
            "purpose": "Case management",
            "city": "Sofia",
            "case_manager": str(alice.pk),
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"] == {"referral_date": ["This date is in the future."]}


def test_it_refuses_fields_it_does_not_take(api, active_case, alice, other_organisation):
    """R04: organisation, version, consent or owner fields are refused with 400."""
    client = api(alice)
    etag = client.get(f"/api/v1/cases/{active_case.pk}/")["ETag"]
    for field, value in (
        ("organisation", str(other_organisation.pk)),
        ("organisation_id", str(other_organisation.pk)),
        ("version", 99),
        ("consent_given", True),
        ("stage", "closed"),
        ("person", str(active_case.person_id)),
    ):
        response = client.patch(
            f"/api/v1/cases/{active_case.pk}/", {field: value}, headers={"If-Match": etag}
        )
        assert response.status_code == 400, field
        assert field in response.json()["error"]["fields"], field
    response = client.post(
        f"/api/v1/cases/{active_case.pk}/contacts/",
        {"date": days_ago(0).isoformat(), "type": "phone", "recorded_by": str(alice.pk)},
    )
    assert response.status_code == 400
    stored = Case.objects.get(pk=active_case.pk)
    assert stored.organisation_id == active_case.organisation_id
    assert stored.version == active_case.version and stored.stage == active_case.stage


def test_it_refuses_a_body_nested_too_deeply_as_malformed(api, active_case, alice):
    """docs/security.md, item 49: 100,000 brackets were a server error with a traceback."""
    client = api(alice)
    client.raise_request_exception = False
    for body in ("[" * 100_000 + "]" * 100_000, '{"note": "unfinished'):
        response = client.post(f"/api/v1/cases/{active_case.pk}/contacts/", body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "parse_error"
    assert not active_case.contacts.exists()


def test_it_needs_if_match_and_refuses_a_stale_one(api, active_case, alice, bob):
    client = api(alice)
    url = f"/api/v1/cases/{active_case.pk}/"
    etag = client.get(url)["ETag"]
    change = {"outcome": "protection", "outcome_permanence": "permanent",
              "outcome_date": days_ago(0).isoformat()}  # fmt: skip
    response = client.patch(url, change)
    assert response.status_code == 428
    assert "If-Match" in response.json()["error"]["message"]
    response = client.patch(url, change, headers={"If-Match": etag})
    assert response.status_code == 200, response.content
    assert response["ETag"] != etag and response.json()["outcome"] == "protection"
    # Bob read the case before Alice's change: his write is refused, hers is kept.
    response = api(bob).patch(url, {**change, "outcome": "other"}, headers={"If-Match": etag})
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    assert Case.objects.get(pk=active_case.pk).outcome == "protection"


def test_it_reassigns_for_a_supervisor_only(api, active_case, alice, bob, organisation):
    from engage.accounts.factories import UserFactory

    other = UserFactory(organisation=organisation, team=alice.team)
    url = f"/api/v1/cases/{active_case.pk}/"
    etag = api(alice).get(url)["ETag"]
    response = api(alice).patch(url, {"case_manager": str(other.pk)}, headers={"If-Match": etag})
    assert response.status_code == 400 and "case_manager" in response.json()["error"]["fields"]
    response = api(bob).patch(url, {"case_manager": str(other.pk)}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert Case.objects.get(pk=active_case.pk).case_manager == other


def test_it_corrects_a_client_with_if_match(api, active_case, alice):
    client = api(alice)
    url = f"/api/v1/clients/{active_case.person_id}/"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"phone": "+359 88 123 4567"}).status_code == 428
    response = client.patch(url, {"phone": "+359 88 123 4567"}, headers={"If-Match": etag})
    assert response.status_code == 200, response.content
    assert response.json()["corrected_fields"] == ["phone"]
    assert client.patch(url, {"phone": "1"}, headers={"If-Match": etag}).status_code == 412
    response = client.patch(
        url, {"erased_at": "2020-01-01"}, headers={"If-Match": response["ETag"]}
    )
    assert response.status_code == 400


def test_it_refuses_to_give_a_case_to_someone_who_cannot_work_on_it(
    api, active_case, alice, bob, ada, organisation
):
    """Issue 10 #15: the web form's rule holds through the API: an org admin, a deactivated
    colleague or the network coordinator cannot be given a case, which would then have nobody
    working on it."""
    from engage.accounts.factories import UserFactory
    from engage.accounts.services import deactivate_user

    gone = UserFactory(organisation=organisation, team=alice.team)
    deactivate_user(gone, by=ada)
    url = f"/api/v1/cases/{active_case.pk}/"
    for admin_or_gone in (ada, gone):
        client = api(bob) if admin_or_gone is gone else api(ada)
        etag = client.get(url)["ETag"]
        response = client.patch(
            url, {"case_manager": str(admin_or_gone.pk)}, headers={"If-Match": etag}
        )
        assert response.status_code == 400, response.content
        assert "case_manager" in response.json()["error"]["fields"]
    assert Case.objects.get(pk=active_case.pk).case_manager == alice
    # Nor can a new referral be registered for the admin.
    response = api(bob).post(
        "/api/v1/cases/",
        {
            "client": {"given_name": "Nour"},
            "referral_date": days_ago(1).isoformat(),
            "referral_source": "ngo",
            "detention_at_referral": "released",
            "migration_status": "asylum_seeker",
            "legal_basis": "consent",
            "purpose": "Case management",
            "city": "Sofia",
            "case_manager": str(ada.pk),
        },
    )
    assert response.status_code == 400 and "case_manager" in response.json()["error"]["fields"]


def test_it_records_a_read_when_a_correction_answers_with_the_whole_identity(
    api, active_case, alice
):
    """Issue 10 #4, red team: a PATCH of one field answers with the client's whole identity
    (name, document number, address): that response is a read of the case too."""
    client = api(alice)
    url = f"/api/v1/clients/{active_case.person_id}/"
    etag = client.get(url)["ETag"]
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_id=active_case.pk)
    before = reads.count()
    response = client.patch(url, {"phone": "+359 88 123 4567"}, headers={"If-Match": etag})
    assert response.status_code == 200, response.content
    assert response.json()["given_name"] == active_case.person.given_name
    assert reads.count() == before + 1
    assert reads.order_by("-at").first().actor_id == alice.pk


def test_it_takes_no_plan_or_goal_for_an_erased_household_member(
    api, as_user, active_case, alice, bob
):
    """docs/security.md, item 60, for a household member: their plans are in the client's case,
    whose person was not erased, so a new plan for the erased partner, and goals and actions
    on the plan they had, were taken (their personal data again, which no erasure reaches, a
    person erased once not being erased again)."""
    household = Household.objects.create(organisation=active_case.organisation)
    Case.objects.filter(pk=active_case.pk).update(household=household)
    Person.objects.filter(pk=active_case.person_id).update(household=household)
    active_case.refresh_from_db()
    partner = Person.objects.create(organisation=active_case.organisation, household=household,
                                    relationship="partner", given_name="Partner")  # fmt: skip
    plan = services.create_plan(active_case, by=alice, person=partner)
    erase_person(partner, by=bob, reason="request")
    client = api(alice)
    response = client.post(f"/api/v1/cases/{active_case.pk}/plans/", {"person": str(partner.pk)})
    assert response.status_code == 400, response.content
    goal = {"area": "health", "description": "Her counselling"}
    response = client.post(f"/api/v1/plans/{plan.pk}/goals/", goal)
    assert response.status_code == 400, response.content
    assert not CasePlan.objects.filter(person=partner).exclude(pk=plan.pk).exists()
    assert not plan.goals.exists()
    # Nor do the pages offer them; the client's own plans go on.
    pages = as_user(alice)
    assert str(partner.pk) not in pages.get(f"/cases/{active_case.pk}/plans/new/").content.decode()
    assert 'name="description"' not in pages.get(f"/cases/plans/{plan.pk}/").content.decode()
    response = client.post(f"/api/v1/cases/{active_case.pk}/plans/", {})
    assert response.status_code == 201, response.content
