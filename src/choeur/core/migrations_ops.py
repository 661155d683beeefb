"""Migration operations that build indexes without locking big tables on PostgreSQL.

A plain `CREATE INDEX` holds a SHARE lock on its table for the whole build: every INSERT,
UPDATE and DELETE waits — seconds to minutes on a table of millions of invoices, with the
portal and the API stuck behind it. `CREATE INDEX CONCURRENTLY` builds while writes go on (it
scans the table twice and waits for the transactions already running); it cannot run inside
a transaction, so a migration using these operations sets `atomic = False`.

The rule (docs/ARCHITECTURE.md, checked by tests/core/test_index_migrations.py): an index
added to, or removed from, a table that already exists is built or dropped with these
operations, one index per statement, so that a migration stopped half-way can simply be run
again:

- `AddIndexOnline(model_name, index)`: Django's `AddIndex` (same model state, so
  `makemigrations` sees no difference) that runs `CREATE INDEX CONCURRENTLY IF NOT EXISTS` on
  PostgreSQL and the plain `AddIndex` elsewhere (SQLite: both databases are supported, house
  rule 8; SQLite has no concurrent build, and a write there locks the whole file anyway).
- `RemoveIndexOnline(model_name, name)`: `DROP INDEX CONCURRENTLY IF EXISTS` on PostgreSQL.
- `AddPostgreSQLIndex(name, table, definition, extensions=())`: an index only PostgreSQL gets
  and the model state does not hold (a trigram GIN, a `varchar_pattern_ops` B-tree: house rule
  8), nothing on other databases.

`IF NOT EXISTS` alone would be a trap: a concurrent build that fails (cancelled, a deadlock,
the server stopped) leaves an INVALID index of that name, which PostgreSQL keeps up to date
but never reads, and which `IF NOT EXISTS` would take for done. So before building, an invalid
index of that name is dropped (concurrently too). With `sqlmigrate` (SQL collected, nothing
run) that check is left out and the statements are shown as they would run.
"""

from __future__ import annotations

from django.db import NotSupportedError, router
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation


def _online(schema_editor) -> bool:
    """True on PostgreSQL, after checking we are outside a transaction (when SQL runs)."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    if not schema_editor.collect_sql and schema_editor.connection.in_atomic_block:
        raise NotSupportedError(
            "Concurrent index builds cannot run inside a transaction: set atomic = False on "
            "the migration.")
    return True


def _drop_if_invalid(schema_editor, name: str) -> None:
    """Drop an index of that name left INVALID by a failed concurrent build."""
    if schema_editor.collect_sql:
        return
    quoted = schema_editor.quote_name(name)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
                       [quoted])
        row = cursor.fetchone()
    if row and row[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quoted}")


def _create_online(schema_editor, model, index) -> None:
    statement = index.create_sql(model, schema_editor, concurrently=True)
    plain = "CREATE INDEX CONCURRENTLY "
    if not statement.template.startswith(plain):  # a unique index, another backend's SQL
        raise NotSupportedError(f"No online build for {statement.template[:40]!r}")
    statement.template = statement.template.replace(plain, plain + "IF NOT EXISTS ", 1)
    _drop_if_invalid(schema_editor, index.name)
    schema_editor.execute(statement, params=None)


class AddIndexOnline(AddIndex):
    """AddIndex built with CREATE INDEX CONCURRENTLY IF NOT EXISTS on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _create_online(schema_editor, model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)  # IF EXISTS

    def describe(self):
        return super().describe() + " (online on PostgreSQL)"


class RemoveIndexOnline(RemoveIndex):
    """RemoveIndex as DROP INDEX CONCURRENTLY IF EXISTS on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(
                self.name)
            schema_editor.remove_index(model, index, concurrently=True)  # IF EXISTS

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(
                self.name)
            _create_online(schema_editor, model, index)

    def describe(self):
        return super().describe() + " (online on PostgreSQL)"


class AddPostgreSQLIndex(Operation):
    """`CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> ON <table> <definition>` on PostgreSQL
    (after `CREATE EXTENSION IF NOT EXISTS` of each of `extensions`), nothing elsewhere; not in
    the model state. Reversed by DROP INDEX CONCURRENTLY IF EXISTS (an extension is left: other
    indexes may use it)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str, table: str, definition: str, extensions=()):
        self.name = name
        self.table = table
        self.definition = definition
        self.extensions = tuple(extensions)

    def deconstruct(self):
        kwargs = {"name": self.name, "table": self.table, "definition": self.definition}
        if self.extensions:
            kwargs["extensions"] = self.extensions
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def _allowed(self, app_label, schema_editor) -> bool:
        return (router.allow_migrate(schema_editor.connection.alias, app_label)
                and _online(schema_editor))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not self._allowed(app_label, schema_editor):
            return
        for extension in self.extensions:
            schema_editor.execute(
                f"CREATE EXTENSION IF NOT EXISTS {schema_editor.quote_name(extension)}")
        _drop_if_invalid(schema_editor, self.name)
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {schema_editor.quote_name(self.name)} "
            f"ON {schema_editor.quote_name(self.table)} {self.definition}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not self._allowed(app_label, schema_editor):
            return
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self):
        return f"Create index {self.name} on {self.table} (PostgreSQL only, online)"

    @property
    def migration_name_fragment(self):
        return self.name.lower()
