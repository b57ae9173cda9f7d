import base64
import datetime
import io
import math
import re
import shutil
import subprocess
import time
import zipfile

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from engage.accounts.models import City
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.audit.models import AuditEvent
from engage.cases.factories import CaseFactory, PersonFactory
from engage.cases.models import Case
from engage.imports.models import ImportJob, SavedMapping
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

    def _export(self, client) -> tuple[str, bytes]:
        """Prepare an export, read the passphrase off the page, download the archive."""
        page = client.post("/sharing/export/").content.decode()
        passphrase = re.search(r"<code>([0-9a-z-]+)</code>", page).group(1)
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        response = client.post("/sharing/export/", {"token": token})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        return passphrase, response.content

    def test_it_gives_an_encrypted_archive_of_the_organisations_records_only(
        self, ada, alice, charlie, client
    ):
        mine = CaseFactory(
            organisation=ada.organisation, case_manager=alice, person__given_name="Homeclient"
        )
        theirs = CaseFactory(
            organisation=charlie.organisation, case_manager=charlie, person__given_name="Awayone"
        )
        passphrase, content = self._export(self._stepped_up(client, ada))
        assert b"Homeclient" not in content  # encrypted
        with pytest.raises(own_export.WrongPassphrase):
            own_export.decrypt(content, "wrong passphrase!")
        files = own_export.decrypt(content, passphrase)
        people = files["cases/person.csv"].decode("utf-8-sig")
        cases = files["cases/case.csv"].decode("utf-8-sig")
        assert "Homeclient" in people and "Awayone" not in people
        assert mine.reference in cases and theirs.reference not in cases
        assert "charlie" not in files["accounts/users.csv"].decode("utf-8-sig")
        assert "cases/searchtoken.csv" not in files
        event = AuditEvent.objects.get(action="export", actor_id=ada.pk)
        assert event.high_severity and event.detail.startswith("own_records:")

    def test_it_makes_the_passphrase_itself_strong_and_never_takes_a_chosen_one(self, ada, client):
        # The attack: the admin protected the whole caseload with "password1234".
        client = self._stepped_up(client, ada)
        page = client.post(
            "/sharing/export/", {"passphrase": "password1234", "confirmation": "password1234"}
        )
        assert page.status_code == 200 and "password1234" not in page.content.decode()
        forged = client.post("/sharing/export/", {"token": "password1234"})
        assert forged.status_code == 200 and not forged.has_header("Content-Disposition")
        assert "expired" in forged.content.decode()
        # a token signed for someone else, or a weak passphrase signed by us, is refused too
        weak = signing.dumps("password1234", salt=f"engage.own_export:{ada.pk}")
        assert not client.post("/sharing/export/", {"token": weak}).has_header(
            "Content-Disposition"
        )
        with pytest.raises(ValueError):
            own_export.export_own_records(ada.organisation, by=ada, passphrase="password1234")
        assert not AuditEvent.objects.filter(action="export").exists()
        phrases = {own_export.new_passphrase() for _ in range(50)}
        assert len(phrases) == 50 and all(own_export.is_generated(p) for p in phrases)
        symbols = len(own_export.ALPHABET) ** (own_export.GROUPS * own_export.GROUP_SIZE)
        assert math.log2(symbols) >= 128

    def test_a_standard_zip_tool_opens_the_archive_with_aes_256(self, ada, alice, client, tmp_path):
        CaseFactory(organisation=ada.organisation, case_manager=alice, person__given_name="Zed")
        passphrase, content = self._export(self._stepped_up(client, ada))
        archive = zipfile.ZipFile(io.BytesIO(content))
        for info in archive.infolist():
            assert info.flag_bits & 0x1  # encrypted
            assert info.compress_type == 99  # WinZip AES (AE-x), which 7-Zip reads
            extra = info.extra
            at = extra.find(b"\x01\x99")  # the AES extra field: vendor AE, strength 3 = 256
            assert at >= 0 and extra[at + 8 : at + 9] == b"\x03"
        with pytest.raises(RuntimeError):  # the standard library sees it is encrypted
            archive.read("cases/person.csv")
        seven = shutil.which("7z") or shutil.which("7zz") or shutil.which("7za")
        if seven:  # a standard tool, where installed (Debian's 7zip package)
            (tmp_path / "export.zip").write_bytes(content)
            out = subprocess.run(  # noqa: S603 (a fixed program, our own arguments)
                [
                    seven,
                    "x",
                    "-so",
                    f"-p{passphrase}",
                    str(tmp_path / "export.zip"),
                    "cases/person.csv",
                ],
                capture_output=True,
                check=False,
            )
            assert out.returncode == 0, out.stderr
            assert "Zed" in out.stdout.decode("utf-8-sig")

    def test_the_command_opens_it_and_an_archive_of_the_first_format(
        self, ada, client, tmp_path, monkeypatch
    ):
        passphrase, content = self._export(self._stepped_up(client, ada))
        (tmp_path / "new.zip").write_bytes(content)
        monkeypatch.setattr("getpass.getpass", lambda prompt: passphrase)
        call_command("decrypt_export", str(tmp_path / "new.zip"), out=str(tmp_path / "new"))
        assert (tmp_path / "new" / "manifest.json").exists()
        # an archive made before: scrypt and Fernet, still readable
        salt = b"0123456789abcdef"
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        key = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(b"an old passphrase")
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as old:
            old.writestr("manifest.json", "{}")
        token = Fernet(base64.urlsafe_b64encode(key)).encrypt(inner.getvalue())
        legacy = b"ENGAGE-EXPORT-1\n" + base64.b64encode(salt) + b"\n" + token
        assert own_export.decrypt(legacy, "an old passphrase") == {"manifest.json": b"{}"}
        with pytest.raises(own_export.WrongPassphrase):
            own_export.decrypt(legacy, "not it")


def test_the_report_of_possible_duplicates_records_a_read_of_each_case_it_names(
    ada, alice, as_user
):
    # An admin who uploads names and birth dates learns which are clients, by their cases:
    # that is a read of those cases, as the warning of a referral registered by hand is.
    person = PersonFactory(organisation=ada.organisation, given_name="Zainab",
                           family_name="Qaderi", date_of_birth=datetime.date(1991, 2, 3))  # fmt: skip
    case = CaseFactory(organisation=ada.organisation, person=person, case_manager=alice)
    other = CaseFactory(organisation=ada.organisation, case_manager=alice)
    row = ["Zainab", "Qaderi", "03/02/1991", "F", "AF", "01/02/2024", "ngo", "none", "irregular",
           "alice", ""]  # fmt: skip
    client = as_user(ada)
    job = _upload(client, [row])
    assert client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job)).status_code == 302
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert case.reference in page
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, actor_id=ada.pk)
    assert list(reads.filter(object_type="cases.case").values_list("object_id", flat=True)) == [
        case.pk
    ]
    assert not reads.filter(object_id=other.pk).exists()



def test_discarding_a_file_asks_first(ada, as_user):
    """One click deleted the file, its report and the values chosen."""
    client = as_user(ada)
    job = _upload(client, messy_rows()[:1])
    asked = client.post(f"/imports/{job.pk}/discard/")
    assert asked.status_code == 200 and "Discard this file?" in asked.content.decode()
    job.refresh_from_db()
    assert job.status != ImportJob.Status.DISCARDED
    assert client.post(f"/imports/{job.pk}/discard/", {"confirmed": "yes"}).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED


def test_deleting_a_saved_mapping_is_in_the_audit_log(ada, olga, as_user):
    """A saved mapping went without an audit entry: nobody could tell who deleted it."""
    saved = SavedMapping.objects.create(
        organisation=ada.organisation, name="Sofia sheet", mapping={"columns": {}}, created_by=ada
    )
    pk = saved.pk
    assert as_user(olga).post(f"/imports/mappings/{pk}/delete/").status_code == 404
    assert not AuditEvent.objects.filter(object_id=pk).exists()
    response = as_user(ada).post(f"/imports/mappings/{pk}/delete/", follow=True)
    assert "Mapping “Sofia sheet” deleted." in response.content.decode()
    assert not SavedMapping.objects.filter(pk=pk).exists()
    entry = AuditEvent.objects.get(object_id=pk)
    assert (entry.actor_id, entry.action, entry.detail, entry.organisation_id) == (
        ada.pk,
        AuditEvent.Action.UPDATE,
        "import_mapping_deleted",
        ada.organisation_id,
    )
    assert entry.object_type == "imports.savedmapping"


def test_it_names_an_import_with_a_noun_in_each_language(ada, as_user):
    """The page's title took the verb ("Import the rows"): Polish read "Importuj caseload.xlsx",
    Italian "Importa caseload.xlsx", as if the title were a button."""
    client = as_user(ada)
    job = _upload(client, messy_rows())
    client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job))
    for language, title in (("pl", "Import"), ("it", "Importazione"), ("fr", "Importation")):
        client.cookies["django_language"] = language
        page = client.get(f"/imports/{job.pk}/").content.decode()
        assert f'<h1>{title} <span class="meta">caseload.xlsx</span></h1>' in page, language
