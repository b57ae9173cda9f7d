"""Hand-made dataset rows for the indicator tests."""

from engage.mel.dataset.rows import COLUMNS

DEFAULTS = {
    "pilot": "BG-CLA",
    "person_ref": "",
    "household_ref": "",
    "city": "Sofia",
    "referral_month": "2023-01",
    "referral_source": "ngo",
    "detention_at_referral": "at_risk",
    "migration_status": "asylum_seeker",
    "sex": "female",
    "age_band": "25-34",
    "nationality_region": "Western Asia",
    "vulnerable": "false",
    "vulnerabilities": "",
    "family_with_children": "false",
    "included": "true",
    "inclusion_month": "2023-02",
    "engagement_level": "active",
    "status": "active",
    "closure_month": "",
    "closure_reason": "",
    "outcome": "",
    "outcome_permanence": "",
    "idm_baseline": "",
    "idm_latest": "",
    "engage_baseline": "",
    "engage_latest": "",
    "wellbeing_baseline": "",
    "wellbeing_latest": "",
    "assessments": "0",
    "contacts": "0",
    "face_to_face_contacts": "0",
    "outcome_month": "",
    "latest_assessment_month": "",
    "case_manager_ref": "",
    "disengagement_factors": "",
}


def row(n: int, **values) -> dict[str, str]:
    data = {**DEFAULTS, "case_ref": f"{n:016x}", **values}
    return {column: data[column] for column in COLUMNS}


def held_rows(pilot: str | None = None) -> list[dict[str, str]]:
    """Every row the hub holds, of every submission kept (of `pilot`'s only, when given)."""
    from engage.mel.models import SubmissionRows

    kept = SubmissionRows.objects.select_related("submission").order_by("submission__period_end")
    if pilot is not None:
        kept = kept.filter(submission__pilot=pilot)
    return [row for entry in kept for row in entry.rows()]
