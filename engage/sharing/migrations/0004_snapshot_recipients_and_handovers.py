"""Copy each recipient's name and kind onto the consents and shares that name it, and mark as
handed over the shares the audit log shows were downloaded (issue 10, items 1 and 2).

The name and kind copied are the recipient's today: for a recipient renamed before this
migration, that is the best record there is.
"""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery


def snapshot(apps, schema_editor):
    Recipient = apps.get_model("sharing", "Recipient")
    Consent = apps.get_model("sharing", "Consent")
    Share = apps.get_model("sharing", "Share")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    recipient = Recipient.objects.filter(pk=OuterRef("recipient_id"))
    Consent.objects.filter(recipient_name="").update(
        recipient_name=Subquery(recipient.values("name")[:1]),
        recipient_type=Subquery(recipient.values("type")[:1]),
    )
    Share.objects.filter(recipient_name="").update(
        recipient_name=Subquery(recipient.values("name")[:1]),
        recipient_type=Subquery(recipient.values("type")[:1]),
    )
    first_export = (
        AuditEvent.objects.filter(
            action="export", object_type="sharing.share", object_id=OuterRef("pk")
        )
        .values("object_id")
        .annotate(first=Min("at"))
        .values("first")[:1]
    )
    Share.objects.filter(status="ready", handed_over_at__isnull=True).update(
        handed_over_at=Subquery(first_export)
    )
    Share.objects.filter(status="ready", handed_over_at__isnull=False).update(status="sent")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("sharing", "0003_recipient_identity_and_handover"),
    ]

    operations = [migrations.RunPython(snapshot, migrations.RunPython.noop)]
