"""Task leases (core/leases.py): a RUNNING task whose worker stopped beating goes back to the
queue, once; a live worker's task is left alone; a worker that stops hands its task back."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from choeur.core import clock, leases, queue
from choeur.core.models import WorkerHeartbeat
from choeur.core.worker import HandBack, _worker, beat

pytestmark = pytest.mark.django_db


def running(owner: str, *, since: int = 60, beat_age: int | None = 60) -> DBTaskResult:
    """A routing task claimed by `owner` `since` seconds ago, whose heartbeat is `beat_age`
    seconds old (None: no heartbeat row at all)."""
    result = queue.get("invoicing.route_invoice").enqueue(123456)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim(owner)
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(seconds=since))
    if beat_age is not None:
        beat(owner, clock.wall_now())
        WorkerHeartbeat.objects.filter(worker_id=owner).update(
            last_seen=clock.wall_now() - timedelta(seconds=beat_age))
    row.refresh_from_db()
    return row


def status(row) -> str:
    row.refresh_from_db()
    return row.status


def test_a_dead_workers_task_is_requeued_once():
    row = running("dead")
    assert leases.reap_lost() == 1
    assert status(row) == TaskResultStatus.READY
    assert leases.reap_lost() == 0
    # Taken again by another worker: its new run is owned by the new worker.
    taken = DBTaskResult.objects.ready().get_locked()
    taken.claim("alive")
    beat("alive", clock.wall_now())
    assert taken.worker_ids == ["dead", "alive"]
    assert leases.reap_lost() == 0 and status(row) == TaskResultStatus.RUNNING


def test_a_live_workers_task_is_left_alone():
    row = running("alive", since=3600, beat_age=2)  # a long task, a fresh heartbeat
    assert leases.lost_tasks() == []
    assert leases.reap_lost() == 0
    assert status(row) == TaskResultStatus.RUNNING


def test_a_task_without_any_heartbeat_is_lost_but_not_a_fresh_claim():
    gone = running("gone", beat_age=None)  # its row deleted (a clean exit that lost a task)
    fresh = running("starting", since=2, beat_age=None)  # claimed before its first beat
    assert leases.reap_lost() == 1
    assert status(gone) == TaskResultStatus.READY
    assert status(fresh) == TaskResultStatus.RUNNING


def test_two_reapers_at_once_requeue_once(monkeypatch):
    row = running("dead")
    seen = leases.lost_tasks()  # both reapers saw the row RUNNING before either acted
    monkeypatch.setattr(leases, "lost_tasks", lambda: seen)
    assert leases.reap_lost() + leases.reap_lost() == 1
    assert status(row) == TaskResultStatus.READY
    # The row taken again meanwhile: a reaper acting on its old sight touches nothing.
    row.claim("alive")
    assert leases.reap_lost() == 0
    assert status(row) == TaskResultStatus.RUNNING and row.worker_ids == ["dead", "alive"]


def test_a_task_that_kills_every_worker_fails_at_last():
    row = running("w5")
    DBTaskResult.objects.filter(pk=row.pk).update(worker_ids=["w1", "w2", "w3", "w4", "w5"])
    assert leases.reap_lost() == 1
    assert status(row) == TaskResultStatus.FAILED
    assert row.exception_class_path == leases.LOST and "5 runs" in row.traceback


def test_a_stopping_worker_hands_its_task_back(monkeypatch):
    def interrupted(invoice_id):
        raise HandBack()

    monkeypatch.setattr("choeur.invoicing.deposit_documents.issue", interrupted)
    result = queue.get("invoicing.route_invoice").enqueue(123456)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("stopping")
    _worker("stopping", "*", 0, True).run_task(row)
    assert status(row) == TaskResultStatus.READY  # not FAILED: another worker runs it
    assert row.exception_class_path == ""


def test_the_heartbeat_reaps(monkeypatch):
    from choeur.core import worker

    row = running("dead")
    monkeypatch.setattr(worker, "enqueue_timers", lambda: None)
    monkeypatch.setattr(worker, "housekeeping", lambda: None)
    worker.Heartbeat("reaper").tick()  # one beat of a live worker
    assert status(row) == TaskResultStatus.READY
