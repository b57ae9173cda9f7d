from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from engage.accounts import services as accounts
from engage.accounts.models import LegalBasis, Organisation, Role, Team, User
from engage.custom.models import CustomField
from engage.demo.appointments import seed_appointments
from engage.demo.cases import seed_cases
from engage.demo.duplicates import seed_duplicates
from engage.demo.evaluation import seed_evaluation
from engage.demo.fields import retire_fields, seed_fields
from engage.demo.liaison import seed_liaison, seed_templates
from engage.demo.network import seed_network_records, seed_pilot_network
from engage.demo.pilots import PILOTS, DemoPilot
from engage.demo.services import seed_referrals, seed_services
from engage.lib.scoping import scopes_disabled
from engage.sharing.models import Recipient, RecipientType

NETWORK_USERNAME = "network"


class Command(BaseCommand):
    help = (
        "Create the network's seven demo pilots with their staff and fictional cases "
        "(idempotent: a pilot that already has cases gets no more)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. Never on an instance with real data.",
        )
        parser.add_argument(
            "--cases-per-pilot",
            type=int,
            default=None,
            metavar="N",
            help="Fictional cases per pilot (default: between 60 and 150, different per pilot).",
        )
        parser.add_argument(
            "--no-cases", action="store_true", help="Create the pilots and staff only."
        )

    # A job of the whole instance, across organisations: see engage.lib.scoping.
    @scopes_disabled()
    def handle(
        self,
        *args: Any,
        force: bool,
        cases_per_pilot: int | None,
        no_cases: bool,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production. Demo accounts with a known password "
                "must not exist there. Use --force only on a throwaway instance."
            )
        if cases_per_pilot is not None and cases_per_pilot < 0:
            raise CommandError("--cases-per-pilot must be 0 or more.")
        password = settings.ENGAGE_DEMO_PASSWORD
        with transaction.atomic():
            logins = [self._pilot(pilot, password) for pilot in PILOTS]
            for pilot in PILOTS:
                # The pilot's own fields first: the cases are written with their answers.
                defined = self._fields(pilot)
                if not no_cases:
                    count = pilot.case_count if cases_per_pilot is None else cases_per_pilot
                    self._cases(pilot, count)
                retire_fields(defined, by=User.objects.get(username=f"{pilot.code.lower()}-admin"))
            for pilot in PILOTS:
                self._services(pilot, with_referrals=not no_cases)
            coordinator = _user(
                NETWORK_USERNAME,
                password,
                role=Role.NETWORK_COORDINATOR,
                organisation=None,
                first_name="Nadia",
                last_name="Demo",
            )
            self._network(coordinator)
        self._print_logins(logins, password)

    def _pilot(self, pilot: DemoPilot, password: str) -> tuple[str, list[str]]:
        organisation = Organisation.objects.filter(code=pilot.code).first()
        if organisation is None:
            organisation = accounts.create_organisation(
                code=pilot.code, name=pilot.name, country=pilot.country, cities=pilot.cities
            )
        if not organisation.default_legal_basis:
            # The basis the referral form proposes (issue 11 #6); each referral can differ.
            organisation.default_legal_basis = LegalBasis.CONSENT
            organisation.save(update_fields=["default_legal_basis"])
        prefix = pilot.code.lower()
        supervisor = _user(
            f"{prefix}-sup",
            password,
            role=Role.SUPERVISOR,
            organisation=organisation,
            first_name=pilot.supervisor,
        )
        team, _ = Team.objects.get_or_create(
            organisation=organisation, name=pilot.cities[0], defaults={"leader": supervisor}
        )
        if supervisor.team_id != team.pk:
            User.objects.filter(pk=supervisor.pk).update(team=team)
        usernames = [f"{prefix}-cm{n}" for n in range(1, len(pilot.case_managers) + 1)]
        for username, first_name in zip(usernames, pilot.case_managers, strict=True):
            _user(
                username,
                password,
                role=Role.CASE_MANAGER,
                organisation=organisation,
                first_name=first_name,
                team=team,
            )
        _user(
            f"{prefix}-admin",
            password,
            role=Role.ORG_ADMIN,
            organisation=organisation,
            first_name=pilot.admin,
        )
        _recipients(organisation, pilot.cities[0])
        return pilot.code, [*usernames, f"{prefix}-sup", f"{prefix}-admin"]

    def _cases(self, pilot: DemoPilot, count: int) -> None:
        organisation = Organisation.objects.get(code=pilot.code)
        staff = User.objects.filter(organisation=organisation, is_active=True)
        created = seed_cases(
            organisation,
            case_managers=list(staff.filter(role=Role.CASE_MANAGER).order_by("username")),
            supervisor=staff.get(username=f"{pilot.code.lower()}-sup"),
            count=count,
        )
        if created:
            self.stdout.write(f"  {pilot.code}: {created} fictional cases")

    def _fields(self, pilot: DemoPilot) -> list[CustomField]:
        organisation = Organisation.objects.get(code=pilot.code)
        admin = User.objects.get(username=f"{pilot.code.lower()}-admin")
        defined = seed_fields(organisation, by=admin)
        if defined:
            self.stdout.write(f"  {pilot.code}: {len(defined)} fields of its own")
        return defined

    def _services(self, pilot: DemoPilot, *, with_referrals: bool) -> None:
        organisation = Organisation.objects.get(code=pilot.code)
        supervisor = User.objects.get(username=f"{pilot.code.lower()}-sup")
        services = seed_services(organisation, city=pilot.cities[0], by=supervisor)
        if with_referrals and (made := seed_referrals(organisation, services)):
            self.stdout.write(f"  {pilot.code}: {len(services)} services, {made} referrals")
        admin = User.objects.get(username=f"{pilot.code.lower()}-admin")
        seed_templates(organisation, by=admin)
        if with_referrals and (made := seed_liaison(organisation, city=pilot.cities[0])):
            self.stdout.write(f"  {pilot.code}: reporting and liaison on {made} cases")
        if with_referrals and (made := seed_appointments(organisation, city=pilot.cities[0])):
            self.stdout.write(f"  {pilot.code}: {made} appointments in the coming days")
        if with_referrals and seed_duplicates(organisation, index=PILOTS.index(pilot)):
            self.stdout.write(f"  {pilot.code}: a likely duplicate for the supervisor")

    def _network(self, coordinator: User) -> None:
        seed_network_records(coordinator)
        seed_evaluation(coordinator)
        for pilot in PILOTS:
            prefix = pilot.code.lower()
            stakeholders = seed_pilot_network(
                Organisation.objects.get(code=pilot.code),
                city=pilot.cities[0],
                supervisor=User.objects.get(username=f"{prefix}-sup"),
                admin=User.objects.get(username=f"{prefix}-admin"),
            )
            self.stdout.write(f"  {pilot.code}: {stakeholders} stakeholders, network activities")

    def _print_logins(self, logins: list[tuple[str, list[str]]], password: str) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with any of these:"))
        for code, usernames in logins:
            self.stdout.write(f"  {code:<9} {'  '.join(usernames)}")
        self.stdout.write(f"  {'network':<9} {NETWORK_USERNAME}   (network coordinator)")
        self.stdout.write(f"Password for every demo login: {password}")


DEMO_RECIPIENTS = (
    ("{city} legal aid clinic", RecipientType.LEGAL_AID),
    ("{city} community health centre", RecipientType.HEALTH),
    ("{city} night shelter", RecipientType.HOUSING),
    ("Asylum office", RecipientType.AUTHORITY),
    ("Border police", RecipientType.ENFORCEMENT),
)


def _recipients(organisation: Organisation, city: str) -> None:
    for name, kind in DEMO_RECIPIENTS:
        Recipient.objects.get_or_create(
            organisation=organisation, name=name.format(city=city), defaults={"type": kind}
        )


def _user(
    username: str,
    password: str,
    *,
    role: str,
    organisation: Organisation | None,
    first_name: str,
    last_name: str = "Demo",
    team: Team | None = None,
) -> User:
    """Create the demo user, or put an existing one back as the demo describes it."""
    user = User.objects.filter(username=username).first()
    if user is None:
        return accounts.create_user(
            organisation=organisation,
            username=username,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            team=team,
            must_change_password=False,
        )
    user.organisation, user.role, user.team, user.is_active = organisation, role, team, True
    user.first_name, user.last_name, user.must_change_password = first_name, last_name, False
    user.set_password(password)
    user.save()
    return user
