"""What the API shows and takes. Each write serializer lists the fields it takes and refuses any
other (R04: no organisation, owner, version or consent field can be posted); each read serializer
drops the fields the caller's role may not see, as the web pages do. Ids are random UUIDs only.
"""

from typing import Any

from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engage.accounts.models import City, Organisation, Team, User
from engage.api.custom import CustomAnswersField, CustomInputField
from engage.cases.access import CASE_WORKERS
from engage.cases.due import due_choices
from engage.cases.models import (
    Action,
    Assessment,
    Case,
    CasePlan,
    Closure,
    Contact,
    DisengagementFactor,
    Goal,
    Person,
    Stage,
)
from engage.cases.models.case import DEFAULT_PURPOSE
from engage.cases.models.person import Nationalities
from engage.cases.models.process import VULNERABILITY_FIELD_NAMES
from engage.directory.models import Referral
from engage.lib.dates import validate_birth_date
from engage.sharing.models import Category


class StrictFieldsMixin:
    """Refuse fields the serializer does not take, rather than ignoring them silently."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be set here.")] for name in unknown}
                )
        return super().to_internal_value(data)


def works_on_cases(context) -> bool:
    request = context.get("request")
    return request is not None and request.user.role in CASE_WORKERS


# Organisation data


class OrganisationSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "code",
            "name",
            "country",
            "contact_interval_days",
            "reassessment_interval_days",
            "plan_review_interval_days",
            "retention_months",
            "caseload_target_min",
            "caseload_target_max",
        ]


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["name"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "leader"]


class UserSerializer(serializers.ModelSerializer):
    """A colleague, without secrets: no password, no second factor, no email."""

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role", "team", "is_active"]


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role", "organisation"]


# Clients (a person's identity)

IDENTITY_FIELDS = [
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "nationality",
    "phone",
    "email",
    "address",
    "document_number",
    "languages",
]


class ClientNameSerializer(serializers.ModelSerializer):
    """The name on a case, as every reader of the case sees it on the case page."""

    class Meta:
        model = Person
        fields = ["id", "given_name", "family_name"]


class _SharedNationalities(Nationalities):
    """The nationalities of every serializer's field: one object, never copied.

    DRF deep-copies a declared field's arguments each time it builds a serializer, and a copy
    starts without the list django-countries keeps for each language: every API call that
    read or wrote a client translated and sorted some 250 country names again (4% of the API's
    fuzzing). Shared, the list is made once per language; nothing changes it after."""

    def __deepcopy__(self, memo: dict) -> "_SharedNationalities":
        return self


NATIONALITIES = _SharedNationalities()


def nationality_field() -> CountryField:
    """A country code, or XXA (stateless) or XXX (unknown), as the web form offers."""
    return CountryField(
        countries=NATIONALITIES,
        allow_blank=True,
        required=False,
        help_text="ISO 3166-1 alpha-2 code, or XXA (stateless) or XXX (unknown, ICAO 9303).",
    )


class ClientSerializer(serializers.ModelSerializer):
    """The whole identity, for the people working on the case only."""

    nationality = nationality_field()
    erased = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "relationship", *IDENTITY_FIELDS, "corrected_fields", "erased"]
        read_only_fields = ["id", "relationship", "corrected_fields", "erased"]

    def get_erased(self, person: Person) -> bool:
        return person.erased_at is not None


class ClientWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    nationality = nationality_field()

    class Meta:
        model = Person
        fields = IDENTITY_FIELDS

    def validate_date_of_birth(self, value):
        validate_birth_date(value)  # not in the future (docs/security.md, issue 10 item 17)
        return value


# Cases

# Shown to the people working on the case only (R04), as on the case page.
CASE_DETAIL_ONLY = ["detention_at_referral", "migration_status", "declined_reason"]


class CaseListSerializer(serializers.ModelSerializer):
    """A row of the case list: what the web's list shows."""

    client = ClientNameSerializer(source="person", read_only=True)
    city = serializers.SlugRelatedField(slug_field="name", read_only=True)
    due = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "stage",
            "client",
            "case_manager",
            "city",
            "referral_date",
            "engagement_level",
            "due",
        ]

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=due_choices()))
    )
    def get_due(self, case: Case) -> list[str]:
        return [item.kind for item in self.context["due"].get(case.pk, [])]


class CaseSerializer(serializers.ModelSerializer):
    """One case; the sensitive facts only for the people working on it."""

    client = ClientNameSerializer(source="person", read_only=True)
    city = serializers.SlugRelatedField(slug_field="name", read_only=True)
    custom = CustomAnswersField("referral", case_of=lambda case: case)
    previous = serializers.SerializerMethodField(
        help_text="The enrollment this case reopened, when the caller may see it; otherwise "
        "null, as for a first enrollment."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "stage",
            "client",
            "case_manager",
            "city",
            "previous",
            "referral_date",
            "referral_source",
            "detention_at_referral",
            "migration_status",
            "interpreter_language",
            "legal_basis",
            "purpose",
            "inclusion_date",
            "declined_date",
            "declined_reason",
            "engagement_level",
            "outcome",
            "outcome_permanence",
            "outcome_date",
            "closure_date",
            "created_at",
            "custom",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not works_on_cases(self.context):
            for name in [*CASE_DETAIL_ONLY, "custom"]:
                self.fields.pop(name)

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_previous(self, case: Case) -> str | None:
        # An earlier enrollment a colleague outside the caller's caseload holds is not named:
        # its id would say that the client was known before, and to whom (as on the case page).
        request = self.context.get("request")
        if case.previous_id is None or request is None:
            return None
        visible = Case.objects.visible_to(request.user).filter(pk=case.previous_id).exists()
        return str(case.previous_id) if visible else None


# What a new referral takes when the field is left out, as the web form proposes it.
REFERRAL_DEFAULTS = {
    "referral_date": "Defaults to today in the organisation's time zone.",
    "legal_basis": "Defaults to the organisation's usual legal basis, if it has one.",
    "purpose": "Defaults to the network's purpose of case management.",
    "city": "Defaults to the organisation's city when it has only one.",
    "case_manager": "Defaults to the caller, when they hold cases.",
}


class CaseCreateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A new referral: the client's identity and the facts of the referral."""

    client = ClientWriteSerializer()
    city = serializers.SlugRelatedField(slug_field="name", queryset=City.objects.none())
    case_manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    different_person = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        write_only=True,
        help_text="The `confirmation` of a 409 `possible_duplicate` answer, sent back to say the "
        "client is not the person already known.",
    )
    custom = CustomInputField("referral")

    class Meta:
        model = Case
        fields = [
            "client",
            "referral_date",
            "referral_source",
            "detention_at_referral",
            "migration_status",
            "interpreter_language",
            "legal_basis",
            "purpose",
            "city",
            "case_manager",
            "different_person",
            "custom",
        ]

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if organisation is not None:
            self.fields["city"].queryset = City.objects.filter(organisation=organisation)
            # Who may hold a case, as the web form offers (cases.services checks it again).
            self.fields["case_manager"].queryset = User.objects.case_holders(organisation)
        # What Engage knows already, as the web form proposes it (issue 11 #6).
        for name, default in REFERRAL_DEFAULTS.items():
            self.fields[name].required = False
            self.fields[name].help_text = default

    def validate(self, attrs):
        organisation = self.organisation
        if organisation is None:
            return attrs
        attrs.setdefault("referral_date", organisation.today())
        attrs.setdefault("purpose", str(DEFAULT_PURPOSE))
        if not attrs.get("legal_basis"):
            if not organisation.default_legal_basis:
                message = _("Name the legal basis: your organisation has no usual one set.")
                raise serializers.ValidationError({"legal_basis": [message]})
            attrs["legal_basis"] = organisation.default_legal_basis
        if "city" not in attrs:
            cities = list(City.objects.filter(organisation=organisation)[:2])
            if len(cities) != 1:
                message = _("Name the city: your organisation works in several.")
                raise serializers.ValidationError({"city": [message]})
            attrs["city"] = cities[0]
        if "case_manager" not in attrs:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            if user is None or not user.can_hold_cases_of(organisation):
                raise serializers.ValidationError(
                    {"case_manager": [_("Name the case manager who holds the case.")]}
                )
            attrs["case_manager"] = user
        return attrs


class CaseUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """The facts of a case that change after the referral: its outcome, its case manager."""

    outcome = serializers.ChoiceField(
        choices=Case._meta.get_field("outcome").choices, allow_blank=True, required=False
    )
    outcome_permanence = serializers.ChoiceField(
        choices=Case._meta.get_field("outcome_permanence").choices,
        allow_blank=True,
        required=False,
    )
    outcome_date = serializers.DateField(required=False)
    case_manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    custom = CustomInputField("referral", help_text="Answers to change, by key; others stay.")

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["case_manager"].queryset = User.objects.case_holders(organisation)

    def validate(self, attrs):
        if "outcome" in attrs and "outcome_date" not in attrs:
            raise serializers.ValidationError(
                {"outcome_date": [_("Say when the outcome was reached.")]}
            )
        return attrs


class CaseQuerySerializer(serializers.Serializer):
    """The filters of the case list."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    stage = serializers.ChoiceField(
        choices=[*Stage.choices, ("all", "all")], required=False, allow_blank=True
    )
    due = serializers.ChoiceField(choices=due_choices(), required=False, allow_blank=True)
    ordering = serializers.ChoiceField(
        choices=["referral_date", "-referral_date", "reference", "-reference", "stage", "-stage"],
        required=False,
    )


# Records of the case work


class ContactSerializer(serializers.ModelSerializer):
    custom = CustomAnswersField("contact", case_of=lambda record: record.case)

    class Meta:
        model = Contact
        fields = [
            "id",
            "case",
            "date",
            "type",
            "duration_minutes",
            "engagement_level",
            "note",
            "content_not_recorded",
            "sensitive",
            "recorded_by",
            "created_at",
            "custom",
        ]

    def to_representation(self, contact: Contact) -> dict[str, Any]:
        data = super().to_representation(contact)
        # A sensitive note is the case's own people's and its author's, as on the case page:
        # empty for a colleague who sees the case through a household (docs/security.md).
        request = self.context.get("request")
        if contact.sensitive:
            shows = self.context.setdefault("shows_sensitive", {})
            if request is not None and contact.case_id not in shows:
                shows[contact.case_id] = contact.case.shows_sensitive_to(request.user)
            if request is None or contact.note_hidden_from(
                request.user, case_shows_sensitive=shows[contact.case_id]
            ):
                data["note"] = ""
        return data


class ContactWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    custom = CustomInputField("contact")

    class Meta:
        model = Contact
        fields = [
            "date",
            "type",
            "duration_minutes",
            "engagement_level",
            "note",
            "content_not_recorded",
            "sensitive",
            "custom",
        ]


ASSESSMENT_FIELDS = [
    "date",
    "trigger",
    "needs",
    "risks",
    "strengths",
    *VULNERABILITY_FIELD_NAMES,
    "informed_decisions",
    "engage_procedures",
    "wellbeing",
]


class AssessmentSerializer(serializers.ModelSerializer):
    custom = CustomAnswersField("assessment", case_of=lambda record: record.case)

    class Meta:
        model = Assessment
        fields = ["id", "case", *ASSESSMENT_FIELDS, "recorded_by", "created_at", "custom"]


class AssessmentWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    custom = CustomInputField("assessment")

    class Meta:
        model = Assessment
        fields = [*ASSESSMENT_FIELDS, "custom"]


class ActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = [
            "id",
            "goal",
            "description",
            "owner",
            "third_party",
            "due_date",
            "status",
            "completed_on",
            "version",
        ]
        read_only_fields = ["version"]


class ActionWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = ["description", "owner", "third_party", "due_date"]


class ActionStatusSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Action.Status.choices)


class GoalSerializer(serializers.ModelSerializer):
    actions = ActionSerializer(many=True, read_only=True)
    custom = CustomAnswersField("goal", case_of=lambda goal: goal.plan.case)

    class Meta:
        model = Goal
        fields = [
            "id",
            "plan",
            "area",
            "migration_option",
            "description",
            "status",
            "actions",
            "custom",
        ]


class GoalWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    custom = CustomInputField("goal")

    class Meta:
        model = Goal
        fields = ["area", "migration_option", "description", "custom"]


class PlanSerializer(serializers.ModelSerializer):
    goals = GoalSerializer(many=True, read_only=True)

    class Meta:
        model = CasePlan
        fields = [
            "id",
            "case",
            "person",
            "status",
            "needs_approval",
            "approved_at",
            "review_note",
            "created_by",
            "created_at",
            "goals",
        ]


class PlanWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.UUIDField(
        help_text="The client, or a member of their household (defaults to the client).",
        required=False,
    )


class ReviewSerializer(StrictFieldsMixin, serializers.Serializer):
    """A supervisor's decision on what waits for their approval."""

    decision = serializers.ChoiceField(choices=["approve", "send_back"])
    review_note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required to send back: say what needs to change.",
    )


class ClosureSerializer(serializers.ModelSerializer):
    disengagement_factors = serializers.ListField(
        child=serializers.ChoiceField(choices=DisengagementFactor.choices), read_only=True
    )
    custom = CustomAnswersField("closure", case_of=lambda record: record.case)

    class Meta:
        model = Closure
        fields = [
            "id",
            "case",
            "date",
            "reason",
            "outcome",
            "outcome_permanence",
            "onward_referral",
            "disengagement_factors",
            "disengagement_other",
            "note",
            "status",
            "requested_by",
            "reviewed_at",
            "review_note",
            "created_at",
            "custom",
        ]


class ClosureWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    disengagement_factors = serializers.ListField(
        child=serializers.ChoiceField(choices=DisengagementFactor.choices),
        required=False,
        max_length=len(DisengagementFactor.choices),
    )
    custom = CustomInputField("closure")

    class Meta:
        model = Closure
        fields = [
            "date",
            "reason",
            "outcome",
            "outcome_permanence",
            "onward_referral",
            "disengagement_factors",
            "disengagement_other",
            "note",
            "custom",
        ]


class ReferralSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), read_only=True
    )
    disclosed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "service",
            "service_name",
            "status",
            "made_on",
            "reason",
            "categories",
            "disclosed",
            "answered_on",
            "ended_on",
            "outcome_note",
            "made_by",
            "updated_at",
        ]


class ReferralWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new referral. With `categories`, that data of the client goes to the service through
    the sharing service, which refuses without a consent that covers it (403)."""

    service = serializers.UUIDField()
    made_on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices),
        required=False,
        max_length=len(Category.choices),
    )


class ReferralUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    date = serializers.DateField()
    outcome_note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class PossibleDuplicateDetailSerializer(ErrorDetailSerializer):
    confirmation = serializers.CharField(
        help_text="Send it back as `different_person` if this is someone else: the referral is "
        "then registered and flagged for a supervisor."
    )
    cases = serializers.ListField(
        child=serializers.UUIDField(),
        help_text="The cases you can open that may be this person; a person known only "
        "outside your caseload is not named.",
    )


class PossibleDuplicateSerializer(serializers.Serializer):
    error = PossibleDuplicateDetailSerializer()
