"""Load test of the wire API with locust: mixed Chorus Pro traffic at 200 requests/s, p99 per
operation, on PostgreSQL and on SQLite (issue 19: p99 < 100 ms on PostgreSQL).

    make bench     (or: .venv/bin/python bench/load.py [--db sqlite|postgresql|both]
                    [--rate 200] [--users 50] [--duration 60] [--warmup 15]
                    [--invoices 2000] [--web-workers 2] [--web-threads 4] [--calls 30])

The deployment is the real one: `choeur serve` (gunicorn, --web-workers processes of
--web-threads threads, gthread, its access log on; and its background `choeur worker`) on a
throwaway SQLite data directory, or on a throwaway PostgreSQL 15 cluster (bench/_cluster.py;
or CHOEUR_DATABASE_URL). Defaults: 2 processes x 4 threads, `choeur serve`'s own, for 2 cores:
one process per core (each has its GIL), threads to overlap the database round trips; more
processes would only share the same two cores with the worker, the database and locust.

The data set is bench/api.py's ingestion world (a supplier with its technical account and
OAuth2 client, a public recipient with its services), and --invoices CII invoices deposited
in flux of 500 through `deposer/flux` before the clock starts, integrated and routed to
MISE_A_DISPOSITION by the server's worker (and a second one, stopped before the load): the
invoices, their statuses and their flux are what the load then searches, consults and follows.

Locust (bench/locustfile.py), headless, --users users spawned at once, each at a constant
throughput of rate / users calls a second: one OAuth2 token per user, then Bearer +
`cpro-account` on every call, the mix 40 % rechercher/fournisseur, 25 % consulter/fournisseur,
15 % consulter/historique, 15 % consulterCRDetaille, 5 % deposer/flux (one invoice each; the
worker integrates and routes them during the run, as in production). The first --warmup
seconds (tokens, connections, caches) are not counted; over the next --duration seconds:
requests/s achieved, p50 / p95 / p99 per operation and overall (exact, from every request's
time), failures; and the CPU time per request of the web processes, the worker, the database
server and locust itself (the load generator shares the machine: on 2 cores, the figures
are those of a server that has rather less than 2 cores), and from their sum the most this
machine could serve idle. Last, each kind of call is served --calls times in one process
(Django's test client) for its own CPU time: figures that a busy machine disturbs far less
than latencies.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import _cluster

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_RATE = 200.0
TARGET_P99 = 100.0  # ms, PostgreSQL
OPERATIONS = ("rechercher/fournisseur", "consulter/fournisseur", "consulter/historique",
              "consulterCRDetaille", "deposer/flux")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- CPU time of a process tree ---------------------------------------------------------------


def _processes() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds, command line) of every process we can read."""
    result = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime + stime, plus cutime + cstime: the CPU of the children it has reaped. A
        # database backend or a gunicorn worker that ends during the window (a connection
        # replaced after CONN_MAX_AGE) is counted in its parent's, not lost — without them
        # the database read 0.0 ms a request at 200 req/s (the window's backends all new).
        cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLK_TCK
        result[int(entry.name)] = (int(fields[1]), cpu, cmdline)
    return result


def cpu_by_role(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each role's process tree; `serve`'s tree is split between
    the web server (gunicorn) and the worker. A process that finished during the run is
    counted in its parent's reaped-children time."""
    table = _processes()
    children = defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        children[ppid].append(pid)

    def tree(pid: int) -> list[int]:
        found, stack = [], [pid]
        while stack:
            current = stack.pop()
            if current in table:
                found.append(current)
            stack.extend(children.get(current, ()))
        return found

    totals: dict[str, float] = defaultdict(float)
    for role, root in roots.items():
        for pid in tree(root):
            cpu, cmdline = table[pid][1], table[pid][2]
            if role == "serve":
                totals["worker" if " worker" in cmdline else "web"] += cpu
            else:
                totals[role] += cpu
    return totals


# --- The data set ---------------------------------------------------------------------------


def prepare(args) -> dict:
    """Migrate, make the world, start `choeur serve`, deposit the invoices and wait until
    they are routed; returns the locustfile's data (written by the caller)."""
    import django

    django.setup()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from django.core.management import call_command
    from django.db import connection

    import api
    from choeur.core import clock
    from choeur.flux.models import Flux
    from choeur.invoicing.models import Invoice

    call_command("migrate", verbosity=0)
    supplier, bank_account = api.ingestion_world()
    template = api.template_cii(supplier, bank_account)
    tag = f"S{int(time.time()) % 10**6:06d}"
    lots = api.batches(template, tag, args.invoices, 500)
    return {"supplier": supplier, "template": template, "lots": lots, "api": api,
            "Flux": Flux, "Invoice": Invoice, "clock": clock, "connection": connection}


def fill(state: dict, args) -> dict:
    """Deposit the data set's flux (the server's worker and a helper integrate and route
    them)."""
    api, supplier = state["api"], state["supplier"]
    started = time.perf_counter()
    wire = api.Wire()
    # A second worker for the data set only, stopped before the load (which the server's own
    # worker serves alone); its « shutting down » notice is not the bench's output.
    helper = [subprocess.Popen([str(BIN / "choeur"), "worker", "--interval", "0.2"],  # noqa: S603
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)]
    try:
        numbers = [wire.deposit(name, content) for name, content in state["lots"]]
        api.wait_flux(numbers, 1800)
        api.wait_routed(supplier, 1800)
    finally:
        api.stop_workers(helper)
    invoices = state["Invoice"].objects.filter(supplier=supplier).order_by("pk")
    print(f"  data set: {invoices.count():,} invoices in {len(numbers)} flux, integrated and "
          f"routed by 2 workers in {time.perf_counter() - started:.1f} s", flush=True)
    state["connection"].close()
    rows = list(invoices.values_list("pk", "number"))
    return {
        "supplier_id": supplier.pk, "invoice_ids": [pk for pk, _ in rows],
        "numbers": [number for _, number in rows[::max(1, len(rows) // 200)]],
        "flux": numbers, "today": state["clock"].today().isoformat(),
        "client_id": api.CLIENT_ID, "client_secret": api.CLIENT_SECRET,
        "login": api.TECH_LOGIN, "password": api.TECH_PASSWORD,
        "template": base64.b64encode(state["template"]).decode(),
        "placeholder": api.PLACEHOLDER.decode(), "tag": f"L{int(time.time()) % 10**6:06d}",
    }


def cpu_per_operation(data: dict, calls: int = 30) -> dict[str, float]:
    """CPU ms of one call of each kind served in this process (Django's test client: the
    whole server side, middleware to JSON), which the machine's load disturbs much less than
    latencies: what each operation costs the web server."""
    import random

    from django.db import connection
    from django.test import Client

    rng = random.Random(19)  # noqa: S311
    client = Client(SERVER_NAME="localhost")
    token = client.post("/api/oauth/token", content_type="application/x-www-form-urlencoded",
                        data=f"grant_type=client_credentials&client_id={data['client_id']}"
                             f"&client_secret={data['client_secret']}").json()["access_token"]
    account = base64.b64encode(f"{data['login']}:{data['password']}".encode()).decode()
    headers = {"Authorization": f"Bearer {token}", "cpro-account": account}
    page = {"rechercheFactureParFournisseur": {"nbResultatsParPage": 50}}
    supplier = data["supplier_id"]
    kinds = {
        "rechercher: flux of 500": ("factures/v1/rechercher/fournisseur",
                                    lambda: {"numeroFluxDepot": rng.choice(data["flux"])}),
        "rechercher: number": ("factures/v1/rechercher/fournisseur", lambda: {
            "idFournisseur": supplier, "numeroFacture": rng.choice(data["numbers"]), **page}),
        "rechercher: page of 50": ("factures/v1/rechercher/fournisseur",
                                   lambda: {"idFournisseur": supplier, **page}),
        "consulter/fournisseur": ("factures/v1/consulter/fournisseur", lambda: {
            "identifiantFactureCPP": rng.choice(data["invoice_ids"]), "codeLangue": "fr"}),
        "consulter/historique": ("factures/v1/consulter/historique",
                                 lambda: {"idFacture": rng.choice(data["invoice_ids"])}),
        "consulterCRDetaille": ("transverses/v1/consulterCRDetaille",
                                lambda: {"numeroFluxDepot": rng.choice(data["flux"])}),
    }
    result = {}
    for label, (path, body) in kinds.items():
        def call(path=path, body=body) -> None:
            response = client.post(f"/cpro/{path}", data=json.dumps(body()), headers=headers,
                                   content_type="application/json;charset=utf-8")
            assert response.status_code == 200, response.content[:300]

        for _ in range(3):
            call()
        started = time.process_time()
        for _ in range(calls):
            call()
        result[label] = (time.process_time() - started) * 1000 / calls
    connection.close()
    return result


# --- The server and the load ----------------------------------------------------------------


def start_server(env: dict, work: Path) -> subprocess.Popen:
    log = open(work / "serve.log", "wb")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen([str(BIN / "choeur"), "serve"], env=env, stdout=log,  # noqa: S603
                              stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{env['CHOEUR_PORT']}/healthz"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"choeur serve exited: {(work / 'serve.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    sys.exit("choeur serve did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def postmaster_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data = Path(cursor.fetchone()[0])
    connection.close()
    try:
        return int((data / "postmaster.pid").read_text().split()[0])
    except OSError:
        return None


def run_locust(args, env: dict, work: Path, data_file: Path, server: subprocess.Popen,
               postmaster: int | None) -> dict:
    log = work / "requests.csv"
    users = args.users
    locust_env = {**env, "LOAD_DATA": str(data_file), "LOAD_LOG": str(log),
                  "LOAD_RATE_PER_USER": str(args.rate / users)}
    total = args.warmup + args.duration
    command = [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")),
               "--headless", "-u", str(users), "-r", str(users), "--run-time", f"{total}s",
               "--host", f"http://127.0.0.1:{env['CHOEUR_PORT']}", "--csv", str(work / "locust"),
               "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"]
    output = open(work / "locust.log", "wb")  # noqa: SIM115
    started = time.time()
    process = subprocess.Popen(command, env=locust_env, stdout=output,  # noqa: S603
                               stderr=subprocess.STDOUT)
    roots = {"serve": server.pid, "locust": process.pid}
    if postmaster:
        roots["database"] = postmaster
    time.sleep(args.warmup)
    before = cpu_by_role(roots)
    window_start = time.time()
    time.sleep(args.duration)
    after = cpu_by_role(roots)
    window_end = time.time()
    process.wait(timeout=total + 120)
    output.close()
    if process.returncode not in (0, 1):  # 1: some requests failed (counted below)
        sys.exit(f"locust exited with {process.returncode}: "
                 f"{(work / 'locust.log').read_text()[-3000:]}")
    times: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for line in log.read_text().splitlines():
        start, name, ms, ok = line.rsplit(",", 3)
        if not window_start <= float(start) < window_end or name == "oauth token":
            continue
        times[name].append(float(ms))
        if ok == "0":
            failures[name] += 1
    seconds = window_end - window_start
    count = sum(len(v) for v in times.values())
    cpu = {role: after.get(role, 0.0) - before.get(role, 0.0) for role in after}
    return {"seconds": seconds, "rate": count / seconds, "count": count,
            "started": started, "times": times, "failures": failures, "cpu": cpu,
            "errors": _failure_samples(work)}


def _failure_samples(work: Path) -> list[str]:
    path = work / "locust_failures.csv"
    if not path.exists():
        return []
    return path.read_text().splitlines()[1:6]


def report(db: str, result: dict, args) -> dict:
    times, failures = result["times"], result["failures"]
    everything = [ms for values in times.values() for ms in values]
    print(f"\n  {db}: {result['count']:,} requests in {result['seconds']:.0f} s = "
          f"{result['rate']:.0f} requests/s (asked: {args.rate:.0f}); load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"    {'operation':<26} {'share':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
          f"{'max':>7} {'fail':>5}")
    rows = [name for name in OPERATIONS if name in times] + sorted(
        name for name in times if name not in OPERATIONS)
    for name in rows:
        values = times[name]
        print(f"    {name:<26} {len(values) / max(1, result['count']):>6.0%} "
              f"{len(values) / result['seconds']:>7.1f} {pct(values, 0.5):>7.1f} "
              f"{pct(values, 0.95):>7.1f} {pct(values, 0.99):>7.1f} {max(values):>7.1f} "
              f"{failures.get(name, 0):>5}")
    p50, p95, p99 = (pct(everything, q) for q in (0.5, 0.95, 0.99))
    failed = sum(failures.values())
    print(f"    {'all':<26} {'100%':>6} {result['rate']:>7.1f} {p50:>7.1f} {p95:>7.1f} "
          f"{p99:>7.1f} {max(everything, default=0):>7.1f} {failed:>5}   (ms)")
    per_request = ", ".join(f"{role} {seconds * 1000 / max(1, result['count']):.1f}"
                            for role, seconds in sorted(result["cpu"].items()))
    print(f"    CPU ms per request: {per_request}")
    for line in result["errors"]:
        print(f"    failure: {line[:300]}")
    return {"rate": result["rate"], "p50": p50, "p95": p95, "p99": p99, "failures": failed,
            "count": result["count"],
            "operations": {name: {"p50": pct(v, 0.5), "p95": pct(v, 0.95),
                                  "p99": pct(v, 0.99)} for name, v in times.items()}}


def child(args) -> None:
    work = Path(args.work)
    port = free_port()
    env = {**os.environ, "CHOEUR_PORT": str(port), "CHOEUR_LOG_LEVEL": "WARNING",
           "CHOEUR_WEB_WORKERS": str(args.web_workers),
           "CHOEUR_WEB_THREADS": str(args.web_threads)}
    os.environ.update(env)
    state = prepare(args)
    state["connection"].close()
    postmaster = postmaster_pid()
    server = start_server(env, work)
    try:
        data = fill(state, args)
        data_file = work / "data.json"
        data_file.write_text(json.dumps(data))
        print(f"  `choeur serve`: gunicorn {args.web_workers} processes x {args.web_threads} "
              f"threads + 1 worker; locust: {args.users} users x "
              f"{args.rate / args.users:.1f} calls/s, {args.warmup} s warm-up, "
              f"{args.duration} s measured", flush=True)
        result = run_locust(args, env, work, data_file, server, postmaster)
    finally:
        stop_server(server)
    summary = report(args.db, result, args)
    costs = cpu_per_operation(data, args.calls)
    print("    CPU ms per call, served in one process: " + ", ".join(
        f"{label} {ms:.1f}" for label, ms in costs.items()))
    total = sum(result["cpu"].values()) * 1000 / max(1, result["count"])
    print(f"    => every role together: {total:.1f} CPU ms per request of this mix, i.e. at "
          f"most {os.cpu_count() * 1000 / total:.0f} requests/s on {os.cpu_count()} idle cores "
          f"(locust included)", flush=True)
    Path(args.result).write_text(json.dumps({**summary, "cpu_ms": total}))


def run_on(db: str, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="choeur-bench-load-"))
    work.chmod(0o700)
    result = work / "result.json"
    argv = [sys.executable, __file__, "--child", "--db", db, "--result", str(result),
            "--work", str(work), "--rate", str(args.rate), "--users", str(args.users),
            "--duration", str(args.duration), "--warmup", str(args.warmup),
            "--invoices", str(args.invoices), "--web-workers", str(args.web_workers),
            "--web-threads", str(args.web_threads), "--calls", str(args.calls)]
    try:
        return _cluster.run_child(argv, work, db)
    finally:
        if args.keep:
            print(f"  kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="requests/s asked")
    parser.add_argument("--users", type=int, default=50, help="locust users (clients)")
    parser.add_argument("--duration", type=int, default=60, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=15, help="seconds not counted")
    parser.add_argument("--invoices", type=int, default=2000, help="invoices of the data set")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--calls", type=int, default=30,
                        help="calls of each kind for the CPU time per call")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, CSV)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"Wire API load test (locust) on {os.cpu_count()} cores (load average "
          f"{os.getloadavg()[0]:.1f})", flush=True)
    results = {}
    for db in (("postgresql", "sqlite") if args.db == "both" else (args.db,)):
        print(f"\n== {db}", flush=True)
        results[db] = run_on(db, args)
    print(f"\n== Summary (asked {args.rate:.0f} requests/s; target on PostgreSQL: p99 < "
          f"{TARGET_P99:.0f} ms)")
    for db, r in results.items():
        if not r:
            continue
        flag = "" if db != "postgresql" or (r["p99"] < TARGET_P99 and r["rate"] >= 0.95 * args.rate
                                            ) else "  ✗"
        print(f"  {db:<11} {r['rate']:6.0f} requests/s, p50 {r['p50']:.1f} ms, p95 "
              f"{r['p95']:.1f} ms, p99 {r['p99']:.1f} ms, {r['failures']} failures; "
              f"{r['cpu_ms']:.1f} CPU ms a request{flag}")


if __name__ == "__main__":
    main()
