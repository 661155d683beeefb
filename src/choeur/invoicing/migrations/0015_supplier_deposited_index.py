"""rechercher/fournisseur with a status criterion that leaves drafts out, sorted by deposit
date, found by bench/ten_million.py at 10 M invoices: the newest-first order walked the big
supplier's 13,000 drafts first (no deposit date: first in a descending order) before its
first invoice of that status (10–20 ms a page). A partial index without drafts: PostgreSQL
proves that the criterion's `status IN (…)` implies its condition. Built online
(core.migrations_ops)."""

from django.db import migrations, models

from choeur.core.migrations_ops import AddIndexOnline


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("invoicing", "0014_recipient_visible_indexes"),
    ]

    operations = [
        AddIndexOnline(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("status__in", ["BROUILLON", "SUPPRIMEE"]), _negated=True),
                fields=["supplier", "deposited_at", "id"], name="inv_supplier_deposited"),
        ),
    ]
