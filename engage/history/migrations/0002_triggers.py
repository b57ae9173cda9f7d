"""Install the triggers that write the change history (R22); see `engage.history.triggers`.

Written by hand for PostgreSQL and SQLite alike (django-pghistory is PostgreSQL-only). A later
migration that adds a column to a tracked table, or a new model holding personal data, must
depend on the latest migration here and run `install_triggers` again.
"""

from django.db import migrations

from engage.history.triggers import install_triggers, remove_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0001_initial"),
        ("cases", "0002_case_age_band_at_referral_person_corrected_fields_and_more"),
        ("sharing", "0002_subjectrequest"),
        ("documents", "0001_initial"),
    ]

    operations = [migrations.RunPython(install_triggers, remove_triggers)]
