import getpass
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from engage.accounts import services
from engage.accounts.models import Role


class Command(BaseCommand):
    help = (
        "Register a pilot organisation and its first organisation admin, who then manages the "
        "organisation's users in the browser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="Pilot code, e.g. BG-CLA")
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2, e.g. BG")
        parser.add_argument(
            "--city",
            action="append",
            default=[],
            dest="cities",
            help="A city the pilot works in (repeat for several)",
        )
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-email", default="")

    def handle(
        self,
        *args: Any,
        code: str,
        name: str,
        country: str,
        cities: list[str],
        admin_username: str,
        admin_email: str,
        **options: Any,
    ) -> None:
        password = getpass.getpass("Initial password for the admin (they change it at sign-in): ")
        try:
            password_validation.validate_password(password)
            with transaction.atomic():
                organisation = services.create_organisation(
                    code=code, name=name, country=country.upper(), cities=cities
                )
                services.create_user(
                    organisation=organisation,
                    username=admin_username,
                    password=password,
                    role=Role.ORG_ADMIN,
                    email=admin_email,
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Created {organisation} with admin {admin_username}.")
        )
