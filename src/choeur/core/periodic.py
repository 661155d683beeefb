"""Periodic work, declared by each app and run by `choeur worker` (core never imports a
feature: the apps come to it, as pypi/warehouse's `includeme` adds its periodic tasks).

Two kinds, each declared in the app's `AppConfig.ready()`:

- a *timer* is a task (`queue.task()`) queued every `TIMERS_EVERY` by every worker's heartbeat
  thread: business checks that read the clock service (tacit validations, drop folders...).
  Each must be idempotent: two workers queueing it at once do the work once.
- a *housekeeping* is a plain function run every `HOUSEKEEPING_EVERY` in the heartbeat thread
  itself, returning how many rows it removed: removals of what is no longer needed (finished
  task results, ended webhook deliveries, old failed-authentication counts).

Each runs on its own: one that fails is logged and does not keep the others (`worker`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django_tasks.base import Task

TIMERS_EVERY = timedelta(minutes=5)
HOUSEKEEPING_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Housekeeping:
    what: str  # what it removes, for the log: "pruned 12 <what>"
    run: Callable[[], int]


# Keyed so that declaring again (an app's ready() run twice) replaces rather than doubles.
_TIMERS: dict[str, Task] = {}
_HOUSEKEEPING: dict[str, Housekeeping] = {}


def timer(task: Task) -> Task:
    """Queue `task` (no arguments) every `TIMERS_EVERY`."""
    _TIMERS[task.module_path] = task
    return task


def housekeeping(what: str, run: Callable[[], int]) -> None:
    """Run `run()` every `HOUSEKEEPING_EVERY`; `what` names what it removes."""
    _HOUSEKEEPING[what] = Housekeeping(what, run)


def timers() -> list[Task]:
    return list(_TIMERS.values())


def housekeepers() -> list[Housekeeping]:
    return list(_HOUSEKEEPING.values())
