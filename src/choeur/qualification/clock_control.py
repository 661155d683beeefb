"""Clock control of a qualification instance: move business time forward by N days or to a
date, for every process at once, so that every timer fires (15-day validations, payment
delays, the recipient simulator's scenarios).

The offset lives in one database row (`SimulatedClock`); each process applies it to its clock
service (`core.clock.set_offset`) at the start of each request and each task (`sync`, wired
by the app's `ready()` in qualification only), reading the row at most every `SYNC_EVERY`:
another process sees a move within that delay, the process that made it at once. Infrastructure
time (heartbeats, task scheduling) stays real (`clock.wall_now`).

Production refuses all of it (`require_qualification`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta

from django.conf import settings

from choeur.core import audit, clock, worker
from choeur.qualification import errors
from choeur.qualification.models import SimulatedClock

logger = logging.getLogger(__name__)

SYNC_EVERY = 2.0  # seconds
MAX_DAYS = 3650

_lock = threading.Lock()
_synced_at = float("-inf")


def require_qualification() -> None:
    if settings.CHOEUR_ENVIRONMENT != "qualification":
        raise errors.QualificationOnly()


def offset() -> timedelta:
    row = SimulatedClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
    return timedelta(seconds=row or 0)


def sync(sender=None, **kwargs) -> None:
    """Bring this process's clock to the instance's offset (at most every SYNC_EVERY s). A
    failed read keeps the offset this process had: a request must not fail for it."""
    global _synced_at
    if time.monotonic() - _synced_at < SYNC_EVERY:
        return
    try:
        current = offset()
    except Exception:  # e.g. the table before `migrate`
        logger.warning("could not read the simulated clock; keeping this process's", exc_info=True)
        return
    with _lock:
        clock.set_offset(current)
        _synced_at = time.monotonic()


def forget_sync() -> None:
    """Read the row at the next `sync` (tests; a process that just moved the clock)."""
    global _synced_at
    _synced_at = float("-inf")


def advance(actor, days) -> datetime:
    """Move business time forward by `days` whole days; the new simulated instant."""
    require_qualification()
    try:
        days = int(str(days).strip())
    except (TypeError, ValueError):
        raise errors.ClockDaysInvalid(days=str(days)[:20], limit=MAX_DAYS) from None
    if not 1 <= days <= MAX_DAYS:
        raise errors.ClockDaysInvalid(days=days, limit=MAX_DAYS)
    return _move(actor, timedelta(days=days))


def move_to(actor, day) -> datetime:
    """Move business time forward to `day` (Paris), at the current time of day."""
    require_qualification()
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(str(day).strip())
        except ValueError:
            raise errors.ClockDateInvalid(value=str(day)[:20]) from None
    current = _simulated_now()
    today = current.astimezone(clock.PARIS).date()
    if day <= today:
        raise errors.ClockBackwards(current=today.isoformat(), asked=day.isoformat())
    if (day - today).days > MAX_DAYS:
        raise errors.ClockDateInvalid(value=day.isoformat())
    return _move(actor, timedelta(days=(day - today).days))


def _simulated_now() -> datetime:
    return clock.wall_now() + offset()


def _move(actor, delta: timedelta) -> datetime:
    row, _ = SimulatedClock.objects.select_for_update().get_or_create(pk=1)
    before = timedelta(seconds=row.offset_seconds)
    row.offset_seconds += int(delta.total_seconds())
    row.changed_at = clock.wall_now()
    row.changed_by = str(getattr(actor, "email", "") or actor)[:254]
    row.save()
    now = clock.wall_now() + timedelta(seconds=row.offset_seconds)
    audit.record(actor, "qualification.clock_moved", None, days=delta.days,
                 before=(clock.wall_now() + before).isoformat(), after=now.isoformat())
    clock.set_offset(timedelta(seconds=row.offset_seconds))
    forget_sync()
    # The timers run now, not at the workers' next 5-minute beat: what fell due shows at once.
    worker.enqueue_timers()
    return now


def status() -> dict:
    """What the page, the CLI and the banner show."""
    row = SimulatedClock.objects.filter(pk=1).first()
    shift = timedelta(seconds=row.offset_seconds if row else 0)
    simulated = clock.wall_now() + shift
    return {"offset_days": shift.days, "offset": shift, "simulated_now": simulated,
            "simulated_today": simulated.astimezone(clock.PARIS).date(),
            "changed_at": row.changed_at if row else None,
            "changed_by": row.changed_by if row else ""}
