"""The archive records of the invoices deposited before the ledger (archives/backfill.py):
written once from their rows; an invoice that has a chain already is left alone."""

from django.db import migrations


def backfill(apps, schema_editor):
    from choeur.archives import backfill as chains

    chains.run(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_ledger"),
        ("invoicing", "0011_payment_delay"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
