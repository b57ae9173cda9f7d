import datetime
from typing import Any

import factory

from engage.network.models import Activity, StageChange, Stakeholder


def _first_stage(
    stakeholder: Stakeholder, create: bool, extracted: datetime.date | None, **kwargs: Any
) -> None:
    """The stakeholder's first stage in the history: its `stage`, since `since` (the value
    given, else 1 January 2024)."""
    if create:
        StageChange.objects.create(
            stakeholder=stakeholder,
            stage=stakeholder.stage,
            date=extracted or datetime.date(2024, 1, 1),
            by=stakeholder.created_by,
        )


class StakeholderFactory(factory.django.DjangoModelFactory[Stakeholder]):
    """A stakeholder with its first stage in the history (`stage`, since `since`)."""

    class Meta:
        model = Stakeholder
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Ministry {n}")
    actor_type = "national_authority"
    level = "national"
    country = "BG"

    # (`post_generation` as a call: the decorator has no types.)
    since = factory.PostGeneration(_first_stage)


class ActivityFactory(factory.django.DjangoModelFactory[Activity]):
    class Meta:
        model = Activity

    kind = "presentation"
    title = factory.Sequence(lambda n: f"Activity {n}")
    date = datetime.date(2024, 3, 1)
    country = "BG"
