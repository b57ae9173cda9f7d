"""R03: each role gets exactly the pages of its work, on lists and on one case of its own
organisation; anonymous visitors are sent to sign in.

Complements tests/accounts/test_access.py, which proves every URL declares its roles and checks
the dashboard, password and organisation-admin pages.
"""

import pytest
from django.urls import reverse

from engage.accounts.factories import UserFactory
from engage.accounts.models import Role
from engage.cases import services
from engage.cases.factories import CaseFactory, days_ago, to_active, to_screening
from engage.directory import services as directory
from engage.liaison import services as liaison
from engage.sharing.models import Recipient
from tests.worlds import kept, sofia

CM, SUP, ADMIN, NET = "case_manager", "supervisor", "org_admin", "network_coordinator"


def _row(name, obj, cm, sup, admin, net):
    return name, obj, {CM: cm, SUP: sup, ADMIN: admin, NET: net}


# (url name, object of Alice's organisation it is asked for, expected status per role)
MATRIX = [
    _row("cases:list", None, 200, 200, 200, 404),
    _row("cases:create", None, 200, 200, 404, 404),
    _row("cases:approvals", None, 404, 200, 404, 404),
    _row("cases:eligibility", None, 404, 404, 200, 404),
    _row("audit_log", None, 404, 404, 200, 404),
    _row("imports:index", None, 404, 404, 200, 404),
    # Behind step-up: a sign-in as fresh as the matrix's counts as a recent password.
    _row("sharing:own_export", None, 404, 404, 200, 404),
    _row("history:changes", None, 404, 404, 200, 404),
    _row("sharing:recipients", None, 404, 404, 200, 404),
    _row("sharing:enforcement_bodies", None, 404, 404, 200, 404),
    # The screening's second person: another admin, or a supervisor.
    _row("sharing:recipients_to_confirm", None, 404, 200, 200, 404),
    _row("sharing:requests", None, 404, 200, 200, 404),
    _row("sharing:request_new", None, 404, 200, 200, 404),
    _row("accounts:mfa_codes", None, 200, 200, 200, 200),
    _row("accounts:confirm_password", None, 200, 200, 200, 200),
    # Network building: everyone reads the map; its keepers add; costs by their one role each.
    _row("network:stakeholders", None, 200, 200, 200, 200),
    _row("network:map", None, 200, 200, 200, 200),
    _row("network:activities", None, 200, 200, 200, 200),
    _row("network:stakeholder_new", None, 404, 200, 200, 200),
    _row("network:activity_new", None, 404, 200, 200, 200),
    _row("network:detention_costs", None, 404, 404, 404, 200),
    _row("network:budgets", None, 404, 404, 200, 404),
    # One active case of Alice's, in Bob's team: the workers work in it, the admin reads it
    # and may reassign it, the network sees none of it.
    _row("cases:detail", "case", 200, 200, 200, 404),
    _row("privacy:rectify", "case", 200, 200, 404, 404),
    _row("cases:contact_create", "case", 200, 200, 404, 404),
    _row("cases:assessment_create", "case", 200, 200, 404, 404),
    _row("cases:closure", "case", 200, 200, 404, 404),
    _row("cases:reassign", "case", 404, 200, 200, 404),
    _row("cases:plan_detail", "plan", 200, 200, 404, 404),
    _row("documents:list", "case", 200, 200, 404, 404),
    _row("history:case", "case", 200, 200, 200, 404),
    _row("sharing:case", "case", 200, 200, 404, 404),
    _row("sharing:consent_new", "case", 200, 200, 404, 404),
    _row("sharing:share_new", "case", 200, 200, 404, 404),
    _row("privacy:case", "case", 200, 200, 404, 404),
    _row("privacy:request_new", "case", 200, 200, 404, 404),
    # The directory: everyone reads it, supervisors and admins keep it; referrals are case work.
    _row("directory:list", None, 200, 200, 200, 200),
    _row("directory:service_new", None, 404, 200, 200, 404),
    _row("directory:statistics", None, 404, 200, 200, 404),
    _row("directory:service", "service", 200, 200, 200, 404),
    _row("directory:service_edit", "service", 404, 200, 200, 404),
    _row("directory:contact_new", "service", 404, 200, 200, 404),
    _row("directory:referral_new", "case", 200, 200, 404, 404),
    _row("directory:referral", "referral", 200, 200, 404, 404),
    # Liaison is case work; the model letters are the organisation admin's.
    _row("liaison:record_new", "case", 200, 200, 404, 404),
    _row("liaison:record", "liaison_record", 200, 200, 404, 404),
    _row("liaison:letter_new", "case", 200, 200, 404, 404),
    _row("liaison:obligation_new", "case", 200, 200, 404, 404),
    _row("liaison:obligation", "obligation", 200, 200, 404, 404),
    _row("liaison:templates", None, 404, 404, 200, 404),
    _row("liaison:template_new", None, 404, 404, 200, 404),
    # Approvals are a supervisor's.
    _row("cases:inclusion_review", "decision", 404, 200, 404, 404),
    _row("cases:closure_review", "closure", 404, 200, 404, 404),
]
CELLS = [
    (name, obj, role, statuses[role])
    for name, obj, statuses in MATRIX
    for role in (CM, SUP, ADMIN, NET)
]


def _own(organisation, alice, bob) -> dict:
    """Alice's active case with a closure waiting, and a referral with a decision waiting."""
    case, plan = to_active(CaseFactory(organisation=organisation, case_manager=alice), alice, bob)
    closure = services.request_closure(
        case, by=alice, data={"date": days_ago(0), "reason": "transferred", "note": ""}
    )
    referral = to_screening(CaseFactory(organisation=organisation, case_manager=alice), alice)
    decision = services.propose_inclusion(
        referral, by=alice, include=False, date=days_ago(0), criteria_met=[], reason="Moved away"
    )
    service = directory.save_service(
        organisation, by=bob, data={"name": "Shelter", "type": "accommodation", "city": "Sofia"}
    )
    made = directory.make_referral(
        case, by=alice, service=service, made_on=days_ago(0), categories=[]
    )
    authority = Recipient.objects.create(
        organisation=organisation, name="Migration office", type="authority"
    )
    liaison_record = liaison.record_liaison(
        case, by=alice, kind="call", date=days_ago(0), authority=authority, categories=[]
    )
    obligation = liaison.save_obligation(
        case,
        by=alice,
        data={"place": "Police station", "frequency": "weekly", "start_date": days_ago(0)},
    )
    return {
        "case": case,
        "plan": plan,
        "closure": closure,
        "decision": decision,
        "service": service,
        "referral": made,
        "liaison_record": liaison_record,
        "obligation": obligation,
    }


@pytest.fixture(scope="module")
def _matrix_world(django_db_setup, django_db_blocker):
    """The people of tests/conftest.py and Alice's records, made once for the module's 300-odd
    requests instead of once per request: each test runs in a savepoint of this transaction (its
    changes undone after it, as always), and the whole is rolled back at the module's end."""
    with kept(django_db_blocker):
        pilot = sofia()
        organisation, alice, bob = pilot["organisation"], pilot["alice"], pilot["bob"]
        ada = UserFactory(
            username="ada", first_name="Ada", role=Role.ORG_ADMIN, organisation=organisation
        )
        nadia = UserFactory(username="nadia", first_name="Nadia", network=True)
        people = {CM: alice, SUP: bob, ADMIN: ada, NET: nadia}
        yield people, _own(organisation, alice, bob)


@pytest.fixture
def people(_matrix_world, db) -> dict:
    return _matrix_world[0]


@pytest.fixture
def own(_matrix_world, db) -> dict:
    return _matrix_world[1]


def _url(name: str, obj: str | None, own: dict) -> str:
    return reverse(name, kwargs={"pk": own[obj].pk}) if obj else reverse(name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "obj", "role", "expected"), CELLS, ids=[f"{c[0]}-{c[2]}" for c in CELLS]
)
def test_it_gives_each_role_the_expected_status(name, obj, role, expected, own, people, as_user):
    assert as_user(people[role]).get(_url(name, obj, own)).status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "obj", "_"), MATRIX, ids=[row[0] for row in MATRIX])
def test_it_sends_anonymous_visitors_to_sign_in(name, obj, _, own, client):
    url = _url(name, obj, own)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accounts:login", "health"])
def test_it_opens_the_public_pages_to_anonymous_visitors(name, client):
    assert client.get(reverse(name)).status_code == 200
