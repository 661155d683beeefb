"""`choeur worker`: the django-tasks database worker, plus a heartbeat that /healthz reads."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from choeur.core import clock
from choeur.core.models import WorkerHeartbeat

logger = logging.getLogger("choeur.worker")


def beat(worker_id: str, started_at) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": clock.now(),
        },
    )


class Heartbeat(threading.Thread):
    """Writes the worker's heartbeat every few seconds from its own thread and connection."""

    def __init__(self, worker_id: str, parent_pid: int | None = None):
        super().__init__(name="choeur-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.parent_pid = parent_pid
        self.started_at = clock.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = settings.CHOEUR_WORKER_HEARTBEAT_SECONDS
        while not self.stopping.is_set():
            if self.parent_pid and os.getppid() != self.parent_pid:
                # `choeur serve` died without stopping us (SIGKILL, crash): stop gracefully
                # rather than live on as an orphan beside a restarted server.
                logger.warning("parent process %s is gone; stopping", self.parent_pid)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            try:
                beat(self.worker_id, self.started_at)
            except Exception:  # a missed beat must not kill the worker; /healthz will notice
                logger.exception("heartbeat failed")
            finally:
                close_old_connections()
                connection.close()
            self.stopping.wait(interval)

    def stop(self) -> None:
        self.stopping.set()


def run(
    queues: str = "*", interval: float = 1.0, batch: bool = False, parent_pid: int | None = None
) -> None:
    worker_id = f"{socket.gethostname()[:40]}-{get_random_string(12)}"
    # Old heartbeats of workers gone for a day are noise in the admin.
    WorkerHeartbeat.objects.filter(last_seen__lt=clock.now() - timedelta(days=1)).delete()
    heartbeat = Heartbeat(worker_id, parent_pid)
    heartbeat.start()
    worker = Worker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    if not batch:
        worker.configure_signals()
    logger.info("worker %s started (queues: %s)", worker_id, queues)
    try:
        worker.run()
    finally:
        heartbeat.stop()
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def run_ready(worker_id: str = "inline") -> list:
    """Run every ready task in this thread, then return their results.

    For tests and one-off scripts: the same claim-and-run path as the worker loop, but inside
    the caller's transaction and without its connection recycling or signal handling.
    """
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    runner = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
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
