"""Two small partial indexes for the recipient's wire searches sorted by deposit date whose
rows are recent and few: rechercher/atraiter/recipiendaire (MISE_A_DISPOSITION, COMPLETEE)
and rechercher/recipiendaire with factureTelechargeeParDestinataire=false. Without them
PostgreSQL walks the recipient's whole history by deposit date, the oldest invoices all
settled (bench/ten_million.py: 36,000 rows read for 50 at 200,000 invoices). The second
carries the status, so that the search's COUNT, which also filters on the statuses the
recipient sees, is answered from the index. Built online (core.migrations_ops); on SQLite
plain indexes (INCLUDE is PostgreSQL's only)."""

from django.db import migrations, models

from choeur.core.migrations_ops import AddIndexOnline


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("invoicing", "0011_payment_delay"),
    ]

    operations = [
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("status__in", ["MISE_A_DISPOSITION", "COMPLETEE"])),
                fields=["recipient", "deposited_at", "id"],
                name="inv_recipient_to_process_dep"),
        ),
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(condition=models.Q(("downloaded_by_recipient", False)),
                               fields=["recipient", "deposited_at", "id"], include=["status"],
                               name="inv_recipient_not_downloaded"),
        ),
    ]
