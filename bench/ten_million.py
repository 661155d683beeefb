"""10 million invoices on PostgreSQL: a generator, then the portal lists, the API searches
and the dashboards measured at that size, and the database size per invoice (issue 19).

    .venv/bin/python bench/ten_million.py [--invoices 10000000] [--keep DIR] [--rounds N]
                                          [--calls N] [--explain] [--load-only]

A separate command (`make bench-10m`, KEEP=DIR), not part of `make bench`: at the default
10,000,000 invoices the load writes about 103 M rows and 53 GB (5.3 KB an invoice; leave
60 GB free), about 1,500 s of the database's CPU (1,000,000 invoices: 10.3 M rows, 134 s
of CPU, 638 s of wall time on the 2-core machine at load 10): count 45–60 minutes on a quiet
machine, two to three hours on a busy one. The rate and the CPU are printed per stage. The
measures then take a few minutes. With --keep DIR the PostgreSQL cluster is made in DIR and
left there (stopped): a second run with the same --keep reuses the data set (migrating it
first) and only measures. Without it, a
throwaway cluster (bench/_cluster.py) is removed at the end; CHOEUR_DATABASE_URL may name an
empty database instead (or one this bench filled).

The generator is set-based SQL (INSERT ... SELECT over generate_series and over the rows
already written, every random draw made once per row in PostgreSQL, no Python per row): the
database's own process does the work on one core, where formatting COPY lines in Python
would cost a core more for the same rows. Indexes that back no constraint are dropped first
and built after the load (unique constraints stay: they are the data's integrity), foreign
key triggers are off during the inserts (every id comes from rows just written), then
VACUUM ANALYZE. What it writes, with bench/portal.py's loader widened (portal.Spread):

- suppliers (n/200, 2,000 to 50,000) and public recipients (n/2,000, 300 to 5,000) with
  their services and espaces, and portal.py's four users (big supplier's and big
  recipient's gestionnaires, a user limited to two services, an accounting firm);
- n invoices over ten years: suppliers Zipf-like (rank r chosen with probability ∝ 1/r: the
  biggest issues ~6 % at 50,000 suppliers), recipients steeper (a few ministries: the biggest
  receives ~20 %, the first eight ~40 %); settled statuses (paid, accounted, rejected...)
  spread evenly over the ten years, the ones in progress recent (age 2 years × r⁴); cadres
  A1, A2 (already paid) and A9 (with a validator);
- their history (invoicing.StatusChange, ~2.8 rows an invoice: bench/reporting.py's
  load_history), the dashboards' rollup (reporting.InvoiceFacts: load_facts), their ledger
  chains (core.LedgerEntry: DEPOSIT with its full payload, one STATUS per history row,
  CERTIFICATE — real sizes, hashes not chained: nothing here verifies them), and the flux
  of the invoices deposited by API or EDI (one flux per supplier and day, a FluxItem per
  invoice).

Measures, with the existing benches' code: every page of bench/portal.py (lists of the big
supplier and the big recipient: first page, next page, filters, numbers, partners, details;
target < 200 ms), the wire searches `rechercher/fournisseur` (bench/api.py's calls),
`rechercher/recipiendaire` and both `rechercher/atraiter` (target p99 < 50 ms), and the
dashboards (bench/reporting.py: each figure and both pages; target p95 < 300 ms). Last, the
size of every table this bench fills (rows, heap, indexes) and per invoice.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import _cluster
import portal

import api
import reporting

RECIPIENT_LOGIN = "TECH_BENCH_RECIPIENDAIRE@cpro.fr"
RECIPIENT_CLIENT = "bench-api-recipient"
#: The tables this bench fills, in the order of the size table.
TABLES = ["invoicing_invoice", "invoicing_statuschange", "core_ledgerentry",
          "reporting_invoicefacts", "flux_flux", "flux_fluxitem", "organisations_structure",
          "organisations_service", "invoicing_invoicetally"]
#: Big tables whose plain indexes are built after the load.
LOADED = ["invoicing_invoice", "invoicing_statuschange", "core_ledgerentry",
          "reporting_invoicefacts", "flux_flux", "flux_fluxitem"]
PORTAL_TARGET, DASHBOARD_TARGET = 200.0, 300.0


def spread(count: int) -> portal.Spread:
    """Structures in proportion to the invoices; Zipf-like suppliers, a few ministries."""
    return portal.Spread(
        suppliers=min(50_000, max(portal.SUPPLIERS, count // 200)),
        recipients=min(5_000, max(portal.RECIPIENTS, count // 2_000)),
        days=3650, recent_days=730,
        # floor(N^u), u uniform: rank r with probability ln((r+1)/r)/ln(N+1) ≈ 1/r (Zipf).
        supplier_pick="ids.sup[floor(power(cardinality(ids.sup) + 1, random()))::int]",
        # u^1.5 instead of u: the first ranks (ministries) take more.
        recipient_pick=("ids.rec[floor(power(cardinality(ids.rec) + 1, "
                        "power(random(), 1.5)))::int]"))


# --- The generator ----------------------------------------------------------------------------


@dataclass
class Step:
    label: str
    seconds: float
    cpu: float  # the database backend's CPU seconds (parallel index workers not counted)
    rows: int


class Stopwatch:
    def __init__(self) -> None:
        self.steps: list[Step] = []

    def run(self, label: str, work) -> None:
        """`work()` returns the rows written; time, backend CPU and rows are recorded."""
        cpu, started = _cluster.backend_cpu(), time.perf_counter()
        rows = work() or 0
        step = Step(label, time.perf_counter() - started, _cluster.backend_cpu() - cpu, rows)
        self.steps.append(step)
        rate = f"{step.rows / step.seconds:>9,.0f}" if step.rows else f"{'':>9}"
        print(f"  {label:<34} {step.rows:>12,} {step.seconds:>8.1f} {step.cpu:>8.1f} {rate}",
              flush=True)


def execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def triggers_off() -> None:
    """Foreign key checks off for this session, where the role allows it (a superuser)."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            execute("SET session_replication_role = replica")
    except DatabaseError:
        pass


def insert_select(model, derived: dict[str, str], source: str, params=None) -> int:
    """INSERT INTO model's table SELECT `derived` column expressions FROM `source`; the
    columns not named get the model's default (a field added later does not break this)."""
    from django.db import connection

    params = dict(params or {})
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in derived:
            expressions.append(derived[field.column])
        elif field.null and not field.has_default():
            expressions.append("NULL")
        else:
            name = f"default_{field.column}"
            params[name] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"CAST(%({name})s AS {field.db_type(connection)})")
    return execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
                   f"SELECT {', '.join(expressions)} {source}", params)


def unique_constraints(table: str) -> list[tuple[str, str]]:
    """A table's unique constraints (name, definition): a btree filled row by row in random
    key order is far slower than one built by a sort after the load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'u' ORDER BY 1", [table])
        return cursor.fetchall()


def load_ledger() -> int:
    """The invoices' ledger chains: DEPOSIT (the payload records.deposit_payload writes),
    one STATUS per history row, CERTIFICATE. Sizes as the real ones; hashes not chained."""
    from choeur.core.models import LedgerEntry
    from choeur.invoicing import records
    from choeur.invoicing.models import Invoice

    def column(name: str) -> str:
        return "i." + Invoice._meta.get_field(name).column

    def instant(expression: str) -> str:
        return (f"to_char({expression} AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")

    pairs = [f"'{name}', {column(name)}" for name in records.DEPOSIT_FIELDS]
    pairs += [f"'{name}', ({column(name)})::numeric(20, 6)::text" for name in records.AMOUNTS]
    pairs += ["'supplier', s.identifier", "'supplier_service', ''",
              "'recipient', r.identifier", "'recipient_service', coalesce(rs.code, '')",
              "'validator', coalesce(v.identifier, '')",
              "'invoice_date', i.invoice_date::text",
              f"'deposited_at', {instant('i.deposited_at')}",
              "'original', i.main_file_sha256", "'original_name', i.main_file_name",
              "'xml', ''", "'attachments', '[]'::jsonb"]
    sha = "encode(sha256(convert_to({}, 'UTF8')), 'hex')"
    common = {"object_type": f"'{records.LEDGER_TYPE}'", "seal_id": "NULL",
              "purged_at": "NULL"}
    rows = insert_select(LedgerEntry, {
        **common, "object_id": "i.id::text", "seq": "1", "kind": f"'{records.DEPOSIT}'",
        "at": "i.deposited_at", "payload": "p.payload",
        "prev_hash": sha.format(f"'{records.LEDGER_TYPE}:' || i.id"),
        "hash": sha.format("p.payload || i.id")}, f"""
        FROM invoicing_invoice i
        JOIN organisations_structure s ON s.id = i.supplier_id
        JOIN organisations_structure r ON r.id = i.recipient_id
        LEFT JOIN organisations_structure v ON v.id = i.validator_id
        LEFT JOIN organisations_service rs ON rs.id = i.recipient_service_id
        CROSS JOIN LATERAL (SELECT jsonb_build_object({", ".join(pairs)})::text AS payload) p
        WHERE i.deposited_at IS NOT NULL""")
    # History rows of bench/reporting.py: DEPOSEE, MISE_A_DISPOSITION, then the current one.
    rows += insert_select(LedgerEntry, {
        **common, "object_id": "h.invoice_id::text",
        "seq": ("CASE WHEN h.previous = 'BROUILLON' THEN 2 "
                "WHEN h.status = 'MISE_A_DISPOSITION' THEN 3 ELSE 4 END"),
        "kind": f"'{records.STATUS}'", "at": "h.at", "payload": "p.payload",
        "prev_hash": sha.format("h.id::text"), "hash": sha.format("p.payload || h.id")}, """
        FROM invoicing_statuschange h
        CROSS JOIN LATERAL (SELECT jsonb_build_object(
            'status', h.status, 'previous', h.previous, 'actor', h.actor_label,
            'comment', h.comment)::text AS payload) p""")
    rows += insert_select(LedgerEntry, {
        **common, "object_id": "i.id::text", "seq": "5", "kind": f"'{records.CERTIFICATE}'",
        "at": "i.deposited_at", "payload": "jsonb_build_object('sha256', "
                                           "i.certificate_sha256)::text",
        "prev_hash": sha.format("i.id::text"), "hash": sha.format("i.certificate_sha256")}, """
        FROM invoicing_invoice i
        WHERE i.deposited_at IS NOT NULL AND i.certificate_sha256 <> ''""")
    return rows


def load_flux() -> int:
    """One flux per supplier and day for the invoices deposited by API or EDI, integrated,
    and a FluxItem per invoice."""
    from choeur.flux.models import Canal, EtatFlux, Flux, FluxItem
    from choeur.invoicing.models import ModeDepot

    modes = f"('{ModeDepot.UPLOAD_API}', '{ModeDepot.EDI}')"
    execute("DROP TABLE IF EXISTS bench_flux")
    execute(f"""
        CREATE TEMPORARY TABLE bench_flux AS
        SELECT 'CPP' || lpad((row_number() OVER ())::text, 22, '0') AS numero, supplier_id,
               (deposited_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n,
               max(deposited_at) AS at, min(mode_depot) AS mode
        FROM invoicing_invoice
        WHERE mode_depot IN {modes} AND deposited_at IS NOT NULL
        GROUP BY supplier_id, (deposited_at AT TIME ZONE 'UTC')::date""")  # noqa: S608
    rows = insert_select(Flux, {
        "numero": "b.numero", "structure_id": "b.supplier_id",
        "channel": f"CASE WHEN b.mode = '{ModeDepot.EDI}' THEN '{Canal.EDI}' "
                   f"ELSE '{Canal.API}' END",
        "syntaxe": "'IN_DP_E1_CII_16B'", "filename": "'lot-' || b.day || '.tar.gz'",
        "sha256": "encode(sha256(convert_to(b.numero, 'UTF8')), 'hex')",
        "size": "b.n * 9000", "kind": "'tar.gz'", "invoice_count": "b.n",
        "integrated_count": "b.n", "rejected_count": "0", "status": f"'{EtatFlux.INTEGRE}'",
        "status_at": "b.at + interval '2 minutes'", "deposited_at": "b.at",
        "attempts": "1"}, "FROM bench_flux b")
    rows += insert_select(FluxItem, {
        "flux_id": "f.id",
        "position": "row_number() OVER (PARTITION BY f.id ORDER BY i.id)",
        "name": "i.number || '.xml'", "number": "i.number",
        "supplier_identifier": "s.identifier", "recipient_identifier": "r.identifier",
        "accepted": "true", "invoice_id": "i.id", "created_at": "i.deposited_at"}, f"""
        FROM invoicing_invoice i
        JOIN bench_flux b ON b.supplier_id = i.supplier_id
                         AND b.day = (i.deposited_at AT TIME ZONE 'UTC')::date
        JOIN flux_flux f ON f.numero = b.numero
        JOIN organisations_structure s ON s.id = i.supplier_id
        JOIN organisations_structure r ON r.id = i.recipient_id
        WHERE i.mode_depot IN {modes} AND i.deposited_at IS NOT NULL""")  # noqa: S608
    execute("DROP TABLE bench_flux")
    return rows


def generate(count: int) -> list[Step]:
    from choeur.invoicing import tally
    from choeur.invoicing.models import Invoice, InvoiceTally, StatusChange
    from choeur.reporting.models import InvoiceFacts

    watch = Stopwatch()
    chosen = spread(count)
    print(f"\nGenerating {count:,} invoices ({chosen.suppliers:,} suppliers, "
          f"{chosen.recipients:,} recipients, ten years); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    print(f"  {'step':<34} {'rows':>12} {'wall s':>8} {'db cpu s':>8} {'rows/s':>9}")
    world: list[portal.World] = []

    def structures() -> int:
        world.append(portal.load_structures(random.Random(42), chosen))  # noqa: S311
        portal.make_users(world[0])
        return chosen.suppliers + chosen.recipients

    watch.run("structures, services, users", structures)
    indexes = {table: portal.invoice_indexes(table) for table in LOADED}
    uniques = {table: unique_constraints(table) for table in LOADED}
    for table, table_indexes in indexes.items():
        for name, _ in table_indexes:
            execute(f"DROP INDEX {name}")
        for name, _ in uniques[table]:
            execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    tally.pause()  # counted once after the load (tally.rebuild), not by the triggers
    watch.run("invoices", lambda: portal.load_invoices(world[0], count, chosen) or count)
    watch.run("history (StatusChange)",
              lambda: reporting.load_history() and StatusChange.objects.count())
    watch.run("dashboards rollup (InvoiceFacts)",
              lambda: reporting.load_facts() and InvoiceFacts.objects.count())
    triggers_off()
    watch.run("ledger entries", load_ledger)
    watch.run("flux and flux items", load_flux)
    execute("RESET session_replication_role")

    def build_indexes() -> int:
        for table, constraints in uniques.items():  # checked again as they are built
            for name, definition in constraints:
                execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for table_indexes in indexes.values():
            for _, statement in table_indexes:
                execute(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
                        .replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ",
                                 1))
        return 0

    built = sum(len(v) for v in indexes.values()) + sum(len(v) for v in uniques.values())
    watch.run(f"{built} indexes built after the load", build_indexes)
    watch.run("invoice tally", lambda: tally.rebuild() or InvoiceTally.objects.count())
    watch.run("VACUUM ANALYZE", lambda: execute("VACUUM ANALYZE"))
    for invoice in (Invoice.objects.filter(supplier_id=world[0].supplier_ids[0],
                                           status="MISE_EN_PAIEMENT")
                    .order_by("-status_changed_at").first(),
                    Invoice.objects.filter(recipient_id=world[0].recipient_ids[0],
                                           status="MISE_A_DISPOSITION")
                    .order_by("-status_changed_at").first()):
        portal.add_detail_rows(invoice)  # lines and VAT for the detail pages
    seconds = sum(s.seconds for s in watch.steps)
    rows = sum(s.rows for s in watch.steps)
    print(f"  {'total':<34} {rows:>12,} {seconds:>8.1f} "
          f"{sum(s.cpu for s in watch.steps):>8.1f} {rows / seconds:>9,.0f}")
    return watch.steps


# --- Sizes ------------------------------------------------------------------------------------


def sizes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM invoicing_invoice")
        invoices = cursor.fetchone()[0]
        cursor.execute("""
            SELECT c.relname, greatest(c.reltuples, 0)::bigint, pg_table_size(c.oid),
                   pg_indexes_size(c.oid), pg_total_relation_size(c.oid)
            FROM pg_class c WHERE c.relname = ANY(%s)""", [TABLES])
        found = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
    mb = 1024 * 1024
    print(f"\nDatabase size, {invoices:,} invoices (rows: the planner's estimate after "
          f"ANALYZE):")
    print(f"  {'table':<26} {'rows':>12} {'/invoice':>8} {'heap MB':>9} {'index MB':>9} "
          f"{'total MB':>9} {'B/invoice':>9}")
    total = 0
    for table in TABLES:
        rows, heap, index, whole = found[table]
        total += whole
        print(f"  {table:<26} {rows:>12,} {rows / invoices:>8.2f} {heap / mb:>9.1f} "
              f"{index / mb:>9.1f} {whole / mb:>9.1f} {whole / invoices:>9,.0f}")
    print(f"  {'these tables':<26} {'':>12} {'':>8} {'':>9} {'':>9} {total / mb:>9.1f} "
          f"{total / invoices:>9,.0f}")
    print(f"  {'whole database':<26} {'':>12} {'':>8} {'':>9} {'':>9} {database / mb:>9.1f} "
          f"{database / invoices:>9,.0f}")


# --- The wire searches ------------------------------------------------------------------------


def recipient_searches(big_recipient, supplier_id: int, service_id: int,
                       rng: random.Random) -> list[tuple[str, str, dict]]:
    """rechercher/recipiendaire and rechercher/atraiter/recipiendaire as the big recipient's
    software calls them."""
    from datetime import timedelta

    from choeur.core import clock
    from choeur.invoicing.models import Invoice

    path = "factures/v1/rechercher/recipiendaire"
    mine = Invoice.objects.filter(recipient=big_recipient, status="MISE_EN_PAIEMENT")
    number = mine.order_by("-status_changed_at").values_list("number", flat=True)[300]

    def page(n: int = 1, size: int = 50) -> dict:
        return {"paramRecherche": {"pageResultatDemandee": n, "nbResultatsParPage": size,
                                   "triSens": "Descendant"}}

    base = {"idDestinataire": big_recipient.pk}
    start = clock.today() - timedelta(days=rng.randrange(30, 3000))
    to_process = {"idStructure": big_recipient.pk}
    return [
        (path, "reçues: page 1", {**base, **page()}),
        (path, "reçues: page 2", {**base, **page(2)}),
        (path, "reçues: page 20", {**base, **page(20)}),
        (path, "reçues: number, exact", {**base, "numeroFacture": number, **page()}),
        (path, "reçues: number, absent", {**base, "numeroFacture": "ZZ-0000", **page()}),
        (path, "reçues: one supplier", {
            **base, "listeFournisseurs": [{"idFournisseur": supplier_id}], **page()}),
        (path, "reçues: one service", {**base, "idServiceExecutant": service_id, **page()}),
        (path, "reçues: status MISE_A_DISPOSITION", {
            **base, "statutCourant": ["MISE_A_DISPOSITION"], **page()}),
        (path, "reçues: status SUSPENDUE, page 3", {
            **base, "statutCourant": ["SUSPENDUE"], **page(3)}),
        (path, "reçues: deposit dates, 1 month", {
            **base, "periodeDateDepotDu": start.isoformat(),
            "periodeDateDepotAu": (start + timedelta(days=30)).isoformat(), **page()}),
        (path, "reçues: not downloaded", {
            **base, "factureTelechargeeParDestinataire": False, **page()}),
        ("factures/v1/rechercher/atraiter/recipiendaire", "reçues à traiter: page 1", {
            **to_process, "parametreRechercheFactureATraiterParRecipiendaire": {
                "pageResultatDemandee": 1, "nbResultatsParPage": 50}}),
        ("factures/v1/rechercher/atraiter/recipiendaire", "reçues à traiter: page 5", {
            **to_process, "parametreRechercheFactureATraiterParRecipiendaire": {
                "pageResultatDemandee": 5, "nbResultatsParPage": 50}}),
    ]


def measure_searches(calls: int) -> dict[str, float]:
    """The supplier's and the recipient's searches; p99 per side (ms)."""
    from django.db.models import Count

    from choeur.invoicing.models import Invoice
    from choeur.organisations.models import Service, Structure

    def structure_of(name: str) -> Structure:
        return Structure.objects.get(
            rattachements__user__email=f"{name}@{portal.BENCH_DOMAIN}")

    big_supplier, big_recipient = structure_of("fournisseur"), structure_of("destinataire")
    api.make_party(big_supplier)
    api.make_party(big_recipient, RECIPIENT_LOGIN, RECIPIENT_CLIENT)
    rng = random.Random(19)  # noqa: S311
    supplier_calls = [("factures/v1/rechercher/fournisseur", f"émises: {label}", body)
                      for label, body in api.searches(big_supplier, rng,
                                                      api.add_flux(big_supplier))]
    supplier_calls += [("factures/v1/rechercher/atraiter/fournisseur", "émises à traiter", {
        "idStructure": big_supplier.pk, "rechercheFactureATraiterParFournisseur": {
            "pageResultatDemandee": 1, "nbResultatsParPage": 50}})]
    partner = (Invoice.objects.filter(recipient=big_recipient).values("supplier")
               .annotate(n=Count("id")).order_by("-n")[10]["supplier"])
    service = Service.objects.filter(structure=big_recipient, code="SERVICE-05").get()
    recipient_calls = recipient_searches(big_recipient, partner, service.pk, rng)
    result = {}
    for side, wire, chosen in (
            ("supplier", api.Wire(), supplier_calls),
            ("recipient", api.Wire(RECIPIENT_LOGIN, RECIPIENT_CLIENT), recipient_calls)):
        times, cpu = api.time_calls(wire, chosen, calls)
        result[side] = api.pct(times, 0.99)
        result[side + " cpu"] = api.pct(cpu, 0.99)
    return result


# --- The run ----------------------------------------------------------------------------------


def run_bench(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from choeur.invoicing.models import Invoice

    if connection.vendor != "postgresql":
        raise SystemExit("bench/ten_million.py measures PostgreSQL")
    call_command("migrate", verbosity=0)
    state = portal.database_state()
    if state == "other":
        raise SystemExit("The database holds other data: give an empty one.")
    steps = []
    if state == "empty":
        steps = generate(args.invoices)
    else:
        print(f"\nReusing the data set ({Invoice.objects.count():,} invoices).")
        execute("ANALYZE")
    sizes()
    if args.load_only:
        return
    results = portal.measure_pages(portal.logged_in_clients(), args.rounds, PORTAL_TARGET)
    slow_pages = [r for r in results if portal.p95(r.times) >= PORTAL_TARGET]
    search_p99 = measure_searches(args.calls)
    over = reporting.measure_dashboards(args.rounds, DASHBOARD_TARGET)
    if args.explain:
        for result in slow_pages:
            print(f"\n== {result.page.label}: slowest query ({result.slowest_ms:.1f} ms)\n"
                  f"{result.slowest_sql}\n\n{_cluster.explain(result.slowest_sql)}")
        for label, call in over:
            print(f"\n== {label}: slowest query")
            reporting.explain(call)
    worst_page = max(portal.p95(r.times) for r in results)
    worst_cpu = max(statistics.median(r.cpu) + statistics.median(r.db_cpu) for r in results)
    print(f"\nSummary at {Invoice.objects.count():,} invoices (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    if steps:
        rows = sum(s.rows for s in steps)
        seconds = sum(s.seconds for s in steps)
        print(f"  generation: {rows:,} rows in {seconds:.0f} s = {rows / seconds:,.0f} rows/s "
              f"({args.invoices / seconds:,.0f} invoices/s with their rows)")
    print(f"  portal: worst page p95 {worst_page:.1f} ms, {len(slow_pages)} page(s) over "
          f"{PORTAL_TARGET:.0f} ms; CPU (Python + PostgreSQL, median) of the costliest page "
          f"{worst_cpu:.1f} ms")
    print(f"  API searches p99: supplier {search_p99['supplier']:.1f} ms, recipient "
          f"{search_p99['recipient']:.1f} ms (target < {api.SEARCH_TARGET:.0f} ms); CPU "
          f"(Python + PostgreSQL) p99: supplier {search_p99['supplier cpu']:.1f} ms, "
          f"recipient {search_p99['recipient cpu']:.1f} ms")
    print(f"  dashboards: {len(over)} figure(s)/page(s) over {DASHBOARD_TARGET:.0f} ms p95"
          + (f" ({', '.join(label for label, _ in over)})" if over else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="make (or reuse) the PostgreSQL cluster in DIR and leave it there")
    parser.add_argument("--rounds", type=int, default=15, help="timed requests per page")
    parser.add_argument("--calls", type=int, default=200, help="API calls per side")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE the slowest query of what misses its target")
    parser.add_argument("--load-only", action="store_true",
                        help="generate (or reuse) and print the sizes, no measures")
    args = parser.parse_args()
    _cluster.run_in_django(run_bench, args, keep=args.keep)


if __name__ == "__main__":
    main()
