from datetime import timedelta

import pytest
from django.urls import reverse

from choeur.core import clock, health
from choeur.core.models import WorkerHeartbeat
from choeur.core.worker import beat

pytestmark = pytest.mark.django_db


def test_healthz_fails_without_a_worker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"]["ok"] and body["migrations"]["ok"]
    assert body["worker"] == {"ok": False, "error": "no worker has ever reported"}


def test_healthz_ok_with_a_recent_heartbeat(client, frozen_now):
    beat("worker-1", frozen_now)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["worker"]["alive"] == 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_stale_heartbeat_fails(client, frozen_now):
    beat("worker-1", frozen_now)
    clock.advance(timedelta(seconds=31))
    assert client.get(reverse("healthz")).status_code == 503


def test_heartbeat_updates_in_place(frozen_now):
    beat("worker-1", frozen_now)
    clock.advance(timedelta(seconds=5))
    beat("worker-1", frozen_now)
    row = WorkerHeartbeat.objects.get()
    assert row.last_seen == frozen_now + timedelta(seconds=5)


def test_schema_is_up_to_date():
    assert health.pending_migrations() == []


def test_healthz_only_answers_get(client):
    assert client.post(reverse("healthz")).status_code == 405
