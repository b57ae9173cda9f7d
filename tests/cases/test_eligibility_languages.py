"""The eligibility checklist in several languages (issue 12, item 4)."""

import pytest

from engage.cases.models import EligibilityCriterion

pytestmark = pytest.mark.django_db


def test_the_admin_writes_a_criterion_in_several_languages_and_each_reader_sees_theirs(
    as_user, ada, alice
):
    admin = as_user(ada)
    page = admin.get("/cases/eligibility/").content.decode()
    assert 'name="text_bg"' in page
    response = admin.post(
        "/cases/eligibility/",
        {"text": "Lives in Sofia", "text_bg": "Живее в София", "text_en": ""},
    )
    assert response.status_code == 302
    criterion = EligibilityCriterion.objects.get()
    assert criterion.text == "Lives in Sofia"
    assert criterion.translations == {"bg": "Живее в София"}
    admin.post("/i18n/setlang/", {"language": "bg", "next": "/"})
    assert "Живее в София" in admin.get("/cases/eligibility/").content.decode()
    admin.post("/i18n/setlang/", {"language": "pl", "next": "/"})
    body = admin.get("/cases/eligibility/").content.decode()
    assert "Lives in Sofia" in body and "Живее в София" not in body
