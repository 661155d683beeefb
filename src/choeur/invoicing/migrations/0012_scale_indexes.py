"""Small partial indexes for lists read in an order where the rows wanted are recent and few,
found by bench/ten_million.py (realistic ages: the oldest invoices are all settled and
acknowledged). Without them PostgreSQL walks a structure's whole history in that order and
filters it row by row. Built online (core.migrations_ops); on SQLite plain indexes (INCLUDE
is PostgreSQL's only).

- rechercher/atraiter/fournisseur and /recipiendaire, sorted by deposit date: the invoices
  to process (60,000 rows read for 50 at 1,000,000 invoices);
- rechercher/recipiendaire with factureTelechargeeParDestinataire=false: the status included
  so that the search's COUNT, which also filters on the statuses the recipient sees, is
  answered from the index;
- the rejections and suspensions not acknowledged yet of several suppliers at once (the box
  on top of « Factures émises » and the login pop-up, oldest first, for an accounting firm):
  969,000 rows and 5.6 s at 1,000,000 invoices.
"""

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
                condition=models.Q(("status__in", ["BROUILLON", "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
                                                   "A_RECYCLER", "SUSPENDUE"])),
                fields=["supplier", "deposited_at", "id"],
                name="inv_supplier_to_process_dep"),
        ),
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
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("acknowledged", False),
                                   ("status__in", ["REJETEE", "SUSPENDUE"])),
                fields=["status_changed_at"], name="inv_to_acknowledge_all"),
        ),
    ]
