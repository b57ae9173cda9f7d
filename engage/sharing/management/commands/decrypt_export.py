import getpass
import io
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engage.sharing.own_export import WrongPassphrase, decrypt


class Command(BaseCommand):
    help = "Open an organisation's encrypted export: asks for the passphrase, writes the files."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, required=True, help="Folder to write into.")

    def handle(self, *args, file: Path, out: Path, **options):
        passphrase = getpass.getpass("Passphrase: ")
        try:
            data = decrypt(file.read_bytes(), passphrase)
        except (OSError, WrongPassphrase) as error:
            raise CommandError(str(error)) from None
        out.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            zipped.extractall(out)
            self.stdout.write(f"{len(zipped.namelist())} file(s) written to {out}.")
