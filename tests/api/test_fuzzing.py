"""R40(a): schemathesis runs against the API's own schema, in-process through the WSGI app,
as a case manager of one organisation (Alice, with a token) while another organisation's
records are there, their ids among the examples tried. No server error, every answer as the
schema says, authentication enforced, and nothing of the other organisation ever returned.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks as openapi_checks

from engage.accounts.factories import TeamFactory, UserFactory
from engage.accounts.models import Role
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active
from engage.wsgi import application
from tests.api.conftest import make_token
from tests.security.conftest import FOREIGN
from tests.worlds import kept, nicosia_pilot, sofia

CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.ignored_auth,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
    openapi_checks.object_level_authorization,
]


def _raw_schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


RAW = _raw_schema()
# Ids in paths are generated at random (404); each example is then tried again with the id of
# Alice's own record of that kind and with the other organisation's (the records are made per
# test, after the schema is loaded, so they cannot be examples in it).
schema = schemathesis.openapi.from_dict(RAW)
schema.app = application


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """Keep the test's database connection open across requests, as Django's test client does:
    called straight through WSGI, the app closes it when a request ends (and PostgreSQL would
    lose the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _records(case, plan, by, note: str) -> dict:
    """A case with a record of every kind an API path names."""
    contact = services.log_contact(
        case, by=by, data={"date": days_ago(1), "type": "phone", "note": note}
    )
    goal = plan.goals.get()
    closure = services.request_closure(
        case, by=by, data={"date": days_ago(0), "reason": "transferred", "note": ""}
    )
    return {
        "case": case,
        "person": case.person,
        "contact": contact,
        "assessment": case.assessments.latest("created_at"),
        "closure": closure,
        "plan": plan,
        "goal": goal,
        "action": goal.actions.get(),
    }


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """Alice's own active case beside Charlie's, of the other organisation, every name and text
    of which starts with the sentinel. Made once for the module's operations (tests/worlds.py):
    each operation's examples run in a savepoint of it, what they change undone after them."""
    with kept(django_db_blocker):
        pilot = sofia()
        organisation, alice, bob = pilot["organisation"], pilot["alice"], pilot["bob"]
        other = nicosia_pilot()
        supervisor = UserFactory(organisation=other, role=Role.SUPERVISOR)
        charlie = UserFactory(
            username="charlie",
            first_name="Charlie",
            organisation=other,
            team=TeamFactory(organisation=other, leader=supervisor),
        )
        theirs = CaseFactory(
            organisation=other,
            case_manager=charlie,
            person__given_name=f"{FOREIGN}client",
            person__family_name=f"{FOREIGN}family",
        )
        foreign = _records(*to_active(theirs, charlie, supervisor), charlie, f"{FOREIGN} note")
        mine = CaseFactory(organisation=organisation, case_manager=alice, person__given_name="Home")
        own = _records(*to_active(mine, alice, bob), alice, "Home note")
        sentinels = [FOREIGN, theirs.reference, *(str(obj.pk) for obj in foreign.values())]
        yield {"token": make_token(alice), "sentinels": sentinels, "foreign": foreign, "own": own}


@pytest.fixture
def world(_world, db):
    return _world


def _id_for(path: str, objects: dict) -> str | None:
    """The id of the object of the kind a path names (by its first segment) in `objects`."""
    kind = path.removeprefix("/api/v1/").split("/")[0]
    key = {
        "cases": "case",
        "clients": "person",
        "contacts": "contact",
        "assessments": "assessment",
        "closures": "closure",
        "plans": "plan",
        "goals": "goal",
        "actions": "action",
    }.get(kind)
    return str(objects[key].pk) if key else None


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_it_holds_to_its_schema_and_never_returns_another_organisations_records(case, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    body = response.text.lower()
    leaked = [s for s in world["sentinels"] if s.lower() in body]
    assert leaked == [], (case.method, case.path, leaked)
    if not case.path_parameters or _id_for(case.path, world["own"]) is None:
        return
    # Only the token sends credentials from here on (not a header generated for the scheme).
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    # The same request on Alice's own record of that kind: answered as the schema says.
    case.path_parameters = {**case.path_parameters, "id": _id_for(case.path, world["own"])}
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    assert not [s for s in world["sentinels"] if s.lower() in response.text.lower()]
    # And on the other organisation's: 404, nothing of it shown.
    case.path_parameters = {**case.path_parameters, "id": _id_for(case.path, world["foreign"])}
    if case.method.upper() == "PATCH":
        headers = {**headers, "If-Match": '"v1"'}
    case.headers = {**case.headers, **headers}
    response = case.call()
    # A method the path does not take is refused (405) before anything is loaded.
    expected = 404 if case.method.lower() in RAW["paths"][case.path] else 405
    assert response.status_code == expected, (case.method, case.path, response.status_code)
    assert FOREIGN.lower() not in response.text.lower()
