from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from engage.accounts.http import AuthenticatedHttpRequest, organisation_of
from engage.accounts.models import Organisation, Role, Team, User
from engage.accounts.permissions import ANY_STAFF, role_required
from engage.cases import approvals, duplicates
from engage.cases.access import record_case_reads
from engage.cases.due import CaseloadRow, caseload, due_choices, due_counts, sort_rows
from engage.cases.models import Case, Stage
from engage.cases.sent_back import sent_back
from engage.cases.services import today
from engage.mel.cycles import feedback
from engage.sharing import screening
from engage.sharing.models import DataRequest, RecipientType
from engage.sharing.network import request_counts

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A role's home page: its template and context, from the user and the query string.
Builder = Callable[[User, QueryDict], tuple[str, dict[str, Any]]]


@role_required(*ANY_STAFF)
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    builders: dict[str, Builder] = {
        Role.CASE_MANAGER: _case_manager,
        Role.SUPERVISOR: _supervisor,
        Role.ORG_ADMIN: _org_admin,
        Role.NETWORK_COORDINATOR: _network_coordinator,
    }
    template, context = builders[user.role](user, request.GET)
    return render(request, template, context)


def _case_manager(user: User, params: QueryDict) -> tuple[str, dict[str, Any]]:
    mine = Case.objects.visible_to(user).filter(case_manager=user)
    rows = caseload(mine, today())
    sort = sort_rows(rows, params.get("sort", ""))
    record_case_reads(user, [row.case for row in rows])
    team = user.team
    colleagues: QuerySet[User] | list[User] = []
    if team is not None:
        colleagues = (
            User.objects.visible_to(user)
            .filter(team=team, is_active=True)
            .exclude(pk=user.pk)
            .order_by("first_name", "last_name")
        )
    return "dashboard/case_manager.html", {
        "team": team,
        "colleagues": colleagues,
        "rows": rows,
        "sort": sort,
        # What supervisors sent back, at the top until acted on (three queries). Only open
        # cases have anything sent back: the caseload's, as loaded.
        "sent_back": sent_back(row.case for row in rows),
        "counts": due_counts(rows),
        "due_labels": dict(due_choices()),
    }


def _supervisor(user: User, params: QueryDict) -> tuple[str, dict[str, Any]]:
    """Each case manager of the supervisor's teams, with caseload and what is due.

    `?manager=<id>` shows one of them, `?sort=` sorts their caseloads as on "My caseload".
    """
    team_members = list(
        User.objects.filter(team__leader=user, is_active=True)
        .select_related("team")
        .order_by("team__name", "first_name", "last_name")
    )
    chosen = next((m for m in team_members if str(m.pk) == params.get("manager")), None)
    # The caseloads (the clients' names) are shown when the supervisor asks for one of them or
    # for an order; otherwise the page is the teams' overview, their counts and what is due,
    # and no client's name is decrypted for it.
    show_caseloads = bool(chosen or params.get("sort"))
    rows = caseload(Case.objects.visible_to(user), today(), names=show_caseloads)
    sort = sort_rows(rows, params.get("sort", ""))
    by_manager: dict[UUID | None, list[CaseloadRow]] = {}
    for row in rows:
        by_manager.setdefault(row.case.case_manager_id, []).append(row)
    organisation = organisation_of(user)
    managers: list[dict[str, Any]] = []
    for member in [chosen] if chosen else team_members:
        member_rows = by_manager.pop(member.pk, [])
        in_programme = sum(1 for row in member_rows if row.case.in_programme)
        managers.append(
            {
                "user": member,
                "rows": member_rows,
                "in_programme": in_programme,
                "over_target": in_programme > organisation.caseload_target_max,
                "counts": due_counts(member_rows),
            }
        )
    if show_caseloads:
        record_case_reads(user, [row.case for manager in managers for row in manager["rows"]])
    context = {
        "managers": managers,
        "team_members": team_members,
        "chosen": chosen,
        "sort": sort,
        "show_caseloads": show_caseloads,
        "target": (organisation.caseload_target_min, organisation.caseload_target_max),
        # The cases the approval queue holds (what they proposed themselves, or a case of
        # another team seen through a client's household, waits for someone else): the button
        # says the number the queue shows.
        "approvals": len({waiting.case.pk for waiting in approvals.queue(user)}),
        "due_labels": dict(due_choices()),
        "recipients_waiting": len(screening.waiting(user.organisation_id)),
        "duplicates_waiting": duplicates.waiting_count(user),
        "questionnaires": feedback.waiting_for(user),
    }
    return "dashboard/supervisor.html", context


def _org_admin(user: User, _params: QueryDict) -> tuple[str, dict[str, Any]]:
    staff = User.objects.visible_to(user)
    by_role = dict(
        staff.filter(is_active=True).values_list("role").annotate(n=Count("pk")).order_by()
    )
    roles = [
        (role.label, by_role.get(role.value, 0))
        for role in Role
        if role != Role.NETWORK_COORDINATOR
    ]
    context = {
        "roles": roles,
        "inactive_count": staff.filter(is_active=False).count(),
        "teams": Team.objects.visible_to(user).with_member_counts(),
        "cities": organisation_of(user).cities.all(),
        "unassigned": staff.filter(is_active=True, role=Role.CASE_MANAGER, team__isnull=True),
        "stages": _stage_counts(user),
        "recipients_waiting": len(screening.waiting(user.organisation_id)),
        "questionnaires": feedback.waiting_for(user),
    }
    return "dashboard/org_admin.html", context


def _stage_counts(user: User) -> list[tuple["StrOrPromise", int]]:
    counts = dict(
        Case.objects.visible_to(user).values_list("stage").annotate(n=Count("pk")).order_by()
    )
    return [(stage.label, counts.get(stage.value, 0)) for stage in Stage]


def _network_coordinator(user: User, _params: QueryDict) -> tuple[str, dict[str, Any]]:
    # Counts only: the network sees no person of any organisation.
    pilots = (
        Organisation.objects.annotate(
            staff_count=Count("members", filter=Q(members__is_active=True), distinct=True),
            team_count=Count("teams", distinct=True),
        )
        .prefetch_related("cities")
        .order_by("code")
    )
    countries = {pilot.country.code for pilot in pilots}
    return "dashboard/network.html", {
        "pilots": pilots,
        "country_count": len(countries),
        "data_requests": _request_counts(),
    }


def _request_counts() -> list[dict[str, Any]]:
    """External data requests across the network, as counts by requester type and decision."""
    decisions = list(DataRequest.Decision)
    table: dict[str, dict[str, int]] = {}
    for row in request_counts():
        table.setdefault(row["requester_type"], {})[row["decision"]] = row["n"]
    labels = dict(RecipientType.choices)
    return [
        {
            "type": labels.get(kind, kind),
            "counts": [counts.get(decision.value, 0) for decision in decisions],
        }
        for kind, counts in sorted(table.items())
    ]
