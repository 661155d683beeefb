from django.db import migrations

from choeur.core.migrations_ops import AddPostgreSQLIndex

# The COUNT of the wire API's supplier search (`parametresRetour.total` of
# rechercher/fournisseur): every invoice of the supplier that queries.issued_invoices shows
# (all but SUPPRIMEE), or those of some statuses (`statutCourant`). PostgreSQL counts them along
# an index, one entry at a time; on (supplier, status) its B-tree deduplicates the entries into
# posting lists, a few pages for a supplier's 50,000 invoices where the wider composites of
# 0002/0003 spread them over thousands: 3 ms instead of 6 (10 for one status) at 1,000,000
# invoices (bench/api.py). The same condition as the query, so that the partial index serves it.
# PostgreSQL only, as 0002's trigram index (RunPython: the model's state stays as it is): the
# gain is PostgreSQL's index-only count over deduplicated entries, which SQLite does not have.
#
# Built online since issue 14 (choeur.core.migrations_ops.AddPostgreSQLIndex: CREATE INDEX
# CONCURRENTLY IF NOT EXISTS, the invoice table's writes go on meanwhile; hence `atomic =
# False`). It replaces a RunPython with the same index (same name, same definition), neither in
# the model state: a database that applied this migration already has the index and never runs
# it again; a new one gets the same index; SQLite still gets nothing.
INDEX = "inv_supplier_status_count"


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('invoicing', '0003_supplier_search_indexes'),
    ]

    operations = [
        AddPostgreSQLIndex(name=INDEX, table="invoicing_invoice",
                           definition="(supplier_id, status) WHERE NOT (status = 'SUPPRIMEE')"),
    ]
