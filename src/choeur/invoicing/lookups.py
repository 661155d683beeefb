"""Lookups a batch makes once: within `cached_lookups()`, the platform checks (services), the
Factur-X bank details (structured) and the audience of notifications (notifications) remember
what they read. A module of its own because all three use it and notifications, called by
lifecycle, must not import services (which imports lifecycle)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_lookups: ContextVar[dict | None] = ContextVar("invoicing_lookups", default=None)


@contextmanager
def cached_lookups():
    """Within this block, the platform checks look each recipient, service, engagement list,
    bank account and structure up once (a flux's hundreds of invoices mostly name the same
    few): a snapshot taken at the batch's start, as a batch is checked in Chorus Pro."""
    token = _lookups.set({})
    try:
        yield
    finally:
        _lookups.reset(token)


def once_per_batch(key: tuple, compute):
    """`compute()`, remembered under `key` within `cached_lookups()` (computed every time
    outside it)."""
    cache = _lookups.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
