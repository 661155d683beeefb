"""The wire API at scale: flux ingestion end to end, and `rechercher/fournisseur` at 1,000,000
invoices.

    make bench     (or: .venv/bin/python bench/api.py [--db sqlite|postgresql|both]
                    [--invoices N] [--batch N] [--workers N] [--search-invoices N]
                    [--calls N] [--stage-invoices N] [--profile-stage STAGE]
                    [--skip-routing] [--profile])

Ingestion, end to end (issue 19: deposit → MISE_A_DISPOSITION ≥ 150 invoices/s on PostgreSQL
on the 2-core machine). A supplier with its technical account and OAuth2 client, a public
recipient with a service, a gestionnaire on each side (told as on a real instance: the
supplier of each flux's outcome, the recipient of each invoice, in the portal and by e-mail);
one valid CII invoice written by Choeur's own writers (`formats.writers.to_cii`), then N
copies differing by their number (BT-1), packed in tar.gz batches of --batch (500: the flux
limit) as OCA sends them. --workers `choeur worker` processes (the real command) are started
and warmed up with a small flux each; then the clock starts, every batch is deposited through
`POST /cpro/factures/v1/deposer/flux` with Django's test client (a real token and the
`cpro-account` header), and the bench waits until every invoice is MISE_A_DISPOSITION and
every e-mail sent. It prints the first deposit → last IN_INTEGRE rate, then the stages from
the database's own timestamps (flux deposits and outcomes, the invoices' history rows, the
notifications and e-mails) and the END TO END rate: N / (first deposit → last invoice
MISE_A_DISPOSITION and notified).

Then, workers stopped, --stage-invoices more invoices go through the same stages in this one
process, each stage's tasks run to the end before the next (the worker's own claim-and-run
path): CPU seconds per 1,000 invoices of this process (`app`) and of its PostgreSQL backend
(`db`, read in /proc), which the machine's load disturbs far less than wall time. Their sum
bounds the rate two fully used cores can reach. --profile-stage NAME adds a cProfile of
that stage.

Search (PostgreSQL only; target p99 < 50 ms): bench/portal.py's data set (1,000,000
invoices, a big supplier issuing 5 % of them) is loaded, the big supplier gets a technical
account, and `rechercher/fournisseur` is called --calls times (after a warm-up) as clients
call it: by `numeroFluxDepot` after a deposit (OCA, chorus-api, Pastell, chorus-rs: 40 flux
of 100 invoices are added to the data set for it), by exact and partial number (omnibill),
by deposit and invoice date ranges, by status, the first and deeper pages, all in the
default order (DateDepot, newest first). Server time per call (the test client's whole
request: middleware, authentication, queries, serialisation); p50 / p95 / p99.

Each database runs in its own process (its own Django settings): SQLite in a temporary data
folder; PostgreSQL in a throwaway cluster (bench/_cluster.py) or CHOEUR_DATABASE_URL. The
search runs first on PostgreSQL (it needs an empty database, or one holding portal.py's data
set); the ingestion then runs in the same database, beside the million invoices.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import _cluster

ROOT = Path(__file__).resolve().parents[1]
CHOEUR = Path(sys.executable).parent / "choeur"  # the venv running this bench
SUPPLIER_SIRET = "73282932000074"
SUPPLIER_VAT = "FR44732829320"
RECIPIENT_SIRET = "11000201100044"
IBAN = "FR1420041010050500013M02606"
TECH_LOGIN = "TECH_BENCH_API@cpro.fr"
TECH_PASSWORD = "Bench-Tech-Password-2026!"  # noqa: S105 (a throwaway database)
CLIENT_ID = "bench-api-client"
CLIENT_SECRET = "bench-client-secret-0123456789_abcdef"  # noqa: S105
PLACEHOLDER = b"BENCHNUMBER000000"  # 17 characters, replaced by the invoice's number
JSON = "application/json;charset=utf-8"
INGEST_TARGET = 150.0  # invoices/s on PostgreSQL
SEARCH_TARGET = 50.0  # ms, p99


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- The world --------------------------------------------------------------------------------


def make_party(structure, login: str = TECH_LOGIN, client_id: str = CLIENT_ID) -> None:
    """A technical account and an OAuth2 client for `structure` (idempotent)."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password

    from choeur.core import clock
    from choeur.organisations.models import ApiClient, TechnicalAccount

    TechnicalAccount.objects.update_or_create(
        login=login, defaults={
            "structure": structure, "password": make_password(TECH_PASSWORD),
            "created_at": clock.now(),
            "password_expires_at": clock.now() + timedelta(days=424)})
    ApiClient.objects.update_or_create(
        client_id=client_id, defaults={
            "structure": structure, "label": "Bench", "secret": make_password(CLIENT_SECRET),
            "created_at": clock.now()})


def ingestion_world():
    """Supplier (bank account, technical account, client) and a public recipient with a
    service; reused when present."""
    from django.db import transaction

    from choeur.accounts.models import User
    from choeur.organisations.models import (
        BankAccount,
        Espace,
        OpenEspace,
        Rattachement,
        Service,
        Structure,
    )

    with transaction.atomic():
        supplier, _ = Structure.objects.get_or_create(
            identifier_type="SIRET", identifier=SUPPLIER_SIRET, defaults={
                "kind": Structure.Kind.PRIVEE, "company_name": "Papeterie Lumière",
                "vat_number": SUPPLIER_VAT, "address_line1": "12 rue de la République",
                "postcode": "69002", "city": "Lyon"})
        OpenEspace.objects.get_or_create(structure=supplier, espace=Espace.FACTURES_EMISES)
        account, _ = BankAccount.objects.get_or_create(
            structure=supplier, iban=IBAN, defaults={
                "label": "Compte principal", "holder": "Papeterie Lumière", "bic": "PSSTFRPP"})
        recipient, _ = Structure.objects.get_or_create(
            identifier_type="SIRET", identifier=RECIPIENT_SIRET, defaults={
                "kind": Structure.Kind.PUBLIQUE,
                "company_name": "Direction régionale des finances publiques",
                "address_line1": "3 quai de la Douane", "postcode": "33000",
                "city": "Bordeaux"})
        OpenEspace.objects.get_or_create(structure=recipient, espace=Espace.FACTURES_RECUES)
        Service.objects.get_or_create(structure=recipient, code=Service.DEFAULT_PUBLIC_CODE,
                                      defaults={"name": "Factures publiques"})
        Service.objects.get_or_create(structure=recipient, code="COMPTA",
                                      defaults={"name": "Comptabilité"})
        make_party(supplier)
        # Someone on each side, as on a real instance: the supplier's gestionnaire hears of
        # each flux's outcome, the recipient's of each invoice made available (in the portal
        # and by e-mail, the defaults).
        for structure, email in ((supplier, "fournisseur@bench-api.invalid"),
                                 (recipient, "destinataire@bench-api.invalid")):
            person = User.objects.filter(email=email).first() or \
                User.objects.create_user(email=email)  # no password
            Rattachement.objects.get_or_create(
                user=person, structure=structure, defaults={
                    "role": Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
                    "status": Rattachement.Status.VALIDEE})
    return supplier, account


def template_cii(supplier, bank_account) -> bytes:
    """One valid CII as a supplier's software writes it (Choeur's writers), its number the
    placeholder: written from a draft that is rolled back."""
    from decimal import Decimal as D

    from django.db import transaction

    from choeur.core import clock
    from choeur.formats import writers
    from choeur.invoicing import documents, services
    from choeur.invoicing.data import InvoiceData, LineData
    from choeur.invoicing.models import ModeDepot
    from choeur.organisations.models import TechnicalAccount

    actor = TechnicalAccount.objects.get(login=TECH_LOGIN)
    data = InvoiceData(
        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA",
        number=PLACEHOLDER.decode(), invoice_date=clock.today(),
        engagement_number="EJ-2026-0042", payment_mode="VIREMENT",
        bank_account_id=bank_account.pk,
        lines=[LineData(designation="Ramettes de papier A4", quantity=D("40"),
                        unit_price=D("4.35"), vat_rate=D("20"), unit="C62"),
               LineData(designation="Ouvrages de référence", quantity=D("3"),
                        unit_price=D("42.10"), vat_rate=D("5.5"), unit="C62")])
    with transaction.atomic():
        draft = services.save_draft(actor, supplier, data, mode_depot=ModeDepot.SAISIE_API)
        content = writers.to_cii(documents.to_model(draft))
        transaction.set_rollback(True)
    assert PLACEHOLDER in content
    return content


def tar_gz(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def batches(template: bytes, tag: str, count: int, size: int) -> list[tuple[str, bytes]]:
    """`count` distinct invoices (numbers `<tag>-000001`...) in tar.gz batches of `size`."""
    result = []
    for start in range(0, count, size):
        members = []
        for n in range(start + 1, min(count, start + size) + 1):
            number = f"{tag}-{n:06d}".encode()
            members.append((f"factures/{number.decode()}.xml",
                            template.replace(PLACEHOLDER, number)))
        result.append((f"lot-{tag}-{start // size + 1:03d}.tar.gz", tar_gz(members)))
    return result


class Wire:
    """Django's test client speaking as a Chorus Pro client (token, then both headers)."""

    def __init__(self, login: str = TECH_LOGIN, client_id: str = CLIENT_ID) -> None:
        from django.test import Client

        self.client = Client(SERVER_NAME="localhost")
        body = (f"grant_type=client_credentials&client_id={client_id}"
                f"&client_secret={CLIENT_SECRET}&scope=openid")
        response = self.client.post("/api/oauth/token", data=body,
                                    content_type="application/x-www-form-urlencoded")
        if response.status_code != 200:
            sys.exit(f"token: HTTP {response.status_code} {response.content[:300]!r}")
        account = base64.b64encode(f"{login}:{TECH_PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}",
                        "cpro-account": account, "Accept": JSON}

    def post(self, path: str, body: dict):
        response = self.client.post(f"/cpro/{path}", data=json.dumps(body), content_type=JSON,
                                    headers=self.headers)
        if response.status_code != 200:
            sys.exit(f"{path}: HTTP {response.status_code} {response.content[:500]!r}")
        return response.json()

    def deposit(self, name: str, content: bytes) -> str:
        answer = self.post("factures/v1/deposer/flux", {
            "idUtilisateurCourant": 0, "fichierFlux": base64.b64encode(content).decode(),
            "nomFichier": name, "syntaxeFlux": "IN_DP_E1_CII_16B", "avecSignature": False})
        return answer["numeroFluxDepot"]


# --- Ingestion --------------------------------------------------------------------------------


def start_workers(count: int) -> list[subprocess.Popen]:
    """`choeur worker` processes, as `choeur serve` starts one (here: `count`)."""
    env = {**os.environ, "CHOEUR_LOG_LEVEL": "WARNING"}
    return [subprocess.Popen([str(CHOEUR), "worker", "--interval", "0.2"], env=env,  # noqa: S603
                             start_new_session=True)
            for _ in range(count)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_flux(numbers: list[str], timeout: float, workers=()) -> float:
    """Wait until every flux is in a final state; returns the wall time it happened."""
    from choeur.flux.models import EtatFlux, Flux

    deadline = time.monotonic() + timeout
    while True:
        pending = Flux.objects.filter(numero__in=numbers).exclude(
            status__in=EtatFlux.terminal()).count()
        if not pending:
            return time.time()
        if any(w.poll() is not None for w in workers):
            sys.exit("a worker died")
        if time.monotonic() > deadline:
            sys.exit(f"{pending} flux still not integrated after {timeout:.0f} s")
        time.sleep(0.05)


def wait_routed(supplier, timeout: float) -> float | None:
    from choeur.core.models import OutgoingEmail
    from choeur.invoicing.models import Invoice
    from choeur.invoicing.statuses import Status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Invoice.objects.filter(supplier=supplier, status__in=(
                Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT)).exists() and \
                not OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED).exists():
            return time.time()  # routed, and everyone told (the e-mails sent)
        time.sleep(0.1)
    return None


def check_flux(numbers: list[str], expected: int) -> None:
    from django.db.models import Sum

    from choeur.flux.models import EtatFlux, Flux, FluxItem

    chosen = Flux.objects.filter(numero__in=numbers)
    totals = chosen.aggregate(ok=Sum("integrated_count"), ko=Sum("rejected_count"))
    if set(chosen.values_list("status", flat=True)) != {EtatFlux.INTEGRE} or \
            totals["ok"] != expected:
        refused = FluxItem.objects.filter(flux__in=chosen, accepted=False).first()
        sys.exit(f"not all integrated: {totals}; first refusal: "
                 f"{refused.errors if refused else chosen.first().technical_errors}")


def ingest(args, db: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    supplier, bank_account = ingestion_world()
    template = template_cii(supplier, bank_account)
    tag = f"B{int(time.time()) % 10**6:06d}"
    started = time.perf_counter()
    lots = batches(template, tag, args.invoices, args.batch)
    warm = batches(template, tag + "W", 2 * args.workers, 2)
    print(f"  {args.invoices:,} CII invoices ({len(template):,} bytes each) in {len(lots)} "
          f"tar.gz batches of {args.batch}: built in {time.perf_counter() - started:.1f} s",
          flush=True)
    wire = Wire()
    if args.profile:
        profile_integration(wire, lots[0])
        return {}
    connection.close()  # the workers start from a quiet database
    workers = start_workers(args.workers)
    try:
        # Warm-up: a small flux per worker (stylesheets compiled, connections open), routed.
        numbers = [wire.deposit(name, content) for name, content in warm]
        wait_flux(numbers, 300, workers)
        wait_routed(supplier, 300)
        print(f"  {args.workers} `choeur worker` processes started and warmed up", flush=True)

        t0 = time.time()
        numbers = []
        for name, content in lots:
            numbers.append(wire.deposit(name, content))
        deposited = time.time()
        done = wait_flux(numbers, args.timeout, workers)
        routed = None if args.skip_routing else wait_routed(supplier, args.timeout)
    finally:
        stop_workers(workers)
    check_flux(numbers, args.invoices)
    from choeur.flux.models import Flux

    last = max(Flux.objects.filter(numero__in=numbers).values_list("status_at", flat=True))
    elapsed = min(done, last.timestamp()) - t0  # polling adds up to 50 ms
    rate = args.invoices / elapsed
    print(f"  deposits ({len(lots)} requests): {deposited - t0:.1f} s")
    print(f"  first deposit → last IN_INTEGRE: {elapsed:.1f} s  →  {rate:.0f} invoices/s")
    result = {"db": db, "invoices": args.invoices, "seconds": elapsed, "rate": rate}
    if routed is not None:
        result.update(end_to_end(numbers, t0, args.invoices, db))
    if args.stage_invoices:
        result["cpu"] = stage_costs(wire, template, tag + "S", args)
    return result


def end_to_end(numbers: list[str], t0: float, count: int, db: str) -> dict:
    """The wall-clock stages of the run, read from the database's own timestamps: each flux's
    deposit and outcome (`Flux.deposited_at`, `status_at`), each invoice's history
    (`StatusChange`: DEPOSEE, MISE_A_DISPOSITION) and its notifications and e-mails."""
    from django.db.models import Count, Max, Min

    from choeur.core.models import OutgoingEmail
    from choeur.flux.models import Flux, FluxItem
    from choeur.invoicing.models import StatusChange
    from choeur.messaging.models import Notification

    flux = Flux.objects.filter(numero__in=numbers)
    spans = flux.aggregate(first=Min("deposited_at"), last_deposit=Max("deposited_at"),
                           integrated=Max("status_at"))
    invoices = FluxItem.objects.filter(flux__in=flux, accepted=True).values("invoice_id")
    history = StatusChange.objects.filter(invoice_id__in=invoices)
    made = history.filter(status="DEPOSEE").aggregate(last=Max("at"))["last"]
    routed = history.filter(status="MISE_A_DISPOSITION").aggregate(
        first=Min("at"), last=Max("at"), n=Count("id"))
    notified = Notification.objects.filter(
        kind="invoice_received", created_at__gte=spans["first"]).aggregate(
        last=Max("created_at"), n=Count("id"))
    mailed = OutgoingEmail.objects.filter(created_at__gte=spans["first"]).aggregate(
        last=Max("sent_at"), n=Count("id"))
    start = spans["first"].timestamp()
    ends = [routed["last"], notified["last"], mailed["last"]]
    end = max(moment for moment in ends if moment is not None).timestamp()
    total = end - start
    rate = count / total

    def at(moment) -> str:
        return f"{moment.timestamp() - start:7.1f} s" if moment is not None else "      –  "

    print("  stages (from the database's timestamps, seconds after the first deposit):")
    print(f"    last flux deposited (web)                 {at(spans['last_deposit'])}")
    print(f"    last invoice DEPOSEE (integration)        {at(made)}")
    print(f"    last flux IN_INTEGRE                      {at(spans['integrated'])}")
    print(f"    first invoice MISE_A_DISPOSITION          {at(routed['first'])}")
    print(f"    last invoice MISE_A_DISPOSITION (routing) {at(routed['last'])}"
          f"   ({routed['n']:,} invoices)")
    print(f"    last notification « invoice_received »    {at(notified['last'])}"
          f"   ({notified['n']:,})")
    print(f"    last e-mail sent                          {at(mailed['last'])}"
          f"   ({mailed['n']:,})")
    flag = "" if db != "postgresql" else (
        f"  (target ≥ {INGEST_TARGET:.0f})" + ("" if rate >= INGEST_TARGET else "  ✗"))
    print(f"  END TO END, first deposit → last invoice MISE_A_DISPOSITION and notified: "
          f"{total:.1f} s  →  {rate:.0f} invoices/s{flag}", flush=True)
    return {"end_to_end_seconds": total, "end_to_end_rate": rate}


# --- CPU per stage ----------------------------------------------------------------------------

#: The stages of a flux's life, each the tasks it runs (by registry name).
STAGES = {
    "integration (validation, DB write)": ("flux.integrate_flux",),
    "routing (certificate, 2 transitions)": ("invoicing.route_invoices",
                                             "invoicing.route_invoice"),
    "notification / e-mail delivery": ("core.deliver_email",),
}


def backend_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL backend serving this process's connection
    (/proc, same machine); None on SQLite or when it cannot be read."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_tasks(paths: list[str]) -> int:
    """Run the ready tasks of `paths` in this process, as a worker does (claim, run,
    result), until none is left; returns how many ran."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from choeur.core.worker import _worker

    runner = _worker("bench-stages", "*", 0, True)
    ran = 0
    while True:
        with transaction.atomic():
            task_result = DBTaskResult.objects.ready().filter(task_path__in=paths).get_locked()
            if task_result is None:
                return ran
            task_result.claim("bench-stages")
        runner.run_task(task_result)
        ran += 1


def stage_costs(wire: Wire, template: bytes, tag: str, args) -> dict:
    """CPU seconds per 1,000 invoices of each stage, measured in this one process with the
    workers stopped (which the machine's load disturbs far less than wall time): the web's
    deposits, then every integration, every routing, every e-mail, each stage's tasks run
    to the end before the next. `app`: this process (Django, validation, rendering); `db`:
    its PostgreSQL backend."""
    from django.db import connection

    from choeur.core import queue

    count = args.stage_invoices
    lots = batches(template, tag, count, args.batch)
    connection.ensure_connection()
    figures: dict[str, dict] = {}

    def measure(label: str, work) -> None:
        profiler = cProfile.Profile() if args.profile_stage and \
            label.startswith(args.profile_stage) else None
        app, db, wall = time.process_time(), backend_cpu(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        tasks = work()
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            if os.environ.get("CHOEUR_BENCH_PROFILE_DUMP"):  # for pstats or snakeviz
                profiler.dump_stats(os.environ["CHOEUR_BENCH_PROFILE_DUMP"])
        app, wall = time.process_time() - app, time.perf_counter() - wall
        db = None if db is None else backend_cpu() - db
        figures[label] = {"app": app * 1000 / count, "wall": wall * 1000 / count,
                          "db": None if db is None else db * 1000 / count, "tasks": tasks}

    measure("deposit on the web (API)", lambda: len([wire.deposit(*lot) for lot in lots]))
    for label, names in STAGES.items():
        paths = [queue.get(name).module_path for name in names]
        measure(label, lambda paths=paths: run_tasks(paths))
    from django_tasks_db.models import DBTaskResult

    left = DBTaskResult.objects.ready().count()
    print(f"\n  CPU seconds per 1,000 invoices, by stage ({count:,} invoices in "
          f"{len(lots)} flux, one process, workers stopped; {left} other task(s) left):")
    print(f"    {'stage':<40} {'app':>7} {'db':>7} {'total':>7} {'wall':>7} {'tasks':>6}")
    totals = {"app": 0.0, "db": 0.0, "wall": 0.0}
    for label, f in figures.items():
        db = f["db"] or 0.0
        totals["app"] += f["app"]
        totals["db"] += db
        totals["wall"] += f["wall"]
        print(f"    {label:<40} {f['app']:7.2f} {db:7.2f} {f['app'] + db:7.2f} "
              f"{f['wall']:7.2f} {f['tasks']:>6}")
    total = totals["app"] + totals["db"]
    print(f"    {'all stages':<40} {totals['app']:7.2f} {totals['db']:7.2f} {total:7.2f} "
          f"{totals['wall']:7.2f}")
    print(f"  → at most {2000 / total:.0f} invoices/s on 2 fully used cores (CPU bound)",
          flush=True)
    return figures


def profile_integration(wire: Wire, lot: tuple[str, bytes]) -> None:
    """cProfile of one flux integrated in this process (the worker's task body)."""
    from choeur.core.worker import run_ready

    wire.deposit(*lot)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    run_ready()
    profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    print(f"  one process, profiled: {seconds:.1f} s for the flux and its routing tasks")


# --- rechercher/fournisseur at 1,000,000 invoices ---------------------------------------------


def searches(big_supplier, rng: random.Random,
             flux_numbers: list[str]) -> list[tuple[str, dict]]:
    """(label, body) of the calls, values from the data set."""
    from datetime import timedelta

    from choeur.core import clock
    from choeur.invoicing.models import Invoice

    # 50 numbers spread over the supplier's invoices that its searches show (not SUPPRIMEE),
    # the same on every run (an ORDER BY random() drew others each time, hidden ones included).
    mine = Invoice.objects.filter(supplier=big_supplier).exclude(
        status__in=["BROUILLON", "SUPPRIMEE"]).order_by("pk")
    ids = list(mine.values_list("pk", flat=True))
    numbers = list(mine.filter(pk__in=ids[::max(1, len(ids) // 50)][:50])
                   .values_list("number", flat=True))
    today = clock.today()

    def pagination(page: int = 1, size: int = 50, column: str | None = None,
                   sens: str = "Descendant") -> dict:
        result = {"pageResultatDemandee": page, "nbResultatsParPage": size, "triSens": sens}
        if column:
            result["triColonne"] = column
        return {"rechercheFactureParFournisseur": result}

    calls: list[tuple[str, dict]] = []
    base = {"idFournisseur": big_supplier.pk}
    calls.append(("page 1 (no criteria)", {**base, **pagination()}))
    calls.append(("page 2", {**base, **pagination(2)}))
    calls.append(("page 20", {**base, **pagination(20)}))
    calls.append(("number, exact", {**base, "numeroFacture": rng.choice(numbers),
                                    **pagination()}))
    calls.append(("number, partial (7 chars)", {**base, "numeroFacture": rng.choice(numbers)[-7:],
                                                **pagination()}))
    calls.append(("number, absent", {**base, "numeroFacture": "ZZ-0000", **pagination()}))
    start = today - timedelta(days=rng.randrange(30, 1000))
    calls.append(("deposit dates, 1 month", {
        **base, "periodeDateDepotDu": start.isoformat(),
        "periodeDateDepotAu": (start + timedelta(days=30)).isoformat(), **pagination()}))
    calls.append(("invoice dates, 1 week", {
        **base, "periodeDateFactureDu": start.isoformat(),
        "periodeDateFactureAu": (start + timedelta(days=7)).isoformat(), **pagination()}))
    calls.append(("status MISE_A_DISPOSITION", {
        **base, "statutCourant": ["MISE_A_DISPOSITION"], **pagination()}))
    calls.append(("status SUSPENDUE + A_RECYCLER", {
        **base, "statutCourant": ["SUSPENDUE", "A_RECYCLER"], **pagination()}))
    calls.append(("status MISE_EN_PAIEMENT, page 3", {
        **base, "statutCourant": ["MISE_EN_PAIEMENT"], **pagination(3)}))
    calls.append(("status changed since 7 days", {
        **base, "periodeDateHeureEtatCourantDu": (today - timedelta(days=7)).isoformat(),
        **pagination()}))
    # What OCA, chorus-api (PY-C), Pastell and chorus-rs send after a deposit (reference §5).
    flux = rng.sample(flux_numbers, 3)
    calls.append(("flux number (OCA, Pastell)", {"numeroFluxDepot": flux[0]}))
    calls.append(("flux number + FACTURE (chorus-api)", {"numeroFluxDepot": flux[1],
                                                         "typeFacture": "FACTURE"}))
    calls.append(("flux number, 10 a page (CR)", {
        "numeroFluxDepot": flux[2], "rechercheFactureParFournisseur": {
            "nbResultatsParPage": 10}}))
    return calls


def add_flux(big_supplier, count: int = 40, size: int = 100) -> list[str]:
    """Flux of the big supplier, each holding `size` of its invoices (the loaded data set
    has none), for the searches by `numeroFluxDepot`. Reused when present."""
    from choeur.core import clock
    from choeur.flux.models import EtatFlux, Flux, FluxItem
    from choeur.flux.services import new_number
    from choeur.invoicing.models import Invoice

    existing = list(Flux.objects.filter(structure=big_supplier).values_list("numero", flat=True))
    if existing:
        return existing
    now = clock.now()
    invoices = list(Invoice.objects.filter(supplier=big_supplier).exclude(
        status__in=["BROUILLON", "SUPPRIMEE"]).order_by("-deposited_at")
        .values_list("pk", "number")[:count * size])
    flux = Flux.objects.bulk_create([
        Flux(numero=new_number(), structure=big_supplier, channel="API",
             syntaxe="IN_DP_E1_CII_16B", filename=f"lot-{n:03d}.tar.gz", sha256="0" * 64,
             size=1000, kind="tar.gz", invoice_count=size, integrated_count=size,
             status=EtatFlux.INTEGRE, status_at=now, deposited_at=now)
        for n in range(count)])
    FluxItem.objects.bulk_create([
        FluxItem(flux=flux[i // size], position=i % size + 1, name=f"{number}.xml",
                 number=number, supplier_identifier=big_supplier.identifier, accepted=True,
                 invoice_id=pk, created_at=now)
        for i, (pk, number) in enumerate(invoices)], batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum would do soon after
        cursor.execute("ANALYZE flux_flux; ANALYZE flux_fluxitem")
    return [f.numero for f in flux]


def search(args) -> dict:
    import django

    django.setup()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import portal
    from django.core.management import call_command
    from django.db import connection

    from choeur.invoicing.models import Invoice
    from choeur.organisations.models import Structure

    if connection.vendor != "postgresql":
        sys.exit("the search bench measures PostgreSQL")
    call_command("migrate", verbosity=0)
    state = portal.database_state()
    if state == "other":
        sys.exit("The database of CHOEUR_DATABASE_URL holds other data: give an empty one.")
    if state == "empty":
        print(f"  loading {args.search_invoices:,} invoices (bench/portal.py's data set):")
        started = time.perf_counter()
        for step, seconds in portal.load(args.search_invoices).items():
            print(f"    {step:<40} {seconds:8.1f} s", flush=True)
        print(f"    {'total':<40} {time.perf_counter() - started:8.1f} s")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    big = Structure.objects.get(rattachements__user__email=f"fournisseur@{portal.BENCH_DOMAIN}")
    make_party(big)
    issued = Invoice.objects.filter(supplier=big).count()
    print(f"  {Invoice.objects.count():,} invoices; the big supplier issued {issued:,}")
    wire = Wire()
    rng = random.Random(6)  # noqa: S311
    calls = searches(big, rng, add_flux(big))
    everything, _ = time_calls(wire, [("factures/v1/rechercher/fournisseur", label, body)
                                   for label, body in calls], args.calls)
    p50, p95, p99 = (pct(everything, q) for q in (0.50, 0.95, 0.99))
    return {"p50": p50, "p95": p95, "p99": p99, "calls": len(everything)}


def time_calls(wire: Wire, calls: list[tuple[str, str, dict]],
               total: int) -> tuple[list[float], list[float]]:
    """(path, label, body) calls: one warm-up round, then rounds of all of them up to about
    `total` calls; a table per label (results found, p50, p95, max, CPU) and the p50/p95/p99
    of all; returns every call's time and CPU time (ms)."""
    for path, _label, body in calls:
        wire.post(path, body)
    times: dict[str, list[float]] = {label: [] for _, label, _ in calls}
    cpus: dict[str, list[float]] = {label: [] for _, label, _ in calls}
    everything, every_cpu = [], []
    rounds = max(1, total // len(calls))
    totals = {}
    for _ in range(rounds):
        for path, label, body in calls:
            started_db = _cluster.backend_cpu()
            started, started_cpu = time.perf_counter(), time.thread_time()
            answer = wire.post(path, body)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.thread_time() - started_cpu + _cluster.backend_cpu() - started_db) * 1000
            times[label].append(elapsed)
            cpus[label].append(cpu)
            everything.append(elapsed)
            every_cpu.append(cpu)
            # rechercher/fournisseur answers its paging in parametresRetour, others at the top.
            totals[label] = (answer.get("parametresRetour") or answer).get("total", 0)
    paths = sorted({path.rsplit("/v1/", 1)[-1] for path, _, _ in calls})
    print(f"\n  {', '.join(paths)}, ms per call ({rounds} rounds of {len(calls)} searches):")
    print(f"    (cpu: the Python side's and the PostgreSQL backend's CPU, median; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"    {'search':<42} {'found':>9} {'p50':>7} {'p95':>7} {'max':>7} {'cpu':>6}")
    for label, values in times.items():
        print(f"    {label[:42]:<42} {totals[label]:>9,} {statistics.median(values):>7.1f} "
              f"{pct(values, 0.95):>7.1f} {max(values):>7.1f} "
              f"{statistics.median(cpus[label]):>6.1f}")
    p50, p95, p99 = (pct(everything, q) for q in (0.50, 0.95, 0.99))
    flag = "" if p99 < SEARCH_TARGET else "  ✗"
    print(f"  all {len(everything)} calls: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"p99 {p99:.1f} ms (target p99 < {SEARCH_TARGET:.0f} ms){flag}; CPU per call "
          f"p50 {pct(every_cpu, 0.5):.1f} ms, p99 {pct(every_cpu, 0.99):.1f} ms", flush=True)
    return everything, every_cpu


# --- Processes --------------------------------------------------------------------------------


def child(args) -> None:
    """One database, in this process: the search (PostgreSQL), then the ingestion."""
    os.environ.setdefault("CHOEUR_LOG_LEVEL", "WARNING")  # the tasks run here: no INFO line
    results = {}
    if args.db == "postgresql" and args.search_invoices and not args.profile:
        results["search"] = search(args)
        from django.db import connections

        connections.close_all()
    if args.invoices:
        print(f"\n  flux ingestion on {args.db}:", flush=True)
        results["ingest"] = ingest(args, args.db)
    Path(args.result).write_text(json.dumps(results))


def run_on(db: str, args) -> dict:
    """Run this bench for `db` in a child process with its own settings and data folder."""
    work = Path(tempfile.mkdtemp(prefix="choeur-bench-api-"))
    work.chmod(0o700)
    result = work / "result.json"
    argv = [sys.executable, __file__, "--child", "--db", db, "--result", str(result),
            "--invoices", str(args.invoices), "--batch", str(args.batch),
            "--workers", str(args.workers), "--search-invoices", str(args.search_invoices),
            "--calls", str(args.calls), "--timeout", str(args.timeout),
            "--stage-invoices", str(args.stage_invoices),
            *(["--profile-stage", args.profile_stage] if args.profile_stage else []),
            *(["--skip-routing"] if args.skip_routing else []),
            *(["--profile"] if args.profile else [])]
    try:
        return _cluster.run_child(argv, work, db)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="invoices per flux (≤ 500)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--search-invoices", type=int, default=1_000_000,
                        help="invoices loaded for the search (0: no search)")
    parser.add_argument("--calls", type=int, default=210, help="rechercher/fournisseur calls")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--stage-invoices", type=int, default=1000,
                        help="invoices of the CPU-per-stage measurement (0: none)")
    parser.add_argument("--profile-stage", default="",
                        help="cProfile the CPU measurement's stage starting with this word")
    parser.add_argument("--skip-routing", action="store_true",
                        help="stop at the last IN_INTEGRE (do not wait for the routing)")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile one flux's integration in one process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"Wire API bench on {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})",
          flush=True)
    results = {}
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        print(f"\n== {db}", flush=True)
        results[db] = run_on(db, args)
    print("\n== Summary")
    for db, result in results.items():
        if result.get("ingest"):
            r = result["ingest"]
            print(f"  {db:<11} ingestion: {r['invoices']:,} invoices in {r['seconds']:.1f} s "
                  f"= {r['rate']:.0f} invoices/s (to IN_INTEGRE)")
            if "end_to_end_rate" in r:
                print(f"  {db:<11} end to end (MISE_A_DISPOSITION, notified): "
                      f"{r['end_to_end_seconds']:.1f} s = {r['end_to_end_rate']:.0f} invoices/s "
                      f"with {args.workers} worker(s)")
            if r.get("cpu"):
                total = sum(f["app"] + (f["db"] or 0) for f in r["cpu"].values())
                print(f"  {db:<11} CPU: {total:.1f} s per 1,000 invoices, all stages")
        if "search" in result:
            r = result["search"]
            print(f"  {db:<11} rechercher/fournisseur ({r['calls']} calls): p50 "
                  f"{r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms")


if __name__ == "__main__":
    main()
