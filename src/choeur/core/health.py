"""Health checks for load balancers and `choeur check`: database, migrations, worker, storage.

The report names each dependency with `ok` and lists the failing ones in `down`, so an
operator (or a load balancer's log) sees at once which one is missing: `{"status": "fail",
"down": ["database"], "database": {"ok": false, "state": "down", ...}, ...}`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from choeur.core import clock, outage
from choeur.core.models import WorkerHeartbeat

_migrations_known_applied = False


def check_database() -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not reachable"
        # A broken connection is dropped: the next probe opens a new one.
        outage.drop_connection()
        return {"ok": False, "state": "down", "vendor": connection.vendor,
                "error": type(exc).__name__, "outage": outage.is_outage(exc)}
    return {"ok": True, "state": "up", "vendor": connection.vendor}


def check_storage() -> dict:
    """The file store answers (a local folder, or the S3 bucket): a name looked up."""
    from django.core.files.storage import storages

    try:
        store = storages["blobs"]
        store.exists("choeur-healthz")
    except Exception as exc:
        return {"ok": False, "state": "down", "error": type(exc).__name__}
    return {"ok": True, "state": "up", "backend": type(store).__name__}


def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    targets = executor.loader.graph.leaf_nodes()
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(targets)]


def check_migrations() -> dict:
    global _migrations_known_applied
    # Loading the migration graph costs tens of milliseconds; once a process has seen the schema
    # up to date it stays so (migrations are applied before new code starts).
    if _migrations_known_applied:
        return {"ok": True}
    try:
        pending = pending_migrations()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if pending:
        return {"ok": False, "pending": len(pending)}
    _migrations_known_applied = True
    return {"ok": True}


def check_worker() -> dict:
    try:
        latest = WorkerHeartbeat.objects.order_by("-last_seen").first()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if latest is None:
        return {"ok": False, "error": "no worker has ever reported"}
    now = clock.wall_now()  # heartbeats are written in wall time (see core.worker.beat)
    age = (now - latest.last_seen).total_seconds()
    alive = WorkerHeartbeat.objects.filter(
        last_seen__gte=now - timedelta(seconds=settings.CHOEUR_WORKER_STALE_SECONDS)
    ).count()
    return {
        "ok": age <= settings.CHOEUR_WORKER_STALE_SECONDS,
        "alive": alive,
        "last_seen": latest.last_seen.isoformat(),
        "age_seconds": round(age, 1),
    }


def report() -> dict:
    database = check_database()
    checks = {"database": database}
    if database["ok"]:
        checks["migrations"] = check_migrations()
        checks["worker"] = check_worker() if checks["migrations"]["ok"] else {"ok": False}
    else:
        # Nothing more can be read: say so rather than guess (the workers wait for it too).
        checks["migrations"] = {"ok": False, "state": "unknown",
                                "error": "database unavailable"}
        checks["worker"] = {"ok": False, "state": "unknown", "error": "database unavailable"}
    checks["storage"] = check_storage()
    # What is down, not what could not be asked because of it.
    down = [name for name, check in checks.items()
            if not check["ok"] and check.get("state") != "unknown"]
    ok = all(check["ok"] for check in checks.values())
    return {"status": "ok" if ok else "fail", "environment": settings.CHOEUR_ENVIRONMENT,
            "down": down, **checks}
