"""The rejections and suspensions not acknowledged yet of several suppliers at once (the box on
top of « Factures émises » and the login pop-up for a user of several structures, oldest
first): a small partial index in that order. Without it PostgreSQL walks inv_page from the
oldest invoice, all long acknowledged, filtering them one by one (bench/ten_million.py: 969,000
rows and 5.6 s at 1,000,000 invoices, for an accounting firm of five big suppliers). Built
online (core.migrations_ops)."""

from django.db import migrations, models

from choeur.core.migrations_ops import AddIndexOnline


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("invoicing", "0012_wire_search_indexes"),
    ]

    operations = [
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("acknowledged", False),
                                   ("status__in", ["REJETEE", "SUSPENDUE"])),
                fields=["status_changed_at"], name="inv_to_acknowledge_all"),
        ),
    ]
