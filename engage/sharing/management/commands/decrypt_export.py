import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engage.sharing.own_export import WrongPassphrase, decrypt


class Command(BaseCommand):
    help = (
        "Open an organisation's encrypted export (the AES zip, or an archive of the first "
        "format): asks for the passphrase, writes the files. 7-Zip opens the zip too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, required=True, help="Folder to write into.")

    def handle(self, *args: Any, file: Path, out: Path, **options: Any) -> None:
        passphrase = getpass.getpass("Passphrase: ")
        try:
            files = decrypt(Path(file).read_bytes(), passphrase)
        except (OSError, WrongPassphrase) as error:
            raise CommandError(str(error)) from None
        out = Path(out)  # call_command passes options as given
        root = out.resolve()
        for name, content in files.items():
            target = (root / name).resolve()
            if not target.is_relative_to(root):  # a crafted name such as ../../x
                raise CommandError(f"Refusing to write {name!r} outside {out}.")
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            target.write_bytes(content)
            target.chmod(0o600)
        self.stdout.write(f"{len(files)} file(s) written to {out}.")
