"""Business operations are atomic (R38): a failure half-way leaves nothing behind."""

import pytest

from engage.audit.models import AuditEvent
from engage.cases import services
from engage.cases.factories import days_ago
from engage.cases.models import Case, FirstMeeting, Person

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def _explode(*args, **kwargs):
    raise Boom


def test_a_referral_is_all_or_nothing(organisation, alice, monkeypatch):
    # The last step of registering a referral (the audit entry) fails.
    monkeypatch.setattr(services, "record", _explode)
    with pytest.raises(Boom):
        services.register_referral(
            organisation=organisation,
            by=alice,
            case_manager=alice,
            city=organisation.cities.get(),
            person={"given_name": "Half", "family_name": "Done"},
            referral={
                "referral_date": days_ago(1),
                "referral_source": "ngo",
                "detention_at_referral": "none",
                "migration_status": "other",
                "legal_basis": "consent",
                "purpose": "Case management",
            },
            household_members=[{"given_name": "Member", "relationship": "child"}],
        )
    assert not Case.objects.exists() and not Person.objects.exists()
    assert not AuditEvent.objects.filter(object_type="cases.case").exists()


def test_an_audited_step_leaves_no_audit_entry_when_it_fails(organisation, alice, monkeypatch):
    case = services.register_referral(
        organisation=organisation,
        by=alice,
        case_manager=alice,
        city=organisation.cities.get(),
        person={"given_name": "Whole"},
        referral={
            "referral_date": days_ago(5),
            "referral_source": "ngo",
            "detention_at_referral": "none",
            "migration_status": "other",
            "legal_basis": "consent",
            "purpose": "Case management",
        },
    )
    before = AuditEvent.objects.count()
    original = Case.save

    def failing_save(self, *args, **kwargs):
        raise Boom

    monkeypatch.setattr(Case, "save", failing_save)  # the stage change, after the meeting row
    with pytest.raises(Boom):
        services.record_first_meeting(
            case,
            by=alice,
            data={
                "date": days_ago(1),
                "programme_explained": True,
                "independence_explained": True,
                "data_protection_explained": True,
                "consent_given": True,
                "declaration_signed": True,
                "consent_method": "written",
            },
        )
    monkeypatch.setattr(Case, "save", original)
    assert AuditEvent.objects.count() == before
    assert not FirstMeeting.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).stage == "referred"
