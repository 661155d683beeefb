"""kill -9 of a real `choeur worker` in the middle of a flux's integration: another worker
takes the flux up within a minute, and integrates it once (issue 19, core/leases.py).

The integration is slowed by `CHOEUR_TEST_INTEGRATION_DELAY` (flux/services._test_delay, only
under pytest) so that the kill lands mid-flux. On the PostgreSQL run, the processes get a
database of their own on the test cluster (`serve_env`)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests import test_serve
from tests.processes import seed_script, stop, with_bench
from tests.test_serve import choeur, wait_for

serve_env = test_serve.serve_env  # its fixture: a data directory (a database on PostgreSQL)

pytestmark = pytest.mark.slow

SEED = seed_script("""
name, content = bench.batches(template, "KILL", 3, 3)[0]
print("FLUX", bench.Wire().deposit(name, content))
""")

STATE = """
from django_tasks_db.models import DBTaskResult
from choeur.flux.models import Flux
from choeur.invoicing.models import Invoice
flux = Flux.objects.get(numero={numero!r})
task = DBTaskResult.objects.filter(task_path__endswith="integrate_flux").get()
numbers = list(Invoice.objects.order_by("number").values_list("number", flat=True))
running = DBTaskResult.objects.running().count()
print("STATE", flux.status, task.status, ",".join(task.worker_ids), ",".join(numbers), running)
"""


def state(env, numero):
    result = choeur("manage", "shell", "-v", "0", "-c", STATE.format(numero=numero), env=env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("STATE"))
    _, flux, task, workers, numbers, running = line.split(" ")
    return {"flux": flux, "task": task, "workers": workers.split(","),
            "numbers": numbers.split(",") if numbers else [], "running": int(running)}


def worker(env, delay: float):
    return subprocess.Popen(
        [sys.executable, "-m", "choeur", "worker", "--interval", "0.2"],
        env={**env, "CHOEUR_TEST_INTEGRATION_DELAY": str(delay)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def deposited(serve_env):
    """The processes' environment, and the number of a flux of three invoices deposited."""
    env = with_bench(serve_env)
    assert choeur("migrate", env=env).returncode == 0
    seeded = choeur("manage", "shell", "-v", "0", "-c", SEED, env=env, timeout=180)
    assert seeded.returncode == 0, seeded.stderr
    return env, next(line.split()[1] for line in seeded.stdout.splitlines()
                     if line.startswith("FLUX "))


def test_a_flux_whose_worker_is_killed_is_integrated_by_another_within_a_minute(deposited):
    env, numero = deposited

    first = worker(env, delay=60)  # far longer than the test waits: it never finishes
    try:
        wait_for(lambda: state(env, numero)["flux"] == "IN_EN_COURS_TRAITEMENT_CPP", 60,
                 "the first worker to take the flux")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
    finally:
        stop(first)
    left = state(env, numero)
    assert (left["flux"], left["task"], left["numbers"]) == (
        "IN_EN_COURS_TRAITEMENT_CPP", "RUNNING", [])
    dead_worker = left["workers"][-1]

    second = worker(env, delay=0.5)
    try:
        done = wait_for(lambda: (s := state(env, numero))["flux"] == "IN_INTEGRE" and s, 75,
                        "the flux integrated by the second worker")
        took = time.monotonic() - killed_at
    finally:
        stop(second)
    print(f"integrated {took:.1f} s after the kill")
    assert took < 60, f"{took:.1f} s after the kill"
    assert done["numbers"] == ["KILL-000001", "KILL-000002", "KILL-000003"]  # once each
    assert done["workers"][0] == dead_worker and len(done["workers"]) == 2
    assert done["task"] == "SUCCESSFUL"
    assert state(env, numero)["running"] == 0  # no row RUNNING without a live owner


def test_a_stopped_worker_hands_its_flux_back_after_its_grace(deposited):
    from django.conf import settings

    env, numero = deposited

    first = worker(env, delay=120)  # a task longer than the stop grace
    try:
        wait_for(lambda: state(env, numero)["flux"] == "IN_EN_COURS_TRAITEMENT_CPP", 60,
                 "the first worker to take the flux")
        asked = time.monotonic()
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=settings.CHOEUR_WORKER_STOP_GRACE_SECONDS + 15)
        stopped_after = time.monotonic() - asked
    finally:
        stop(first)
    assert stopped_after < settings.CHOEUR_WORKER_STOP_GRACE_SECONDS + 5
    left = state(env, numero)
    # Handed back: READY at once (no reaper to wait for), its half-done work rolled back.
    assert (left["flux"], left["task"], left["numbers"], left["running"]) == (
        "IN_EN_COURS_TRAITEMENT_CPP", "READY", [], 0)

    second = worker(env, delay=0.5)
    try:
        done = wait_for(lambda: (s := state(env, numero))["flux"] == "IN_INTEGRE" and s, 30,
                        "the flux integrated by the next worker")
    finally:
        stop(second)
    assert done["numbers"] == ["KILL-000001", "KILL-000002", "KILL-000003"]
    assert done["task"] == "SUCCESSFUL" and len(done["workers"]) == 2
