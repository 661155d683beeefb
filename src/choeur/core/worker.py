"""`choeur worker`: the django-tasks database worker, plus a heartbeat that /healthz reads.

A database outage does not stop a worker: its loop, its heartbeat and a task that meets the
outage wait for the database (1, 2, 4… 10 s between tries, one log line when it goes, one
when it is back: `core.outage`) and go on; the task is handed back to the queue, not failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from choeur.core import clock, leases, outage, periodic
from choeur.core.models import WorkerHeartbeat

logger = logging.getLogger("choeur.worker")


def beat(worker_id: str, started_at) -> None:
    # Wall time, not business time: liveness must agree across processes and machines.
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": clock.wall_now(),
        },
    )


TASK_RESULTS_KEPT = timedelta(days=7)


def enqueue_timers() -> None:
    """Queue the timers the apps declared (`core.periodic`), each on its own: one that cannot
    be queued does not keep the others. Timers read the clock service, so qualification can
    travel."""
    for timer in periodic.timers():
        try:
            timer.enqueue()
        except Exception:
            logger.exception("queueing the timer %s failed", timer.module_path)


def prune_task_results(now=None) -> int:
    """Forget finished task results older than a week: the task table must not grow forever
    (a flux of 80 million invoices a year leaves that many rows). Their effects (e-mails,
    documents) have their own tables; a result row is only useful to follow a task."""
    cutoff = (now or clock.wall_now()) - TASK_RESULTS_KEPT
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def housekeeping() -> None:
    """The hourly removals the apps declared (`core.periodic`), each on its own: one that
    fails does not keep the others."""
    for job in periodic.housekeepers():
        try:
            pruned = job.run()
        except Exception:
            logger.exception("pruning %s failed", job.what)
            continue
        if pruned:
            logger.info("pruned %s %s", pruned, job.what)


class Heartbeat(threading.Thread):
    """Writes the worker's heartbeat every few seconds from its own thread and connection,
    requeues the tasks of workers whose heartbeat stopped (`core.leases`), queues the apps'
    timers every five minutes and runs their housekeeping hourly."""

    def __init__(self, worker_id: str):
        super().__init__(name="choeur-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.started_at = clock.wall_now()
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = settings.CHOEUR_WORKER_HEARTBEAT_SECONDS
        while not self.stopping.is_set():
            try:
                self.tick()
            finally:
                # A connection that cannot even close is dropped all the same.
                with contextlib.suppress(Exception):
                    close_old_connections()
                outage.drop_connection()
            self.stopping.wait(interval)

    next_timers = next_prune = None
    down_since = None

    def tick(self) -> None:
        """One beat (and the timers or housekeeping when due). Never raises: a missed beat
        must not kill the worker, /healthz notices. A database outage is logged once when
        it starts and once when it ends, not at every beat."""
        now = clock.wall_now()
        try:
            beat(self.worker_id, self.started_at)
            # Only after a beat of its own: a worker cut from the database judges no one.
            leases.reap_lost()
            if self.down_since is not None:
                logger.warning("heartbeat: database back after %.0f s",
                               (now - self.down_since).total_seconds())
                self.down_since = None
            if self.next_timers is None or now >= self.next_timers:
                self.next_timers = now + periodic.TIMERS_EVERY
                enqueue_timers()
            if self.next_prune is None or now >= self.next_prune:
                self.next_prune = now + periodic.HOUSEKEEPING_EVERY
                housekeeping()
        except Exception as exc:
            if not outage.is_outage(exc):
                logger.exception("heartbeat failed")
            elif self.down_since is None:
                self.down_since = now
                logger.warning("heartbeat: database unavailable (%s), beating again when it "
                               "is back", type(exc).__name__)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)  # a beat in flight must not re-create the row we delete next


class HandBack(BaseException):  # noqa: N818 - not an error: the task is given back
    """Raised in the running task when the worker must stop before the task ends."""


#: Runs after which a task that meets an outage each time is failed, not handed back again.
PASSING_RUNS = 20


class ChoeurWorker(Worker):
    """django-tasks-db's worker, with two changes:

    - a task that met a database or file store outage is not failed: once it is back the
      task is handed back to the queue (ready again) and runs again;
    - a bounded stop. Its SIGTERM/SIGINT lets the current task finish; here, if the task has
      not finished `CHOEUR_WORKER_STOP_GRACE_SECONDS` later (or at a second signal), it is
      interrupted — its open transaction rolls back — and handed back to the queue
      (`leases.hand_back`) rather than marked failed.
    """

    alarm_set = False

    def shutdown(self, signum, frame) -> None:
        if self.running_task:
            if not self.running:
                raise HandBack()
            self.running = False
            logger.warning("%s: finishing the current task (at most %s s) before stopping",
                           signal.strsignal(signum), settings.CHOEUR_WORKER_STOP_GRACE_SECONDS)
            signal.signal(signal.SIGALRM, self._out_of_grace)
            signal.alarm(max(1, int(settings.CHOEUR_WORKER_STOP_GRACE_SECONDS)))
            self.alarm_set = True
            return
        super().shutdown(signum, frame)

    def _out_of_grace(self, signum, frame) -> None:
        if self.running_task:
            raise HandBack()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # `Worker.run_task` records any exception with `set_failed`: intercept that one call.
        db_task_result.set_failed = lambda exc: self._failed(db_task_result, exc)
        try:
            super().run_task(db_task_result)
        finally:
            if self.alarm_set:
                signal.alarm(0)
                self.alarm_set = False

    def _failed(self, db_task_result: DBTaskResult, exc: BaseException) -> None:
        if isinstance(exc, HandBack):
            leases.hand_back(db_task_result)
            return
        if not outage.is_passing(exc) or len(db_task_result.worker_ids) >= PASSING_RUNS:
            # (A task that met an "outage" on each of its runs meets something else: a
            # store refusing one request for good while it answers the probe.)
            DBTaskResult.set_failed(db_task_result, exc)
            return
        if outage.wait_for(exc, who=f"task {db_task_result.task_path}",
                           stop=lambda: not self.running):
            hand_back(db_task_result)
        # Stopped while the database (or the store) is away: the row stays RUNNING for the
        # lease rule (`core.leases`: requeued by another worker once this one's heartbeat is
        # stale).


def hand_back(db_task_result: DBTaskResult) -> bool:
    """A RUNNING task ready again (its run was cut short by a database or store outage)."""
    with transaction.atomic():
        handed = DBTaskResult.objects.filter(
            pk=db_task_result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None)
    if handed:
        db_task_result.status = TaskResultStatus.READY
        logger.warning("task %s (%s) handed back to the queue after an outage",
                       db_task_result.pk, db_task_result.task_path)
    return bool(handed)


def _worker(worker_id: str, queues: str, interval: float, batch: bool) -> Worker:
    return ChoeurWorker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run(queues: str = "*", interval: float = 1.0, batch: bool = False) -> None:
    worker_id = f"{socket.gethostname()[:40]}-{get_random_string(12)}"
    # Heartbeats of workers gone for a day are noise in the admin.
    WorkerHeartbeat.objects.filter(last_seen__lt=clock.wall_now() - timedelta(days=1)).delete()
    heartbeat = Heartbeat(worker_id)
    heartbeat.start()
    worker = _worker(worker_id, queues, interval, batch)
    if not batch:
        worker.configure_signals()
    logger.info("worker %s started (queues: %s)", worker_id, queues)
    try:
        run_loop(worker)
    finally:
        heartbeat.stop()
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def run_loop(worker: Worker) -> None:
    """The worker's loop, started again after each database outage once the database is back
    (not exiting: `choeur serve`'s back-off would restart it up to 30 s later)."""
    while True:
        try:
            worker.run()
            return
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            if not outage.wait_for_database(exc, who="worker", stop=lambda: not worker.running):
                return


def run_ready(worker_id: str = "inline") -> list[DBTaskResult]:
    """Run every ready task in this thread, then return their results.

    For tests and one-off scripts: the same claim-and-run path as the worker loop, but inside
    the caller's transaction and without its connection recycling or signal handling.
    """
    runner = _worker(worker_id, "*", 0, True)
    results = []
    while True:
        with transaction.atomic():
            task_result = DBTaskResult.objects.ready().get_locked()
            if task_result is None:
                return results
            task_result.claim(worker_id)
        runner.run_task(task_result)
        task_result.refresh_from_db()
        results.append(task_result)
