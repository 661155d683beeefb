"""Task leases: a RUNNING task row belongs to the worker that claimed it, for as long as that
worker's heartbeat lives.

django-tasks-db records who runs a task: `DBTaskResult.claim(worker_id)` appends the worker's
id to `worker_ids` when it marks the row RUNNING, so the row's owner is the last id of that
list. A worker killed outright (kill -9, the machine lost) leaves its row RUNNING and its
heartbeat (`core.models.WorkerHeartbeat`, written every `CHOEUR_WORKER_HEARTBEAT_SECONDS`)
ageing. `reap_lost` — run by every worker's heartbeat thread right after its own beat — puts
the rows whose owner's heartbeat is older than `CHOEUR_WORKER_STALE_SECONDS` (or gone) back to
READY, where any worker takes them: a dead worker's task runs again within about
`CHOEUR_WORKER_STALE_SECONDS` + one beat. The update is conditional (still RUNNING, same
`started_at` as seen), so of two reapers at once one requeues and the other finds nothing.

The tasks are written to be run again (`route` skips an invoice already routed; a flux's
integration skips the invoices it already wrote and resumes a flux its lost run left "en
cours": `flux.tasks.integrate_flux`). A task lost `MAX_RUNS` times — one that kills its worker
each time — is marked FAILED instead of looping forever.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from choeur.core import clock
from choeur.core.models import WorkerHeartbeat

logger = logging.getLogger("choeur.worker")

#: Runs of one task (its claims) after which a lost task is failed rather than requeued.
MAX_RUNS = 5
LOST = "choeur.core.leases.WorkerLost"


def _stale() -> timedelta:
    return timedelta(seconds=settings.CHOEUR_WORKER_STALE_SECONDS)


def lost_tasks() -> list[tuple]:
    """(id, worker_ids, started_at) of the RUNNING rows whose owner is not alive. Cheap: the
    RUNNING rows (as many as tasks being run, from a partial index), then one look-up of their
    owners' heartbeats. A row claimed less than the stale delay ago is never lost: its
    worker may not have written its first beat yet."""
    running = list(DBTaskResult.objects.running().filter(
        started_at__lt=clock.wall_now() - _stale()).order_by().values_list(
        "id", "worker_ids", "started_at"))
    if not running:
        return []
    owners = {ids[-1] for _id, ids, _at in running if ids}
    alive = set(WorkerHeartbeat.objects.filter(
        worker_id__in=owners, last_seen__gte=clock.wall_now() - _stale(),
    ).values_list("worker_id", flat=True))
    return [row for row in running if not row[1] or row[1][-1] not in alive]


def reap_lost() -> int:
    """Requeue (or, past `MAX_RUNS`, fail) the tasks of dead workers; the number requeued or
    failed by this call. Safe to run from many workers at once."""
    done = 0
    for task_id, worker_ids, started_at in lost_tasks():
        owner = worker_ids[-1] if worker_ids else "?"
        with transaction.atomic():
            row = DBTaskResult.objects.filter(
                pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at)
            if len(worker_ids) >= MAX_RUNS:
                changed = row.update(
                    status=TaskResultStatus.FAILED, finished_at=clock.wall_now(),
                    exception_class_path=LOST, return_value=None,
                    traceback=f"{LOST}: its worker {owner} died during each of "
                              f"{len(worker_ids)} runs\n")
                verb = "failed"
            else:
                changed = row.update(status=TaskResultStatus.READY)
                verb = "requeued"
        if changed:
            done += 1
            logger.warning("task %s %s: its worker %s stopped beating", task_id, verb, owner)
    return done


def hand_back(db_task_result: DBTaskResult) -> bool:
    """Put a task this worker is giving up (asked to stop, out of grace time) back to READY,
    at once: another worker runs it again without waiting for the reaper."""
    changed = DBTaskResult.objects.filter(
        pk=db_task_result.pk, status=TaskResultStatus.RUNNING,
        started_at=db_task_result.started_at,
    ).update(status=TaskResultStatus.READY)
    if changed:
        db_task_result.status = TaskResultStatus.READY
        logger.warning("task %s handed back to the queue (the worker is stopping)",
                       db_task_result.pk)
    return bool(changed)


def is_rerun(context) -> bool:
    """Whether a task (with `takes_context=True`) runs again after a run that was lost —
    a worker died or gave it back: the work that run left half done is to be resumed."""
    return len(context.task_result.worker_ids) > 1
