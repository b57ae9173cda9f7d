"""Absurd dates are refused at the edge with a clear error (docs/security.md, issue 10 item 17).

The attack: year 1 or 9999 in a form or the API was accepted, or gave a 500 further on."""

import datetime
import time

import pytest
from django import forms
from django.test import Client
from rest_framework import serializers

from engage.accounts.permissions import AUTHENTICATED_AT
from engage.cases.factories import CaseFactory, days_ago
from engage.cases.models import Contact
from engage.lib import dates
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

ABSURD = ("0001-01-01", "1899-12-31", "9999-12-31")


@pytest.fixture
def case(organisation, alice):
    return CaseFactory(organisation=organisation, case_manager=alice)


@pytest.mark.parametrize("day", ABSURD)
def test_it_refuses_an_absurd_contact_date_on_the_page(as_user, alice, case, day):
    response = as_user(alice).post(
        f"/cases/{case.pk}/contacts/new/",
        {"date": day, "type": "phone", "engagement_level": "active", "note": "x"},
    )
    assert response.status_code == 200
    assert "Enter a date between" in response.content.decode()
    assert not Contact.objects.filter(case=case).exists()


@pytest.mark.parametrize("day", [*ABSURD, "2999-01-01"])
def test_it_refuses_an_absurd_or_future_date_of_birth_on_the_page(as_user, alice, case, day):
    person = case.person
    response = as_user(alice).post(
        f"/privacy/cases/{case.pk}/rectify/",
        {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "nationality": person.nationality.code,
            "sex": person.sex,
            "version": person.version,
            "date_of_birth": day,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a date between" in page or "A date of birth cannot be in the future." in page
    person.refresh_from_db()
    assert person.date_of_birth != datetime.date.fromisoformat(day)


def _referral(**changes) -> dict:
    return {
        "client": {"given_name": "Nour", "family_name": "Datetest"},
        "referral_date": days_ago(1).isoformat(),
        "referral_source": "ngo",
        "detention_at_referral": "released",
        "migration_status": "asylum_seeker",
        "legal_basis": "consent",
        "purpose": "Case management",
        "city": "Sofia",
        **changes,
    }


@pytest.mark.parametrize("day", ABSURD)
def test_the_api_refuses_absurd_dates_with_a_field_error(organisation, alice, case, day):
    client = ApiClient(make_token(alice))
    born = client.post(
        "/api/v1/cases/",
        _referral(case_manager=str(alice.pk), client={"given_name": "N", "date_of_birth": day}),
    )
    assert born.status_code == 400, born.content
    assert "Enter a date between" in str(born.json()["error"]["fields"])
    referred = client.post(
        "/api/v1/cases/", _referral(case_manager=str(alice.pk), referral_date=day)
    )
    assert referred.status_code == 400
    assert "referral_date" in referred.json()["error"]["fields"]
    contact = client.post(f"/api/v1/cases/{case.pk}/contacts/", {"date": day, "type": "phone"})
    assert contact.status_code in (400, 404)  # 404 where the stage allows no contact yet
    assert not Contact.objects.filter(case=case).exists()


def test_the_api_refuses_a_date_of_birth_in_the_future(alice):
    client = ApiClient(make_token(alice))
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()  # noqa: DTZ011
    response = client.post(
        "/api/v1/cases/",
        _referral(case_manager=str(alice.pk), client={"given_name": "N", "date_of_birth": future}),
    )
    assert response.status_code == 400
    assert "A date of birth cannot be in the future." in str(response.json()["error"]["fields"])


def test_every_form_and_serializer_date_field_is_bounded_even_one_written_later():
    class Later(forms.Form):
        day = forms.DateField()
        at = forms.DateTimeField()

    form = Later({"day": "0001-01-01", "at": "9999-12-31 10:00"})
    assert not form.is_valid() and set(form.errors) == {"day", "at"}

    class LaterSerializer(serializers.Serializer):
        day = serializers.DateField()

    serializer = LaterSerializer(data={"day": "9999-12-31"})
    assert not serializer.is_valid() and "day" in serializer.errors
    assert dates.latest().year == datetime.date.today().year + dates.YEARS_AHEAD  # noqa: DTZ011


def test_the_network_export_leaves_out_a_stored_absurd_date_and_names_its_case(
    organisation, alice, ada, tmp_path
):
    """A year-1 referral stored before these checks made the hub refuse the whole submission."""
    from django.utils import timezone

    from engage.cases.models import Case
    from engage.mel import services
    from engage.mel.dataset import rows as dataset
    from engage.mel.dataset import submission

    good = [CaseFactory(organisation=organisation, case_manager=alice) for _ in range(3)]
    bad = CaseFactory(organisation=organisation, case_manager=alice)
    Case.objects.filter(pk=bad.pk).update(referral_date=datetime.date(1, 1, 1))
    period = dataset.month(timezone.localdate())
    preview = services.preview(organisation, period)
    assert preview.left_out == [bad.reference]
    services.export(organisation, tmp_path, period, by=ada)
    stored = submission.read(tmp_path)  # the hub's check: no InvalidSubmission
    assert len(stored.rows) + preview.protection.withheld == len(good)
    page = _export_page(ada, period)
    assert bad.reference in page and "is left out: a date on it is not plausible" in page


def _export_page(ada, period: str) -> str:
    client = Client()
    client.force_login(ada)
    session = client.session
    session[AUTHENTICATED_AT] = time.time()
    session.save()
    return client.post("/mel/export/", {"period_end": period}).content.decode()


def test_it_bounds_the_date_fields_of_every_form_the_apps_define():
    """The bound is on the field classes before any app builds a form: a form imported by an
    app's ready() (custom fields extend the process forms) once got date fields without it."""
    import importlib

    from django.apps import apps

    unbounded = []
    for config in apps.get_app_configs():
        if not config.name.startswith("engage."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                for name, field in getattr(value, "base_fields", {}).items():
                    if (
                        isinstance(field, forms.DateField)
                        and dates.validate_plausible not in field.validators
                    ):
                        unbounded.append(f"{value.__module__}.{value.__name__}.{name}")
    assert unbounded == []
