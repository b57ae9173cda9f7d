"""Rebuild the search index with the rules of issue 11: the beginnings of names, sound keys,
Latin spellings of other scripts, the identity token of the duplicate check, and hashes keyed
for each organisation (docs/search-index.md). Historical models: this migration must run
against the tables as they are at this point, whatever later migrations add.
"""

from django.db import migrations

BATCH = 500


def reindex(apps, schema_editor):
    from engage.cases.search import person_digests

    Person = apps.get_model("cases", "Person")
    SearchToken = apps.get_model("cases", "SearchToken")
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        people = list(Person.objects.filter(pk__in=ids[start : start + BATCH]))
        SearchToken.objects.filter(person__in=people).delete()
        SearchToken.objects.bulk_create(
            [
                SearchToken(person=person, organisation_id=person.organisation_id, digest=value)
                for person in people
                if not person.erased_at
                for value in sorted(person_digests(person))
            ],
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_possible_duplicate")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]
