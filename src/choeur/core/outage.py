"""A database outage: telling a lost connection from other database errors, and waiting for
the database to come back.

PostgreSQL stopped, restarting or cut off by the network is a passing state, not a bug: the
web answers 503 with `Retry-After` (`CORE_DATABASE_UNAVAILABLE`), the worker waits and goes
on. What is not an outage stays what it was: SQLite's « database is locked » (a busy writer,
retried by its callers), a deadlock, a query cancelled by its timeout, a missing table.

An S3-compatible object store that does not answer, or answers « slow down » or a 5xx, is
the same kind of passing state (`is_storage_outage`): the web answers 503
`CORE_STORAGE_UNAVAILABLE`; nothing was stored (the request's transaction is rolled back),
so the client sends the same request again. The worker waits for the store as for the
database (`wait_for_storage`): a flux's integration resumes when it is back, any other task
is handed back to the queue, none is failed or turned into an incident.
"""

from __future__ import annotations

import logging
import time

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger("choeur.outage")

#: Seconds a client is told to wait before sending again.
RETRY_AFTER = 5
#: The worker's back-off while the database is away: 1, 2, 4, 8, then 10 s between tries.
BACKOFF_MAX = 10.0

#: SQLSTATE classes of a lost or refused connection (PostgreSQL): 08 « connection
#: exception », 57P01–57P03 the server shutting down or starting.
_LOST_STATES = ("57P01", "57P02", "57P03")
#: Without a SQLSTATE (the client library's own errors, psycopg's « the connection is
#: closed »), what a lost connection says.
_LOST_WORDS = ("connection", "could not connect", "server closed", "terminating",
               "timeout expired", "no route to host", "network is unreachable",
               "unable to open database file")
#: SQLite busy: not an outage (another writer holds the file for a moment).
_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")


def is_outage(exc: BaseException | None) -> bool:
    """Whether `exc` (or an error it was raised from) is the database being unreachable."""
    seen = 0
    while exc is not None and seen < 5:
        if _lost(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


#: botocore's own errors of a store that cannot be reached or cut the connection (by class
#: name: botocore is the s3 extra's, absent from a local-storage installation).
_STORE_LOST = ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
               "ConnectionClosedError", "ProxyConnectionError", "ConnectionError",
               "HTTPClientError")
#: HTTP statuses of a store that cannot serve for a moment; not 501 or 505 (a request the
#: store will never take: waiting for it would hand the same task back for ever).
_STORE_BUSY_STATUSES = (500, 502, 503, 504)
#: S3 error codes of a store that is there but cannot serve for a moment.
_STORE_BUSY = ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout",
               "503 Slow Down")


def is_storage_outage(exc: BaseException | None) -> bool:
    """Whether `exc` (or an error it was raised from) is the object store being unreachable
    or unable to serve for a moment — not a missing object, not refused credentials."""
    seen = 0
    while exc is not None and seen < 5:
        if type(exc).__module__.split(".")[0] == "botocore":
            if type(exc).__name__ in _STORE_LOST:
                return True
            response = getattr(exc, "response", None) or {}
            code = str(response.get("Error", {}).get("Code", ""))
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in _STORE_BUSY or status in _STORE_BUSY_STATUSES:
                return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _lost(exc: BaseException) -> bool:
    if not isinstance(exc, (OperationalError, InterfaceError)):
        driver = type(exc).__module__.split(".")[0]
        if driver not in ("psycopg", "psycopg2") or type(exc).__name__ not in (
                "OperationalError", "InterfaceError", "AdminShutdown", "CannotConnectNow",
                "ConnectionException", "ConnectionFailure", "CrashShutdown"):
            return False
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state:
        return state.startswith("08") or state in _LOST_STATES
    text = str(exc).lower()
    if any(word in text for word in _BUSY_WORDS):
        return False
    if isinstance(cause, InterfaceError) or type(cause).__name__ == "InterfaceError":
        return True  # a connection already closed, or one the driver gave up
    return any(word in text for word in _LOST_WORDS)


def database_answers(alias: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        if not is_outage(exc):
            raise
        return False
    return True


def drop_connection(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Forget a broken connection (its transaction is lost with it): the next query opens a
    new one. Inside atomic() nothing is done: leaving the block rolls back and closes."""
    connection = connections[alias]
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except Exception:  # closing a dead socket may fail: the connection is gone either way
        connection.connection = None


def sleep(seconds: float) -> None:  # tests replace it
    time.sleep(seconds)


def storage_answers() -> bool:
    """Whether the file store answers (a name looked up, as `/healthz` does)."""
    from django.core.files.storage import storages

    try:
        storages["blobs"].exists("choeur-healthz")
    except Exception as exc:
        if not is_storage_outage(exc):
            raise
        return False
    return True


def is_passing(exc: BaseException | None) -> bool:
    """The database or the file store away for a moment: wait, do not fail."""
    return is_outage(exc) or is_storage_outage(exc)


def wait_for(error: BaseException | None = None, **kwargs) -> bool:
    """`wait_for_storage` when `error` is the store's outage, else `wait_for_database`."""
    if is_storage_outage(error) and not is_outage(error):
        return wait_for_storage(error, **kwargs)
    return wait_for_database(error, **kwargs)


def wait_for_database(error: BaseException | None = None, *, who: str = "worker",
                      give_up_after: float | None = None, stop=None,
                      alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Wait until the database answers again, trying after 1, 2, 4… at most `BACKOFF_MAX`
    seconds. Logs once when the outage is seen and once when it is over. Returns True when
    the database is back; False when `give_up_after` seconds passed or `stop()` (a callable:
    the worker was asked to stop) said so first."""
    return _wait("database", lambda: database_answers(alias), error, who=who,
                 give_up_after=give_up_after, stop=stop,
                 before_try=lambda: drop_connection(alias))


def wait_for_storage(error: BaseException | None = None, *, who: str = "worker",
                     give_up_after: float | None = None, stop=None) -> bool:
    """`wait_for_database` for the file store (an S3 bucket that does not answer)."""
    return _wait("file storage", storage_answers, error, who=who,
                 give_up_after=give_up_after, stop=stop)


def _wait(what: str, answers, error, *, who: str, give_up_after: float | None, stop,
          before_try=None) -> bool:
    started = time.monotonic()
    logger.warning("%s: %s unavailable (%s), waiting for it to come back", who, what,
                   (str(error).strip().splitlines() or [type(error).__name__])[0]
                   if error is not None else "no answer")
    delay = 1.0
    while True:
        if before_try is not None:
            before_try()
        if stop is not None and stop():
            return False
        sleep(delay)
        if answers():
            logger.warning("%s: %s back after %.0f s", who, what, time.monotonic() - started)
            return True
        if give_up_after is not None and time.monotonic() - started >= give_up_after:
            logger.error("%s: %s still unavailable after %.0f s", who, what,
                         time.monotonic() - started)
            return False
        delay = min(delay * 2, BACKOFF_MAX)
