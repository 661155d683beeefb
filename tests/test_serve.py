"""`choeur serve` for real: gunicorn and a worker as separate processes, like `make run`."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def choeur(*args, env, timeout=120):
    return subprocess.run([sys.executable, "-m", "choeur", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return None, None


def wait_healthy(port, deadline):
    status = body = None
    while time.monotonic() < deadline:
        status, body = healthz(port)
        if status == 200:
            return body
        time.sleep(0.5)
    raise AssertionError(f"/healthz never answered 200: {status} {body}")


@pytest.mark.skipif(
    os.environ.get("CHOEUR_DATABASE_URL", "").startswith("postgres"),
    reason="runs on its own SQLite data directory, as `make run` does",
)
def test_serve_answers_healthz_keeps_data_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / "var"), "CHOEUR_PORT": str(port),
           "CHOEUR_WEB_WORKERS": "1", "CHOEUR_ADMIN_EMAIL": "boss@example.fr"}
    env.pop("CHOEUR_DATABASE_URL", None)
    env.pop("CHOEUR_ADMIN_PASSWORD", None)
    assert choeur("migrate", env=env).returncode == 0
    created = choeur("createadmin", "--if-none", env=env)
    assert "Administrator created: boss@example.fr" in created.stdout

    for _run in range(2):  # stop and start again: the data stays
        server = subprocess.Popen([sys.executable, "-m", "choeur", "serve"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            body = wait_healthy(port, time.monotonic() + 60)
            assert body["database"]["vendor"] == "sqlite"
            assert body["worker"]["ok"]
        finally:
            server.send_signal(signal.SIGTERM)
            output = server.communicate(timeout=60)[0]
        assert server.returncode == 0, output
        assert healthz(port) == (None, None)
        again = choeur("createadmin", "--if-none", env=env)
        assert "already exists" in again.stdout


def test_serve_refuses_an_unmigrated_database(tmp_path):
    env = {**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / "var"), "CHOEUR_PORT": str(free_port())}
    env.pop("CHOEUR_DATABASE_URL", None)
    result = choeur("serve", env=env, timeout=60)
    assert result.returncode == 1
    assert "run `choeur migrate` first" in result.stderr
