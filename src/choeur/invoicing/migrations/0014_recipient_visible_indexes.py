"""rechercher/recipiendaire sorted by deposit date over what the recipient sees, found by
bench/ten_million.py at 10 M invoices: the newest-first order walked the suppliers' drafts
addressed to the structure first (no deposit date: first in a descending order), 38,000 rows
for the biggest ministry, before its first visible invoice. Both indexes are partial on the
statuses the recipient sees (queries.received_invoices filters on the same list, so
PostgreSQL uses them); the « not downloaded » one replaces the index of 0012 that had no
status condition. Built online (core.migrations_ops).

The status list is RECIPIENT_VISIBLE as of this migration: if that list changes, a new
migration rebuilds both (online too), or PostgreSQL stops using them.
"""

from django.db import migrations, models

from choeur.core.migrations_ops import AddIndexOnline, RemoveIndexOnline

VISIBLE = ("MISE_A_DISPOSITION", "A_RECYCLER", "SUSPENDUE", "COMPLETEE", "REJETEE",
           "SERVICE_FAIT", "MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE",
           "MISE_EN_PAIEMENT")


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("invoicing", "0013_invoice_tally"),
    ]

    operations = [
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(condition=models.Q(("downloaded_by_recipient", False),
                                                  ("status__in", VISIBLE)),
                               fields=["recipient", "deposited_at", "id"], include=("status",),
                               name="inv_recipient_not_dl_visible"),
        ),
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(condition=models.Q(("status__in", VISIBLE)),
                               fields=["recipient", "deposited_at", "id"],
                               name="inv_recipient_visible_dep"),
        ),
        RemoveIndexOnline(
            model_name="invoice",
            name="inv_recipient_not_downloaded",
        ),
    ]
