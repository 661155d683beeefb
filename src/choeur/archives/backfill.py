"""The archive records of invoices older than the ledger, written from their rows
(docs/CONSERVATION.md « Conservation »): the migration `archives.0001` and `choeur archive
backfill` run this.

For each invoice out of BROUILLON without a chain yet (an invoice that has one is left alone:
running it again writes nothing), the chain `lifecycle` and `invoicing.records` would have
written: `DEPOSIT` just before the status change that left BROUILLON (the files as the row
names them now, the attachments added until then), every `StatusChange` as `STATUS` (in the
order of their ids, the order `verify` compares), every `InvoiceEvent` as `EVENT`, the
attachments added later as `ATTACHMENT`, the certificate's fingerprint as `CERTIFICATE` at the
deposit — merged by their instants. Pages of `BATCH` invoices, one insert each.

`apps` is the model registry: the migration's historical one, or Django's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from choeur.core import ledger
from choeur.invoicing import records
from choeur.invoicing.lifecycle import status_payload

BATCH = 1000
BROUILLON, SUPPRIMEE = "BROUILLON", "SUPPRIMEE"
ROW_FIELDS = (*records.DEPOSIT_FIELDS, *records.AMOUNTS, "invoice_date", "deposited_at",
              "main_file_sha256", "main_file_name", "xml_sha256", "main_file_rendered",
              "certificate_sha256")
RELATED = {"supplier": "supplier__identifier", "recipient": "recipient__identifier",
           "validator": "validator__identifier", "supplier_service": "supplier_service__code",
           "recipient_service": "recipient_service__code"}


@dataclass
class Outcome:
    invoices: int = 0  # chains written
    entries: int = 0
    skipped: int = 0  # invoices that had a chain already

    def summary(self) -> str:
        return (f"{self.invoices} invoice chains written ({self.entries} ledger entries), "
                f"{self.skipped} invoices already had one.")


def _grouped(rows) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def chain_items(row: dict, changes, events, attachments) -> list[tuple[str, dict, object]]:
    """The entries (kind, payload, at) of one invoice's chain, from its rows: `changes`
    (status, previous, at, actor_label, comment) in id order, `events` (code, label, at,
    actor_label) and `attachments` (sha256, name, size, added_at, added_with_status) in
    theirs."""
    leaving = next((c for c in changes if c[1] == BROUILLON and c[0] != SUPPRIMEE), None)
    deposit_at = leaving[2] if leaving else None
    at_deposit = [a for a in attachments if deposit_at is None or a[3] <= deposit_at]
    later = [a for a in attachments if deposit_at is not None and a[3] > deposit_at]
    others = [(e[2], 0, records.EVENT, records.event_payload(e[0], e[1], e[3]))
              for e in events]
    others += [(a[3], 1, records.ATTACHMENT, records.attachment_payload(a[0], a[1], a[2], a[4]))
               for a in later]
    if row["certificate_sha256"] and deposit_at is not None:
        others.append((deposit_at, 2, records.CERTIFICATE,
                       records.certificate_payload(row["certificate_sha256"])))
    others.sort(key=lambda item: (item[0], item[1]))
    items: list[tuple[str, dict, object]] = []
    pending = iter(others)
    waiting = next(pending, None)
    for change in changes:
        while waiting is not None and waiting[0] < change[2]:
            items.append((waiting[2], waiting[3], waiting[0]))
            waiting = next(pending, None)
        if change is leaving:
            items.append((records.DEPOSIT, records.deposit_payload(
                row, [(a[0], a[1], a[2]) for a in at_deposit]), change[2]))
        items.append((records.STATUS, status_payload(*change[:2], change[3], change[4]),
                      change[2]))
    while waiting is not None:
        items.append((waiting[2], waiting[3], waiting[0]))
        waiting = next(pending, None)
    return items


def run(apps=None, batch: int = BATCH) -> Outcome:
    """Write the missing chains (in the caller's transaction)."""
    if apps is None:
        from django.apps import apps
    Invoice = apps.get_model("invoicing", "Invoice")
    StatusChange = apps.get_model("invoicing", "StatusChange")
    InvoiceEvent = apps.get_model("invoicing", "InvoiceEvent")
    Attachment = apps.get_model("invoicing", "Attachment")
    LedgerEntry = apps.get_model("core", "LedgerEntry")
    outcome, last = Outcome(), 0
    names = ("pk", *ROW_FIELDS, *RELATED.values())
    while True:
        page = list(Invoice.objects.filter(pk__gt=last).exclude(status=BROUILLON)
                    .order_by("pk").values(*names)[:batch])
        if not page:
            return outcome
        last = page[-1]["pk"]
        ids = [str(row["pk"]) for row in page]
        chained = set(LedgerEntry.objects.filter(
            object_type=records.LEDGER_TYPE, object_id__in=ids, seq=1)
            .values_list("object_id", flat=True))
        todo = [row for row in page if str(row["pk"]) not in chained]
        outcome.skipped += len(page) - len(todo)
        pks = [row["pk"] for row in todo]
        changes = _grouped(StatusChange.objects.filter(invoice_id__in=pks)
                           .order_by("invoice_id", "id").values_list(
                               "invoice_id", "status", "previous", "at", "actor_label",
                               "comment"))
        events = _grouped(InvoiceEvent.objects.filter(invoice_id__in=pks)
                          .order_by("invoice_id", "id").values_list(
                              "invoice_id", "code", "label", "at", "actor_label"))
        attachments = _grouped(Attachment.objects.filter(invoice_id__in=pks)
                               .order_by("invoice_id", "id").values_list(
                                   "invoice_id", "sha256", "name", "size", "added_at",
                                   "added_with_status"))
        entries = []
        for row in todo:
            for key, path in RELATED.items():
                row[key] = row.pop(path) or ""
            object_id = str(row["pk"])
            prev = ledger.genesis(records.LEDGER_TYPE, object_id)
            items = chain_items(row, changes.get(row["pk"], []), events.get(row["pk"], []),
                                attachments.get(row["pk"], []))
            for seq, (kind, payload, at) in enumerate(items, start=1):
                at, text = at.astimezone(UTC), ledger.canonical(payload)
                digest = ledger.entry_hash(prev, kind, at, text)
                entries.append(LedgerEntry(
                    object_type=records.LEDGER_TYPE, object_id=object_id, seq=seq, kind=kind,
                    at=at, payload=text, prev_hash=prev, hash=digest))
                prev = digest
            outcome.invoices += bool(items)
        LedgerEntry.objects.bulk_create(entries, batch_size=1000)
        outcome.entries += len(entries)
