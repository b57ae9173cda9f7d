import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from engage.accounts.models import City
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory
from engage.cases.models import Case
from engage.imports.models import ImportJob
from engage.sharing import own_export
from tests.imports.conftest import HEADERS, messy_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def _upload(client, rows):
    upload = SimpleUploadedFile("caseload.xlsx", xlsx_bytes(HEADERS, rows))
    response = client.post("/imports/", {"file": upload})
    assert response.status_code == 302
    return ImportJob.objects.get()


def _mapping_post(job, **extra):
    data = {"day_first": "1", "default_legal_basis": "consent", "default_purpose": "Casework"}
    headers = [h.strip() for h in HEADERS]
    guessed = job.mapping["columns"]
    for index, header in enumerate(headers):
        data[f"column_{index}"] = guessed.get(header, "")
    city = City.objects.get(organisation=job.organisation)
    data["default_city"] = str(city.pk)
    return data | extra


def test_it_takes_an_admin_from_the_upload_to_the_stored_cases(ada, alice, as_user):
    client = as_user(ada)
    job = _upload(client, messy_rows())
    page = client.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert "Prénom" in page and 'value="given_name" selected' in page
    response = client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job, save_as="Sofia"))
    assert response.status_code == 302
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "8 problems: nothing can be imported until they are corrected" in page
    assert "“31/02/1990” is not a date." in page
    assert "Values Engage does not know" in page
    assert "Import the rows" not in page  # no commit button while problems remain
    assert client.post(f"/imports/{job.pk}/commit/").status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    # A file of the good rows only, with the saved mapping.
    good = _upload_again(client, messy_rows()[:3])
    response = client.post(f"/imports/{good.pk}/mapping/", _mapping_post(good))
    page = client.get(f"/imports/{good.pk}/").content.decode()
    assert "Preview: the first rows as they will be stored" in page and "Amina" in page
    assert client.post(f"/imports/{good.pk}/commit/").status_code == 302
    good.refresh_from_db()
    assert good.status == ImportJob.Status.QUEUED
    page = client.get(f"/imports/{good.pk}/").content.decode()
    assert "rows checked" in page or "Waiting to start" in page
    fragment = client.get(f"/imports/{good.pk}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    call_command("run_imports", verbosity=0)
    assert client.get(f"/imports/{good.pk}/", HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    page = client.get(f"/imports/{good.pk}/").content.decode()
    assert "3 referrals were registered." in page
    assert Case.objects.filter(organisation=ada.organisation).count() == 3
    assert AuditEvent.objects.filter(detail="import_stored:3").count() == 1


def _upload_again(client, rows):
    upload = SimpleUploadedFile("good.xlsx", xlsx_bytes(HEADERS, rows))
    client.post("/imports/", {"file": upload})
    return ImportJob.objects.order_by("-created_at").first()


def test_another_organisations_admin_gets_404_for_its_imports(ada, olga, as_user, client):
    job = _upload(as_user(ada), messy_rows()[:1])
    other = as_user(olga)
    for url in ("", "mapping/"):
        assert other.get(f"/imports/{job.pk}/{url}").status_code == 404
    for url in ("values/", "duplicates/", "commit/", "discard/"):
        assert other.post(f"/imports/{job.pk}/{url}").status_code == 404
    assert job.filename not in other.get("/imports/").content.decode()


def test_case_workers_cannot_import(alice, bob, as_user):
    for user in (alice, bob):
        assert as_user(user).get("/imports/").status_code == 404


class TestOwnExport:
    def _stepped_up(self, client, user):
        client.force_login(user)
        session = client.session
        session[AUTHENTICATED_AT] = time.time()
        session.save()
        return client

    def test_it_asks_for_the_password_again_first(self, ada, client):
        client.force_login(ada)
        session = client.session
        session[AUTHENTICATED_AT] = time.time() - 3600
        session.save()
        response = client.get("/sharing/export/")
        assert response.status_code == 302
        assert response.url.startswith("/accounts/confirm-password/") or "confirm" in response.url

    def test_it_gives_an_encrypted_archive_of_the_organisations_records_only(
        self, ada, alice, charlie, client
    ):
        mine = CaseFactory(
            organisation=ada.organisation, case_manager=alice, person__given_name="Homeclient"
        )
        theirs = CaseFactory(
            organisation=charlie.organisation, case_manager=charlie, person__given_name="Awayone"
        )
        client = self._stepped_up(client, ada)
        response = client.post(
            "/sharing/export/",
            {"passphrase": "correct horse battery", "confirmation": "correct horse battery"},
        )
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        content = response.content
        assert b"Homeclient" not in content  # encrypted
        with pytest.raises(own_export.WrongPassphrase):
            own_export.decrypt(content, "wrong passphrase!")
        archive = zipfile.ZipFile(io.BytesIO(own_export.decrypt(content, "correct horse battery")))
        people = archive.read("cases/person.csv").decode("utf-8-sig")
        cases = archive.read("cases/case.csv").decode("utf-8-sig")
        assert "Homeclient" in people and "Awayone" not in people
        assert mine.reference in cases and theirs.reference not in cases
        assert "charlie" not in archive.read("accounts/users.csv").decode("utf-8-sig")
        assert "cases/searchtoken.csv" not in archive.namelist()
        event = AuditEvent.objects.get(action="export", actor_id=ada.pk)
        assert event.high_severity and event.detail.startswith("own_records:")

    def test_it_refuses_a_short_or_mistyped_passphrase(self, ada, client):
        client = self._stepped_up(client, ada)
        page = client.post("/sharing/export/", {"passphrase": "short", "confirmation": "short"})
        assert page.status_code == 200 and "at least 12 characters" in page.content.decode()
        page = client.post(
            "/sharing/export/",
            {"passphrase": "a long passphrase", "confirmation": "another passphrase"},
        )
        assert "The two passphrases differ." in page.content.decode()
        assert not AuditEvent.objects.filter(action="export").exists()
