from datetime import timedelta

import pytest

from choeur.core import clock, health
from choeur.core.models import WorkerHeartbeat
from choeur.core.worker import beat

pytestmark = pytest.mark.django_db


def test_healthz_fails_without_a_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"]["ok"] and body["migrations"]["ok"]
    assert body["worker"] == {"ok": False, "error": "no worker has ever reported"}


def test_healthz_ok_with_a_recent_heartbeat(client):
    beat("worker-1", clock.wall_now())
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["worker"]["alive"] == 1
    assert "no-cache" in response["Cache-Control"]


def test_stale_heartbeat_fails(client):
    beat("worker-1", clock.wall_now())
    WorkerHeartbeat.objects.update(last_seen=clock.wall_now() - timedelta(seconds=31))
    assert client.get("/healthz").status_code == 503


def test_business_time_travel_does_not_kill_the_worker(client):
    # Qualification moves the business clock; liveness is measured in wall time.
    beat("worker-1", clock.wall_now())
    with clock.shifted(timedelta(days=30)):
        assert client.get("/healthz").status_code == 200


def test_heartbeat_updates_in_place():
    beat("worker-1", clock.wall_now())
    first = WorkerHeartbeat.objects.get().last_seen
    beat("worker-1", clock.wall_now())
    assert WorkerHeartbeat.objects.get().last_seen >= first
    assert WorkerHeartbeat.objects.count() == 1


def test_schema_is_up_to_date():
    assert health.pending_migrations() == []


def test_load_balancer_probes(client):
    beat("worker-1", clock.wall_now())
    assert client.head("/healthz").status_code == 200
    # Probes come by IP address, which is not in ALLOWED_HOSTS: still answered.
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_old_finished_task_results_are_pruned(run_tasks):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from choeur.core import mail
    from choeur.core.worker import prune_task_results

    with transaction.atomic():
        mail.send_mail("a@example.fr", "Ancien", "...")
        mail.send_mail("b@example.fr", "Récent", "...")
    run_tasks()
    old, recent = DBTaskResult.objects.order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=old.pk).update(
        finished_at=clock.wall_now() - timedelta(days=8))
    with transaction.atomic():
        mail.send_mail("c@example.fr", "En attente", "...")  # not finished: kept
    assert prune_task_results() == 1
    assert DBTaskResult.objects.count() == 2
