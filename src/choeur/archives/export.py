"""The archive export (docs/CONSERVATION.md « Conservation »): a self-contained zip of some
invoices' archive records, checked without Choeur.

Members: `invoices.json` (the invoices' data), `records.jsonl` (their ledger entries, as
stored), `files/<sha256>` (deposited originals, structured XML, attachments, deposit
certificates), `manifest.json` (what, when, by whom, counts, the ledger's head seal),
`VERIFY.md` (how to check it) and `SHA256SUMS` (`sha256sum` format, over every other member).

Streamed: invoices are read by keyset pages, files copied a chunk at a time (storage.add_to_zip);
nothing holds a whole file or the whole export in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet

from choeur import __version__
from choeur.archives import errors
from choeur.core import audit, clock, ledger, storage
from choeur.core.models import LedgerEntry
from choeur.invoicing.lifecycle import LEDGER_TYPE
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import RECIPIENT_VISIBLE
from choeur.organisations import permissions
from choeur.organisations.models import Structure

FORMAT = "choeur-archive-export/1"
PAGE = 500


# --- What is exported -----------------------------------------------------------------------


def parse_day(field: str, value) -> date | None:
    """A YYYY-MM-DD date, None when empty; `ARCH_DATE_INVALID` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise errors.DateInvalid(field=field, value=str(value)[:40]) from None


@dataclass(frozen=True)
class Scope:
    """One invoice, or a structure's invoices (deposited in a period, Paris days)."""

    invoice_id: int | None = None
    structure: Structure | None = None
    start: date | None = None
    end: date | None = None

    def describe(self) -> dict:
        if self.structure is None:
            return {"invoice": self.invoice_id}
        return {"structure": {"identifier_type": self.structure.identifier_type,
                              "identifier": self.structure.identifier,
                              "name": self.structure.company_name},
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}


def period(start, end) -> tuple[date | None, date | None]:
    start, end = parse_day("from", start), parse_day("to", end)
    if start and end and start > end:
        raise errors.PeriodInvalid(start=start.isoformat(), end=end.isoformat())
    return start, end


def structure_invoices(structure: Structure, start: date | None = None,
                       end: date | None = None) -> QuerySet[Invoice]:
    """A structure's archived invoices: those it deposited, those it received (as its
    users see them), deposited between `start` and `end` (Paris days, both included)."""
    found = Invoice.objects.filter(
        Q(supplier=structure, deposited_at__isnull=False)
        | Q(recipient=structure, status__in=RECIPIENT_VISIBLE))
    if start:
        found = found.filter(deposited_at__gte=datetime.combine(start, time(),
                                                                tzinfo=clock.PARIS))
    if end:
        found = found.filter(deposited_at__lt=datetime.combine(end + timedelta(days=1), time(),
                                                               tzinfo=clock.PARIS))
    return found


def _invoices(scope: Scope) -> QuerySet[Invoice]:
    if scope.structure is None:
        return Invoice.objects.filter(pk=scope.invoice_id)
    return structure_invoices(scope.structure, scope.start, scope.end)


def _pages(found: QuerySet[Invoice], read: str = "all"):
    """The invoices, a page at a time, by ascending id (keyset: no OFFSET), with what
    `invoice_data` reads (`all`), their files (`files`) or their ids alone (`ids`)."""
    last = 0
    if read == "all":
        found = found.select_related(
            "supplier", "recipient", "supplier_service", "recipient_service",
            "validator").prefetch_related("lines", "vat_lines", "attachments", "history",
                                          "events")
    elif read == "files":
        found = found.only("pk", "supplier_id", "main_file_sha256", "xml_sha256",
                           "certificate_sha256").prefetch_related("attachments")
    else:
        found = found.only("pk")
    while True:
        page = list(found.filter(pk__gt=last).order_by("pk")[:PAGE])
        if not page:
            return
        yield page
        last = page[-1].pk


# --- The members ----------------------------------------------------------------------------


def _party(structure: Structure | None, service=None) -> dict | None:
    if structure is None:
        return None
    return {"identifier_type": structure.identifier_type, "identifier": structure.identifier,
            "name": structure.company_name,
            "service": ({"code": service.code, "name": service.name} if service else None)}


def _with_certificate(invoice: Invoice, scope: Scope) -> bool:
    """The deposit certificate is the supplier's (in the portal only its supplier may fetch
    it): a structure's export leaves it out of the invoices the structure received."""
    return scope.structure is None or invoice.supplier_id == scope.structure.pk


def _files(invoice: Invoice, scope: Scope) -> list[tuple[str, str]]:
    """(role, sha256) of every file of the invoice's record the scope's reader may have."""
    found = [("main", invoice.main_file_sha256), ("xml", invoice.xml_sha256),
             ("certificate", invoice.certificate_sha256 if _with_certificate(invoice, scope)
              else "")]
    found += [("attachment", a.sha256) for a in invoice.attachments.all()]
    return [(role, sha256) for role, sha256 in found if sha256]


def invoice_data(invoice: Invoice, with_certificate: bool = True) -> dict:
    """The invoice as the export gives it (its fields, lines, files and history)."""
    return {
        "id": invoice.pk, "number": invoice.number, "number_year": invoice.number_year,
        "type_demande_paiement": invoice.type_demande_paiement,
        "type_facture": invoice.type_facture, "cadre": invoice.cadre,
        "supplier": _party(invoice.supplier, invoice.supplier_service),
        "recipient": _party(invoice.recipient, invoice.recipient_service),
        "validator": _party(invoice.validator),
        "invoice_date": invoice.invoice_date, "deposited_at": invoice.deposited_at,
        "mode_depot": invoice.mode_depot, "syntax": invoice.syntax, "profile": invoice.profile,
        "currency": invoice.currency, "type_tva": invoice.type_tva,
        "total_ht": invoice.total_ht, "total_tva": invoice.total_tva,
        "total_ttc": invoice.total_ttc, "amount_due": invoice.amount_due,
        "engagement_number": invoice.engagement_number,
        "marche_number": invoice.marche_number,
        "original_invoice_number": invoice.original_invoice_number,
        "payment_mode": invoice.payment_mode, "comment": invoice.comment,
        "status": invoice.status, "status_changed_at": invoice.status_changed_at,
        "status_comment": invoice.status_comment, "mandate_number": invoice.mandate_number,
        "files": {
            "main": ({"sha256": invoice.main_file_sha256, "name": invoice.main_file_name,
                      "rendered": invoice.main_file_rendered}
                     if invoice.main_file_sha256 else None),
            "xml": invoice.xml_sha256 or None,
            "certificate": (invoice.certificate_sha256 or None) if with_certificate else None,
            "attachments": [{"sha256": a.sha256, "name": a.name, "size": a.size,
                             "content_type": a.content_type, "added_at": a.added_at}
                            for a in invoice.attachments.all()],
        },
        "lines": [{"number": line.number, "reference": line.reference,
                   "designation": line.designation, "quantity": line.quantity,
                   "unit": line.unit, "unit_price": line.unit_price,
                   "discount": line.discount, "vat_rate": line.vat_rate,
                   "vat_category": line.vat_category, "total_ht": line.total_ht}
                  for line in invoice.lines.all()],
        "vat_lines": [{"rate": v.rate, "category": v.category, "base_ht": v.base_ht,
                       "amount": v.amount} for v in invoice.vat_lines.all()],
        "history": [{"status": h.status, "previous": h.previous, "at": h.at,
                     "actor": h.actor_label, "comment": h.comment}
                    for h in invoice.history.all()],
        "events": [{"code": e.code, "label": e.label, "at": e.at, "actor": e.actor_label}
                   for e in invoice.events.all()],
    }


def record_line(entry: LedgerEntry) -> dict:
    """A ledger entry as stored; `at` as the hash reads it (ledger.instant)."""
    return {"id": entry.id, "object_type": entry.object_type, "object_id": entry.object_id,
            "seq": entry.seq, "kind": entry.kind, "at": ledger.instant(entry.at),
            "payload": entry.payload, "prev_hash": entry.prev_hash, "hash": entry.hash,
            "seal": entry.seal_id,
            "purged_at": ledger.instant(entry.purged_at) if entry.purged_at else None}


class _Hashing:
    """A zip member being written, hashed on the way (for SHA256SUMS)."""

    def __init__(self, member):
        self.member = member
        self.digest = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.member.write(data)


def _info(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=clock.now().astimezone(clock.PARIS).timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


VERIFY_SCRIPT = '''\
import hashlib, json, sys
from collections import defaultdict

chains = defaultdict(list)
with open("records.jsonl", encoding="utf-8") as fh:
    for line in fh:
        entry = json.loads(line)
        chains[(entry["object_type"], entry["object_id"])].append(entry)
problems = 0
for (kind, ident), entries in sorted(chains.items()):
    prev = hashlib.sha256(f"{kind}:{ident}".encode()).hexdigest()
    for seq, e in enumerate(sorted(entries, key=lambda e: e["seq"]), 1):
        ok = e["seq"] == seq and e["prev_hash"] == prev
        if e["purged_at"] is None:  # a purged entry keeps its hash, not its payload
            text = f"{e['prev_hash']}\\n{e['kind']}\\n{e['at']}\\n{e['payload']}"
            ok = ok and hashlib.sha256(text.encode()).hexdigest() == e["hash"]
        if not ok:
            problems += 1
            print(f"BROKEN {kind}:{ident} seq {e['seq']}")
        prev = e["hash"]
print(f"{len(chains)} chain(s), {problems} problem(s)")
sys.exit(1 if problems else 0)
'''

VERIFY_MD = """# Checking this archive export without Choeur

Made by Choeur {version} on {generated_at} ({scope}).

## 1. Every file is intact

```sh
unzip -q export.zip -d export && (cd export && sha256sum -c SHA256SUMS)
```

`SHA256SUMS` lists the SHA-256 of every other member. Each `files/<sha256>` is named by its
own SHA-256: the deposited original, the structured XML, the attachments and the deposit
certificate (`invoices.json` says which is which).

## 2. Every history is intact

`records.jsonl` holds each invoice's ledger chain, one entry per line, as Choeur stores it.
Entry n of a chain carries the hash of entry n-1 (`prev_hash`; for the first entry, the
SHA-256 of `"<object_type>:<object_id>"`), and its own `hash` is

    sha256(prev_hash + "\\n" + kind + "\\n" + at + "\\n" + payload)

(`at` as written, UTC to the microsecond; `payload` the canonical JSON text as written).
Changing, adding or removing an entry breaks the chain. Run in the unzipped directory
(Python 3, standard library only):

```python
{script}```

It prints `N chain(s), 0 problem(s)` and exits with status 0 when every chain holds.

`manifest.json` names the ledger's head seal at the time of the export: its `hash`, compared
with a copy kept elsewhere, shows that the ledger as a whole was not rewritten since.
"""


def script() -> str:
    return VERIFY_SCRIPT


def write(scope: Scope, target: BinaryIO, *, by: str) -> dict:
    """Write the export of `scope` as a zip into `target` (a writable binary file); return
    the manifest."""
    found = _invoices(scope)
    sums: list[tuple[str, str]] = []
    counts = {"invoices": 0, "records": 0, "files": 0, "file_bytes": 0}
    generated_at = clock.now()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open(_info("invoices.json"), "w", force_zip64=True) as raw:
            out = _Hashing(raw)
            out.write("[")
            for page in _pages(found):
                for invoice in page:
                    out.write(("\n" if not counts["invoices"] else ",\n")
                              + json.dumps(invoice_data(invoice,
                                                        _with_certificate(invoice, scope)),
                                           cls=DjangoJSONEncoder,
                                           ensure_ascii=False, sort_keys=True))
                    counts["invoices"] += 1
            out.write("\n]\n")
        sums.append((out.digest.hexdigest(), "invoices.json"))
        if not counts["invoices"] and scope.structure is None:
            raise errors.ExportInvoiceNotFound(invoice=scope.invoice_id)

        with archive.open(_info("records.jsonl"), "w", force_zip64=True) as raw:
            out = _Hashing(raw)
            for page in _pages(found, "ids"):
                ids = [str(invoice.pk) for invoice in page]
                for entry in (LedgerEntry.objects.filter(object_type=LEDGER_TYPE,
                                                         object_id__in=ids)
                              .order_by("object_id", "seq").iterator(chunk_size=2000)):
                    out.write(json.dumps(record_line(entry), ensure_ascii=False,
                                         sort_keys=True) + "\n")
                    counts["records"] += 1
        sums.append((out.digest.hexdigest(), "records.jsonl"))

        for page in _pages(found, "files"):
            for invoice in page:
                for _role, sha256 in _files(invoice, scope):
                    name = f"files/{sha256}"
                    if name in archive.NameToInfo:
                        continue
                    storage.add_to_zip(archive, name, sha256)
                    counts["files"] += 1
                    counts["file_bytes"] += archive.NameToInfo[name].file_size
                    sums.append((sha256, name))

        seal = ledger.head()
        manifest = {
            "format": FORMAT, "generator": f"Choeur {__version__}",
            "generated_at": ledger.instant(generated_at), "generated_by": by,
            "scope": scope.describe(), "counts": counts, "ledger_object_type": LEDGER_TYPE,
            "hash_rule": "sha256(prev_hash \\n kind \\n at \\n payload)",
            "head_seal": ({"id": seal.pk, "at": ledger.instant(seal.at), "count": seal.count,
                           "hash": seal.hash} if seal else None),
        }
        for name, text in (
                ("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2,
                                             sort_keys=True) + "\n"),
                ("VERIFY.md", VERIFY_MD.format(
                    version=__version__, generated_at=manifest["generated_at"],
                    scope=json.dumps(manifest["scope"], ensure_ascii=False),
                    script=VERIFY_SCRIPT))):
            data = text.encode("utf-8")
            archive.writestr(_info(name), data)
            sums.append((hashlib.sha256(data).hexdigest(), name))
        archive.writestr(_info("SHA256SUMS"),
                         "".join(f"{digest}  {name}\n" for digest, name in sums))
    return manifest


# --- The use cases --------------------------------------------------------------------------


def operator_scope(*, invoice_id=None, structure_identifier: str | None = None, start=None,
                   end=None) -> Scope:
    """The scope an operator names on the command line (`choeur archive export`)."""
    if (invoice_id is None) == (not structure_identifier):
        raise errors.ExportScopeRequired()
    if invoice_id is not None:
        if start or end:
            raise errors.ExportScopeRequired()
        try:
            invoice_id = int(invoice_id)
        except (TypeError, ValueError):
            raise errors.ExportInvoiceNotFound(invoice=str(invoice_id)[:30]) from None
        if not Invoice.objects.filter(pk=invoice_id).exists():
            raise errors.ExportInvoiceNotFound(invoice=invoice_id)
        return Scope(invoice_id=invoice_id)
    start, end = period(start, end)
    found = list(Structure.objects.filter(identifier="".join(structure_identifier.split()))[:2])
    if len(found) != 1:
        raise errors.ExportStructureNotFound()
    return Scope(structure=found[0], start=start, end=end)


def gestionnaire_structure(user, structure_id) -> Structure:
    """The structure whose archives `user` may export: a gestionnaire of it (an inactive
    structure too: leaving the platform keeps its archives readable). Anyone else, and a
    forged id, gets the same `ARCH_STRUCTURE_NOT_FOUND`."""
    try:
        structure = Structure.objects.get(pk=int(structure_id))
    except (Structure.DoesNotExist, TypeError, ValueError):
        raise errors.ExportStructureNotFound() from None
    rattachement = permissions.rattachement_of(user, structure)
    if rattachement is None or not rattachement.is_gestionnaire:
        raise errors.ExportStructureNotFound()
    return structure


def portal_scope(user, structure_id, start=None, end=None) -> Scope:
    structure = gestionnaire_structure(user, structure_id)
    start, end = period(start, end)
    return Scope(structure=structure, start=start, end=end)


def export_to_file(scope: Scope, target: BinaryIO, *, actor, by: str) -> dict:
    """Write the export, then its audit line (`archives.exported`). An export is not a
    « téléchargement » of each invoice: no download event is written on the invoices (their
    history says who fetched a file in the portal; an export is one audited act on the
    structure, and it only holds what the structure's users may see — the deposit certificate
    of a received invoice stays the supplier's). Not in one transaction on purpose: a large
    export reads for minutes, and on SQLite a transaction holds the write lock (deposits
    would wait); the reads need none (each page is read whole, files never change)."""
    manifest = write(scope, target, by=by)
    with transaction.atomic():
        audit.record(actor, "archives.exported", scope.structure, scope=scope.describe(),
                     counts=manifest["counts"])
    return manifest


def export_to_path(scope: Scope, path: str, *, actor, by: str) -> dict:
    """The export written to `path` whole or not at all (a temporary file beside it,
    renamed at the end; removed on any error)."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".choeur-export-",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w+b") as fh:
            manifest = export_to_file(scope, fh, actor=actor, by=by)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return manifest


def file_name(scope: Scope) -> str:
    stamp = clock.now().astimezone(clock.PARIS).strftime("%Y%m%d-%H%M%S")
    if scope.structure is None:
        return f"archives-facture-{scope.invoice_id}-{stamp}.zip"
    return f"archives-{scope.structure.identifier}-{stamp}.zip"
