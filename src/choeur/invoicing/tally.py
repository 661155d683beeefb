"""How many invoices each structure has, per service, status and « téléchargée » flag: the
wire searches' exact `total` without a COUNT over a ministry's millions of rows.

A search answers `parametresRetour.total`, and clients page until `pages`: it must be exact.
Counted by PostgreSQL, the biggest recipient's 1.8 M invoices cost 300 ms a page
(bench/ten_million.py); read here, a sum of a few dozen rows.

One row per (side, structure, service, status, downloaded) in `InvoiceTally`, kept by the
database itself, so no code path that writes invoices (deposit, routing, bulk updates,
recycling, purge, a raw load) can forget it:

- SQLite: row triggers add one on the tally's rows (an upsert) and take one away (an
  UPDATE): SQLite has one writer at a time, so there is nothing to wait for.
- PostgreSQL: statement triggers append the statement's changes, grouped, to
  `InvoiceTallyDelta`, and `fold()` (a timer) moves them into the tally. An upsert there would
  hold the ministry's counter row until the batch's commit: the workers integrating its flux
  side by side would wait for each other, and lock its rows in different orders (deadlocks).
  Appending waits for nothing; a count reads the tally and the deltas not yet folded.

Installed by migration 0013 (`install`, then `backfill`); `ensure_after_migrate` puts back the
SQLite triggers a later table rebuild of the invoices would drop, and rebuilds the tally.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, connections, transaction
from django.db.models import Q

INVOICES = "invoicing_invoice"
TALLY = "invoicing_invoicetally"
DELTA = "invoicing_invoicetallydelta"
KEY = "side, structure_id, service_id, status, downloaded"

#: Each side's columns in the invoice row: (side, structure, service, downloaded).
SIDES = (("S", "supplier_id", "supplier_service_id", "false"),
         ("R", "recipient_id", "recipient_service_id", "downloaded_by_recipient"))
SUPPLIER, RECIPIENT = "S", "R"
#: The invoice columns a key reads: an update that changes none of them moves nothing.
WATCHED = ("status", "supplier_id", "supplier_service_id", "recipient_id",
           "recipient_service_id", "downloaded_by_recipient")
#: The advisory lock one fold (or a rebuild) holds at a time.
_FOLD_LOCK = "hashtext('choeur.invoicing.tally')"


def _key(row: str, side: str, structure: str, service: str, downloaded: str) -> list[str]:
    """The tally key's values for one invoice row (`new`, `old`, or an alias)."""
    flag = f"{row}.{downloaded}" if downloaded != "false" else "false"
    return [f"'{side}'", f"{row}.{structure}", f"COALESCE({row}.{service}, 0)",
            f"{row}.status", flag]


# --- SQLite: row triggers ----------------------------------------------------------------------

def _sqlite_add(row: str) -> str:
    return " ".join(
        f"INSERT INTO {TALLY} ({KEY}, n) VALUES ({', '.join(_key(row, *side))}, 1) "  # noqa: S608 (constant names)
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;"
        for side in SIDES)


def _sqlite_take(row: str) -> str:
    """One less on the row's keys: an UPDATE, not an upsert, so that an invoice deleted after
    the tally was emptied (Django's flush empties the tables one by one, in any order) leaves
    no negative count; in step, the row is always there (its invoice was counted)."""
    return " ".join(
        f"UPDATE {TALLY} SET n = n - 1 WHERE "  # noqa: S608 (constant names)
        + " AND ".join(f"{name} = {value}" for name, value in zip(
            KEY.split(", "), _key(row, *side), strict=True)) + ";"
        for side in SIDES)


_CHANGED = " OR ".join(f"old.{column} IS NOT new.{column}" for column in WATCHED)

SQLITE_TRIGGERS = {
    "invoicing_tally_ai": (
        f"CREATE TRIGGER IF NOT EXISTS invoicing_tally_ai AFTER INSERT ON {INVOICES} "
        f"BEGIN {_sqlite_add('new')} END"),
    "invoicing_tally_ad": (
        f"CREATE TRIGGER IF NOT EXISTS invoicing_tally_ad AFTER DELETE ON {INVOICES} "
        f"BEGIN {_sqlite_take('old')} END"),
    "invoicing_tally_au": (
        f"CREATE TRIGGER IF NOT EXISTS invoicing_tally_au AFTER UPDATE ON {INVOICES} "
        f"WHEN {_CHANGED} "
        f"BEGIN {_sqlite_take('old')} {_sqlite_add('new')} END"),
}


# --- PostgreSQL: statement triggers appending deltas -------------------------------------------

def _grouped(rows: str, sign: str, where: str = "") -> str:
    """The rows of `rows` counted per key on each side, as columns named as KEY, and n."""
    return " UNION ALL ".join(
        "SELECT " + ", ".join(f"{value} AS {name}" for value, name in zip(  # noqa: S608 (constant names)
            _key("r", *side), KEY.split(", "), strict=True))
        + f", {sign}count(*) AS n FROM {rows} r {where} GROUP BY 1, 2, 3, 4, 5"
        for side in SIDES)


_PG_CHANGED = " OR ".join(f"o.{column} IS DISTINCT FROM r.{column}" for column in WATCHED)

_PG_FUNCTIONS = {
    "invoicing_tally_inserted": f"INSERT INTO {DELTA} ({KEY}, n) {_grouped('new_rows', '')};",  # noqa: S608 (constant names)
    "invoicing_tally_deleted": f"INSERT INTO {DELTA} ({KEY}, n) {_grouped('old_rows', '-')};",  # noqa: S608 (constant names)
    # An update counts only the rows whose key changed, each once out of its old key and
    # once into its new one (rows joined by id: an update never changes an invoice's id).
    "invoicing_tally_updated": (
        f"INSERT INTO {DELTA} ({KEY}, n) SELECT {KEY}, sum(n) FROM ("  # noqa: S608 (constant names)
        + _grouped("old_rows", "-", f"WHERE EXISTS (SELECT 1 FROM new_rows o "  # noqa: S608 (constant names)
                                    f"WHERE o.id = r.id AND ({_PG_CHANGED}))")
        + " UNION ALL "
        + _grouped("new_rows", "", f"WHERE EXISTS (SELECT 1 FROM old_rows o "  # noqa: S608 (constant names)
                                   f"WHERE o.id = r.id AND ({_PG_CHANGED}))")
        + ") AS d GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;"),
}
_PG_EVENTS = {"invoicing_tally_inserted": ("INSERT", "NEW TABLE AS new_rows"),
              "invoicing_tally_deleted": ("DELETE", "OLD TABLE AS old_rows"),
              "invoicing_tally_updated": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")}

POSTGRESQL = [
    statement
    for name, body in _PG_FUNCTIONS.items()
    for statement in (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {body} RETURN NULL; END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {INVOICES}",
        f"CREATE TRIGGER {name} AFTER {_PG_EVENTS[name][0]} ON {INVOICES} "
        f"REFERENCING {_PG_EVENTS[name][1]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    )
]
POSTGRESQL_DROP = [
    statement
    for name in _PG_FUNCTIONS
    for statement in (f"DROP TRIGGER IF EXISTS {name} ON {INVOICES}",
                      f"DROP FUNCTION IF EXISTS {name}()")
]


def _statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return list(SQLITE_TRIGGERS.values())
    if vendor == "postgresql":
        return POSTGRESQL
    raise NotImplementedError(f"no invoice tally for {vendor}")


def _install(conn) -> None:
    with conn.cursor() as cursor:
        for statement in _statements(conn.vendor):
            cursor.execute(statement)


def _rebuild(conn) -> None:
    """Count every invoice again, in one transaction with the invoices' table locked against
    writes (PostgreSQL), so that no change falls between the count and the deltas' removal."""
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"SELECT pg_advisory_xact_lock({_FOLD_LOCK})")  # no fold meanwhile
            cursor.execute(f"LOCK TABLE {INVOICES} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {DELTA}")  # noqa: S608 (constant names)
        cursor.execute(f"DELETE FROM {TALLY}")  # noqa: S608 (constant names)
        cursor.execute(f"INSERT INTO {TALLY} ({KEY}, n) "  # noqa: S608 (constant names)
                       f"SELECT {KEY}, sum(n) FROM ({_grouped(INVOICES, '')}) "
                       f"AS d GROUP BY 1, 2, 3, 4, 5")


def install(apps, schema_editor) -> None:
    """The triggers (migration 0013)."""
    _install(schema_editor.connection)


def _uninstall(conn) -> None:
    drop = ([f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
            if conn.vendor == "sqlite" else POSTGRESQL_DROP)
    with conn.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    _uninstall(schema_editor.connection)


def pause(using: str = "default") -> None:
    """The triggers away, for a bulk load that rebuild() counts after (bench/ten_million.py):
    a statement trigger would hold the load's millions of rows a second time."""
    _uninstall(connections[using])


def backfill(apps, schema_editor) -> None:
    """The tally's first fill (migration 0013)."""
    _rebuild(schema_editor.connection)


def rebuild(using: str = "default") -> None:
    """Put the triggers back if they are away and count every invoice again (after a raw load
    made without them, bench/ten_million.py; or to check the tally, tests)."""
    with transaction.atomic(using=using):
        _install(connections[using])
        _rebuild(connections[using])


def ensure_after_migrate(sender, using="default", **kwargs) -> None:
    """SQLite: put back the triggers a rebuild of the invoices' table dropped (Django rebuilds
    a SQLite table to alter it), and count again, since changes went uncounted meanwhile."""
    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s, %s)",
                       [INVOICES, TALLY, *SQLITE_TRIGGERS])
        present = {name for (name,) in cursor.fetchall()}
    if {INVOICES, TALLY} <= present and not present >= set(SQLITE_TRIGGERS):
        rebuild(using)


def fold() -> int:
    """PostgreSQL: move the deltas into the tally, in one statement (their removal and their
    addition commit together). One fold at a time (an advisory lock; a second one skips), the
    keys taken in order. Returns how many deltas were folded."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_xact_lock({_FOLD_LOCK})")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DELTA} RETURNING {KEY}, n), "  # noqa: S608 (constant names)
            f"counted AS (SELECT count(*) AS rows FROM moved), "
            f"summed AS (INSERT INTO {TALLY} ({KEY}, n) "
            f"SELECT {KEY}, sum(n) FROM moved GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5 "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = {TALLY}.n + EXCLUDED.n) "
            f"SELECT rows FROM counted")
        return cursor.fetchone()[0]


# --- Reading ------------------------------------------------------------------------------------

def count(side: str, scope: Sequence[tuple[int, Iterable[int] | None]], *,
          statuses: Iterable[str] | None = None, service: int | None = None,
          downloaded: bool | None = None) -> int:
    """The invoices of `scope` — (structure id, its service ids or None for all of them) for
    each structure, on `side` — with one of `statuses` (all when None), of `service` if given,
    and of that « téléchargée » flag if given."""
    from choeur.invoicing.models import InvoiceTally, InvoiceTallyDelta

    where = Q(pk__in=[])
    for structure_id, services in scope:
        clause = Q(structure_id=structure_id)
        if services is not None:
            clause &= Q(service_id__in=[getattr(s, "pk", s) for s in services])
        where |= clause
    where &= Q(side=side)
    if statuses is not None:
        where &= Q(status__in=list(statuses))
    if service is not None:
        if service <= 0:
            return 0  # no service has that id (0 stands for « none » in the tally)
        where &= Q(service_id=service)
    if downloaded is not None:
        where &= Q(downloaded=downloaded)
    counted = InvoiceTally.objects.filter(where).values_list("n")
    if connection.vendor == "postgresql":
        # The tally and the deltas in one statement, one snapshot: read apart, a fold
        # committed between the two reads would be counted in neither.
        counted = counted.union(InvoiceTallyDelta.objects.filter(where).values_list("n"),
                                all=True)
    return sum(n for (n,) in counted)
