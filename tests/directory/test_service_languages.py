"""A service shared with the network says who is eligible in several languages; each reader
sees their own language, or the text as written (issue 12, item 4)."""

import pytest

from engage.directory.models import Service
from tests.directory.conftest import SHELTER

pytestmark = pytest.mark.django_db

GREEK = "Ενήλικες, οποιοδήποτε καθεστώς."


def test_its_form_offers_the_organisations_languages(as_user, bob):
    page = as_user(bob).get("/directory/new/").content.decode()
    assert 'name="eligibility_bg"' in page and 'name="eligibility_en"' in page


def test_a_reader_of_another_organisation_sees_it_in_their_language(
    as_user, bob, charlie, organisation
):
    bob.language = "el"  # a Greek-speaking colleague: Greek is offered too
    bob.save(update_fields=["language"])
    client = as_user(bob)
    response = client.post(
        "/directory/new/", dict(SHELTER, shared=True, eligibility_el=GREEK, eligibility_fr="")
    )
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.translations == {"el": GREEK}
    url = f"/directory/services/{service.pk}/"
    reader = as_user(charlie)
    reader.post("/i18n/setlang/", {"language": "el", "next": "/"})
    assert GREEK in reader.get(url).content.decode()
    reader.post("/i18n/setlang/", {"language": "it", "next": "/"})
    body = reader.get(url).content.decode()
    assert GREEK not in body and SHELTER["eligibility"] in body
