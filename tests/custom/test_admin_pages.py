"""The organisation admin's pages for the organisation's own fields."""

import pytest

from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.custom import services
from engage.custom.models import CustomField

pytestmark = pytest.mark.django_db


def test_it_lists_the_fields_per_form_and_says_they_stay_out_of_the_network(as_user, ada):
    page = as_user(ada).get("/settings/fields/").content.decode()
    assert "never goes into the network dataset" in page
    assert "Case plan goal" in page
    assert 'href="/settings/fields/forms/closure/new/"' in page


def test_an_admin_adds_a_choice_field_with_labels_in_her_languages(as_user, ada, organisation):
    response = as_user(ada).post(
        "/settings/fields/forms/screening/new/",
        {
            "label": "Reception centre",
            "label_bg": "Приемателен център",
            "help_text": "Where the client lived",
            "help_text_bg": "Къде е живял",  # noqa: RUF001
            "type": "choice",
            "options": "Pournara\nKofinou\n",
            "after": "date",
            "required": "on",
        },
    )
    field = CustomField.objects.get()
    assert response.status_code == 302
    assert field.label_translations == {"bg": "Приемателен център"}
    assert field.help_text_translations == {"bg": "Къде е живял"}  # noqa: RUF001
    assert field.after == "date" and field.required
    assert list(field.options.values_list("key", flat=True)) == ["pournara", "kofinou"]
    assert AuditEvent.objects.filter(object_id=field.pk, actor_id=ada.pk, action="create").exists()


def test_the_type_of_a_field_with_answers_cannot_change_on_its_page(
    as_user, ada, alice, organisation
):
    field = services.define_field(
        organisation, by=ada, form="contact", type="short_text", label="Post"
    )
    case = CaseFactory(organisation=organisation, case_manager=alice)
    services.save_values(case, "contact", "x", {"post": "Terespol"}, by=alice)
    client = as_user(ada)
    page = client.get(f"/settings/fields/{field.pk}/").content.decode()
    assert "its type no longer changes" in page
    assert 'value="delete"' not in page
    client.post(
        f"/settings/fields/{field.pk}/",
        {"label": "Border Guard post", "type": "number", "after": "", "version": field.version},
    )
    field.refresh_from_db()
    assert (field.label, field.type) == ("Border Guard post", "short_text")
    response = client.post(f"/settings/fields/{field.pk}/change/", {"action": "delete"})
    assert CustomField.objects.filter(pk=field.pk).exists()
    client.post(f"/settings/fields/{field.pk}/change/", {"action": "retire"})
    field.refresh_from_db()
    assert field.is_retired and response.status_code == 302


def test_it_refuses_a_stale_edit_of_a_field_and_keeps_the_first(as_user, ada, organisation):
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role

    field = services.define_field(
        organisation, by=ada, form="contact", type="short_text", label="Post"
    )
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    url = f"/settings/fields/{field.pk}/"
    read = {"type": "short_text", "after": "", "version": field.version}
    response = as_user(ada).post(url, dict(read, label="Border Guard post", required="on"))
    assert response.status_code == 302
    response = as_user(other_admin).post(
        url, dict(read, label="Reception post", help_text="Where they were first held")
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Someone else changed this record" in body
    # What the second admin typed is on the page again; the first admin's change stands.
    assert 'value="Reception post"' in body and "Where they were first held" in body
    field.refresh_from_db()
    assert (field.label, field.required, field.help_text) == ("Border Guard post", True, "")


def test_a_mistake_in_a_field_is_shown_next_to_it_with_what_was_typed(as_user, ada, organisation):
    field = services.define_field(
        organisation, by=ada, form="contact", type="number", label="Nights"
    )
    response = as_user(ada).post(
        f"/settings/fields/{field.pk}/",
        {"label": "", "help_text": "Nights outside", "type": "number", "after": "",
         "min_value": "not a number", "version": field.version},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and "Nights outside" in body
    assert 'value="not a number"' in body and "Enter a number." in body
    field.refresh_from_db()
    assert (field.label, field.help_text) == ("Nights", "")


def test_options_are_added_renamed_moved_and_retired(as_user, ada, organisation):
    field = services.define_field(
        organisation, by=ada, form="goal", type="choices", label="Ties", options=["A", "B"]
    )
    client = as_user(ada)
    url = f"/settings/fields/{field.pk}/options/"
    client.post(url, {"action": "add", "new-option-label": "C"})
    b = field.options.get(key="b")
    client.post(
        url,
        {"action": "rename", "option": b.pk, f"option-{b.pk}-label": "Bee",
         f"option-{b.pk}-version": b.version},
    )  # fmt: skip
    client.post(url, {"action": "up", "option": b.pk})
    client.post(url, {"action": "retire", "option": field.options.get(key="a").pk})
    options = list(field.options.values_list("key", "label", "retired"))
    assert options == [("b", "Bee", False), ("a", "A", True), ("c", "C", False)]


def test_it_refuses_a_stale_rename_of_an_option_and_keeps_the_first(as_user, ada, organisation):
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role

    field = services.define_field(
        organisation, by=ada, form="goal", type="choices", label="Ties", options=["A", "B"]
    )
    b = field.options.get(key="b")
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    # Both admins open the field's page, with its options.
    for admin in (ada, other_admin):
        page = as_user(admin).get(f"/settings/fields/{field.pk}/").content.decode()
        assert f'name="option-{b.pk}-version" value="1"' in page
    url = f"/settings/fields/{field.pk}/options/"
    rename = {"action": "rename", "option": b.pk, f"option-{b.pk}-version": 1}
    response = as_user(ada).post(url, rename | {f"option-{b.pk}-label": "Brother"})
    assert response.status_code == 302
    response = as_user(other_admin).post(
        url, rename | {f"option-{b.pk}-label": "Sister", f"option-{b.pk}-label_bg": "Сестра"}
    )
    assert response.status_code == 200
    shown = dict(response.context["option_forms"])[b]
    assert "Someone else changed this record" in " ".join(shown.non_field_errors())
    body = response.content.decode()  # what she typed, on the option's form again
    assert 'value="Sister"' in body and 'value="Сестра"' in body
    # The field's own form, shown with it, still saves the field.
    assert f'action="/settings/fields/{field.pk}/"' in body
    b.refresh_from_db()
    assert (b.label, b.label_translations, b.version) == ("Brother", {}, 2)


def test_a_choice_field_without_options_is_refused_next_to_them(as_user, ada):
    """It was saved, a question with nothing to answer."""
    page = (
        as_user(ada)
        .post(
            "/settings/fields/forms/referral/new/",
            {"label": "Source", "type": "choice", "options": "  \n"},
        )
        .content.decode()
    )
    error = page.split('id="id_options_error"', 1)[1].split("</ul>", 1)[0]
    assert "Give a choice field its options, one per line." in error
    assert not CustomField.objects.exists()


def test_the_preview_shows_the_form_with_the_own_fields(as_user, ada, organisation):
    services.define_field(
        organisation, by=ada, form="closure", type="yes_no", label="Returned the phone"
    )
    page = as_user(ada).get("/settings/fields/forms/closure/preview/").content.decode()
    assert "Returned the phone" in page
    assert 'name="preview-reason"' in page


def test_the_preview_lists_the_organisations_own_staff_and_cities_only(
    as_user, ada, alice, organisation, other_organisation
):
    """The referral's preview listed every organisation's case managers and cities: the
    class's own fields, which the real form narrows to the organisation's when it is made."""
    from engage.accounts.factories import CityFactory, UserFactory

    UserFactory(username="zzforeign", first_name="Zzforeign", organisation=other_organisation)
    CityFactory(organisation=other_organisation, name="Zzforeign city")
    page = as_user(ada).get("/settings/fields/forms/referral/preview/").content.decode()
    assert 'name="preview-case_manager"' in page and alice.get_full_name() in page
    assert "Zzforeign" not in page


def test_only_an_organisation_admin_reaches_the_pages(as_user, alice, bob):
    assert as_user(alice).get("/settings/fields/").status_code == 404
    assert as_user(bob).get("/settings/fields/forms/contact/new/").status_code == 404


def test_another_organisation_cannot_see_or_change_a_field(as_user, ada, olga, organisation):
    field = services.define_field(
        organisation, by=ada, form="contact", type="short_text", label="Zzsecret question"
    )
    client = as_user(olga)
    assert "Zzsecret" not in client.get("/settings/fields/").content.decode()
    assert client.get(f"/settings/fields/{field.pk}/").status_code == 404
    assert (
        client.post(f"/settings/fields/{field.pk}/", {"label": "x", "type": "number"}).status_code
        == 404
    )
    assert (
        client.post(f"/settings/fields/{field.pk}/change/", {"action": "delete"}).status_code == 404
    )
    assert (
        client.post(
            f"/settings/fields/{field.pk}/options/", {"action": "add", "new-option-label": "x"}
        ).status_code
        == 404
    )
    assert "Zzsecret" not in client.get("/settings/fields/configuration/export/").content.decode()
    field.refresh_from_db()
    assert field.label == "Zzsecret question"


def test_a_condition_on_another_organisations_field_is_refused(
    ada, olga, organisation, other_organisation
):
    from django.core.exceptions import ValidationError

    theirs = services.define_field(
        other_organisation, by=olga, form="contact", type="yes_no", label="Theirs"
    )
    with pytest.raises(ValidationError):
        services.define_field(
            organisation,
            by=ada,
            form="contact",
            type="short_text",
            label="Mine",
            condition_field=theirs,
            condition_value="yes",
        )
