"""An index of the RUNNING task rows (a few, among a week of finished ones): every worker's
heartbeat looks for the lost ones (`core.leases`), and the routing timer for its own."""

from django.db import migrations

NAME = "choeur_tasks_running_idx"


def create(apps, schema_editor):
    table = apps.get_model("django_tasks_database", "DBTaskResult")._meta.db_table
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON {schema_editor.quote_name(table)} (started_at) "
        f"WHERE status = 'RUNNING'")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_ledger'),
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
    ]

    operations = [migrations.RunPython(create, drop)]
