"""Authentication under attack: a legitimate API call's latency while 20 clients send wrong
secrets at once (issue 14: 8 ms became 2.7 s when every wrong secret cost an Argon2 hash).

    make bench     (or: .venv/bin/python bench/auth.py [--attackers 20] [--calls 200])

The real server (`choeur web`: gunicorn, its default 2 processes x 4 threads) on a throwaway
SQLite data directory, a structure with its technical account and OAuth2 client. A
legitimate client holds a token and calls `transverses/v1/health-check` (Bearer +
`cpro-account`) --calls times, one after the other, and we time each call from the client
(loopback HTTP). Scenarios, each with --attackers threads sending wrong secrets as fast as
the server answers:

- quiet: no attacker;
- token, one address: wrong client secrets to the token endpoint (the throttle answers 429
  after 10 failures per client id, 30 per address);
- token, spread addresses: the same, each request from another address (X-Forwarded-For,
  believed from loopback as from a reverse proxy: CHOEUR_TRUSTED_PROXIES): the throttle's
  per-address key never fills, every wrong secret is checked — the cost of the check itself;
- technical password: wrong `cpro-account` credentials (logins guessed at random) with a
  valid token, spread addresses: no key fills, each costs the caller's read and one check.

(Guessing the legitimate account's own password locks that login for the window, by design:
the bench does not measure that.)

Printed: legitimate calls p50 / p99 (ms) per scenario, attackers' requests per second and
their answers' statuses.
"""
# ruff: noqa: S311, S603 (a bench: pseudo-random guesses, our own command run)

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHOEUR = ROOT / ".venv" / "bin" / "choeur"
TECH_PASSWORD = "Bench-Password-2026!xyz"  # noqa: S105 (a throwaway database)
CLIENT_SECRET = "bench-secret-0123456789abcdef"  # noqa: S105

SETUP = """
from datetime import timedelta
from choeur.core import clock
from choeur.organisations.credentials import hash_secret
from choeur.organisations.models import ApiClient, OpenEspace, Structure, TechnicalAccount
s = Structure.objects.create(identifier_type="SIRET", identifier="73282932000074",
    kind="PRIVEE", company_name="Bench SARL", email="bench@example.fr")
OpenEspace.objects.create(structure=s, espace="FACTURES_EMISES")
TechnicalAccount.objects.create(structure=s, login="TECH_BENCH", password=hash_secret("{pw}"),
    password_expires_at=clock.now() + timedelta(days=424))
ApiClient.objects.create(structure=s, label="bench", client_id="bench-client",
    secret=hash_secret("{secret}"))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Http:
    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, b""


def token(http_: Http, client_id: str, secret: str, address: str | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if address:
        headers["X-Forwarded-For"] = address
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    return http_.request("POST", "/api/oauth/token", body.encode(), headers)


def random_address(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def attacker(kind: str, port: int, stop: threading.Event, statuses: Counter, seed: int,
             bearer: str) -> None:
    rng = random.Random(seed)
    http_ = Http(port)
    while not stop.is_set():
        if kind == "token-one-address":
            status, _ = token(http_, "bench-client", f"wrong-{rng.random()}")
        elif kind == "token-spread":
            status, _ = token(http_, f"guess-{rng.random()}", "wrong", random_address(rng))
        else:  # technical passwords of logins guessed at random
            wrong = base64.b64encode(f"TECH_{rng.random()}:wrong".encode()).decode()
            status, _ = http_.request("GET", "/cpro/transverses/v1/health-check", headers={
                "Authorization": f"Bearer {bearer}", "cpro-account": wrong,
                "X-Forwarded-For": random_address(rng)})
        statuses[status] += 1


def legitimate(port: int, bearer: str, calls: int) -> list[float]:
    http_ = Http(port)
    account = base64.b64encode(f"TECH_BENCH:{TECH_PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Bearer {bearer}", "cpro-account": account,
               "X-Forwarded-For": "192.0.2.1"}  # its own address: never throttled
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        status, body = http_.request("GET", "/cpro/transverses/v1/health-check",
                                     headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, (status, body[:200])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="choeur-bench-auth-")
    port = free_port()
    env = {**os.environ, "CHOEUR_DATA_DIR": data, "CHOEUR_PORT": str(port),
           "CHOEUR_DATABASE_URL": "", "CHOEUR_LOG_LEVEL": "ERROR"}
    subprocess.run([CHOEUR, "migrate"], env=env, check=True, capture_output=True)
    setup = SETUP.format(pw=TECH_PASSWORD, secret=CLIENT_SECRET)
    subprocess.run([CHOEUR, "manage", "shell", "-c", setup], env=env, check=True)
    server = subprocess.Popen([CHOEUR, "web"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        probe = Http(port)
        for _ in range(100):
            status, _ = probe.request("GET", "/healthz")
            if status:
                break
            time.sleep(0.2)
        status, body = token(probe, "bench-client", CLIENT_SECRET, "192.0.2.1")
        assert status == 200, body
        bearer = json.loads(body)["access_token"]
        legitimate(port, bearer, 20)  # warm-up
        print(f"Legitimate health-check calls ({args.calls} each), while {args.attackers} "
              f"attackers send wrong secrets; gunicorn 2 x 4 threads, SQLite, loopback")
        print(f"{'scenario':32} {'p50 ms':>8} {'p99 ms':>8} {'attacks/s':>10}  answers")
        for kind in ("quiet", "token-one-address", "token-spread", "technical-password"):
            stop, statuses = threading.Event(), Counter()
            threads = [] if kind == "quiet" else [
                threading.Thread(target=attacker, daemon=True,
                                 args=(kind, port, stop, statuses, i, bearer))
                for i in range(args.attackers)]
            for thread in threads:
                thread.start()
            time.sleep(1 if threads else 0)
            started = time.perf_counter()
            before = sum(statuses.values())
            times = legitimate(port, bearer, args.calls)
            rate = (sum(statuses.values()) - before) / (time.perf_counter() - started)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            answers = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())) or "—"
            print(f"{kind:32} {statistics.median(times):8.1f} {pct(times, 0.99):8.1f} "
                  f"{rate:10.0f}  {answers}")
            subprocess.run([CHOEUR, "manage", "shell", "-c",
                            "from choeur.accounts.models import FailedAttempts as F; "
                            "F.objects.all().delete()"], env=env, check=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
