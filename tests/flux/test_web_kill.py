"""kill -9 of a real web process in the middle of a deposit (issue 19): the flux committed, the
answer never left. The client sees a broken connection (not a 200), and its re-send of the
same file, once the web is back, answers the first flux (`depotIdentique`): one flux, one set
of invoices, integrated by the worker.

The answer is held after the deposit's commit by `CHOEUR_TEST_DEPOSIT_HOLD`
(flux/services._test_hold, only under pytest) while a file exists, so that the kill lands
between the commit and the answer. Two kills: the gunicorn worker alone (its master starts
another: nobody restarts anything), and the whole `choeur web` (master and workers; restarted
as systemd would). On the PostgreSQL run, the processes get a database of their own
(`serve_env`)."""

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import test_serve
from tests.processes import seed_script, stop, with_bench
from tests.test_serve import choeur, healthz, wait_for

serve_env = test_serve.serve_env  # its fixture: a data directory (a database on PostgreSQL)

pytestmark = pytest.mark.slow

SEED = seed_script("""
files = bench.batches(template, TAG, COUNT, SIZE)
for n, (name, content) in enumerate(files):
    open(BATCH_PATH + str(n), "wb").write(content)
print("WORLD", json.dumps({"client_id": bench.CLIENT_ID, "client_secret": bench.CLIENT_SECRET,
                           "login": bench.TECH_LOGIN, "password": bench.TECH_PASSWORD,
                           "names": [name for name, _ in files]}))
""")


def state(env):
    """The flux (number, state) and the invoices' numbers, read straight from the database
    the processes share (a Django start per look would cost seconds)."""
    url = env.get("CHOEUR_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        connection = psycopg.connect(url, autocommit=True)
    else:
        import sqlite3

        connection = sqlite3.connect(Path(env["CHOEUR_DATA_DIR"]) / "choeur.sqlite3")
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT numero, status FROM flux_flux ORDER BY numero")
        flux = [tuple(row) for row in cursor.fetchall()]
        cursor.execute("SELECT number FROM invoicing_invoice ORDER BY number")
        return {"flux": flux, "numbers": [row[0] for row in cursor.fetchall()]}
    finally:
        connection.close()


def start(*args, env):
    return subprocess.Popen([sys.executable, "-m", "choeur", *args], env=env,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers under their master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def call_full(port, method, path, body: bytes, headers: dict, timeout=90):
    """One HTTP request on a fresh connection: (status, headers, JSON body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), json.loads(answer.read() or b"null")
    finally:
        connection.close()


class Client:
    """A Chorus Pro client on the wire: a token, then both headers."""

    def __init__(self, port, world):
        self.port = port
        status, _, token = call_full(port, "POST", "/api/oauth/token", (
            f"grant_type=client_credentials&client_id={world['client_id']}"
            f"&client_secret={world['client_secret']}&scope=openid").encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, token
        account = base64.b64encode(f"{world['login']}:{world['password']}".encode()).decode()
        self.headers = {"Authorization": f"Bearer {token['access_token']}",
                        "cpro-account": account, "Accept": "application/json",
                        "Content-Type": "application/json;charset=utf-8"}

    def call_full(self, path: str, body: bytes):
        return call_full(self.port, "POST", path, body, self.headers)

    def deposit_full(self, name: str, content: bytes):
        return self.call_full("/cpro/factures/v1/deposer/flux", json.dumps({
            "idUtilisateurCourant": 0, "fichierFlux": base64.b64encode(content).decode(),
            "nomFichier": name, "syntaxeFlux": "IN_DP_E1_CII_16B",
            "avecSignature": False}).encode())

    def deposit(self, name: str, content: bytes):
        status, _, body = self.deposit_full(name, content)
        return status, body


def seed(env, directory: Path, tag: str, count: int, size: int):
    """Migrate, then bench/api.py's world (a supplier, its technical account and OAuth2
    client, a public recipient); `count` invoices numbered `<tag>-000001`... in files of
    `size`. Returns the credentials and the files [(name, content)]."""
    assert choeur("migrate", env=env).returncode == 0
    prefix = directory / "lot"
    script = (SEED.replace("BATCH_PATH", repr(str(prefix))).replace("TAG", repr(tag))
              .replace("COUNT", str(count)).replace("SIZE", str(size)))
    seeded = choeur("manage", "shell", "-v", "0", "-c", script, env=env, timeout=180)
    assert seeded.returncode == 0, seeded.stderr
    world = json.loads(next(line.split(" ", 1)[1] for line in seeded.stdout.splitlines()
                            if line.startswith("WORLD ")))
    return world, [(name, Path(f"{prefix}{n}").read_bytes())
                   for n, name in enumerate(world["names"])]


@pytest.fixture
def world(serve_env, tmp_path):
    """The processes' environment, a worker running, two batches' files and the credentials."""
    env = with_bench(serve_env)
    credentials, files = seed(env, tmp_path, "WEBKILL", 6, 3)
    worker = start("worker", "--interval", "0.2", env=env)
    try:
        yield env, credentials, files
    finally:
        stop(worker)


def killed_mid_deposit(env, client, name, content, hold: Path, kill) -> str:
    """Deposit with the answer held after the commit, `kill()` the web meanwhile: the client
    sees a broken connection, never a 200. Returns the flux's number (from the database)."""
    before = {numero for numero, _ in state(env)["flux"]}
    hold.touch()
    outcome = {}

    def send():
        try:
            outcome["answer"] = client.deposit(name, content)
        except Exception as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    # Committed: the flux is in the database while its answer is held.
    new = wait_for(lambda: {n for n, _ in state(env)["flux"]} - before, 60, "the flux")
    [numero] = new
    assert sender.is_alive() and not outcome
    kill()
    sender.join(timeout=30)
    assert not sender.is_alive()
    assert "answer" not in outcome, outcome
    assert isinstance(outcome["error"], (ConnectionError, http.client.HTTPException)), outcome
    hold.unlink()
    return numero


def re_sent(client, name, content, numero) -> None:
    """The re-send answers the first flux, and says so."""
    status, again = client.deposit(name, content)
    assert status == 200, again
    assert again["codeRetour"] == 0 and again["depotIdentique"] is True, again
    assert again["numeroFluxDepot"] == numero
    assert again["libelle"].startswith("TRA_MSG_00.000 - Flux déjà déposé le ")


def test_a_deposit_whose_web_process_is_killed_is_re_sent_idempotently(world, tmp_path):
    env, credentials, [(name1, content1), (name2, content2)] = world
    port = int(env["CHOEUR_PORT"])
    hold = tmp_path / "hold"
    held = {**env, "CHOEUR_TEST_DEPOSIT_HOLD": str(hold)}
    web = start("web", env=held)
    try:
        wait_for(lambda: healthz(port)[0] == 200, 60, "healthz")
        client = Client(port, credentials)

        # 1. The gunicorn worker killed: its master starts another, nobody restarts anything.
        [gunicorn_worker] = children(web.pid)  # CHOEUR_WEB_WORKERS=1
        first = killed_mid_deposit(env, client, name1, content1, hold,
                                   lambda: os.kill(gunicorn_worker, signal.SIGKILL))
        killed_at = time.monotonic()
        assert web.poll() is None
        wait_for(lambda: set(children(web.pid)) - {gunicorn_worker} and healthz(port)[0] == 200,
                 30, "the new gunicorn worker")
        print(f"gunicorn worker killed: answering again {time.monotonic() - killed_at:.1f} s "
              "later")
        re_sent(client, name1, content1, first)

        # 2. The whole web killed (master and worker at once), started again as systemd's
        # Restart=always would.
        def kill_web():
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()

        second = killed_mid_deposit(env, client, name2, content2, hold, kill_web)
        killed_at = time.monotonic()
        assert healthz(port) == (None, None)
        web = start("web", env=held)
        wait_for(lambda: healthz(port)[0] == 200, 60, "healthz after the restart")
        print(f"whole web killed: answering again {time.monotonic() - killed_at:.1f} s later")
        re_sent(client, name2, content2, second)

        # One flux per file, one set of invoices, both integrated by the worker.
        done = wait_for(lambda: (s := state(env))["flux"] == sorted(
            [(first, "IN_INTEGRE"), (second, "IN_INTEGRE")]) and s, 60, "the integrations")
        assert done["numbers"] == [f"WEBKILL-00000{n}" for n in range(1, 7)]
    finally:
        hold.unlink(missing_ok=True)
        stop(web)
