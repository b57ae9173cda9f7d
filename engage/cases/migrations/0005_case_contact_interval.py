import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_goal_status_date_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="contact_interval_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(90),
                ],
                verbose_name="contact interval (days)",
            ),
        ),
    ]
