from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client

from engage.accounts.models import Organisation, Role, Team, User

PILOT_CODES = {"BE-JRS", "BG-CLA", "CY-CYRC", "GR-HR360", "IT-CILD", "PL-SIP", "GB-DA"}


def _seed(**options) -> str:
    options.setdefault("no_cases", True)  # the cases have their own tests (test_demo_cases)
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True  # pytest-django runs with DEBUG off; the demo is for development


@pytest.mark.django_db
class TestSeedDemo:
    def test_it_creates_the_seven_pilots_with_their_staff(self, settings):
        settings.ENGAGE_DEMO_PASSWORD = "demo-pass-for-tests"
        output = _seed()
        assert set(Organisation.objects.values_list("code", flat=True)) == PILOT_CODES
        assert {o.country.code for o in Organisation.objects.all()} == {
            "BE",
            "BG",
            "CY",
            "GR",
            "IT",
            "PL",
            "GB",
        }
        for organisation in Organisation.objects.all():
            staff = User.objects.filter(organisation=organisation)
            prefix = organisation.code.lower()
            assert staff.filter(role=Role.SUPERVISOR, username=f"{prefix}-sup").exists()
            assert staff.filter(role=Role.ORG_ADMIN, username=f"{prefix}-admin").exists()
            case_managers = staff.filter(role=Role.CASE_MANAGER)
            assert 2 <= case_managers.count() <= 4
            assert {u.username for u in case_managers} == {
                f"{prefix}-cm{n}" for n in range(1, case_managers.count() + 1)
            }
            assert organisation.cities.exists()
        assert User.objects.get(username="network").role == Role.NETWORK_COORDINATOR
        assert "bg-cla-cm1" in output and "demo-pass-for-tests" in output
        assert Client().login(
            request=HttpRequest(), username="bg-cla-cm1", password="demo-pass-for-tests"
        )

    def test_it_is_idempotent(self):
        _seed()
        counts = (Organisation.objects.count(), User.objects.count(), Team.objects.count())
        _seed()
        assert (Organisation.objects.count(), User.objects.count(), Team.objects.count()) == counts

    def test_it_refuses_to_run_with_debug_off_unless_forced(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="DEBUG is off"):
            _seed()
        assert not Organisation.objects.exists()
        _seed(force=True)
        assert Organisation.objects.count() == 7
