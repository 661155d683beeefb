"""The audit log: services call `record()` in the transaction of the change they make."""

from __future__ import annotations

from typing import Any

from django.db import connection, models

from choeur.core import clock
from choeur.core.errors import OutsideTransaction
from choeur.core.models import AuditEvent

SYSTEM = "system"


def _describe_actor(actor: Any) -> tuple[str, str, str]:
    if actor is None or actor == SYSTEM:
        return "system", "", "Choeur"
    if isinstance(actor, str):
        return "system", "", actor  # e.g. "cli", "worker"
    if getattr(actor, "is_anonymous", False):
        return "anonymous", "", "anonyme"
    kind = actor._meta.label_lower if isinstance(actor, models.Model) else type(actor).__name__
    return kind, str(getattr(actor, "pk", "") or ""), str(actor)[:255]


def record(actor: Any, action: str, obj: models.Model | None = None, **details: Any) -> AuditEvent:
    """Write one audit line. Must run inside the caller's transaction (house rule 2).

    `details` must be JSON-serialisable and must never hold a secret (password, token).
    """
    if not connection.in_atomic_block:
        raise OutsideTransaction()
    actor_type, actor_id, actor_label = _describe_actor(actor)
    return AuditEvent.objects.create(
        at=clock.now(),
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:255] if obj is not None else "",
        details=details,
    )


def record_many(actor: Any, action: str, objects: list, details) -> list[AuditEvent]:
    """`record()` for a batch (one line per object, one insert): `details(obj)` gives each
    line's details."""
    if not connection.in_atomic_block:
        raise OutsideTransaction()
    actor_type, actor_id, actor_label = _describe_actor(actor)
    now = clock.now()
    return AuditEvent.objects.bulk_create([
        AuditEvent(at=now, actor_type=actor_type, actor_id=actor_id, actor_label=actor_label,
                   action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
                   object_label=str(obj)[:255], details=details(obj))
        for obj in objects])


def history(obj: models.Model):
    """Audit lines about one object, newest first."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
