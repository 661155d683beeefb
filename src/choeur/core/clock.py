"""The clock service: the only source of "now" in Choeur (house rule 7).

Timers (15-day validation, 7-day maître d'œuvre delay, payment delays) and qualification's
time travel all go through here. Tests freeze or shift time with `frozen()` / `shifted()`.
The state is per process: a qualification instance that travels in time will keep its
offset in the database and apply it with `set_offset()` (qualification issue).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_lock = threading.Lock()
_frozen_at: datetime | None = None
_offset = timedelta(0)  # tests' shifts
_travel = timedelta(0)  # a qualification instance's simulated date (set_offset)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(at: datetime) -> int:
    """`at` as whole microseconds since 1970 (UTC): an exact, portable token of an instant
    (cursors, versions) where a float timestamp would round."""
    return (at - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    """The instant `micros` gave; OverflowError past the calendar (a forged value)."""
    return EPOCH + timedelta(microseconds=value)


def _wall() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    frozen = _frozen_at
    if frozen is not None:
        return frozen
    return _wall() + _offset + _travel


def untravelled_now() -> datetime:
    """`now()` without a qualification instance's travel (tests' freeze and shift apply).

    For short-lived credentials — an API access token's hour, a link's hour, a login code's
    ten minutes, an authenticator app's 30-second steps, the bot check's token —: moving a
    test instance's date 30 days forward must not cut every connected client off, void the
    links just sent, or refuse every authenticator code.
    """
    frozen = _frozen_at
    if frozen is not None:
        return frozen
    return _wall() + _offset


def wall_now() -> datetime:
    """Real time, never frozen nor shifted.

    For infrastructure only (worker heartbeats, task scheduling), which must agree across
    processes and machines whatever business time a qualification instance travels to.
    """
    return _wall()


def today() -> date:
    """The current date in France (Europe/Paris), as invoice and deposit dates are."""
    return now().astimezone(PARIS).date()


def set_offset(offset: timedelta) -> None:
    """A qualification instance's travel: business time runs `offset` ahead of real time."""
    global _travel
    with _lock:
        _travel = offset


def freeze(at: datetime) -> None:
    global _frozen_at
    if at.tzinfo is None:
        raise ValueError("the clock only takes timezone-aware datetimes")
    with _lock:
        _frozen_at = at.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward (or the offset of a running one)."""
    global _frozen_at, _offset
    with _lock:
        if _frozen_at is not None:
            _frozen_at += delta
        else:
            _offset += delta


def reset() -> None:
    global _frozen_at, _offset, _travel
    with _lock:
        _frozen_at = None
        _offset = _travel = timedelta(0)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    previous = (_frozen_at, _offset)
    freeze(at)
    try:
        yield
    finally:
        _restore(previous)


@contextmanager
def shifted(delta: timedelta) -> Iterator[None]:
    previous = (_frozen_at, _offset)
    advance(delta)
    try:
        yield
    finally:
        _restore(previous)


def _restore(previous: tuple[datetime | None, timedelta]) -> None:
    global _frozen_at, _offset
    with _lock:
        _frozen_at, _offset = previous
