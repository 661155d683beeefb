"""An index of the RUNNING task rows (a few, among a week of finished ones): every worker's
heartbeat looks for the lost ones (`core.leases`), and the routing timer for its own.

The task table already holds rows on an upgraded installation, so on PostgreSQL the index is
built online (CREATE INDEX CONCURRENTLY IF NOT EXISTS, `choeur.core.migrations_ops`; hence
`atomic = False`) while the workers keep writing; on SQLite it is the plain partial index."""

from django.db import migrations

from choeur.core.migrations_ops import AddPostgreSQLIndex

NAME = "choeur_tasks_running_idx"
TABLE = "django_tasks_database_dbtaskresult"
DEFINITION = "(started_at) WHERE status = 'RUNNING'"


def create_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON {TABLE} {DEFINITION}")


def drop_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('core', '0002_ledger'),
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
    ]

    operations = [
        AddPostgreSQLIndex(NAME, TABLE, DEFINITION),
        migrations.RunPython(create_on_sqlite, drop_on_sqlite),
    ]
