"""A contact marked "Sensitive" keeps what its own fields say as it keeps its note (docs/security.md,
item 47): the organisation's questions on a contact that are not sensitive in themselves ("Details",
"Risk seen") still tell what that contact was about. A colleague who sees the case only through a
client's household, and the organisation admin's export, read neither; the contact's author and
the case's own case manager and supervisor read both."""

import csv
import io
import re

import pytest

from engage.cases import services as cases
from engage.cases.factories import days_ago, to_screening
from engage.custom import services
from engage.history.models import Change
from engage.sharing import own_export
from tests.api.conftest import api  # noqa: F401
from tests.custom.people import dora, fields  # noqa: F401

pytestmark = pytest.mark.django_db

ABOUT = "Zzsentinel she fears her partner"
OPEN = "Zzsentinel an ordinary visit"


@pytest.fixture
def details(organisation, ada):
    """A long text asked on every contact, not marked sensitive itself."""
    return services.define_field(
        organisation, by=ada, form="contact", type="long_text", key="details", label="Details"
    )


def _contact(case, by, *, sensitive, about, date=2):
    contact = cases.log_contact(
        case,
        by=by,
        data={
            "date": days_ago(date),
            "type": "phone",
            "engagement_level": "active",
            "note": "Zzhidden note" if sensitive else "Zzopen note",
            "sensitive": sensitive,
        },
    )
    services.save_values(case, "contact", contact.pk, {"details": about}, by=by)
    return contact


@pytest.fixture
def visits(case, alice, details):
    """Alice's case with a sensitive contact and an ordinary one, each answered."""
    to_screening(case, alice)
    return (
        _contact(case, alice, sensitive=True, about=ABOUT),
        _contact(case, alice, sensitive=False, about=OPEN, date=1),
    )


def test_it_keeps_a_sensitive_contacts_answers_from_a_household_colleague_in_the_api(
    visits,
    case,
    alice,
    dora,  # noqa: F811
    api,  # noqa: F811
):
    secret, ordinary = visits
    theirs = api(dora).get(f"/api/v1/contacts/{secret.pk}/")
    assert theirs.status_code == 200
    assert theirs.json()["note"] == "" and theirs.json()["custom"] == {}
    listed = api(dora).get(f"/api/v1/cases/{case.pk}/contacts/").json()["results"]
    by_id = {row["id"]: row for row in listed}
    assert by_id[str(secret.pk)]["custom"] == {}
    assert by_id[str(ordinary.pk)]["custom"] == {"details": OPEN}
    mine = api(alice).get(f"/api/v1/contacts/{secret.pk}/").json()
    assert mine["custom"] == {"details": ABOUT}


def test_it_keeps_them_off_the_case_page_and_its_history(
    visits,
    case,
    as_user,
    alice,
    bob,
    dora,  # noqa: F811
):
    theirs = as_user(dora).get(f"/cases/{case.pk}/").content.decode()
    assert ABOUT not in theirs and "Zzhidden note" not in theirs
    assert OPEN in theirs  # the ordinary contact's answer, as before
    assert Change.objects.filter(model="custom.customvalue", case_id=case.pk).count() == 2
    history = as_user(dora).get(f"/history/cases/{case.pk}/").content.decode()
    assert ABOUT not in history and OPEN in history
    for own in (alice, bob):  # the author, and the supervisor of the case's team
        assert ABOUT in as_user(own).get(f"/cases/{case.pk}/").content.decode()
        assert ABOUT in as_user(own).get(f"/history/cases/{case.pk}/").content.decode()


def test_its_author_reads_what_she_answered_on_a_sensitive_contact_of_anothers_case(
    case,
    alice,
    dora,  # noqa: F811
    details,
    as_user,
):
    """Dora, who sees Alice's case through the household, records a sensitive contact on it:
    she reads her own answers, as she reads her own note; Alice reads them as the case's own."""
    to_screening(case, alice)
    _contact(case, dora, sensitive=True, about=ABOUT)
    assert ABOUT in as_user(dora).get(f"/cases/{case.pk}/").content.decode()
    assert ABOUT in as_user(alice).get(f"/cases/{case.pk}/").content.decode()


def test_the_organisations_export_leaves_out_a_sensitive_contacts_answers(visits, organisation):
    files, counts = own_export.archive(organisation)
    rows = list(csv.DictReader(io.StringIO(files["custom/customvalue.csv"].decode("utf-8-sig"))))
    assert counts["custom/customvalue.csv"] == 1
    assert rows[0]["record_id"] == str(visits[1].pk)
    assert all(ABOUT not in content.decode("utf-8", "replace") for content in files.values())


def test_the_audit_log_does_not_name_the_questions_answered_on_a_sensitive_contact(
    case, alice, ada, details, as_user
):
    """A question shown only after an answer ("By whom", when "Violence disclosed?" is yes)
    told the admin reading the audit log that answer, for a contact whose content is the case's
    own people's: its questions are named "sensitive" there, as a sensitive field is (item 38)."""
    disclosed = services.define_field(
        case.organisation, by=ada, form="contact", type="yes_no", key="zzdisclosed",
        label="Violence disclosed?",
    )  # fmt: skip
    services.define_field(
        case.organisation, by=ada, form="contact", type="short_text", key="zzbywhom",
        label="By whom", condition_field=disclosed, condition_value="yes",
    )  # fmt: skip
    to_screening(case, alice)
    hidden = _contact(case, alice, sensitive=True, about=ABOUT)
    services.save_values(
        case, "contact", hidden.pk, {"zzdisclosed": True, "zzbywhom": "Zzpartner"}, by=alice
    )
    _contact(case, alice, sensitive=False, about=OPEN, date=1)
    log = as_user(ada).get("/audit/").content.decode()
    assert sorted(re.findall(r"custom:contact:[\w,]+", log)) == [
        "custom:contact:details",
        "custom:contact:sensitive",
        "custom:contact:sensitive",
    ]
