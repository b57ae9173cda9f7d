"""R01: nobody reaches another organisation's objects through any URL (404, no oracle, no leak).
R08: every id in a URL is a random UUID."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from engage.cases.factories import CaseFactory
from engage.cases.models import EligibilityCriterion
from tests.api.conftest import ApiClient, make_token
from tests.security.conftest import FOREIGN, foreign_sentinels, stepped_up

# The object of the other organisation that each URL with an id is asked for, by the key of
# the `foreign` fixture. A new URL with an id fails the walk until it is added here, with an
# object of its kind in `foreign`.
OBJECT_FOR_URL = {
    "accounts:mfa_reset": "user",
    "accounts:user_edit": "user",
    "accounts:user_deactivate": "user",
    "accounts:user_reactivate": "user",
    "accounts:team_edit": "team",
    "cases:detail": "case",
    "custom:edit": "custom_field",
    "custom:action": "custom_field",
    "custom:options": "custom_field",
    "offline:take": "case",
    "offline:release": "case",
    "privacy:rectify": "case",
    "privacy_moved_case:identity": "case",
    "cases:first_meeting": "case",
    "cases:screening": "case",
    "cases:inclusion": "case",
    "cases:assessment_create": "case",
    "cases:reassessment": "case",
    "cases:plan_create": "case",
    "cases:contact_create": "case",
    "cases:appointment_create": "case",
    "cases:appointment_edit": "appointment",
    "cases:appointment_status": "appointment",
    "cases:outcome": "case",
    "cases:closure": "case",
    "cases:reopen": "case",
    "cases:reassign": "case",
    "cases:inclusion_review": "decision",
    "cases:closure_review": "closure",
    "cases:closure_keep_open": "closure",
    "cases:duplicate_decide": "possible_duplicate",
    "cases:contact_interval": "case",
    "cases:plan_detail": "plan",
    "cases:goal_create": "plan",
    "cases:plan_submit": "plan",
    "cases:plan_approval": "plan",
    "cases:plan_review": "plan",
    "cases:action_create": "goal",
    "cases:action_status": "action",
    "cases:action_edit": "action",
    "cases:goal_edit": "goal",
    "cases:goal_status": "goal",
    "cases:goal_reopen": "goal",
    "sharing:case": "case",
    "sharing:consent_new": "case",
    "sharing:share_new": "case",
    "sharing:share_override": "case",
    "sharing:consent_withdraw": "consent",
    "sharing:share_download": "share",
    "privacy:case": "case",
    "privacy:request_new": "case",
    "privacy:export": "access_request",
    "privacy_moved:request_new": "case",
    "privacy_moved:export": "access_request",
    "sharing:recipient_toggle": "recipient",
    "sharing:recipient_kind": "recipient",
    "sharing:recipient_confirm": "recipient",
    "sharing:enforcement_body_remove": "enforcement_body",
    "sharing:share_deletion_asked": "share",
    "sharing:request": "data_request",
    "privacy:erase": "erasure_request",
    "documents:list": "case",
    "history:case": "case",
    "documents:download": "document",
    "documents:delete": "document",
    "imports:job": "import_job",
    "imports:mapping": "import_job",
    "imports:values": "import_job",
    "imports:duplicates": "import_job",
    "imports:commit": "import_job",
    "imports:discard": "import_job",
    "imports:mapping_delete": "saved_mapping",
    "api_tokens:revoke": "api_token",
    # The API (engage.api): walked with a token and each method the view takes.
    "api:case": "case",
    "api:case_contacts": "case",
    "api:case_assessments": "case",
    "api:case_plans": "case",
    "api:case_closures": "case",
    "api:case_referrals": "case",
    "api:referral": "referral",
    "api:client": "person",
    "api:contact": "contact",
    "api:assessment": "assessment",
    "api:closure": "closure",
    "api:closure_review": "closure",
    "api:plan_review": "plan",
    "api:plan": "plan",
    "api:plan_goals": "plan",
    "api:plan_submit": "plan",
    "api:goal_actions": "goal",
    "api:action": "action",
    "directory:service": "service",
    "directory:service_edit": "service",
    "directory:contact_new": "service",
    "directory:contact_edit": "contact_person",
    "directory:contact_remove": "contact_person",
    "directory:referral_new": "case",
    "directory:referral": "referral",
    "network:stakeholder": "stakeholder",
    "network:stakeholder_edit": "stakeholder",
    "network:stakeholder_stage": "stakeholder",
    "network:interaction_new": "stakeholder",
    "network:interaction_delete": "interaction",
    "network:activity_edit": "activity",
    "network:activity_delete": "spare_activity",
    "network:budget_edit": "budget",
    "liaison:record_new": "case",
    "liaison:record": "liaison_record",
    "liaison:letter_new": "case",
    "liaison:obligation_new": "case",
    "liaison:obligation": "obligation",
    "liaison:obligation_edit": "obligation",
    "liaison:follow_up": "reporting_event",
    "liaison:template_edit": "letter_template",
    "mel:linkage_close": "linkage_round",
    "mel:report_run": "report_run",
    "mel:report_download": "report_run",
}
# Objects of the network, not of an organisation (evaluation cycles and their snapshots): the
# network coordinator reaches them all, everyone else gets 404 whatever the id. They are walked
# in tests/mel/test_cycles.py::TestPages::test_nobody_else_reaches_them, not here.
NETWORK_OBJECT_URLS = {
    "mel:cycle",
    "mel:cycle_delete",
    "mel:snapshot_take",
    "mel:comparison_download",
    "mel:snapshot",
    "mel:snapshot_download",
    "mel:narrative",
    # The members' feedback questionnaire of a cycle's point: the network's, answered by every
    # organisation's admins and supervisors, opened and closed by the coordinator only:
    # tests/mel/test_member_feedback.py::TestPages::test_other_roles_get_404
    "mel:questionnaire_open",
    "mel:questionnaire_close",
    "mel:questionnaire",
    # The cost of detention per country (the coordinator's): tests/network/test_pages.py
    "network:detention_cost_edit",
    # The hub's submission tokens (the coordinator's, of no organisation; only the coordinator
    # has the pages): tests/api/test_submission_tokens.py
    "submission_tokens:revoke",
}
# URL parameters that are not ids, and the values to try for them.
OTHER_PARAMETERS = {
    # A form of the process, not an object: the admin's own fields of it (tests/custom).
    "custom:add": {"form": ["contact"]},
    "custom:preview": {"form": ["contact"]},
    "privacy:export": {"fmt": ["json", "pdf"]},
    "privacy_moved:export": {"fmt": ["json", "pdf"]},
    "mel:report_download": {"fmt": ["html", "pdf", "xlsx", "json"]},
}

# Links that name no object of an organisation: the password reset link (R18) carries Django's
# base64 of a user's random UUID and a signed, expiring token, and without a valid token it
# answers "this link does not work" to anyone (tests/accounts/test_password_reset.py).
SIGNED_LINK_URLS = {"accounts:password_reset_confirm"}

OUTSIDERS = ["alice", "bob", "ada", "nadia"]
INSIDERS = ["charlie", "oscar", "olga"]


def _patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.pattern.converters


def _urls_with_ids() -> dict[str, dict]:
    # A URL whose every parameter is a known non-id (a form's name) names no object.
    return {
        name: converters
        for name, converters in _patterns()
        if converters
        and name not in SIGNED_LINK_URLS
        and not set(converters) <= set(OTHER_PARAMETERS.get(name, {}))
    }


def _kwargs_variants(name: str, converters: dict) -> list[dict]:
    """The keyword arguments to reverse `name` with, the id left to fill in; fail if unknown."""
    if name in NETWORK_OBJECT_URLS:
        return []
    if name not in OBJECT_FOR_URL:
        pytest.fail(
            f"{name} takes an id, but the isolation walk does not know which object to ask it "
            "for: add it to OBJECT_FOR_URL (and the object to the `foreign` fixture)."
        )
    others = OTHER_PARAMETERS.get(name, {})
    unknown = set(converters) - {"pk"} - set(others)
    if unknown:
        pytest.fail(f"{name} has parameters the walk cannot fill: {sorted(unknown)}")
    variants = [{}]
    for parameter, values in others.items():
        variants = [variant | {parameter: value} for variant in variants for value in values]
    return variants


def _api_methods(name: str) -> list[str]:
    """The methods an API view takes (it answers the others 405 before loading anything)."""
    view = _api_views().get(name)
    return [m for m in ("get", "post", "patch") if view is not None and hasattr(view, m)]


def _api_views(resolver=None, namespace="") -> dict:
    """The API's views by URL name: DRF views, authenticated by a token, not the session."""
    found = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _api_views(entry, inner)
        elif getattr(entry.callback, "cls", None) is not None:
            found[f"{namespace}{entry.name}"] = entry.callback.cls
    return found


def _call(client, method: str, url: str):
    if method == "patch":
        return client.patch(url, {}, headers={"If-Match": '"v1"'})
    return getattr(client, method)(url)


def _requests(foreign):
    """Yield (url, url of the same view with an id that does not exist) for every id URL."""
    for name, converters in sorted(_urls_with_ids().items()):
        if name in NETWORK_OBJECT_URLS:
            continue
        obj = foreign[OBJECT_FOR_URL[name]]
        for kwargs in _kwargs_variants(name, converters):
            yield (
                name,
                reverse(name, kwargs={"pk": obj.pk, **kwargs}),
                reverse(name, kwargs={"pk": uuid.uuid4(), **kwargs}),
            )


def _leaks(response, sentinels: list[str], url: str) -> list[str]:
    """Return the sentinels found in the response (the ids of `url` itself excepted)."""
    text = (
        response.content.decode(errors="replace") + "\n" + "\n".join(response.headers.values())
    ).lower()
    return [s for s in sentinels if s.lower() not in url.lower() and s.lower() in text]


def test_it_knows_which_object_to_ask_every_url_with_an_id_for():
    urls = _urls_with_ids()
    assert len(urls) > 30
    for name, converters in urls.items():
        _kwargs_variants(name, converters)  # fails loudly for an unknown URL
    assert set(OBJECT_FOR_URL) <= set(urls), "OBJECT_FOR_URL names URLs that no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_it_gives_404_for_every_object_of_another_organisation(outsider, foreign, request):
    user = request.getfixturevalue(outsider)
    pages, api = stepped_up(user), ApiClient(make_token(user))
    sentinels = foreign_sentinels(foreign)
    checked = 0
    for name, url, unknown_url in _requests(foreign):
        api_methods = _api_methods(name)
        client, methods = (api, api_methods) if api_methods else (pages, ("get", "post"))
        for method in methods:
            response = _call(client, method, url)
            # A view that only takes POST answers GET with 405 whatever the id: no oracle either.
            unknown = _call(client, method, unknown_url)
            assert response.status_code == unknown.status_code, (outsider, method, name)
            assert response.status_code == 404 or (method == "get" and response.status_code == 405)
            assert _leaks(response, sentinels, url) == [], (outsider, method, name)
            checked += 1
    assert checked > 60


@pytest.mark.django_db
def test_it_answers_the_other_organisations_own_staff(foreign, request):
    """The control of the walk above: each URL does answer its own organisation's staff."""
    insiders = [request.getfixturevalue(name) for name in INSIDERS]
    clients = [stepped_up(user) for user in insiders]
    api_clients = [ApiClient(make_token(user)) for user in insiders]
    for name, url, _ in _requests(foreign):
        statuses = []
        if api_methods := _api_methods(name):
            for client in api_clients:
                statuses.append(_call(client, api_methods[0], url).status_code)
        for client in clients if not api_methods else ():
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url)
            statuses.append(response.status_code)
        assert any(status not in (404, 500) for status in statuses), (name, statuses)


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", ["ada", "alice"])
def test_it_toggles_no_eligibility_criterion_of_another_organisation(
    outsider, foreign, olga, request
):
    criterion = foreign["criterion"]
    client = stepped_up(request.getfixturevalue(outsider))
    response = client.post("/cases/eligibility/", {"toggle": criterion.pk})
    assert response.status_code == 404
    assert FOREIGN.lower() not in response.content.decode().lower()
    assert EligibilityCriterion.objects.get(pk=criterion.pk).active
    # The control: the same form does toggle it for its own organisation's admin.
    response = stepped_up(olga).post("/cases/eligibility/", {"toggle": criterion.pk})
    assert response.status_code == 302
    assert not EligibilityCriterion.objects.get(pk=criterion.pk).active


@pytest.mark.django_db
def test_it_answers_404_to_a_malformed_criterion_id(ada, as_user):
    response = as_user(ada).post("/cases/eligibility/", {"toggle": "not-a-uuid"})
    assert response.status_code == 404


def _fragment(client, url, **params):
    """The results part of a list page (as htmx asks for it): no echo of the search box."""
    return client.get(url, params, HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.django_db
def test_it_finds_nothing_of_another_organisation_in_case_searches(
    foreign, alice, bob, ada, charlie, organisation, as_user
):
    own = CaseFactory(
        organisation=organisation, case_manager=alice, person__given_name="Homeclient"
    )
    case = foreign["case"]
    searches = [
        {"q": f"{FOREIGN}client", "stage": "all"},
        {"q": case.reference, "stage": "all"},
        {"q": "+357 99 123 456", "stage": "all"},
        {"stage": "all"},
    ]
    for user in (alice, bob, ada):
        client = as_user(user)
        for params in searches:
            results = _fragment(client, "/cases/", **params)
            assert case.reference not in results, (user, params)
            assert FOREIGN.lower() not in results.lower(), (user, params)
        assert own.reference in _fragment(client, "/cases/", q="Homeclient", stage="all")
    # The same searches do find the case for its own case manager: the search works.
    client = as_user(charlie)
    for params in searches:
        assert case.reference in _fragment(client, "/cases/", **params), params


@pytest.mark.django_db
def test_it_lists_no_one_of_another_organisation(foreign, ada, bob, alice, olga, as_user):
    sentinels = foreign_sentinels(foreign)
    client = as_user(ada)
    results = _fragment(client, "/accounts/users/", q=FOREIGN)
    assert "No user matches this search." in results
    assert "No user matches this search." not in _fragment(
        as_user(olga), "/accounts/users/", q=FOREIGN
    )
    pages = {
        ada: [
            "/",
            "/accounts/users/",
            "/accounts/teams/",
            "/cases/",
            "/cases/eligibility/",
            "/sharing/recipients/",
            "/sharing/recipients/to-confirm/",
            "/sharing/recipients/screening/",
            "/sharing/requests/",
            "/sharing/requests/new/",
            "/directory/",
            "/directory/statistics/",
            "/liaison/templates/",
            "/network/",
            "/network/map/",
            "/network/activities/",
            "/network/costs/budgets/",
            f"/audit/?actor={foreign['user'].pk}",
            "/audit/",
        ],
        bob: [
            "/",
            "/cases/",
            "/cases/approvals/",
            "/sharing/recipients/to-confirm/",
            "/sharing/requests/",
            "/sharing/requests/new/",
            "/directory/",
            "/directory/statistics/",
        ],
        alice: ["/", "/cases/", "/cases/new/", "/directory/", "/network/", "/network/map/"],
    }
    for user, urls in pages.items():
        client = as_user(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            assert _leaks(response, sentinels, url) == [], (user, url)


def test_it_uses_the_uuid_converter_for_every_id_in_a_url():
    """R08: no integer (countable) id in any URL; each id is a UUID."""
    for name, converters in _urls_with_ids().items():
        for parameter, converter in converters.items():
            if parameter in OTHER_PARAMETERS.get(name, {}):
                continue
            assert isinstance(converter, UUIDConverter), (name, parameter, converter)


@pytest.mark.django_db
def test_it_gives_every_object_named_by_a_url_a_random_uuid(foreign):
    """R08: the models behind those URLs have random (version 4) UUID primary keys."""
    models = {type(foreign[key]) for key in OBJECT_FOR_URL.values()}
    models.add(EligibilityCriterion)  # named by id in the checklist's form
    assert len(models) >= 14
    for model in models:
        pk = model._meta.pk
        assert pk.get_internal_type() == "UUIDField", model
        assert pk.default is uuid.uuid4, model
    assert all(obj.pk.version == 4 for obj in foreign.values() if type(obj) in models)
