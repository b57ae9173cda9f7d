"""One field of each type on a form, and the answers a form sends for them."""

import datetime
import decimal

from engage.custom import services

TYPES = ("short_text", "long_text", "number", "date", "yes_no", "choice", "choices", "service")


def define_all_types(organisation, by, form):
    """Define a field of each type on `form`; return them by type."""
    fields = {}
    for kind in TYPES:
        extra = {}
        if kind in ("choice", "choices"):
            extra["options"] = ["Low", "Medium", "High"]
        if kind == "number":
            extra |= {"min_value": decimal.Decimal(0), "max_value": decimal.Decimal(10)}
        fields[kind] = services.define_field(
            organisation,
            by=by,
            form=form,
            type=kind,
            label=f"Own {kind}",
            key=f"own_{kind}",
            **extra,
        )
    return fields


def answers(service, prefix=""):
    """What a person types in each of them, as the form sends it."""
    return {
        f"{prefix}custom_own_short_text": "Zzshort Pournara",
        f"{prefix}custom_own_long_text": "Zzlong Lives with a cousin",
        f"{prefix}custom_own_number": "7.5",
        f"{prefix}custom_own_date": "2025-03-04",
        f"{prefix}custom_own_yes_no": "yes",
        f"{prefix}custom_own_choice": "medium",
        f"{prefix}custom_own_choices": ["low", "high"],
        f"{prefix}custom_own_service": str(service.pk),
    }


def expected(service):
    return {
        "own_short_text": "Zzshort Pournara",
        "own_long_text": "Zzlong Lives with a cousin",
        "own_number": "7.5",
        "own_date": "2025-03-04",
        "own_yes_no": True,
        "own_choice": "medium",
        "own_choices": ["low", "high"],
        "own_service": str(service.pk),
    }


def stored(case, form, record_id):
    return {key: value.data for key, value in services.values_for(case, form, record_id).items()}


EPOCH = datetime.date(2025, 3, 4)


def define_asked_when(organisation, by, form, *, label="Where they sleep"):
    """A yes-or-no question and a required text field asked only when it is answered "yes":
    return both."""
    asked = services.define_field(
        organisation, by=by, form=form, type="yes_no", label="Sleeping rough?"
    )
    shown = services.define_field(
        organisation, by=by, form=form, type="short_text", label=label, required=True,
        condition_field=asked, condition_value="yes",
    )  # fmt: skip
    return asked, shown
