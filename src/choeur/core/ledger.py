"""The ledger: an append-only, hash-chained history of any object (docs/CONSERVATION.md).

Each object (`object_type`, `object_id`) has its own chain: entry n carries the hash of
entry n-1, and its own hash covers that, its kind, its instant and its payload (canonical
JSON). Changing, inserting or removing an entry breaks the chain; removing a whole object's
chain breaks a seal: seals (`seal_pending`) chain digests of every entry, in id order.

Entries are written in the caller's transaction (the history row and its ledger entry are
committed together or not at all). Per object, appends are serialised by the caller's lock
on the object (an invoice's conditional update); the unique (object, seq) constraint makes a
missed lock an error, never a fork.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from choeur.core import clock
from choeur.core.errors import OutsideTransaction
from choeur.core.models import LedgerEntry, LedgerSeal

#: Entries younger than this are left to the next seal: a transaction still open may hold an
#: entry with a smaller id (ids are given at insert, visible at commit).
SEAL_DELAY = timedelta(minutes=1)
SEAL_MAX = 100_000
GENESIS_SEAL = "0" * 64


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return instant(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not canonical: {type(value).__name__}")


def canonical(payload: dict) -> str:
    """The one text of a payload: keys sorted, no spaces, UTF-8 kept, decimals as strings."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default)


def instant(at: datetime) -> str:
    """An instant as the hash reads it: UTC, microseconds, ISO 8601."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def genesis(object_type: str, object_id) -> str:
    return hashlib.sha256(f"{object_type}:{object_id}".encode()).hexdigest()


def entry_hash(prev_hash: str, kind: str, at: datetime | str, payload: str) -> str:
    """sha256(prev_hash \\n kind \\n instant \\n payload) — documented in docs/CONSERVATION.md
    and in an export's VERIFY.md, so that a chain is checked without Choeur."""
    moment = at if isinstance(at, str) else instant(at)
    return hashlib.sha256(
        f"{prev_hash}\n{kind}\n{moment}\n{payload}".encode()).hexdigest()


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise OutsideTransaction()


def _new(object_type: str, object_id: str, seq: int, prev: str, kind: str, payload: dict,
         at: datetime) -> LedgerEntry:
    # The instant is kept to the microsecond the hash read (databases may round otherwise).
    at = at.astimezone(UTC)
    text = canonical(payload)
    return LedgerEntry(object_type=object_type, object_id=object_id, seq=seq, kind=kind,
                       at=at, payload=text, prev_hash=prev,
                       hash=entry_hash(prev, kind, at, text))


def append(object_type: str, object_id, kind: str, payload: dict,
           at: datetime | None = None) -> LedgerEntry:
    """Add the next entry of the object's chain (in the caller's transaction)."""
    _require_transaction()
    object_id = str(object_id)
    last = (LedgerEntry.objects.filter(object_type=object_type, object_id=object_id)
            .order_by("-seq").values_list("seq", "hash").first())
    seq, prev = (last[0] + 1, last[1]) if last else (1, genesis(object_type, object_id))
    entry = _new(object_type, object_id, seq, prev, kind, payload, at or clock.now())
    entry.save(force_insert=True)
    return entry


def append_many(object_type: str, items: list[tuple[object, str, dict]],
                at: datetime | None = None, *, fresh: bool = False) -> list[LedgerEntry]:
    """Add one entry to each of several objects' chains in one insert (a flux's batch):
    `items` are (object_id, kind, payload); the objects' last entries are read in one
    query, none when the objects are `fresh` (just created: no chain yet)."""
    _require_transaction()
    if not items:
        return []
    at = at or clock.now()
    ids = [str(object_id) for object_id, _kind, _payload in items]
    last: dict[str, tuple[int, str]] = {}
    if not fresh:
        for object_id, seq, hash_ in (LedgerEntry.objects.filter(
                object_type=object_type, object_id__in=ids)
                .order_by("object_id", "seq").values_list("object_id", "seq", "hash")):
            last[object_id] = (seq, hash_)
    entries = []
    for (_object_id, kind, payload), key in zip(items, ids, strict=True):
        seq, prev = last.get(key, (0, genesis(object_type, key)))
        entry = _new(object_type, key, seq + 1, prev, kind, payload, at)
        last[key] = (seq + 1, entry.hash)
        entries.append(entry)
    LedgerEntry.objects.bulk_create(entries, batch_size=1000)
    return entries


def chain(object_type: str, object_id) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(object_type=object_type, object_id=str(object_id))
                .order_by("seq"))


def seal_digest(hashes) -> str:
    digest = hashlib.sha256()
    for value in hashes:
        digest.update(value.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def seal_hash(prev_hash: str, digest: str, count: int) -> str:
    return hashlib.sha256(f"{prev_hash}\n{digest}\n{count}".encode()).hexdigest()


def head() -> LedgerSeal | None:
    return LedgerSeal.objects.order_by("-id").first()


def seal_pending(limit: int = SEAL_MAX) -> LedgerSeal | None:
    """Seal the entries not sealed yet that are older than `SEAL_DELAY` (at most `limit`),
    chained to the last seal; None when there is nothing to seal. Runs in its own
    transaction; two workers at once make one seal (the head is locked, the entries are
    claimed by a conditional update)."""
    with transaction.atomic():
        previous = LedgerSeal.objects.select_for_update().order_by("-id").first()
        before = clock.untravelled_now() - SEAL_DELAY
        rows = list(LedgerEntry.objects.filter(seal__isnull=True, at__lt=before)
                    .order_by("id").values_list("id", "hash")[:limit])
        if not rows:
            return None
        prev_hash = previous.hash if previous else GENESIS_SEAL
        digest = seal_digest(h for _id, h in rows)
        sealed = LedgerSeal.objects.create(
            at=clock.untravelled_now(), count=len(rows), first_entry_id=rows[0][0],
            last_entry_id=rows[-1][0], digest=digest, prev_hash=prev_hash,
            hash=seal_hash(prev_hash, digest, len(rows)))
        # One range update claims them. An entry of that id range committed since the read
        # (a transaction older than SEAL_DELAY) would be claimed without being in the
        # digest: the count tells, the seal rolls back and the next run takes it in.
        claimed = LedgerEntry.objects.filter(
            id__gte=rows[0][0], id__lte=rows[-1][0], seal__isnull=True, at__lt=before,
        ).update(seal=sealed)
        if claimed != len(rows):
            raise SealRace()
        return sealed


class SealRace(Exception):
    """Entries appeared in a seal's range between its read and its claim (rolled back)."""


def seal_all() -> int:
    """Seal everything pending (the timer); returns how many seals were made. A race with a
    late commit stops this run; the next one seals it."""
    made = 0
    try:
        while seal_pending() is not None:
            made += 1
    except SealRace:
        pass
    return made
