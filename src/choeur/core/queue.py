"""Background tasks by name, so that the code that queues work never imports the module that
runs it.

A task is an entry point, like a view: it owns its transaction and calls the services of its
app (`<app>/tasks.py` imports `<app>/services.py`). Services queue follow-up work (the
routing of an invoice, a flux's integration, an e-mail, a webhook's retry) in their caller's
transaction; importing the `tasks` module back for that would make the two modules need each
other. So each task is declared with `queue.task()` — `django_tasks.task` plus an entry in
this registry under `"<app label>.<function name>"` — and services queue it by that name:

    queue.enqueue("invoicing.route_invoice", invoice.pk)
    queue.get("webhooks.deliver_webhook").using(run_after=retry_at).enqueue(...)

The task itself is unchanged: the database queue stores its import path (the function stays in
its `tasks.py`), runs it by that path, and still makes a task queued in a transaction visible
only once that transaction commits. `CoreConfig.ready()` imports every installed app's `tasks`
module (`discover`, as the admin discovers `admin` modules), so every name is known before a
request or a worker runs; `tests/test_architecture.py` checks that every name the code queues
is declared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import autodiscover_modules
from django_tasks import task as _django_task
from django_tasks.base import Task

_TASKS: dict[str, Task] = {}


def name_of(declared: Task) -> str:
    """`"<app label>.<function name>"` for a task of `choeur.<app>...`."""
    parts = declared.func.__module__.split(".")
    if len(parts) < 2 or parts[0] != "choeur":
        raise ValueError(f"{declared.module_path}: only Choeur's apps declare named tasks")
    return f"{parts[1]}.{declared.func.__name__}"


def task(**options: Any) -> Callable[[Callable], Task]:
    """`django_tasks.task(**options)`, the task registered under its name as well."""

    def declare(func: Callable) -> Task:
        declared = _django_task(**options)(func)
        name = name_of(declared)
        known = _TASKS.get(name)
        # A module imported again (a test reloading it) declares the same path again.
        if known is not None and known.module_path != declared.module_path:
            raise ValueError(f"two tasks named {name!r}: {known.module_path}, "
                             f"{declared.module_path}")
        _TASKS[name] = declared
        return declared

    return declare


def get(name: str) -> Task:
    try:
        return _TASKS[name]
    except KeyError:
        raise LookupError(f"no task named {name!r} (declared with queue.task() in its app's "
                          f"tasks module?)") from None


def enqueue(name: str, *args: Any, **kwargs: Any):
    """Queue the task `name` in the current transaction (see the module's docstring)."""
    return get(name).enqueue(*args, **kwargs)


def declared() -> dict[str, Task]:
    return dict(_TASKS)


def discover() -> None:
    """Import the `tasks` module of every installed app (their declarations fill the registry)."""
    autodiscover_modules("tasks")
