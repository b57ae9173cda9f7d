import datetime

import factory

from engage.network.models import Activity, StageChange, Stakeholder


class StakeholderFactory(factory.django.DjangoModelFactory):
    """A stakeholder with its first stage in the history (`stage`, since `since`)."""

    class Meta:
        model = Stakeholder
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Ministry {n}")
    actor_type = "national_authority"
    level = "national"
    country = "BG"

    @factory.post_generation
    def since(self, create, extracted, **kwargs):
        if create:
            StageChange.objects.create(
                stakeholder=self,
                stage=self.stage,
                date=extracted or datetime.date(2024, 1, 1),
                by=self.created_by,
            )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = "presentation"
    title = factory.Sequence(lambda n: f"Activity {n}")
    date = datetime.date(2024, 3, 1)
    country = "BG"
