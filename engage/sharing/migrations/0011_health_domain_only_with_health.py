"""Prepare again the shares that may hold the health domain of the vulnerabilities without a
consent to share health.

Until December 2026 a share of the vulnerabilities carried every domain of the screening, its
"Health and welfare" concern and note included, whether or not health was among the data the
person agreed to share; it now goes only with the health (`sharing.services.HEALTH_DOMAINS`).
A share prepared but not handed over goes back to the queue, its copy emptied, so the hourly
sweep (`engage enqueue shares`, or `engage run_shares`) prepares it again under the rule, with
the consent checked again. The copy kept of one that left is emptied, so it is not handed over
again (what left stays listed on the case's sharing page).
"""

from django.db import migrations


def prepare_again(apps, schema_editor):
    Share = apps.get_model("sharing", "Share")
    ids = [
        share.pk
        for share in Share.objects.filter(status__in=("ready", "sent")).only("pk", "categories")
        if "vulnerability" in share.categories and "health" not in share.categories
    ]
    shares = Share.objects.filter(pk__in=ids)
    shares.filter(status="ready").update(status="queued", content="", produced_at=None)
    shares.filter(status="sent").exclude(content="").update(
        content="", cancel_reason="consent_no_longer_covers"
    )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0010_datarequest_version")]

    operations = [migrations.RunPython(prepare_again, migrations.RunPython.noop)]
