"""Indexes on tables that already exist are built without locking them (PostgreSQL), and the
migrations still give both databases the same model state and the indexes they need.

The rule (docs/ARCHITECTURE.md, choeur.core.migrations_ops): a migration that creates or drops
an index on a table it did not create does it with CREATE INDEX CONCURRENTLY IF NOT EXISTS /
DROP INDEX CONCURRENTLY IF EXISTS, and is not atomic (a concurrent build cannot run inside a
transaction).
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from choeur.core.migrations_ops import AddPostgreSQLIndex

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="concurrent index builds are PostgreSQL's")

#: Migrations allowed to lock an existing table while they build an index, and why.
LOCKING_ALLOWED = {
    # The technical accounts' table holds a few rows per structure: its foreign key's index
    # (AddField) builds in milliseconds.
    ("organisations", "0005_technical_account_lenient_bearer"),
    # Adds a column, fills it row by row and makes it unique in one transaction: the ALTER
    # TABLE of its first step holds the table's ACCESS EXCLUSIVE lock until the end anyway.
    ("organisations", "0006_public_uuids"),
}

#: Indexes of the model state (both databases).
STATE_INDEXES = {
    "invoicing_invoice": ["inv_supplier_page", "inv_recipient_page", "inv_page",
                          "inv_supplier_partner_page", "inv_recipient_partner_page",
                          "inv_supplier_status_page", "inv_recipient_status_page",
                          "inv_supplier_to_process", "inv_recipient_to_process",
                          "inv_to_acknowledge", "inv_supplier_deposit", "inv_supplier_inv_date",
                          "inv_deposee", "inv_supplier_to_process_dep",
                          "inv_recipient_to_process_dep",
                          "inv_recipient_not_dl_visible", "inv_recipient_visible_dep",
                          "inv_supplier_deposited",
                          "inv_to_acknowledge_all"],
    "webhooks_delivery": ["webhook_delivery_age"],
}
#: Indexes only PostgreSQL gets (AddPostgreSQLIndex).
POSTGRESQL_INDEXES = {
    "invoicing_invoice": ["inv_number_trgm", "inv_supplier_status_count"],
    "organisations_structure": ["org_public_name_trgm", "org_public_city_trgm",
                                "org_public_identifier_prefix", "org_public_postcode_prefix",
                                "org_public_identifier_upper", "org_public_postcode_upper"],
}
#: Dropped by invoicing 0002 and 0014 (online on PostgreSQL).
DROPPED = ["inv_supplier_recent", "inv_recipient_recent", "inv_recipient_status",
           "inv_supplier_status", "inv_recipient_not_downloaded"]

INDEX_STATEMENT = re.compile(
    r'^(CREATE (?:UNIQUE )?INDEX|DROP INDEX)\b(?P<rest>.*?)(?: ON "?(?P<table>\w+)"?|;|$)',
    re.IGNORECASE)
UNIQUE_CONSTRAINT = re.compile(r'^ALTER TABLE "?(?P<table>\w+)"? ADD CONSTRAINT .* UNIQUE',
                               re.IGNORECASE)


def project_migrations():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted((key, migration) for key, migration in loader.disk_migrations.items()
                  if key[0] in {"accounts", "core", "organisations", "invoicing", "messaging",
                                "flux", "webhooks"})


def index_sql(app_label: str, name: str) -> list[str]:
    """The SQL `sqlmigrate` prints for one migration, one statement a line."""
    out = StringIO()
    call_command("sqlmigrate", app_label, name, stdout=out)
    return [line.strip() for line in out.getvalue().splitlines()
            if line.strip() and not line.startswith("--")]


@postgresql_only
@pytest.mark.django_db
def test_index_builds_on_existing_tables_are_concurrent_and_idempotent():
    checked, statements_seen, allowed_seen = [], 0, set()
    for (app_label, name), migration in project_migrations():
        sql = index_sql(app_label, name)
        created = {m[1] for m in (re.match(r'CREATE TABLE "?(\w+)"?', s) for s in sql) if m}
        for statement in sql:
            unique = UNIQUE_CONSTRAINT.match(statement)
            match = INDEX_STATEMENT.match(statement)
            table = (match and match["table"]) or (unique and unique["table"])
            if not (match or unique):
                continue
            if match and match[1].upper() == "DROP INDEX":
                table = None  # DROP INDEX names no table: every drop is checked
            elif table in created:
                continue  # a table of this very migration is empty
            if (app_label, name) in LOCKING_ALLOWED:
                allowed_seen.add((app_label, name))
                continue
            statements_seen += 1
            assert not unique, f"{app_label}.{name}: a unique constraint locks {table}"
            assert "CONCURRENTLY" in statement, f"{app_label}.{name} locks {table}: {statement}"
            assert re.search(r"CONCURRENTLY IF (NOT )?EXISTS", statement), statement
            assert migration.atomic is False, f"{app_label}.{name} must set atomic = False"
            checked.append(f"{app_label}.{name}")
    # The migrations of the issue are among those seen (the check is not vacuous).
    assert {"invoicing.0002_invoice_list_indexes", "invoicing.0003_supplier_search_indexes",
            "invoicing.0004_supplier_count_index", "invoicing.0006_deposee_index",
            "webhooks.0002_delivery_age_index",
            "organisations.0007_annuaire_search_indexes"} <= set(checked)
    assert statements_seen >= 26  # 15 in invoicing 0002, 6 in organisations 0007...
    assert allowed_seen == LOCKING_ALLOWED  # every exception is still needed


@postgresql_only
@pytest.mark.django_db
def test_sqlmigrate_shows_the_postgresql_only_indexes():
    sql = "\n".join(index_sql("organisations", "0007_annuaire_search_indexes"))
    assert "CREATE EXTENSION IF NOT EXISTS \"pg_trgm\"" in sql
    assert ('CREATE INDEX CONCURRENTLY IF NOT EXISTS "org_public_name_trgm" ON '
            '"organisations_structure" USING gin ((UPPER(company_name::text)) gin_trgm_ops) '
            "WHERE kind = 'PUBLIQUE'") in sql
    assert "BEGIN;" not in sql  # not atomic: each statement commits on its own


def indexes_of(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


@pytest.mark.django_db
def test_migrated_database_has_the_indexes():
    for table, names in STATE_INDEXES.items():
        assert set(names) <= set(indexes_of(table)), table
    for table, names in POSTGRESQL_INDEXES.items():
        present = set(names) & set(indexes_of(table))
        # PostgreSQL only (house rule 8): SQLite gets none of them.
        assert present == (set(names) if connection.vendor == "postgresql" else set()), table
    assert not set(DROPPED) & set(indexes_of("invoicing_invoice"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
            assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 on a change
    assert "No changes detected" in out.getvalue()


def test_online_operations_keep_the_model_state():
    """The online operations change the model state exactly as AddIndex / RemoveIndex did, and
    AddPostgreSQLIndex not at all: the state at the end of the migrations is the models'."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state(loader.graph.leaf_nodes())
    invoice = state.models["invoicing", "invoice"]
    names = {index.name for index in invoice.options["indexes"]}
    assert set(STATE_INDEXES["invoicing_invoice"]) <= names
    assert not set(DROPPED) & names
    assert not set(POSTGRESQL_INDEXES["invoicing_invoice"]) & names
    before = ProjectState()
    AddPostgreSQLIndex("x", "t", "(c)").state_forwards("organisations", before)
    assert before.models == {}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_index_left_invalid_by_a_failed_build_is_built_again():
    """A concurrent build that fails leaves an INVALID index; IF NOT EXISTS alone would take it
    for done. The operation drops it and builds it again."""
    from django.db import IntegrityError

    operation = AddPostgreSQLIndex("test_scratch_v", "test_scratch", "(v)")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_scratch (v integer)")
        try:
            cursor.execute("INSERT INTO test_scratch VALUES (1), (1)")
            with pytest.raises(IntegrityError):
                cursor.execute("CREATE UNIQUE INDEX CONCURRENTLY test_scratch_v "
                               "ON test_scratch (v)")
            cursor.execute("SELECT indisvalid FROM pg_index "
                           "WHERE indexrelid = to_regclass('test_scratch_v')")
            assert cursor.fetchone() == (False,)
            with connection.schema_editor(atomic=False) as editor:
                operation.database_forwards("core", editor, ProjectState(), ProjectState())
            cursor.execute("SELECT indisvalid, indisunique FROM pg_index "
                           "WHERE indexrelid = to_regclass('test_scratch_v')")
            assert cursor.fetchone() == (True, False)
            with connection.schema_editor(atomic=False) as editor:  # idempotent
                operation.database_forwards("core", editor, ProjectState(), ProjectState())
                operation.database_backwards("core", editor, ProjectState(), ProjectState())
            cursor.execute("SELECT to_regclass('test_scratch_v')")
            assert cursor.fetchone() == (None,)
        finally:
            cursor.execute("DROP TABLE test_scratch")


@postgresql_only
@pytest.mark.django_db
def test_a_concurrent_build_refuses_to_run_inside_a_transaction():
    from django.db import NotSupportedError

    operation = AddPostgreSQLIndex("test_never", "organisations_structure", "(city)")
    with pytest.raises(NotSupportedError, match="atomic = False"):
        with connection.schema_editor(atomic=False) as editor:  # the test's transaction
            operation.database_forwards("organisations", editor, ProjectState(),
                                        ProjectState())
