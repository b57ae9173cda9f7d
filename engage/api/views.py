"""The API's endpoints. Views are glue, as on the web: load what the caller may see (the loaders
of `cases.access`, which 404 outside their scope), validate, call one service, answer."""

from collections.abc import Callable
from uuid import UUID

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from engage.accounts.models import City, Role, Team, User
from engage.accounts.permissions import ANY_STAFF, ORGANISATION_STAFF
from engage.api import custom
from engage.api import serializers as s
from engage.api.access import get_client_for_user
from engage.api.base import EngageAPIView, PageNumberPagination, etag, expected_version
from engage.api.errors import PossibleDuplicate
from engage.cases import duplicates, services, workflow
from engage.cases.access import (
    CASE_READERS,
    CASE_WORKERS,
    get_case_for_user,
    get_case_object,
    record_case_reads,
)
from engage.cases.due import due_items, with_due_facts
from engage.cases.models import Action, Assessment, Case, CasePlan, Closure, Contact, Goal
from engage.cases.models.case import OPEN_STAGES
from engage.cases.search import people_matching
from engage.directory import services as directory
from engage.directory.models import Referral, Service

REASSIGNERS = (Role.SUPERVISOR, Role.ORG_ADMIN)


def _paginate(view: EngageAPIView, items, serializer_class, **context) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(items, view.request, view=view)
    data = serializer_class(page, many=True, context={"request": view.request, **context}).data
    return paginator.get_paginated_response(data)


def _versioned(data, version: int, *, status_code: int = status.HTTP_200_OK, **headers) -> Response:
    return Response(data, status=status_code, headers={"ETag": etag(version), **headers})


def _valid(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class NotFoundView(EngageAPIView):
    """An address the API does not have: 404 in JSON, whatever the method."""

    engage_roles = ANY_STAFF
    schema = None  # not an operation of the API

    def handle(self, request, *args, **kwargs):
        raise NotFound

    get = post = put = patch = delete = handle


# Organisation data, read only


class MeView(EngageAPIView):
    """The caller: who the token acts as."""

    engage_roles = ANY_STAFF
    api_schema = {"GET": (None, s.MeSerializer)}

    def get(self, request):
        return Response(s.MeSerializer(request.user).data)


class OrganisationView(EngageAPIView):
    engage_roles = ORGANISATION_STAFF
    api_schema = {"GET": (None, s.OrganisationSerializer)}

    def get(self, request):
        organisation = request.user.organisation
        return _versioned(s.OrganisationSerializer(organisation).data, organisation.version)


class CityListView(EngageAPIView):
    engage_roles = ORGANISATION_STAFF
    api_schema = {"GET": (None, s.CitySerializer(many=True))}

    def get(self, request):
        cities = City.objects.filter(organisation_id=request.user.organisation_id)
        return _paginate(self, cities.order_by("name"), s.CitySerializer)


class TeamListView(EngageAPIView):
    engage_roles = ORGANISATION_STAFF
    api_schema = {"GET": (None, s.TeamSerializer(many=True))}

    def get(self, request):
        teams = Team.objects.visible_to(request.user).order_by("name")
        return _paginate(self, teams, s.TeamSerializer)


class UserListView(EngageAPIView):
    engage_roles = ORGANISATION_STAFF
    api_schema = {"GET": (None, s.UserSerializer(many=True))}

    def get(self, request):
        users = User.objects.visible_to(request.user).order_by("username")
        return _paginate(self, users, s.UserSerializer)


# Cases


class CaseListView(EngageAPIView):
    """The cases the caller may see (as the web's case list), and new referrals."""

    engage_roles = CASE_READERS
    api_schema = {
        "GET": (None, s.CaseListSerializer(many=True)),
        "POST": (s.CaseCreateSerializer, s.CaseSerializer),
    }
    api_errors = {"POST": {409: s.PossibleDuplicateSerializer}}
    query_serializer = s.CaseQuerySerializer

    def get(self, request):
        query = s.CaseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        cases = Case.objects.visible_to(request.user)
        if q := params.get("q", "").strip():
            # The blind index: names, phones and document numbers are never compared in clear.
            people = people_matching(
                request.user.organisation_id, q, among=cases.values("person_id")
            )
            cases = cases.filter(Q(reference__icontains=q) | people)
        stage = params.get("stage", "")
        if stage == "all":
            pass
        elif stage:
            cases = cases.filter(stage=stage)
        else:
            cases = cases.filter(stage__in=OPEN_STAGES)
        ordering = params.get("ordering", "-referral_date")
        today = services.today()
        cases = with_due_facts(cases.select_related("person", "city"), today).order_by(
            ordering, "reference", "pk"
        )
        due = {}
        if kind := params.get("due"):
            rows = [(case, due_items(case, today)) for case in cases]
            rows = [(case, items) for case, items in rows if any(i.kind == kind for i in items)]
            cases = [case for case, _items in rows]
            due = {case.pk: items for case, items in rows}
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        due = due or {case.pk: due_items(case, today) for case in page}
        record_case_reads(request.user, page)
        data = s.CaseListSerializer(page, many=True, context={"request": request, "due": due}).data
        return paginator.get_paginated_response(data)

    def post(self, request):
        if request.user.role not in CASE_WORKERS:
            message = _("Only case managers and supervisors register referrals.")
            raise ValidationError({"non_field_errors": [message]})
        organisation = request.user.organisation
        data = dict(
            _valid(
                s.CaseCreateSerializer,
                request,
                organisation=organisation,
                context={"request": request},
            )
        )
        different_person = data.pop("different_person", "")
        answers = custom.clean(
            data.pop("custom", None), user=request.user, form="referral", case=None
        )
        try:
            with transaction.atomic():
                case = services.register_referral(
                    organisation=organisation,
                    by=request.user,
                    case_manager=data.pop("case_manager"),
                    city=data.pop("city"),
                    person=data.pop("client"),
                    referral=data,
                    different_person=different_person,
                )
                custom.save(case, "referral", case, answers, by=request.user)
        except duplicates.PossibleDuplicateFound as found:
            warning = duplicates.warning_for(request.user, found.matches, request=request)
            record_case_reads(request.user, warning.own_cases)
            raise PossibleDuplicate(
                warning.message,
                confirmation=found.confirmation,
                cases=[str(case.pk) for case in warning.own_cases],
            ) from None
        case = get_case_for_user(request.user, case.pk)
        body = s.CaseSerializer(case, context={"request": request}).data
        location = reverse("api:case", args=[case.pk])
        return _versioned(body, case.version, status_code=201, Location=location)


class CaseView(EngageAPIView):
    """One case: read (audited), and its outcome or case manager changed (If-Match)."""

    engage_roles = CASE_READERS
    api_schema = {
        "GET": (None, s.CaseSerializer),
        "PATCH": (s.CaseUpdateSerializer, s.CaseSerializer),
    }
    versioned = ("PATCH",)

    def get(self, request, pk: UUID):
        case = get_case_for_user(request.user, pk)
        return _versioned(s.CaseSerializer(case, context={"request": request}).data, case.version)

    def patch(self, request, pk: UUID):
        user = request.user
        case = get_case_for_user(user, pk)
        version = expected_version(request, case.version)
        data = _valid(s.CaseUpdateSerializer, request, organisation=user.organisation)
        if not data:
            raise ValidationError({"non_field_errors": [_("Send at least one field to change.")]})
        answers = None
        if "custom" in data:
            if user.role not in CASE_WORKERS:
                message = _("Only the people working on the case record its answers.")
                raise ValidationError({"custom": [message]})
            answers = custom.clean(
                data.pop("custom"), user=user, form="referral", case=case, record_id=case.pk
            )
        outcome_fields = {"outcome", "outcome_permanence", "outcome_date"} & set(data)
        if outcome_fields and user.role not in CASE_WORKERS:
            message = _("Only the people working on the case record its outcome.")
            raise ValidationError({name: [message] for name in outcome_fields})
        if "case_manager" in data and user.role not in REASSIGNERS:
            message = _("Only a supervisor or the organisation admin reassigns a case.")
            raise ValidationError({"case_manager": [message]})
        with transaction.atomic():
            if outcome_fields:
                services.record_outcome(
                    case,
                    by=user,
                    outcome=data.get("outcome", case.outcome),
                    permanence=data.get("outcome_permanence", case.outcome_permanence),
                    date=data.get("outcome_date", case.outcome_date),
                    expected_version=version,
                )
                version = case.version
            if "case_manager" in data:
                services.reassign(
                    case, by=user, case_manager=data["case_manager"], expected_version=version
                )
            if answers:
                if not outcome_fields and "case_manager" not in data:  # checked just above
                    services.referral_answers_changed(case, expected_version=version)
                custom.save(case, "referral", case, answers, by=user)
        # Not loaded again: once reassigned, the case may have left the caller's caseload.
        return _versioned(s.CaseSerializer(case, context={"request": request}).data, case.version)


# Clients


class ClientView(EngageAPIView):
    """A client's identity, for the people working on their case; corrections need If-Match."""

    engage_roles = CASE_WORKERS
    api_schema = {
        "GET": (None, s.ClientSerializer),
        "PATCH": (s.ClientWriteSerializer, s.ClientSerializer),
    }
    versioned = ("PATCH",)

    def get(self, request, pk: UUID):
        person, _case = get_client_for_user(request.user, pk)
        return _versioned(s.ClientSerializer(person).data, person.version)

    def patch(self, request, pk: UUID):
        person, case = get_client_for_user(request.user, pk)
        version = expected_version(request, person.version)
        workflow.require_step(case, "edit_identity")
        data = _valid(s.ClientWriteSerializer, request, partial=True)
        if not data:
            raise ValidationError({"non_field_errors": [_("Send at least one field to change.")]})
        services.update_identity(case, by=request.user, data=data, expected_version=version)
        person.refresh_from_db()
        return _versioned(s.ClientSerializer(person).data, person.version)


# The records of a case's work: one door per kind, each for the people working on the case.


class _CaseRecordsView(EngageAPIView):
    """List a case's records of one kind (one audited read of the case), or add one."""

    engage_roles = CASE_WORKERS
    read_serializer: type[drf_serializers.Serializer]
    write_serializer: type[drf_serializers.Serializer]
    custom_form = ""  # the process form whose own fields the records carry (engage.custom)
    # A service's refusal whose audit entry must outlive the request's transaction (R09).
    kept_refusals: tuple[type[Exception], ...] = ()

    def records(self, case: Case):
        raise NotImplementedError

    def create(self, case: Case, data):
        raise NotImplementedError

    def get(self, request, pk: UUID):
        case = get_case_for_user(request.user, pk, for_work=True)
        record_case_reads(request.user, [case])
        return _paginate(self, self.records(case), self.read_serializer)

    def post(self, request, pk: UUID):
        case = get_case_for_user(request.user, pk, for_work=True)
        data = dict(_valid(self.write_serializer, request))
        answers = {}
        if self.custom_form:
            raw = data.pop("custom", None)
            answers = custom.clean(raw, user=request.user, form=self.custom_form, case=case)
        refused: Exception | None = None
        with transaction.atomic():
            try:
                created = self.create(case, data)
            except self.kept_refusals as refusal:
                # Raised once the transaction is committed: the refusal's audit entry stays,
                # and the service wrote nothing else.
                refused = refusal
            else:
                if answers:
                    custom.save(case, self.custom_form, created, answers, by=request.user)
        if refused is not None:
            raise refused
        body = self.read_serializer(created, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class _CaseRecordView(EngageAPIView):
    """One record of a case's work (one audited read of its case)."""

    engage_roles = CASE_WORKERS
    model: type[Model]
    case_path = "case"
    read_serializer: type[drf_serializers.Serializer]

    def load(self, request, pk: UUID):
        obj = get_case_object(request.user, self.model, pk, case_path=self.case_path)
        case = get_case_for_user(request.user, _case_id(obj, self.case_path), for_work=True)
        return obj, case

    def get(self, request, pk: UUID):
        obj, case = self.load(request, pk)
        record_case_reads(request.user, [case])
        return Response(self.read_serializer(obj, context={"request": request}).data)


def _case_id(obj, case_path: str):
    for name in case_path.split("__")[:-1]:
        obj = getattr(obj, name)
    return obj.case_id


class CaseContactsView(_CaseRecordsView):
    read_serializer, write_serializer = s.ContactSerializer, s.ContactWriteSerializer
    custom_form = "contact"
    api_schema = {
        "GET": (None, s.ContactSerializer(many=True)),
        "POST": (s.ContactWriteSerializer, s.ContactSerializer),
    }

    def records(self, case):
        return case.contacts.order_by("-date", "-created_at", "pk")

    def create(self, case, data):
        return services.log_contact(case, by=self.request.user, data=data)


class ContactView(_CaseRecordView):
    model, read_serializer = Contact, s.ContactSerializer
    api_schema = {"GET": (None, s.ContactSerializer)}


class CaseAssessmentsView(_CaseRecordsView):
    read_serializer, write_serializer = s.AssessmentSerializer, s.AssessmentWriteSerializer
    custom_form = "assessment"
    api_schema = {
        "GET": (None, s.AssessmentSerializer(many=True)),
        "POST": (s.AssessmentWriteSerializer, s.AssessmentSerializer),
    }

    def records(self, case):
        return case.assessments.order_by("-date", "-created_at", "pk")

    def create(self, case, data):
        return services.record_assessment(case, by=self.request.user, data=data)


class AssessmentView(_CaseRecordView):
    model, read_serializer = Assessment, s.AssessmentSerializer
    api_schema = {"GET": (None, s.AssessmentSerializer)}


class CaseClosuresView(_CaseRecordsView):
    read_serializer, write_serializer = s.ClosureSerializer, s.ClosureWriteSerializer
    custom_form = "closure"
    api_schema = {
        "GET": (None, s.ClosureSerializer(many=True)),
        "POST": (s.ClosureWriteSerializer, s.ClosureSerializer),
    }

    def records(self, case):
        return case.closures.order_by("-created_at", "pk")

    def create(self, case, data):
        return services.request_closure(case, by=self.request.user, data=data)


class ClosureView(_CaseRecordView):
    model, read_serializer = Closure, s.ClosureSerializer
    api_schema = {"GET": (None, s.ClosureSerializer)}


# Referrals to services (engage.directory): made through the consent gate, as on the web


class CaseReferralsView(_CaseRecordsView):
    read_serializer, write_serializer = s.ReferralSerializer, s.ReferralWriteSerializer
    api_schema = {
        "GET": (None, s.ReferralSerializer(many=True)),
        "POST": (s.ReferralWriteSerializer, s.ReferralSerializer),
    }
    kept_refusals = (directory.ReferralRefused,)

    def records(self, case):
        return case.referrals.select_related("service").order_by("-made_on", "pk")

    def create(self, case, data):
        service = Service.objects.filter(
            organisation_id=case.organisation_id, pk=data["service"]
        ).first()
        if service is None:
            raise ValidationError(
                {"service": [_("Choose a service of your organisation's directory.")]}
            )
        return directory.make_referral(
            case,
            by=self.request.user,
            service=service,
            made_on=data["made_on"],
            reason=data.get("reason", ""),
            categories=data.get("categories", []),
            request=self.request._request,
        )


class ReferralView(_CaseRecordView):
    """One referral: read (audited as a read of its case), and its status moved on (If-Match)."""

    model, read_serializer = Referral, s.ReferralSerializer
    api_schema = {
        "GET": (None, s.ReferralSerializer),
        "PATCH": (s.ReferralUpdateSerializer, s.ReferralSerializer),
    }
    versioned = ("PATCH",)

    def get(self, request, pk: UUID):
        referral, case = self.load(request, pk)
        record_case_reads(request.user, [case])
        return _versioned(s.ReferralSerializer(referral).data, referral.version)

    def patch(self, request, pk: UUID):
        referral, _case = self.load(request, pk)
        version = expected_version(request, referral.version)
        data = _valid(s.ReferralUpdateSerializer, request)
        referral = directory.update_referral(
            referral,
            by=request.user,
            status=data["status"],
            date=data["date"],
            outcome_note=data.get("outcome_note", ""),
            expected_version=version,
            request=request._request,
        )
        return _versioned(s.ReferralSerializer(referral).data, referral.version)


# Case plans, their goals and actions


def _plans(user: User) -> QuerySet[CasePlan]:
    return CasePlan.objects.visible_to(user).prefetch_related("goals__actions")


class CasePlansView(_CaseRecordsView):
    read_serializer, write_serializer = s.PlanSerializer, s.PlanWriteSerializer
    api_schema = {
        "GET": (None, s.PlanSerializer(many=True)),
        "POST": (s.PlanWriteSerializer, s.PlanSerializer),
    }

    def records(self, case):
        return _plans(self.request.user).filter(case=case).order_by("created_at", "pk")

    def create(self, case, data):
        people = [case.person]
        if case.household_id:
            people = list(case.household.members.all())
        wanted = data.get("person", case.person_id)
        person = next((p for p in people if p.pk == wanted), None)
        if person is None:
            raise ValidationError(
                {"person": [_("A plan is for the client or a member of their household.")]}
            )
        return services.create_plan(case, by=self.request.user, person=person)


class PlanView(_CaseRecordView):
    model, read_serializer = CasePlan, s.PlanSerializer
    api_schema = {"GET": (None, s.PlanSerializer)}


class PlanGoalsView(EngageAPIView):
    engage_roles = CASE_WORKERS
    api_schema = {"POST": (s.GoalWriteSerializer, s.GoalSerializer)}

    def post(self, request, pk: UUID):
        plan = get_case_object(request.user, CasePlan, pk)
        data = dict(_valid(s.GoalWriteSerializer, request))
        case = get_case_for_user(request.user, plan.case_id, for_work=True)
        answers = custom.clean(data.pop("custom", None), user=request.user, form="goal", case=case)
        with transaction.atomic():
            goal = services.add_goal(plan, by=request.user, data=data)
            custom.save(case, "goal", goal, answers, by=request.user)
        body = s.GoalSerializer(goal, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class PlanSubmitView(EngageAPIView):
    """Submit a draft plan: to a supervisor if it is the first, else agreed at once."""

    engage_roles = CASE_WORKERS
    api_schema = {"POST": (None, s.PlanSerializer)}

    def post(self, request, pk: UUID):
        plan = get_case_object(request.user, CasePlan, pk)
        services.submit_plan(plan, by=request.user)
        body = s.PlanSerializer(
            _plans(request.user).get(pk=plan.pk), context={"request": request}
        ).data
        return Response(body)


class _ReviewView(EngageAPIView):
    """A supervisor approves what waits for them, or sends it back with a note (as on the web:
    the same service, which refuses to send back without a note)."""

    # The people working on cases reach the endpoint, so a method it does not take is a 405
    # for them as everywhere; only a supervisor finds anything to review (404 for the others).
    engage_roles = CASE_WORKERS
    model: type[Model]
    review: Callable[..., None]  # the service, as a staticmethod

    def answer(self, item):
        raise NotImplementedError

    def post(self, request, pk: UUID):
        if request.user.role != Role.SUPERVISOR:
            raise NotFound
        item = get_case_object(request.user, self.model, pk)
        data = _valid(s.ReviewSerializer, request)
        self.review(
            item,
            by=request.user,
            approve=data["decision"] == "approve",
            note=data.get("review_note", ""),
        )
        return Response(self.answer(item))


class PlanReviewView(_ReviewView):
    """Approve a first case plan waiting for approval, or send it back with a note."""

    model, review = CasePlan, staticmethod(services.review_plan)
    api_schema = {"POST": (s.ReviewSerializer, s.PlanSerializer)}

    def answer(self, item):
        return s.PlanSerializer(_plans(self.request.user).get(pk=item.pk)).data


class ClosureReviewView(_ReviewView):
    """Approve a closure waiting for approval (the case closes), or send it back with a note."""

    model, review = Closure, staticmethod(services.review_closure)
    api_schema = {"POST": (s.ReviewSerializer, s.ClosureSerializer)}

    def answer(self, item):
        return s.ClosureSerializer(
            Closure.objects.visible_to(self.request.user).get(pk=item.pk)
        ).data


class GoalActionsView(EngageAPIView):
    engage_roles = CASE_WORKERS
    api_schema = {"POST": (s.ActionWriteSerializer, s.ActionSerializer)}

    def post(self, request, pk: UUID):
        goal = get_case_object(request.user, Goal, pk, case_path="plan__case")
        data = _valid(s.ActionWriteSerializer, request)
        action = services.add_action(goal, by=request.user, data=data)
        return Response(s.ActionSerializer(action).data, status=status.HTTP_201_CREATED)


class ActionView(_CaseRecordView):
    """One action: read (audited as a read of its case), and its status set (If-Match), as on
    the plan page, where the row sends the version it showed."""

    model, read_serializer, case_path = Action, s.ActionSerializer, "goal__plan__case"
    api_schema = {
        "GET": (None, s.ActionSerializer),
        "PATCH": (s.ActionStatusSerializer, s.ActionSerializer),
    }
    versioned = ("PATCH",)

    def get(self, request, pk: UUID):
        action, case = self.load(request, pk)
        record_case_reads(request.user, [case])
        return _versioned(s.ActionSerializer(action).data, action.version)

    def patch(self, request, pk: UUID):
        action, _case = self.load(request, pk)
        version = expected_version(request, action.version)
        data = _valid(s.ActionStatusSerializer, request)
        services.set_action_status(
            action, by=request.user, status=data["status"], expected_version=version
        )
        return _versioned(s.ActionSerializer(action).data, action.version)
