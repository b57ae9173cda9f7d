"""`engage setup_db_roles`: two PostgreSQL roles, so the application cannot empty its audit trail.

Run it as a database superuser (DATABASE_URL of `postgres`, say), after `engage migrate` and
again after every upgrade (it is idempotent). It makes:

- the owner role (`--owner`, default `engage_owner`): owns the database, its schema, every table
  and function. Migrations run as this role; the application never does.
- the application role (`--app`, default `engage_app`): reads and writes the application's
  tables, but on the append-only tables (the audit log, the change history) it may only SELECT
  and INSERT, plus, on the history, set the old and new values to NULL (erasure; the database's
  guard accepts nothing else). It owns nothing, so it can neither TRUNCATE nor DELETE there, nor
  ALTER those tables to switch their triggers off or drop them. The hash chain is sealed by a
  function that runs as the owner (SECURITY DEFINER), so the application needs no UPDATE right.

A role it creates gets a random password, printed once (or the one in ENGAGE_DB_OWNER_PASSWORD /
ENGAGE_DB_APP_PASSWORD); an existing role keeps its password. Then run migrations with the owner
and serve with the application role (see the README, "Database roles").
"""

import os
import secrets
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction
from django.db.backends.utils import CursorWrapper
from psycopg import sql

from engage.lib import chain


class _Cursor:
    """Django's cursor, taking psycopg's composed SQL (identifiers quoted by psycopg)."""

    def __init__(self, cursor: CursorWrapper, raw: Any) -> None:
        self.cursor, self.raw = cursor, raw

    def run(self, statement: str | sql.Composable, params: Sequence[str] | None = None) -> None:
        if not isinstance(statement, str):
            statement = statement.as_string(self.raw)
        # Roles, ownership and grants: no personal data, nothing a user typed (names are quoted).
        # nosemgrep: raw-sql
        self.cursor.execute(statement, params)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> Any:
        return self.cursor.fetchall()


class Command(BaseCommand):
    help = "Create or update the owner and application roles of a PostgreSQL database (R23)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default="engage_owner")
        parser.add_argument("--app", default="engage_app")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, owner: str, app: str, database: str, **options: Any) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError(
                "Database roles are a PostgreSQL matter. On SQLite whoever can write the file "
                "can do anything to it: see docs/security.md (R23) for what that means."
            )
        if owner == app:
            raise CommandError("The owner and the application must be two roles.")
        with transaction.atomic(using=database), connection.cursor() as django_cursor:
            cursor = _Cursor(django_cursor, connection.connection)
            cursor.run("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                raise CommandError("Run this as a database superuser (it creates roles).")
            passwords = {}
            for role, variable in (
                (owner, "ENGAGE_DB_OWNER_PASSWORD"),
                (app, "ENGAGE_DB_APP_PASSWORD"),
            ):
                created = self._ensure_role(cursor, role, os.environ.get(variable))
                if created:
                    passwords[role] = created
            self._check_not_member(cursor, app, owner)
            self._grant(cursor, owner, app, connection.settings_dict["NAME"])
        for role, password in passwords.items():
            self.stdout.write(f"Created role {role} with password: {password}")
        self.stdout.write(
            f"Done: {owner} owns the database (run migrations as {owner}); serve as {app}, "
            "which cannot delete, change or truncate the audit log and the change history."
        )

    def _ensure_role(self, cursor: _Cursor, role: str, password: str | None) -> str | None:
        cursor.run("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            cursor.run(
                sql.SQL(
                    "ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                ).format(sql.Identifier(role))
            )
            return None
        password = password or secrets.token_urlsafe(24)
        cursor.run(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                "NOBYPASSRLS PASSWORD {}"
            ).format(sql.Identifier(role), sql.Literal(password))
        )
        return password

    def _check_not_member(self, cursor: _Cursor, app: str, owner: str) -> None:
        cursor.run(
            "SELECT pg_has_role(%s, %s, 'MEMBER') OR pg_has_role(%s, %s, 'MEMBER')",
            [app, owner, owner, app],
        )
        if cursor.fetchone()[0]:
            raise CommandError(f"{app} and {owner} must not be members of each other.")

    def _grant(self, cursor: _Cursor, owner: str, app: str, database_name: str) -> None:
        o, a = sql.Identifier(owner), sql.Identifier(app)
        run = cursor.run
        run(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database_name), o))
        run(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database_name)))
        run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database_name), a))
        run(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(o))
        run("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a))
        # Everything in the schema belongs to the owner: tables (their sequences follow),
        # other sequences, and the functions (the chain's seal runs as its owner).
        run(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
            # Tables first: a sequence a table owns follows it (and cannot move alone).
            " ORDER BY c.relkind = 'S', c.relname"
        )
        kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
        for name, kind in cursor.fetchall():
            run(
                sql.SQL("ALTER {} {} OWNER TO {}").format(
                    sql.SQL(kinds[kind]), sql.Identifier(name), o
                )
            )
        run(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
        )
        for (signature,) in cursor.fetchall():
            run(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(signature), o))
        run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, {}").format(a))
        run(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(a)
        )
        run(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a))
        for spec in chain.chained():
            table = sql.Identifier(chain.table_of(spec.label))
            run(sql.SQL("REVOKE ALL ON {} FROM {}").format(table, a))
            run(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table, a))
            if spec.blankable:
                columns = sql.SQL(", ").join(sql.Identifier(c) for c in spec.blankable)
                run(sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(columns, table, a))
        # Tables and sequences that later migrations (run as the owner) create.
        run(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
            ).format(o, a)
        )
        run(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT USAGE, SELECT ON SEQUENCES TO {}"
            ).format(o, a)
        )
