"""Fictional liaison with the authorities, letter templates and reporting obligations.

Written through `liaison.services` and `sharing.services`, like real ones: a liaison that
discloses data has the client's consent for that authority and purpose recorded first;
liaison with the border police (immigration enforcement) never discloses anything. Reporting
days are recorded for most expected days, with a missed day followed up on some cases and the
last day left unrecorded on others, so the caseload shows the missed reporting flag.
"""

import datetime

from django.utils import timezone

from engage.accounts.models import Organisation, User
from engage.cases.models import Case, Stage
from engage.liaison import schedule
from engage.liaison import services as liaison
from engage.liaison.models import LetterTemplate, ReportingObligation
from engage.sharing import services as sharing
from engage.sharing.models import Recipient, RecipientType

# One line per paragraph: the PDF keeps the case manager's line breaks as they are.
RELEASE_EN = "\n\n".join(
    [
        "To the migration office,",
        "Re: {{ client_name }}, our reference {{ case_reference }}",
        "{{ client_name }} takes part in our community-based case management programme. They "
        "meet their case manager every week, keep their appointments and comply with their "
        "reporting obligations. We ask that they be released and supported in the community "
        "while their case is decided: case management lets them engage with the procedure at "
        "a fraction of the cost of detention.",
        "We remain at your disposal for any question.",
        "{{ today }}\n{{ case_manager }}, case manager, {{ organisation }}",
    ]
)
REPORT_EN = "\n\n".join(
    [
        "Report on engagement: {{ client_name }} ({{ case_reference }})",
        "Since joining the programme, {{ client_name }} has kept in regular contact with their "
        "case manager and attended the appointments asked of them.",
        "[Describe the engagement and the steps taken, in a few lines.]",
        "{{ today }}\n{{ case_manager }}, {{ organisation }}",
    ]
)
RELEASE_FR = "\n\n".join(
    [
        "À l'attention de l'Office des étrangers,",
        "Objet : {{ client_name }}, notre référence {{ case_reference }}",
        "{{ client_name }} participe à notre programme d'accompagnement dans la communauté. "
        "Cette personne rencontre chaque semaine son accompagnateur, se présente à ses "
        "rendez-vous et respecte ses obligations de présentation. Nous demandons qu'elle soit "
        "libérée et accompagnée dans la communauté pendant l'examen de son dossier.",
        "Nous restons à votre disposition pour toute question.",
        "Le {{ today }}\n{{ case_manager }}, {{ organisation }}",
    ]
)
REPORT_FR = "\n\n".join(
    [
        "Rapport de suivi : {{ client_name }} ({{ case_reference }})",
        "Depuis son entrée dans le programme, {{ client_name }} garde un contact régulier avec "
        "son accompagnateur et se présente aux rendez-vous demandés.",
        "[Décrivez l'engagement et les démarches en quelques lignes.]",
        "Le {{ today }}\n{{ case_manager }}, {{ organisation }}",
    ]
)

TEMPLATES = {
    "en": (("Release request", "letter", RELEASE_EN), ("Engagement report", "report", REPORT_EN)),
    "fr": (
        ("Demande de libération", "letter", RELEASE_FR),
        ("Rapport de suivi", "report", REPORT_FR),
    ),
}
# The pilots whose letters are also written in French (the only other language of Engage yet).
FRENCH = {"BE-JRS"}


def seed_templates(organisation: Organisation, *, by: User) -> int:
    if LetterTemplate.objects.filter(organisation=organisation).exists():
        return 0
    languages = ["en", "fr"] if organisation.code in FRENCH else ["en"]
    made = 0
    for language in languages:
        for name, kind, body in TEMPLATES[language]:
            liaison.save_template(
                organisation,
                by=by,
                data={"name": name, "kind": kind, "language": language, "body": body},
            )
            made += 1
    return made


def _authority(organisation: Organisation, kind: str) -> Recipient | None:
    return Recipient.objects.filter(organisation=organisation, type=kind, active=True).first()


def seed_liaison(
    organisation: Organisation, *, city: str, count: int = 6, today: datetime.date | None = None
) -> int:
    """Give a few active demo cases a reporting obligation and liaison. Return how many."""
    if ReportingObligation.objects.filter(case__organisation=organisation).exists():
        return 0
    today = today or timezone.localdate()
    office = _authority(organisation, RecipientType.AUTHORITY)
    police = _authority(organisation, RecipientType.ENFORCEMENT)
    if office is None or police is None:
        return 0
    cases = list(
        Case.objects.filter(organisation=organisation, stage=Stage.ACTIVE)
        .select_related("person", "case_manager")
        .order_by("-reference")[:count]
    )
    for n, case in enumerate(cases):
        by = case.case_manager
        start = max(case.referral_date, today - datetime.timedelta(days=45 + n))
        obligation = liaison.save_obligation(
            case,
            by=by,
            data={
                "authority": police,
                "place": f"{city} central police station",
                "frequency": "weekly" if n % 2 == 0 else "fortnightly",
                "start_date": start,
                "note": "Fictional reporting obligation of the demo.",
            },
        )
        days = schedule.expected_days(start, obligation.frequency, None, None, today)
        if n % 3 == 0 and days and days[-1] < today:
            days = days[:-1]  # the last reporting day passed with no record: flagged
        for i, day in enumerate(days):
            missed = i == 1
            event = liaison.record_reporting(
                obligation,
                by=by,
                date=day,
                status="missed" if missed else "reported",
                note="The station was closed when the client arrived." if missed else "",
            )
            if missed and n % 2 == 0:
                liaison.follow_up_missed(
                    event, by=by, on=day, note="Called the station; the day was rescheduled."
                )
        _liaise(case, by, office, police, n, today)
    return len(cases)


def _liaise(
    case: Case, by: User, office: Recipient, police: Recipient, n: int, today: datetime.date
) -> None:
    day = max(case.referral_date, today - datetime.timedelta(days=20 + n))
    liaison.record_liaison(
        case,
        by=by,
        kind="reporting",
        date=day,
        authority=police,
        categories=[],  # nothing identifying ever goes to enforcement
        summary="Asked how reporting works when the station is closed. Fictional.",
        outcome="information",
    )
    sharing.record_consent(
        case,
        by=by,
        data={
            "person": case.person,
            "recipient": office,
            "purpose": "representation",
            "categories": ["identity", "migration"],
            "given_on": day,
            "expires_on": today + datetime.timedelta(days=180),
            "language": "English",
            "through_interpreter": n % 2 == 1,
        },
    )
    pending = n % 2 == 1
    liaison.record_liaison(
        case,
        by=by,
        kind="release" if n % 3 else "report",
        date=day,
        authority=office,
        categories=["identity", "migration"],
        officer="Front desk, migration office",
        summary="Presented the client's engagement in the programme. Fictional.",
        outcome="pending" if pending else "favourable",
        outcome_note="" if pending else "The officer agreed to note the engagement. Fictional.",
        follow_up_on=day + datetime.timedelta(days=10) if pending else None,
    )
