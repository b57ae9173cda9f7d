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


def test_the_admin_gives_an_existing_criterion_its_other_languages_later(as_user, ada):
    from engage.audit.models import AuditEvent
    from engage.cases import services

    criterion = services.add_criterion(ada.organisation, by=ada, text="Lives in Sofia")
    admin = as_user(ada)
    page = admin.get("/cases/eligibility/", {"edit": criterion.pk}).content.decode()
    assert 'name="edit-text_bg"' in page and "Lives in Sofia" in page
    response = admin.post(
        "/cases/eligibility/",
        {"edit": criterion.pk, "edit-text_bg": "Живее в София", "edit-version": 1},
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.text, criterion.translations) == ("Lives in Sofia", {"bg": "Живее в София"})
    assert AuditEvent.objects.filter(object_id=criterion.pk, detail="translations").exists()
    # Nothing else was added, and the text as written cannot be changed this way.
    admin.post(
        "/cases/eligibility/", {"edit": criterion.pk, "edit-text": "Anything", "edit-version": 2}
    )
    assert EligibilityCriterion.objects.get().text == "Lives in Sofia"


def test_it_refuses_a_stale_edit_of_a_criterion_and_keeps_the_first(as_user, ada, organisation):
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role
    from engage.cases import services

    criterion = services.add_criterion(organisation, by=ada, text="Lives in Sofia")
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    # Both admins open the criterion to edit it.
    for admin in (ada, other_admin):
        page = as_user(admin).get("/cases/eligibility/", {"edit": criterion.pk}).content.decode()
        assert 'name="edit-version" value="1"' in page
    first = {"edit": criterion.pk, "edit-text_bg": "Живее в София", "edit-established_by": "",
             "edit-version": 1}  # fmt: skip
    assert as_user(ada).post("/cases/eligibility/", first).status_code == 302
    second = {"edit": criterion.pk, "edit-text_bg": "Живее в България",
              "edit-established_by": "detention", "edit-version": 1}  # fmt: skip
    response = as_user(other_admin).post("/cases/eligibility/", second)
    assert response.status_code == 200
    edit_form = response.context["edit_form"]
    assert "Someone else changed this record" in " ".join(edit_form.non_field_errors())
    body = response.content.decode()  # what she typed and chose, shown again
    assert 'value="Живее в България"' in body and '<option value="detention" selected>' in body
    criterion.refresh_from_db()
    assert criterion.translations == {"bg": "Живее в София"}
    assert (criterion.established_by, criterion.version) == ("", 2)


def test_two_admins_taking_a_criterion_out_of_use_at_once_leave_it_out_of_use(
    as_user, ada, organisation
):
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role
    from engage.audit.models import AuditEvent
    from engage.cases import services

    criterion = services.add_criterion(organisation, by=ada, text="Lives in Sofia")
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    # Both read the list while it is in use: each button asks for "out of use".
    for admin in (ada, other_admin):
        page = as_user(admin).get("/cases/eligibility/").content.decode()
        assert 'name="active" value="0"' in page
    for admin in (ada, other_admin):
        response = as_user(admin).post(
            "/cases/eligibility/", {"toggle": criterion.pk, "active": "0"}
        )
        assert response.status_code == 302
    criterion.refresh_from_db()
    assert not criterion.active  # the second click did not put it back in use
    changes = AuditEvent.objects.filter(object_id=criterion.pk, detail__startswith="active=")
    assert [event.detail for event in changes] == ["active=False"]
    as_user(ada).post("/cases/eligibility/", {"toggle": criterion.pk, "active": "1"})
    criterion.refresh_from_db()
    assert criterion.active


def test_no_one_translates_another_organisations_criterion(as_user, ada):
    from engage.accounts.factories import OrganisationFactory

    other = OrganisationFactory(code="PL-SIP")
    criterion = EligibilityCriterion.objects.create(organisation=other, text="Foreign")
    admin = as_user(ada)
    assert admin.get("/cases/eligibility/", {"edit": criterion.pk}).status_code == 404
    response = admin.post("/cases/eligibility/", {"edit": criterion.pk, "edit-text_bg": "x"})
    assert response.status_code == 404
    assert admin.get("/cases/eligibility/", {"edit": "not-a-uuid"}).status_code == 404
    assert EligibilityCriterion.objects.get(pk=criterion.pk).translations == {}
