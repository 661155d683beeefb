"""`choeur serve` for real: gunicorn and a worker as separate processes, like `make run`.

On the PostgreSQL run, the server gets a database of its own on the test cluster.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def worker_ids(env) -> set[str]:
    result = choeur("manage", "shell", "-v", "0", "-c",
                    "from choeur.core.models import WorkerHeartbeat as W; "
                    "print(','.join(W.objects.values_list('worker_id', flat=True)))", env=env)
    return set(filter(None, result.stdout.strip().split(",")))


@pytest.fixture
def serve_env(tmp_path):
    env = {**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / "var"), "CHOEUR_PORT": str(free_port()),
           "CHOEUR_WEB_WORKERS": "1", "CHOEUR_ADMIN_EMAIL": "boss@example.fr"}
    env.pop("CHOEUR_ADMIN_PASSWORD", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright only; not for real servers
    url = os.environ.get("CHOEUR_DATABASE_URL", "")
    if not url.startswith("postgres"):
        env.pop("CHOEUR_DATABASE_URL", None)
        yield env
        return
    import psycopg

    name = f"serve_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)
    env["CHOEUR_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    yield env
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_serve_answers_healthz_runs_tasks_keeps_data_and_stops_cleanly(serve_env):
    env, port = serve_env, int(serve_env["CHOEUR_PORT"])
    vendor = "postgresql" if env.get("CHOEUR_DATABASE_URL") else "sqlite"
    assert choeur("migrate", env=env).returncode == 0
    created = choeur("createadmin", "--if-none", env=env)
    assert "Administrator created: boss@example.fr" in created.stdout
    outbox = Path(env["CHOEUR_DATA_DIR"]) / "outbox"

    for run in range(2):  # stop and start again: the data stays
        server = subprocess.Popen([sys.executable, "-m", "choeur", "serve"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            status, body = wait_for(lambda: (s := healthz(port))[0] == 200 and s, 60, "healthz")
            assert body["database"]["vendor"] == vendor
            assert body["worker"]["ok"]
            # An e-mail queued by another process is delivered by the server's worker.
            queued = choeur("manage", "shell", "-v", "0", "-c",
                            "from django.db import transaction; from choeur.core import mail\n"
                            "with transaction.atomic():\n"
                            f"    mail.send_mail('a@example.fr', 'Essai {run}', 'Corps')", env=env)
            assert queued.returncode == 0, queued.stderr
            expected = run + 1
            wait_for(lambda: len(list(outbox.glob("*.eml"))) == expected, 30, "the e-mail")  # noqa: B023
        finally:
            server.send_signal(signal.SIGTERM)
            output = server.communicate(timeout=60)[0]
        assert server.returncode == 0, output
        assert healthz(port) == (None, None)
        assert worker_ids(env) == set()  # a worker stopping cleanly removes its heartbeat
        again = choeur("createadmin", "--if-none", env=env)
        assert "already exists" in again.stdout


def test_serve_restarts_a_dead_worker(serve_env):
    env, port = serve_env, int(serve_env["CHOEUR_PORT"])
    assert choeur("migrate", env=env).returncode == 0
    server = subprocess.Popen([sys.executable, "-m", "choeur", "serve"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: healthz(port)[0] == 200, 60, "healthz")
        [first] = worker_ids(env)
        pid = int(choeur("manage", "shell", "-v", "0", "-c",
                         "from choeur.core.models import WorkerHeartbeat as W; "
                         "print(W.objects.get().pid)", env=env).stdout)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: worker_ids(env) - {first}, 30, "a new worker")
        assert healthz(port)[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert "worker exited with status -9; restarting" in output


def test_children_stop_when_serve_is_killed(serve_env):
    env, port = serve_env, int(serve_env["CHOEUR_PORT"])
    assert choeur("migrate", env=env).returncode == 0
    server = subprocess.Popen([sys.executable, "-m", "choeur", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: healthz(port)[0] == 200, 60, "healthz")
    finally:
        server.kill()  # SIGKILL: no chance to stop its children
        server.wait()
    wait_for(lambda: healthz(port) == (None, None), 30, "the web server to stop")
    wait_for(lambda: worker_ids(env) == set(), 30, "the worker to stop")


def test_serve_sets_a_new_data_directory_up_and_reads_chunked_bodies(serve_env):
    """A newcomer's first `choeur serve`: the schema and the first administrator are made
    (its password printed once), then the portal answers. Under the real gunicorn, a body
    sent chunked (no Content-Length) reaches the operation (choeur.wsgi.ChunkedBodies)."""
    env, port = serve_env, int(serve_env["CHOEUR_PORT"])
    server = subprocess.Popen([sys.executable, "-m", "choeur", "serve", "--no-worker"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: healthz(port)[0] is not None, 90, "the server")
        form = b"grant_type=client_credentials&client_id=nobody&client_secret=wrong"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.putrequest("POST", "/api/oauth/token")
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for part in (form[:20], form[20:]):
            connection.send(b"%x\r\n%s\r\n" % (len(part), part))
        connection.send(b"0\r\n\r\n")
        answer = connection.getresponse()
        # Read: the credentials were checked (an empty body would be "grant_type is required").
        assert (answer.status, json.loads(answer.read())["error"]) == (400, "invalid_client")
        connection.close()
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert "Administrator created: boss@example.fr" in output
    assert output.count("Password (shown once") == 1
    assert server.returncode == 0, output
    # The second start finds everything in place.
    second = subprocess.Popen([sys.executable, "-m", "choeur", "serve", "--no-worker"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: healthz(port)[0] is not None, 90, "the server")
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=60)[0]
    assert "Administrator created" not in output and "New database" not in output


def test_serve_refuses_a_database_of_an_older_version(serve_env):
    """Upgrading an existing database is the operator's decision (`choeur migrate`), taken
    once, not by each web server starting."""
    assert choeur("migrate", env=serve_env).returncode == 0
    rolled_back = choeur("manage", "migrate", "accounts", "0004", env=serve_env)
    assert rolled_back.returncode == 0, rolled_back.stderr
    result = choeur("serve", env=serve_env, timeout=60)
    assert result.returncode == 1
    assert "run `choeur migrate` first" in result.stderr
