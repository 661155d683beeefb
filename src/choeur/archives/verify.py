"""`choeur archive verify`: prove that nothing kept was changed (docs/CONSERVATION.md).

What is checked:

- every chain: `seq` contiguous from 1, each `prev_hash` the previous entry's `hash` (the
  genesis for `seq` 1), each `hash` recomputed from the entry (a purged entry keeps its hashes
  and links, its payload is gone: its hash is not recomputed);
- every seal: the digest over its entries' hashes in id order, their count, its own hash,
  the chain of seals (removing a whole object's chain, or editing a seal, breaks them);
- the invoice rows against their chains: the status is the last `STATUS` entry's, the history
  rows (`StatusChange`) and the events (`InvoiceEvent`) are the `STATUS` and `EVENT` entries,
  one for one; the document deposited, the structured data, the attachments and the
  certificate are the fingerprints the `DEPOSIT`, `DOCUMENT`, `ATTACHMENT` and `CERTIFICATE`
  entries name; an invoice out of BROUILLON has a chain, a chain's invoice has a row (unless
  purged);
- with `files`, every stored blob re-hashed (streamed) and its size, and every file an
  invoice names stored.

How: the entries in id order by keyset pages of `PAGE` (raw rows, no model instance), hashing
in Python, no query per entry; per object only its last (seq, hash) and, for invoices, a few
digests are kept; then the invoices in pages of `PAGE`, each page's history rows, events and
attachments in one query each. `structure` restricts the check to one structure's invoices
(their chains read per page of invoices; the seals, which need every entry, are not checked
then); `since` to what was written since (the entries of the seals made since and of none yet,
the invoices whose chain grew since).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime

from django.db import connection
from django.db.models import Min, Q

from choeur.core import clock, ledger
from choeur.core.models import Blob, LedgerEntry, LedgerSeal
from choeur.core.storage import local_path
from choeur.invoicing import records
from choeur.invoicing.models import Attachment, Invoice, InvoiceEvent, StatusChange
from choeur.organisations.models import Structure

PAGE = 10_000
INVOICE_PAGE = 1_000  # invoices whose chains are read per query (structure, since)
MAX_LISTED = 1_000  # problems listed; all are counted
ENTRY_COLUMNS = ("id", "object_type", "object_id", "seq", "kind", "at", "payload",
                 "prev_hash", "hash", "seal_id", "purged_at")
#: `at` as the hash reads it (ledger.instant), written by the database: parsing a timestamp
#: into a datetime, then formatting it back, was most of the time spent per entry.
_AT_TEXT = {
    "postgresql": """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    # Django keeps UTC there as text, without the fraction when it is zero.
    "sqlite": "replace(at, ' ', 'T') || CASE WHEN length(at) = 19 THEN '.000000' ELSE '' END"
              " || 'Z'",
}
SEP = "\x1f"


@dataclass
class Problem:
    object: str  # "invoicing.invoice:42", "seal 7", "blob <sha256>"
    seq: int | None
    what: str

    def __str__(self) -> str:
        where = f"{self.object} #{self.seq}" if self.seq is not None else self.object
        return f"{where}: {self.what}"


@dataclass
class Report:
    scope: str = "everything"
    entries: int = 0
    objects: int = 0
    purged: int = 0
    unsealed: int = 0
    seals: int = 0
    seals_checked: bool = True
    invoices: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    ledger_seconds: float = 0.0
    invoice_seconds: float = 0.0
    files_seconds: float = 0.0
    head_seal: str = ""
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, obj: str, seq: int | None, what: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(obj, seq, what))

    @property
    def records_per_second(self) -> float:
        seconds = self.ledger_seconds + self.invoice_seconds
        return self.entries / seconds if seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.blob_bytes / 1e6 / self.files_seconds if self.files_seconds else 0.0


def _instant(value) -> str:
    """An entry's `at` as its hash reads it, from what the driver gives (SQLite: text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    # SQLite gives UTC, naive; PostgreSQL UTC, aware: the offset is dropped. (isoformat is
    # several times faster than ledger.instant's strftime: this runs once per entry.)
    return value.isoformat(timespec="microseconds")[:26] + "Z"


def _fold(digest: bytes, *parts) -> bytes:
    return hashlib.sha256(digest + SEP.join(str(p) for p in parts).encode()).digest()


class _Record:
    """What an invoice's chain says, as far as its row is compared."""

    __slots__ = ("status", "status_seq", "statuses", "events", "original", "xml",
                 "attachments", "certificate", "deposit_seq", "purged", "touched")

    def __init__(self):
        self.status, self.status_seq, self.statuses, self.events = "", None, b"", b""
        self.original = self.xml = self.certificate = None
        self.attachments: list[str] = []
        self.deposit_seq = None
        self.purged = self.touched = False

    def absorb(self, seq: int, kind: str, at: str, payload: str | None) -> None:
        if payload is None:
            self.purged = True
            return
        data = json.loads(payload)
        if kind == records.STATUS:
            self.status, self.status_seq = data["status"], seq
            self.statuses = _fold(self.statuses, data["status"], data["previous"], at,
                                  data["actor"], data["comment"])
        elif kind == records.EVENT:
            self.events = _fold(self.events, data["code"], data["label"], at, data["actor"])
        elif kind == records.DEPOSIT:
            self.deposit_seq = seq
            self.original, self.xml = data["original"], data["xml"]
            self.attachments += [a["sha256"] for a in data["attachments"]]
        elif kind == records.DOCUMENT:
            self.original, self.xml = data["original"], data["xml"]
        elif kind == records.ATTACHMENT:
            self.attachments.append(data["sha256"])
        elif kind == records.CERTIFICATE:
            self.certificate = data["sha256"]
        elif kind == "PURGE":
            self.purged = True


class _Chains:
    """The entries of many chains, read in id order (or per object, in seq order)."""

    def __init__(self, report: Report, since_id: int = 0, *, count: bool = True):
        self.report = report
        self.last: dict[tuple[str, str], tuple[int, str]] = {}
        self.invoices: dict[str, _Record] = {}
        self.touched: set[str] = set()  # since_id: the invoices met, their records not kept
        self.since_id = since_id
        self.count = count

    def seed(self, rows) -> None:
        """The entries before `since_id` of objects met since: their chains' last links
        (one query per page)."""
        wanted: dict[str, set[str]] = {}
        for row in rows:
            key = (row[1], row[2])
            if row[3] > 1 and key not in self.last:
                wanted.setdefault(row[1], set()).add(row[2])
        for object_type, ids in wanted.items():
            found = (LedgerEntry.objects.filter(object_type=object_type, object_id__in=ids,
                                                id__lt=self.since_id)
                     .order_by("object_id", "seq").values_list("object_id", "seq", "hash"))
            for object_id, seq, hash_ in found:
                self.last[(object_type, object_id)] = (seq, hash_)

    def page(self, rows, seals=None) -> None:
        """Entries in id order (or each object's in seq order). The loop runs once per
        entry: its names are local, the hash is `ledger.entry_hash` written out."""
        report, last, invoices, count = self.report, self.last, self.invoices, self.count
        genesis, sha256, instant = ledger.genesis, hashlib.sha256, _instant
        invoice_type, since_id = records.LEDGER_TYPE, self.since_id
        for row in rows:
            (_id, object_type, object_id, seq, kind, at, payload, prev_hash, hash_, _seal,
             purged) = row
            key = (object_type, object_id)
            previous = last.get(key)
            if previous is None:
                report.objects += count
                expected_seq, expected_prev = 1, genesis(object_type, object_id)
            else:
                expected_seq, expected_prev = previous[0] + 1, previous[1]
            if seq != expected_seq:
                report.add(f"{object_type}:{object_id}", seq,
                           f"seq {seq} where {expected_seq} was expected ("
                           f"{'entries missing' if seq > expected_seq else 'entry repeated'})")
            if prev_hash != expected_prev:
                report.add(f"{object_type}:{object_id}", seq,
                           "prev_hash does not link to the previous entry's hash")
            moment = at if at.__class__ is str else instant(at)
            if purged:
                report.purged += count
                payload = None
            elif sha256(f"{prev_hash}\n{kind}\n{moment}\n{payload}".encode()
                        ).hexdigest() != hash_:
                report.add(f"{object_type}:{object_id}", seq,
                           f"{kind}: the hash does not match the entry's content")
            last[key] = (seq, hash_)
            if object_type == invoice_type:
                if since_id:
                    self.touched.add(object_id)  # read whole afterwards (_invoice_page)
                else:
                    record = invoices.get(object_id)
                    if record is None:
                        record = invoices[object_id] = _Record()
                    try:
                        record.absorb(seq, kind, moment, payload)
                    except (ValueError, KeyError, TypeError):
                        report.add(f"{object_type}:{object_id}", seq, f"{kind}: the payload "
                                   "is not what an invoice's entry holds")
        report.entries += count * len(rows)
        if seals is not None:
            for row in rows:
                seals.entry(row)


class _Seals:
    """The seals' digests recomputed from the entries met in id order."""

    def __init__(self, report: Report, seals: list[tuple], checked_from: int = 0):
        self.report = report
        self.rows = {row[0]: row for row in seals}
        self.open: dict[int, list] = {}  # seal id → [hasher, count]
        self.checked = {row[0] for row in seals if row[2] >= checked_from}
        # Compared once their last entry is read: in the order of their last entries.
        self.due = sorted(self.checked, key=lambda seal_id: self.rows[seal_id][3])
        self.next = 0

    def entry(self, row) -> None:
        entry_id, hash_, seal_id = row[0], row[8], row[9]
        if seal_id is None:
            self.report.unsealed += 1
            return
        if seal_id not in self.checked:
            if seal_id not in self.rows:
                self.report.add(f"{row[1]}:{row[2]}", row[3],
                                f"sealed by seal {seal_id}, which does not exist")
            return
        seal = self.rows[seal_id]
        if not seal[2] <= entry_id <= seal[3]:
            self.report.add(f"{row[1]}:{row[2]}", row[3],
                            f"sealed by seal {seal_id} but outside its range of entries")
        state = self.open.get(seal_id)
        if state is None:
            state = self.open[seal_id] = [hashlib.sha256(), 0]
        state[0].update(hash_.encode() + b"\n")
        state[1] += 1

    def finish(self, up_to: int | None = None) -> None:
        """Compare the seals whose last entry was read (all of them when `up_to` is None)."""
        while self.next < len(self.due):
            seal_id = self.due[self.next]
            seal = self.rows[seal_id]
            if up_to is not None and seal[3] > up_to:
                break
            self.next += 1
            state = self.open.pop(seal_id, None) or [hashlib.sha256(), 0]
            _id, count, _first, _last, digest, _prev, _hash = seal
            if state[1] != count:
                self.report.add(f"seal {seal_id}", None,
                                f"seals {count} entries, {state[1]} found")
            elif state[0].hexdigest() != digest:
                self.report.add(f"seal {seal_id}", None,
                                "the digest does not match its entries' hashes")


def _check_seal_chain(report: Report, seals: list[tuple], first_index: int) -> None:
    """Each seal's hash recomputed and linked to the previous one's."""
    previous = seals[first_index - 1][6] if first_index > 0 else ledger.GENESIS_SEAL
    for row in seals[first_index:]:
        seal_id, count, _first, _last, digest, prev_hash, hash_ = row
        if prev_hash != previous:
            report.add(f"seal {seal_id}", None, "prev_hash does not link to the previous seal")
        if ledger.seal_hash(prev_hash, digest, count) != hash_:
            report.add(f"seal {seal_id}", None, "the hash does not match the seal")
        previous = hash_


def _entries(where: str, params: list, order: str, limit: int | None = None) -> list[tuple]:
    """Ledger entries as ENTRY_COLUMNS, `at` as text (the hash's form) where the database
    writes it so, `purged_at` as a flag."""
    table = LedgerEntry._meta.db_table
    at = _AT_TEXT.get(connection.vendor, "at")
    sql = (f"SELECT id, object_type, object_id, seq, kind, {at}, payload, prev_hash, hash, "  # noqa: S608
           f"seal_id, purged_at IS NOT NULL FROM {table} WHERE {where} ORDER BY {order}"
           + (f" LIMIT {int(limit)}" if limit else ""))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _raw(queryset) -> list[tuple]:
    """The rows of a values_list query without Django's per-row conversions."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scan(report: Report, since_id: int, seals: list[tuple]) -> _Chains:
    """Every entry from `since_id` on, in id order, by keyset pages."""
    chains = _Chains(report, since_id)
    checker = _Seals(report, seals, checked_from=since_id) if report.seals_checked else None
    last = since_id - 1
    started = time.perf_counter()
    while True:
        rows = _entries("id > %s", [last], "id", PAGE)
        if not rows:
            break
        if since_id:
            chains.seed(rows)
        chains.page(rows, checker)
        last = rows[-1][0]
        if checker is not None:
            checker.finish(up_to=last)
    if checker is not None:
        checker.finish()
    report.ledger_seconds += time.perf_counter() - started
    return chains


# --- The invoice rows against their chains ---------------------------------------------------


def _row_digests(model, fields, pks) -> dict[int, bytes]:
    digests: dict[int, bytes] = {}
    rows = model.objects.filter(invoice_id__in=pks).order_by("invoice_id", "id").values_list(
        "invoice_id", *fields)
    for invoice_id, *values in rows:
        values = [_instant(v) if isinstance(v, datetime) else v for v in values]
        digests[invoice_id] = _fold(digests.get(invoice_id, b""), *values)
    return digests


STATUS_FIELDS = ("status", "previous", "at", "actor_label", "comment")
EVENT_FIELDS = ("code", "label", "at", "actor_label")
ROW_COLUMNS = ("pk", "status", "main_file_sha256", "xml_sha256", "main_file_rendered",
               "deposited_at", "certificate_sha256")


def _first_difference(record_kind: str, invoice_id: int, model, fields) -> tuple[int, str]:
    """Where an invoice's history rows and its chain part (a problem: one query each)."""
    entries = [(e.seq, json.loads(e.payload), ledger.instant(e.at)) for e in LedgerEntry.objects
               .filter(object_type=records.LEDGER_TYPE, object_id=str(invoice_id),
                       kind=record_kind, purged_at__isnull=True).order_by("seq")]
    rows = list(model.objects.filter(invoice_id=invoice_id).order_by("id").values_list(*fields))
    for index, row in enumerate(rows):
        if index >= len(entries):
            return None, f"history row {row[0]} of {_instant(row[2])} has no {record_kind} entry"
        seq, data, at = entries[index]
        if record_kind == records.STATUS:
            expected = (data["status"], data["previous"], at, data["actor"], data["comment"])
        else:
            expected = (data["code"], data["label"], at, data["actor"])
        found = tuple(_instant(v) if isinstance(v, datetime) else v for v in row)
        if found != expected:
            diff = ", ".join(f"{name}: row {got!r}, ledger {want!r}" for name, got, want
                             in zip(fields, found, expected, strict=True) if got != want)
            return seq, f"the history row differs from the {record_kind} entry ({diff})"
    if len(entries) > len(rows):
        return entries[len(rows)][0], f"{record_kind} entry without its history row"
    return None, f"the history rows differ from the {record_kind} entries"


def _compare(report: Report, row, record: _Record, statuses: bytes, events: bytes,
             attachments: list[str]) -> None:
    pk, status, main, xml, rendered, deposited_at, certificate = row
    name = f"{records.LEDGER_TYPE}:{pk}"
    if record.purged:
        return  # its payloads are gone: its chain was checked, nothing else can be
    if status != record.status:
        report.add(name, record.status_seq, f"status: the row says {status}, the ledger's "
                   f"last STATUS entry says {record.status or 'nothing'}")
    if statuses != record.statuses:
        seq, what = _first_difference(records.STATUS, pk, StatusChange, STATUS_FIELDS)
        report.add(name, seq, what)
    if events != record.events:
        seq, what = _first_difference(records.EVENT, pk, InvoiceEvent, EVENT_FIELDS)
        report.add(name, seq, what)
    if record.deposit_seq is None:
        if deposited_at is not None and status != "SUPPRIMEE":
            report.add(name, None, "deposited, but its chain has no DEPOSIT entry")
        return
    original = records.deposited_sha256(main, xml, rendered, deposited_at is not None)
    if original != record.original:
        report.add(name, record.deposit_seq, f"document deposited: the row names "
                   f"{original or 'none'}, the ledger {record.original or 'none'}")
    if (xml or "") != (record.xml or ""):
        report.add(name, record.deposit_seq, f"structured data: the row names {xml or 'none'},"
                   f" the ledger {record.xml or 'none'}")
    if sorted(attachments) != sorted(record.attachments):
        report.add(name, record.deposit_seq, "attachments: the rows name "
                   f"{len(attachments)} files, the ledger {len(record.attachments)}, or "
                   "other fingerprints")
    if (certificate or None) != record.certificate:
        report.add(name, None, f"certificate: the row names {certificate or 'none'}, the "
                   f"ledger {record.certificate or 'none'}")


def _check_rows(report: Report, pks_rows: list[tuple], records_of: dict[str, _Record],
                files: set | None) -> None:
    """One page of invoice rows against their records (three queries)."""
    pks = [row[0] for row in pks_rows]
    statuses = _row_digests(StatusChange, STATUS_FIELDS, pks)
    events = _row_digests(InvoiceEvent, EVENT_FIELDS, pks)
    attachments: dict[int, list[str]] = {}
    for invoice_id, sha256 in Attachment.objects.filter(invoice_id__in=pks).values_list(
            "invoice_id", "sha256"):
        attachments.setdefault(invoice_id, []).append(sha256)
    for row in pks_rows:
        pk, status = row[0], row[1]
        record = records_of.pop(str(pk), None)
        if record is None:
            if status != "BROUILLON":
                report.add(f"{records.LEDGER_TYPE}:{pk}", None,
                           f"{status}, but it has no archive record (no ledger chain)")
            continue
        report.invoices += 1
        _compare(report, row, record, statuses.get(pk, b""), events.get(pk, b""),
                 attachments.get(pk, []))
        if files is not None:
            files.update(s for s in (row[2], row[3], row[6], *attachments.get(pk, [])) if s)


def _invoices_against_chains(report: Report, records_of: dict[str, _Record],
                             files: set | None) -> None:
    """Every invoice row against its record; the records left have no row."""
    started = time.perf_counter()
    last = 0
    while True:
        rows = _raw(Invoice.objects.filter(pk__gt=last).order_by("pk")
                    .values_list(*ROW_COLUMNS)[:PAGE])
        if not rows:
            break
        last = rows[-1][0]
        _check_rows(report, rows, records_of, files)
    for object_id, record in records_of.items():
        if not record.purged:
            report.add(f"{records.LEDGER_TYPE}:{object_id}", None,
                       "the chain's invoice has no row (removed without a purge)")
    report.invoice_seconds += time.perf_counter() - started


def _invoice_page(report: Report, pks: list[int], since_id: int, files: set | None, *,
                  count: bool = True) -> None:
    """Some invoices whole: their chains (read per object, in seq order: one query), then
    their rows. `since_id`: only those whose chain grew since."""
    started = time.perf_counter()
    chains = _Chains(report, count=count)
    rows = _entries(f"object_type = %s AND object_id IN ({', '.join(['%s'] * len(pks))})",
                    [records.LEDGER_TYPE, *(str(pk) for pk in pks)], "object_id, seq")
    if since_id:
        grown = {row[2] for row in rows if row[0] >= since_id}
        rows = [row for row in rows if row[2] in grown]
        pks = [pk for pk in pks if str(pk) in grown]
    chains.page(rows)
    page = _raw(Invoice.objects.filter(pk__in=pks).order_by("pk").values_list(*ROW_COLUMNS))
    report.ledger_seconds += time.perf_counter() - started
    started = time.perf_counter()
    _check_rows(report, page, chains.invoices, files)
    for object_id, record in chains.invoices.items():  # met since, no row now
        if not record.purged:
            report.add(f"{records.LEDGER_TYPE}:{object_id}", None,
                       "the chain's invoice has no row (removed without a purge)")
    report.invoice_seconds += time.perf_counter() - started


def _structure_invoices(report: Report, structure: Structure, since_id: int,
                        files: set | None) -> None:
    """One structure's invoices, by pages of invoices."""
    scope = Invoice.objects.filter(Q(supplier=structure) | Q(recipient=structure))
    last = 0
    while True:
        pks = list(scope.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)
                   [:INVOICE_PAGE])
        if not pks:
            break
        last = pks[-1]
        _invoice_page(report, pks, since_id, files)


# --- Files --------------------------------------------------------------------------------


def _hash_file(storage, name: str) -> tuple[str, int] | None:
    """The sha256 and size of a stored file, streamed; None when it is missing."""
    try:
        path = local_path(storage, name)
        if path is not None:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256")
                return digest.hexdigest(), handle.tell()
        if not storage.exists(name):
            return None
        with storage.open(name, "rb") as handle:
            digest, size = hashlib.sha256(), 0
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
            return digest.hexdigest(), size
    except FileNotFoundError:
        return None


def _check_files(report: Report, named: set | None) -> None:
    from django.core.files.storage import storages

    storage = storages["blobs"]
    started = time.perf_counter()
    last = ""
    while True:
        page = list(Blob.objects.filter(pk__gt=last).order_by("pk")
                    .values_list("sha256", "size")[:PAGE])
        if not page:
            break
        last = page[-1][0]
        for sha256, size in page:
            found = _hash_file(storage, Blob(sha256=sha256, size=size).storage_name)
            report.blobs += 1
            if found is None:
                report.add(f"blob {sha256}", None, "the file is missing from the store")
                continue
            report.blob_bytes += found[1]
            if found[0] != sha256:
                report.add(f"blob {sha256}", None, f"the file's bytes hash to {found[0]}")
            elif found[1] != size:
                report.add(f"blob {sha256}", None, f"{found[1]} bytes, {size} recorded")
    named = sorted(named or ())
    for start in range(0, len(named), PAGE):
        wanted = named[start:start + PAGE]
        stored = set(Blob.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        for sha256 in wanted:
            if sha256 not in stored:
                report.add(f"blob {sha256}", None, "named by an invoice, not stored")
    report.files_seconds += time.perf_counter() - started


# --- The use case ------------------------------------------------------------------------------


def _since_id(since: datetime) -> int:
    """The first entry to read for `since`: the first of the seals made since and of the
    entries not sealed yet (seals chain in id order; an entry is sealed after it is
    written)."""
    firsts = [LedgerSeal.objects.filter(at__gte=since).aggregate(m=Min("first_entry_id"))["m"],
              LedgerEntry.objects.filter(seal__isnull=True).aggregate(m=Min("id"))["m"]]
    firsts = [value for value in firsts if value is not None]
    return min(firsts) if firsts else (LedgerEntry.objects.aggregate(m=Min("id"))["m"] or 0) \
        + 10**18  # nothing since: an empty scan


def snapshot() -> None:
    """First thing in the caller's transaction: one consistent view of the database for the
    whole check (PostgreSQL: repeatable read; a SQLite transaction reads one snapshot)."""
    if connection.vendor == "postgresql" and not connection.savepoint_ids:  # not nested
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def run(*, structure: str | None = None, files: bool = False,
        since: date | datetime | None = None) -> Report:
    """Verify the archives (read only). `structure`: an identifier (SIRET…); `since`: a date
    (from its midnight in France, the day `clock.today()` and the portal give: from midnight
    UTC, today's date was « in the future » for the first hour or two of a French day) or an
    instant; `files`: re-hash the stored files too."""
    from choeur.archives import errors

    report = Report()
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, dtime.min, tzinfo=clock.PARIS)
    if since is not None and since > clock.now():
        raise errors.SinceInFuture(since=since.date().isoformat())
    target = None
    if structure is not None:
        target = Structure.objects.filter(identifier=structure.strip()).first()
        if target is None:
            raise errors.StructureUnknown(identifier=structure)
    since_id = _since_id(since) if since is not None else 0
    named: set | None = set() if files else None
    seals = list(LedgerSeal.objects.order_by("id").values_list(
        "id", "count", "first_entry_id", "last_entry_id", "digest", "prev_hash", "hash"))
    report.seals = len(seals)
    report.head_seal = seals[-1][6] if seals else ""
    if target is not None:
        report.scope = f"structure {target.identifier}"
        report.seals_checked = False
        _structure_invoices(report, target, since_id, named)
    else:
        if since is not None:
            report.scope = f"since {ledger.instant(since)}"
        first = next((i for i, row in enumerate(seals) if row[2] >= since_id), len(seals))
        _check_seal_chain(report, seals, first if since_id else 0)
        chains = _scan(report, since_id, seals)
        if since_id:  # the invoices whose chain grew since, whole
            touched = sorted(int(key) for key in chains.touched if key.isdigit())
            for start in range(0, len(touched), INVOICE_PAGE):
                _invoice_page(report, touched[start:start + INVOICE_PAGE], 0, named,
                              count=False)
        else:
            _invoices_against_chains(report, chains.invoices, named)
    if files:
        _check_files(report, named)
    return report
