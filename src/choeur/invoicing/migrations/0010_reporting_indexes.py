"""The dashboards' index (reporting/queries.py, bench/reporting.py): a recipient's invoices by
deposit date, with the status and amount the monthly volumes read, so that PostgreSQL answers
them from the index alone. Built online (core.migrations_ops); on SQLite a plain index (the
INCLUDE columns are PostgreSQL's only)."""

from django.db import migrations, models

from choeur.core.migrations_ops import AddIndexOnline


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("invoicing", "0009_travaux_statuses_and_cadres"),
    ]

    operations = [
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(fields=["recipient", "deposited_at"],
                               include=["status", "total_ttc"],
                               name="inv_recipient_deposit"),
        ),
    ]
