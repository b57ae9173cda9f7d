"""Void the shares that carried the client's data under a household member's consent.

Until December 2026 a share for a household member took the migration case, the health, the
vulnerabilities and the notes from the case, that is from the client, whatever person it was
for; such shares are now refused (`sharing.services.CLIENTS_OWN`). Those not yet handed over are
cancelled, and the copies kept of those that left are emptied, as a withdrawal does; the
hand-over refuses them in any case. What already left is listed on the case's sharing page as
before (the recipient can be asked to delete it).
"""

from django.db import migrations
from django.db.models import F

CLIENTS_OWN = {"migration", "health", "vulnerability", "notes"}
UNSENT = ("queued", "ready")


def void(apps, schema_editor):
    Share = apps.get_model("sharing", "Share")
    members = Share.objects.exclude(person_id=F("case__person_id"))
    ids = [
        share.pk
        for share in members.only("pk", "categories")
        if CLIENTS_OWN & set(share.categories)
    ]
    shares = Share.objects.filter(pk__in=ids)
    shares.filter(status__in=UNSENT).update(
        status="cancelled", cancel_reason="not_their_data", content=""
    )
    shares.filter(status="sent").update(content="", cancel_reason="not_their_data")


class Migration(migrations.Migration):
    dependencies = [("sharing", "0005_subjectrequest_moved_to_privacy")]

    operations = [migrations.RunPython(void, migrations.RunPython.noop)]
