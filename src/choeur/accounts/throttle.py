"""Throttling of failed authentications, shared by every process (a database table).

Guessing a secret must be slow for an attacker and free for the server. Each failure is
counted under one or more keys (the OAuth2 client id, the technical login, the client's
address; at the portal, an address that has no account); once a key reaches its limit within
a fixed window, every attempt under it is refused at once, without checking any secret, until
the window ends; the refusal says when to retry (`Retry-After`).

Counting is by conditional UPDATE (`failures + 1`), so concurrent failures from many web
processes count right on SQLite and PostgreSQL. A failure is written in its own autocommit
statement by the entry point's call: the refusal that follows must not roll it back.

A success does not clear the key's count: an attacker holding one valid secret must not be
able to reset the count of the address they guess from, and a legitimate client rarely fails.
The trade-off of any lock-out by key: whoever hammers a client id blocks it for the rest of
the window; the address key bounds what one source can do, the client id key what many can.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from choeur.accounts.models import FailedAttempts
from choeur.core import clock
from choeur.core.errors import ChoeurError

logger = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Key:
    """What failures are counted under: a scope (`api.client`, `api.login`, `api.address`,
    `portal.unknown`...) and a value, kept only as a digest."""

    scope: str
    value: str
    limit: int

    @property
    def digest(self) -> str:
        normalised = f"{self.scope}\0{(self.value or '').strip().lower()}"
        return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


#: Limits per window. Addresses get more room than one client id or login: an office behind
#: one NAT address holds many clients.
CLIENT_LIMIT = 10
LOGIN_LIMIT = 10
ADDRESS_LIMIT = 30


def client_key(client_id: str) -> Key:
    return Key("api.client", client_id, CLIENT_LIMIT)


def login_key(login: str) -> Key:
    return Key("api.login", login, LOGIN_LIMIT)


def address_key(address: str) -> Key:
    return Key("api.address", address, ADDRESS_LIMIT)


class TooManyAttempts(ChoeurError):
    code = "ACCOUNTS_TOO_MANY_ATTEMPTS"
    http_status = 429
    message_fr = ("Trop de tentatives d'authentification échouées : réessayez dans "
                  "{retry_after} secondes.")
    message_en = "Too many failed authentication attempts: try again in {retry_after} seconds."

    def __init__(self, retry_after: int):
        super().__init__(retry_after=retry_after)
        self.retry_after = retry_after


def check(*keys: Key) -> None:
    """Raise TooManyAttempts when one of the keys is at its limit in the current window."""
    now = clock.now()
    rows = FailedAttempts.objects.filter(
        key__in=[key.digest for key in keys], window_start__gt=now - WINDOW
    ).values_list("key", "window_start", "failures")
    limits = {key.digest: key.limit for key in keys}
    blocked_until = [start + WINDOW for digest, start, failures in rows
                     if failures >= limits[digest]]
    if blocked_until:
        raise TooManyAttempts(max(1, math.ceil((max(blocked_until) - now).total_seconds())))


def fail(*keys: Key) -> None:
    """Count one failure under each key (a new window when the last one ended). The failure
    that brings a key to its limit is logged, once per window: the refusals after it are
    not (an attack would flood the log)."""
    now = clock.now()
    for key in keys:
        digest = key.digest
        counted = FailedAttempts.objects.filter(
            key=digest, window_start__gt=now - WINDOW
        ).update(failures=F("failures") + 1)
        if counted:
            if key.limit and FailedAttempts.objects.filter(
                    key=digest, failures=key.limit).exists():
                logger.warning("authentication throttled: %s reached %d failures in %d "
                               "minutes (key %s…)", key.scope, key.limit,
                               WINDOW.total_seconds() // 60, digest[:12])
            continue
        # No row, or its window ended: start a window (a concurrent first failure may have
        # created the row meanwhile; then count on it).
        restarted = FailedAttempts.objects.filter(
            key=digest, window_start__lte=now - WINDOW
        ).update(window_start=now, failures=1)
        if restarted:
            continue
        try:
            with transaction.atomic():
                FailedAttempts.objects.create(key=digest, window_start=now, failures=1)
        except IntegrityError:
            FailedAttempts.objects.filter(key=digest).update(failures=F("failures") + 1)


#: How long a row outlives its window. The portal counts an unknown address's wrong passwords
#: as an account's failed_login_count is counted (until a lock ends, not per window), in the
#: same table: a month keeps that count as long as an attacker would plausibly wait.
KEPT = timedelta(days=30)


def prune() -> int:
    """Forget counts untouched for `KEPT` (the worker's hourly housekeeping)."""
    deleted, _ = FailedAttempts.objects.filter(window_start__lte=clock.now() - KEPT).delete()
    return deleted


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, or, when that is a trusted reverse proxy
    (CHOEUR_TRUSTED_PROXIES, the loopback by default), the nearest address of its
    X-Forwarded-For that is not itself a trusted proxy. Behind a proxy every request comes
    from the proxy's address: counting failures under it would let one attacker lock every
    client out. A client cannot forge its way past a proxy: the proxy appends the address it
    saw, and only the addresses from the right up to the first untrusted one are believed."""
    from django.conf import settings

    remote = (request.META.get("REMOTE_ADDR") or "").strip() or "unknown"
    trusted = _networks(tuple(getattr(settings, "CHOEUR_TRUSTED_PROXIES", ())))
    if not _within(remote, trusted):
        return remote
    forwarded = [part.strip() for part in
                 request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if not _within(address, trusted):
            return address[:64]
    return remote


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
