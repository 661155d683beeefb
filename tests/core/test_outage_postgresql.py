"""A real PostgreSQL outage under `choeur serve`: a throwaway cluster of this test's own (never
the shared test server), stopped for some seconds and started again. While it is down,
/healthz says the database is down (503, no 500) and the wire API answers 503 with
`Retry-After` and `CORE_DATABASE_UNAVAILABLE`; when it is back, the service recovers by
itself and the same worker — which waited instead of exiting — beats again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
