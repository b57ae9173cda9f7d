"""R07: no default or shared account comes with Engage, and there is no Django admin to attack."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from engage.accounts.models import User
from tests.test_settings import PRODUCTION, _engage

PACKAGE = Path(__file__).resolve().parents[2] / "engage"


@pytest.mark.django_db
def test_it_has_no_user_after_migrate():
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("accounts", "0001_initial") in applied  # the database was made by `migrate`
    assert not User.objects.exists()


def test_it_ships_no_fixture_with_accounts():
    fixtures = [path for path in PACKAGE.rglob("*") if "fixtures" in path.parts and path.is_file()]
    for path in fixtures:
        assert "accounts.user" not in path.read_text(errors="replace").lower(), path


def test_it_does_not_install_the_django_admin():
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert not apps.is_installed("django.contrib.admin")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/", "/admin/login/", "/admin/accounts/user/"])
def test_it_answers_404_at_the_admins_address(url, client, ada, as_user):
    assert client.get(url).status_code == 404
    assert as_user(ada).get(url).status_code == 404


def test_it_has_no_admin_in_production_mode():
    script = (
        "from django.apps import apps; from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/admin/'); print('admin mounted')\n"
        "except Resolver404:\n    print('no admin url')\n"
        "print('admin installed' if apps.is_installed('django.contrib.admin') else 'no admin app')"
    )
    result = _engage("shell", "--no-imports", "-c", script, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["no admin url", "no admin app"]
