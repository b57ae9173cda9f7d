"""The change history of personal data (R22): one row per inserted, changed or deleted row.

Rows are written by database triggers (see `triggers.py`), never by the application, so that
`QuerySet.update()`, `bulk_update()` and raw SQL are captured as surely as `save()`. The values
are copied from the columns as they are, so encrypted fields stay ciphertext here too.
"""

from typing import Any, NoReturn

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engage.accounts.models import Role, User
from engage.cases.models import Case
from engage.lib.scoping import ScopedQuerySet, organisation_scoped


class AppendOnlyError(Exception):
    pass


class ChangeQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The change history is append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("The change history is append-only (erasure purges it).")

    def visible_to(self, user: User) -> "ChangeQuerySet":
        """Return the changes `user` may see: an organisation admin, the organisation's; anyone
        else, those of the cases they may see (their records and their people).
        """
        rows = super().visible_to(user).exclude(model__in=_not_read_by(user.role))
        if user.role == Role.ORG_ADMIN:
            return rows
        cases = Case.objects.visible_to(user)
        return rows.filter(
            models.Q(case_id__in=cases.values("pk"))
            | models.Q(model="cases.person", object_id__in=cases.values("person"))
        )

    def for_case(self, case: Case) -> "ChangeQuerySet":
        """The changes of a case: of the case itself, of its records and of its person. Its
        person's changes made before it began, during an earlier enrollment, are that
        enrollment's: shown here, they named a colleague's earlier enrollment (who corrected the
        identity, and what it was) to a reader who may not open it. Those made once a later
        enrollment began are that one's, for the same reason the other way round: they told
        the earlier enrollment's reader that the person came back, when, and to whom."""
        person = models.Q(model="cases.person", object_id=case.person_id)
        earlier = Case.objects.filter(person_id=case.person_id, created_at__lt=case.created_at)
        if earlier.exists():
            # After the row of the case's own creation, in the order the history was written:
            # not by time, which a trigger reads as its transaction's start on PostgreSQL.
            began = _created(case)
            person &= models.Q(pk__gt=began) if began else models.Q(at__gte=case.created_at)
        later = (
            Case.objects.filter(person_id=case.person_id, created_at__gt=case.created_at)
            .order_by("created_at", "pk")
            .first()
        )
        if later is not None:
            ended = _created(later)
            person &= models.Q(pk__lt=ended) if ended else models.Q(at__lt=later.created_at)
        return self.filter(models.Q(case_id=case.pk) | person)


def _created(case: Case) -> int | None:
    """The id of the history's row of `case`'s creation, whoever may read it (the reader's
    changes are filtered by the caller; this only marks where an enrollment began)."""
    rows = Change.objects.filter(model="cases.case", object_id=case.pk, operation="insert")
    return rows.values_list("pk", flat=True).first()


def _not_read_by(role: str) -> list[str]:
    """The models whose rows `role` does not read on their own pages (a model's `READ_BY`:
    the register of authority requests, the supervisors' and admins'), so not in the history
    either: a case manager read who asked for their client's data there."""
    return [
        model._meta.label_lower
        for model in apps.get_models()
        if (roles := getattr(model, "READ_BY", None)) is not None and role not in roles
    ]


class Change(models.Model):
    class Operation(models.TextChoices):
        # Nouns in the languages whose participle would agree with the kind of record, shown
        # as "Person: created" (the context "change history" of the templates).
        INSERT = "insert", pgettext_lazy("change history operation", "created")
        UPDATE = "update", pgettext_lazy("change history operation", "changed")
        DELETE = "delete", pgettext_lazy("change history operation", "deleted")

    id = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=64)
    object_id = models.UUIDField()
    operation = models.CharField(max_length=6, choices=Operation.choices)
    at = models.DateTimeField(db_index=True)
    # The changed columns only, by column name: before (null on insert) and after (null on
    # delete). Encrypted columns hold their ciphertext.
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    # Null: no one signed in made the change (a scheduled job, a management command).
    actor_id = models.UUIDField(null=True)
    request_id = models.CharField(max_length=32, blank=True)
    # Whom the row is about, worked out by the trigger, for scoping and for erasure.
    organisation_id = models.UUIDField(null=True, db_index=True)
    case_id = models.UUIDField(null=True, db_index=True)
    person_id = models.UUIDField(null=True, db_index=True)
    # The hash chain (engage/lib/chain.py), filled in by the database when the row is committed:
    # position, digest of the row, chain hash, and the digest of `before` and `after` on their
    # own (erasure blanks those two and the rest of the row stays checked).
    # Null until sealed (hence null=True on text columns, against the usual rule).
    seq = models.BigIntegerField(null=True, editable=False)
    digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    chain = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    values_digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001

    # Before and after values of personal data: read only inside the organisation's scope, like
    # every other model that holds them (lib/scoping.py). Rows with no organisation (changes a
    # job made to no organisation's data) are in no scope; `engage verify_audit` reads the table
    # in SQL.
    objects = organisation_scoped("organisation_id", ChangeQuerySet)

    class Meta:
        ordering = ["-at", "-id"]
        # Partial, so that SQLite adds it without rebuilding the table (and its triggers).
        constraints = [
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(seq__isnull=False), name="history_seq_unique"
            )
        ]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.operation} {self.model} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Changes are written by the database, never by the application.")

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The change history is append-only (erasure purges it).")
