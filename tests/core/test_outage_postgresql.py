"""A real PostgreSQL outage under `choeur serve`: a throwaway cluster of this test's own (never
the shared test server), stopped for some seconds and started again. While it is down,
/healthz says the database is down (503, no 500) and the wire API answers 503 with
`Retry-After` and `CORE_DATABASE_UNAVAILABLE`; when it is back, the service recovers by
itself and the same worker — which waited instead of exiting — beats again. Under load (four
clients depositing and searching through the restart), every answer is the normal one or that
coded 503, and no acknowledged deposit is lost or doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_serve import choeur, free_port, healthz, wait_for, worker_ids

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (PG_BIN / "pg_ctl").exists(), reason="PostgreSQL binaries missing"),
]


@pytest.fixture
def cluster():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench._cluster import Cluster

    own = Cluster(settings={"fsync": "off"})
    url = own.start()
    port = urlsplit(url).port
    options = f"-p {port} -k {own.data} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl(*args):
        subprocess.run([*own.as_pg, str(PG_BIN / "pg_ctl"), "-D", str(own.data), "-l",  # noqa: S603
                        str(own.data / "server.log"), "-w", *args], check=True,
                       stdout=subprocess.DEVNULL)

    own.url = url
    own.down = lambda: pg_ctl("-m", "fast", "stop")
    own.up = lambda: pg_ctl("-o", options, "start")
    yield own
    own.stop()


def post_token(port):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/oauth/token", method="POST",
        data=b"grant_type=client_credentials&client_id=x&client_secret=y&scope=openid",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_a_postgresql_outage_is_answered_503_and_the_service_recovers_by_itself(
        cluster, tmp_path):
    port = free_port()
    env = {**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / "var"), "CHOEUR_PORT": str(port),
           "CHOEUR_WEB_WORKERS": "1", "CHOEUR_DATABASE_URL": cluster.url}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert choeur("migrate", env=env).returncode == 0
    server = subprocess.Popen([sys.executable, "-m", "choeur", "serve"], env=env,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: healthz(port)[0] == 200, 90, "healthz")
        workers = worker_ids(env)
        assert len(workers) == 1
        assert post_token(port)[0] in (400, 401)  # unknown client: the database answered

        for seconds in (10, 3):
            before = healthz(port)[1]["worker"]["last_seen"]
            cluster.down()
            down = time.monotonic()
            status, body = healthz(port)
            assert status == 503 and body["down"] == ["database"], body
            assert body["database"] == {"ok": False, "state": "down", "vendor": "postgresql",
                                        "error": "OperationalError", "outage": True}
            status, headers, answer = post_token(port)
            assert status == 503, answer
            assert headers["Retry-After"] == "5"
            assert answer["codeRetour"] == 29998
            assert answer["libelle"].startswith("CORE_DATABASE_UNAVAILABLE - ")
            time.sleep(max(0.0, seconds - (time.monotonic() - down)))
            cluster.up()
            back = time.monotonic()
            wait_for(lambda: healthz(port)[0] == 200, 30, "healthz after the outage")
            recovered = time.monotonic() - back
            print(f"outage of {seconds} s: healthz 200 again {recovered:.1f} s after the start")
            assert recovered < 15, recovered
            assert post_token(port)[0] in (400, 401)
            # The worker beats again (it waited), and it is the same one: it did not exit to
            # be restarted by `choeur serve`.
            wait_for(lambda before=before: healthz(port)[1]["worker"]["last_seen"] > before, 30,
                     "the worker's heartbeat after the outage")
            print(f"outage of {seconds} s: worker beating again "
                  f"{time.monotonic() - back:.1f} s after the start")
            assert worker_ids(env) == workers
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "database unavailable" in output and "database back" in output, output[-3000:]
    assert "Traceback" not in output, output[-5000:]
    print("\n".join(line for line in output.splitlines() if "database" in line))


def test_a_postgresql_restart_under_load_fails_cleanly_and_loses_no_deposit(cluster, tmp_path):
    """Four clients deposit (one invoice a file) and search while PostgreSQL is stopped for
    some seconds: every answer is the normal one or a 503 with `Retry-After` and the wire's
    coded body — no 500, no broken connection. A client re-sends a file after a 503 until it
    gets its number; at the end every acknowledged flux is there once, integrated by the
    worker that waited, and the service answers normally without anyone restarting it."""
    from tests.flux.test_web_kill import Client, seed, state, with_bench

    port = free_port()
    env = with_bench({**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / "var"),
                      "CHOEUR_PORT": str(port), "CHOEUR_WEB_WORKERS": "1",
                      "CHOEUR_DATABASE_URL": cluster.url})
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    credentials, files = seed(env, tmp_path, "CHARGE", 31, 1)
    last = files.pop()  # deposited by the test itself once the load is over
    pending = list(reversed(files))
    # The server's log to a file: a pipe nobody reads during the load would fill up and
    # block the web's threads on their next log line.
    log = tmp_path / "serve.log"
    server = subprocess.Popen([sys.executable, "-m", "choeur", "serve"], env=env,  # noqa: S603
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    answers: list[tuple[float, str, int, str | None, dict]] = []
    broken: list[BaseException] = []
    acknowledged: dict[str, str] = {}  # file name → numeroFluxDepot
    lock = threading.Lock()
    done = threading.Event()

    def load(client):
        """Deposit a file (again after a 503, until answered: a 503 may hide a commit), then
        search; and again, until the test is done and no file of this client is unanswered."""
        search_body = json.dumps({}).encode()
        file = None
        next_file_at = 0.0  # one new file a second a client: some are left for the outage
        while not done.is_set() or file is not None:
            if file is None and time.monotonic() >= next_file_at:
                with lock:
                    file = pending.pop() if pending and not done.is_set() else None
                next_file_at = time.monotonic() + 1.0
            calls = [("search", "/cpro/factures/v1/rechercher/fournisseur", search_body)]
            if file is not None:
                calls.insert(0, ("deposit", None, file))
            for kind, path, body in calls:
                try:
                    if kind == "deposit":
                        status, headers, answer = client.deposit_full(*body)
                    else:
                        status, headers, answer = client.call_full(path, body)
                except Exception as exc:  # a broken connection: the test fails on it
                    broken.append(exc)
                    return
                answers.append((time.monotonic(), kind, status, headers.get("Retry-After"),
                                answer))
                if kind == "deposit" and status == 200:
                    acknowledged[file[0]] = answer["numeroFluxDepot"]
                    file = None
            time.sleep(0.1)

    try:
        wait_for(lambda: healthz(port)[0] == 200, 90, "healthz")
        clients = [threading.Thread(target=load, args=(Client(port, credentials),))
                   for _ in range(4)]  # their tokens taken before the outage
        for thread in clients:
            thread.start()
        time.sleep(2)
        cluster.down()
        down = time.monotonic()
        time.sleep(6)
        cluster.up()
        up = time.monotonic()
        deadline = time.monotonic() + 30
        while (probe := healthz(port))[0] != 200:
            assert time.monotonic() < deadline, f"healthz after the restart: {probe}"
            time.sleep(0.3)
        print(f"restart under load: healthz 200 again {time.monotonic() - up:.1f} s after "
              "the start")
        time.sleep(3)
        done.set()
        for thread in clients:
            thread.join(timeout=60)
        assert not broken, broken

        by_status: dict[tuple[str, int], int] = {}
        for _, kind, status, _, _ in answers:
            by_status[kind, status] = by_status.get((kind, status), 0) + 1
        print(f"{len(answers)} answers: {sorted(by_status.items())}, "
              f"{len(acknowledged)} deposits acknowledged")
        for at, kind, status, retry_after, body in answers:
            assert status in (200, 503), (kind, status, body)
            if status == 503:
                assert down - 1 < at, (kind, body)  # not before the stop
                assert retry_after == "5", (kind, body)
                assert body["codeRetour"] == 29998, body
                assert body["libelle"].startswith("CORE_DATABASE_UNAVAILABLE - "), body
            else:
                assert body["codeRetour"] == 0, body
        assert by_status.get(("deposit", 503)) and by_status.get(("search", 503))
        # Answers after the restart, normally (the clients' own, then the test's deposit).
        assert any(status == 200 and at > up for at, _, status, _, _ in answers)
        status, _, body = Client(port, credentials).deposit_full(*last)
        assert status == 200 and "depotIdentique" not in body, body
        acknowledged[last[0]] = body["numeroFluxDepot"]

        # Nothing acknowledged is lost, nothing is there twice, and the worker integrates it.
        expected = sorted((numero, "IN_INTEGRE") for numero in acknowledged.values())
        assert len(set(acknowledged.values())) == len(acknowledged)
        final = wait_for(lambda: (s := state(env))["flux"] == expected and s, 90,
                         "every acknowledged flux integrated")
        assert len(final["numbers"]) == len(acknowledged) == len(set(final["numbers"]))
    finally:
        done.set()
        server.terminate()
        server.wait(timeout=60)
        output = log.read_text()
        print("\n".join(line for line in output.splitlines()
                        if "database" in line and "django.request" not in line)[-3000:])
    assert "Traceback" not in output, output[-5000:]
