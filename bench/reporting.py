"""Server time of the dashboards (« Tableau de bord », reporting/) on PostgreSQL, at 1,000,000
invoices.

    make bench            (or: .venv/bin/python bench/reporting.py [--invoices N] [--rounds N]
                           [--explain] [--target MS])

The data set is bench/portal.py's (same loader, same throwaway cluster or
CHOEUR_DATABASE_URL: 2,000 suppliers, 300 public recipients, a big recipient receiving 20 % of
the invoices over three years, a big supplier issuing 5 %), plus the history the figures read,
written by INSERT ... SELECT from the invoices: DEPOSEE at the deposit, MISE_A_DISPOSITION
0–47 hours later for what reached the recipient, then the current status (rejections and
suspensions with one of six reasons) — about 2.8 rows an invoice — and the dashboards'
rollup (reporting.InvoiceFacts, the figures' only table) built from both by one more
INSERT ... SELECT (`load_facts`, the same rows as reporting/facts.py's backfill).

Then, as the big recipient's gestionnaire over the default period (the last twelve months:
~65,000 invoices) and as the big supplier's: each figure function (reporting/queries.py)
alone, and the whole page through Django's test client (force_login), a few warm-up calls
then --rounds timed ones; median and p95 in ms. The target (the issue's criterion): every
figure and each whole page under 300 ms at p95.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import _cluster
import portal

REASONS = ["Numéro d'engagement absent", "Service fait non constaté", "Montant erroné",
           "Pièce justificative manquante", "Doublon", "Coordonnées bancaires erronées"]
#: Statuses an invoice has before it reaches its recipient (no MISE_A_DISPOSITION row).
NOT_ROUTED = ("BROUILLON", "SUPPRIMEE", "A_VALIDER_1", "REFUSEE_1", "DEPOSEE",
              "EN_COURS_ACHEMINEMENT", "ERREUR_FOURNISSEUR_SUR_VALIDEUR")


def load_history() -> float:
    """Three INSERT ... SELECT over the invoices; returns the seconds it took."""
    from django.db import DatabaseError, connection, transaction

    started = time.perf_counter()
    reasons = "ARRAY[" + ", ".join("'" + r.replace("'", "''") + "'" for r in REASONS) + "]"
    not_routed = ", ".join(f"'{s}'" for s in NOT_ROUTED)
    made_available = ("LEAST(i.status_changed_at, "
                      "i.deposited_at + mod(i.id, 48) * interval '1 hour')")
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            pass
        cursor.execute("DROP INDEX IF EXISTS inv_history")
        columns = "(invoice_id, status, previous, at, actor_label, comment)"
        cursor.execute(f"""
            INSERT INTO invoicing_statuschange {columns}
            SELECT i.id, 'DEPOSEE', 'BROUILLON', i.deposited_at, 'Choeur', ''
            FROM invoicing_invoice i WHERE i.deposited_at IS NOT NULL""")  # noqa: S608
        cursor.execute(f"""
            INSERT INTO invoicing_statuschange {columns}
            SELECT i.id, 'MISE_A_DISPOSITION', 'EN_COURS_ACHEMINEMENT', {made_available},
                   'Choeur', ''
            FROM invoicing_invoice i
            WHERE i.deposited_at IS NOT NULL AND i.status NOT IN ({not_routed})""")  # noqa: S608
        cursor.execute(f"""
            INSERT INTO invoicing_statuschange {columns}
            SELECT i.id, i.status, 'MISE_A_DISPOSITION', i.status_changed_at, 'Destinataire',
                   CASE WHEN i.status IN ('REJETEE', 'SUSPENDUE')
                        THEN ({reasons})[1 + mod(i.id, {len(REASONS)})] ELSE '' END
            FROM invoicing_invoice i
            WHERE i.deposited_at IS NOT NULL AND i.status NOT IN ({not_routed})
              AND i.status <> 'MISE_A_DISPOSITION'""")  # noqa: S608
        cursor.execute("CREATE INDEX inv_history ON invoicing_statuschange (invoice_id, at)")
        cursor.execute("RESET session_replication_role")
        cursor.execute("VACUUM ANALYZE invoicing_statuschange")
    return time.perf_counter() - started


def load_facts() -> float:
    """The dashboards' rollup (reporting.InvoiceFacts) of every invoice, as
    reporting/facts.py `build` makes it, in one INSERT ... SELECT over the invoices and their
    history grouped per invoice; returns the seconds it took. The bench's invoices carry no
    payment clock (loaded by SQL, not by the lifecycle): the facts get a plausible one — due
    30 days after the deposit for what reached the recipient and was not rejected, paid at
    the first MISE_EN_PAIEMENT — so that the late-payments figure has rows to read."""
    from django.db import connection

    from choeur.invoicing.statuses import RECIPIENT_VISIBLE
    from choeur.reporting import facts

    started = time.perf_counter()
    actions = ", ".join(f"'{s}'" for s in sorted(facts.RECIPIENT_ACTIONS))
    visible = ", ".join(f"'{s}'" for s in RECIPIENT_VISIBLE if s != "REJETEE")

    def reason(status):
        first = (f"(array_agg(h.comment ORDER BY h.at, h.id) "
                 f"FILTER (WHERE h.status = '{status}'))[1]")
        return (f"COALESCE(NULLIF(left(regexp_replace(btrim({first}), '\\s+', ' ', 'g'), "
                f"{facts.REASON_LENGTH}), ''), '{facts.NO_REASON}')")

    def days(column):
        return (f"CASE WHEN {column} >= i.deposited_at "
                f"THEN extract(epoch FROM {column} - i.deposited_at)::float8 / 86400 END")

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reporting_invoicefacts")
        cursor.execute(f"""
            INSERT INTO reporting_invoicefacts (
                invoice_id, recipient_id, recipient_service_id, supplier_id,
                supplier_service_id, deposited_at, deposit_month, status, total_ttc,
                amount_due, payment_due_on, paid_at, paid_on, made_available_at, first_action_at,
                payment_started_at, days_to_available, days_to_first_action, days_to_payment,
                rejected, rejection_reason, suspended, suspension_reason)
            SELECT i.id, i.recipient_id, i.recipient_service_id, i.supplier_id,
                   i.supplier_service_id, i.deposited_at,
                   date_trunc('month', i.deposited_at AT TIME ZONE 'Europe/Paris')::date,
                   i.status, i.total_ttc, i.amount_due,
                   CASE WHEN i.status IN ({visible})
                        THEN (i.deposited_at AT TIME ZONE 'Europe/Paris')::date + 30 END,
                   h.paid, (h.paid AT TIME ZONE 'Europe/Paris')::date,
                   h.made, h.action, h.paid,
                   {days("h.made")}, {days("h.action")}, {days("h.paid")},
                   coalesce(h.rejected, false),
                   CASE WHEN h.rejected THEN h.rejection ELSE '' END,
                   coalesce(h.suspended, false),
                   CASE WHEN h.suspended THEN h.suspension ELSE '' END
            FROM invoicing_invoice i
            LEFT JOIN (
                SELECT h.invoice_id,
                       min(h.at) FILTER (WHERE h.status = 'MISE_A_DISPOSITION') AS made,
                       min(h.at) FILTER (WHERE h.status IN ({actions})) AS action,
                       min(h.at) FILTER (WHERE h.status = 'MISE_EN_PAIEMENT') AS paid,
                       coalesce(bool_or(h.status = 'REJETEE'), false) AS rejected,
                       {reason("REJETEE")} AS rejection,
                       coalesce(bool_or(h.status = 'SUSPENDUE'), false) AS suspended,
                       {reason("SUSPENDUE")} AS suspension
                FROM invoicing_statuschange h GROUP BY h.invoice_id
            ) h ON h.invoice_id = i.id""")  # noqa: S608
        cursor.execute("VACUUM ANALYZE reporting_invoicefacts")
    return time.perf_counter() - started


def timed(call, rounds: int) -> tuple[float, float, float]:
    """Median and p95 wall time, and the median CPU time (this thread's and the PostgreSQL
    backend's: what the load of a shared machine disturbs least), in ms."""
    for _ in range(2):
        call()
    times, cpu = [], []
    for _ in range(rounds):
        started_db = _cluster.backend_cpu()
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu + _cluster.backend_cpu() - started_db)
                   * 1000)
    return statistics.median(times), portal.p95(times), statistics.median(cpu)


def explain(call) -> None:
    """The slowest query of `call`, with EXPLAIN (ANALYZE, BUFFERS)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        print("\n".join("      " + row[0] for row in cursor.fetchall()))


def measure_dashboards(rounds: int, target: float) -> list[tuple[str, object]]:
    """Each figure of the big recipient's and the big supplier's dashboards (their default
    period) and both whole pages, timed and printed; the (label, call) over the target."""
    from django.test import Client

    from choeur.accounts.models import User
    from choeur.reporting import queries

    domain = portal.BENCH_DOMAIN
    recipient_user = User.objects.get(email=f"destinataire@{domain}")
    supplier_user = User.objects.get(email=f"fournisseur@{domain}")
    r = queries.filters(recipient_user, queries.RECIPIENT)
    s = queries.filters(supplier_user, queries.SUPPLIER)
    print(f"\nDashboards. Big recipient: {queries.invoices(recipient_user, r).count():,} "
          f"invoices from {r.start} to {r.end}; big supplier: "
          f"{queries.invoices(supplier_user, s).count():,}.")
    clients = {}
    for user in (recipient_user, supplier_user):
        client = clients[user.pk] = Client(SERVER_NAME="localhost")
        client.force_login(user)
        # Past the pop-up of pending rejections (« Plus tard »), as bench/portal.py.
        response = client.get("/")
        if response.status_code == 302:
            client.post(response["Location"].split("?")[0], {"next": "/"})

    def page(user, side):
        def call():
            response = clients[user.pk].get(f"/tableau-de-bord/{side}/")
            assert response.status_code == 200, response.status_code
        return call

    measures = [
        ("destinataire: volumes par mois", lambda: queries.volumes(recipient_user, r)),
        ("destinataire: délais (médianes)",
         lambda: queries.processing_times(recipient_user, r)),
        ("destinataire: rejets, suspensions",
         lambda: queries.rejection_rates(recipient_user, r)),
        ("destinataire: retards de paiement",
         lambda: queries.late_payments(recipient_user, r)),
        ("destinataire: page entière", page(recipient_user, queries.RECIPIENT)),
        ("fournisseur: factures par statut", lambda: queries.by_status(supplier_user, s)),
        ("fournisseur: délai de paiement",
         lambda: queries.payment_times(supplier_user, s)),
        ("fournisseur: page entière", page(supplier_user, queries.SUPPLIER)),
    ]
    print(f"\n  {'figure':<38} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8}   (cpu: Python + "
          f"PostgreSQL, median; load average {os.getloadavg()[0]:.1f})")
    over = []
    for label, call in measures:
        p50, p95, cpu = timed(call, rounds)
        print(f"  {label:<38} {p50:8.1f} {p95:8.1f} {cpu:8.1f}", flush=True)
        if p95 > target:
            over.append((label, call))
    return over


def run_bench(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from choeur.invoicing.models import Invoice, StatusChange

    if connection.vendor != "postgresql":
        sys.exit("bench/reporting.py measures PostgreSQL: CHOEUR_DATABASE_URL must be "
                 "postgresql://")
    call_command("migrate", verbosity=0)
    state = portal.database_state()
    if state == "other":
        sys.exit("The database of CHOEUR_DATABASE_URL holds other data: give an empty one.")
    if state == "empty":
        print(f"\nLoading {args.invoices:,} invoices:")
        started = time.perf_counter()
        for step, seconds in portal.load(args.invoices).items():
            print(f"  {step:<40} {seconds:8.1f} s")
        print(f"  {'total':<40} {time.perf_counter() - started:8.1f} s")
    else:
        print(f"\nReusing the data set ({Invoice.objects.count():,} invoices).")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if StatusChange.objects.count() < Invoice.objects.count():
        StatusChange.objects.all().delete()
        print(f"  {'history rows':<40} {load_history():8.1f} s "
              f"({StatusChange.objects.count():,} rows)")

    from choeur.reporting.models import InvoiceFacts

    if InvoiceFacts.objects.count() != Invoice.objects.count():
        print(f"  {'dashboards facts (reporting)':<40} {load_facts():8.1f} s "
              f"({InvoiceFacts.objects.count():,} rows)")

    over = measure_dashboards(args.rounds, args.target)
    if args.explain:
        for label, call in over:
            print(f"\n  {label}: slowest query")
            explain(call)
    missed = [label for label, _ in over]
    print(f"\nTarget: every figure and each page under {args.target:.0f} ms (p95): "
          f"{'missed by ' + ', '.join(missed) if missed else 'met'}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15, help="timed calls per figure")
    parser.add_argument("--target", type=float, default=300.0, help="ms, the whole page")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE the slowest query of what misses the target")
    args = parser.parse_args()
    _cluster.run_in_django(run_bench, args)


if __name__ == "__main__":
    main()
