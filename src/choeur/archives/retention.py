"""Retention and purge (docs/CONSERVATION.md « Retention »).

An invoice is kept `CHOEUR_RETENTION_YEARS` years (10 by default, 6 to 50) after its last
status change, once its status is final (`statuses.TERMINAL`: nothing can follow); an
invoice still in progress never expires. `purge(before=D)` removes the invoices whose
retention expired before D (D may not be in the future: `ARCH_RETENTION_NOT_EXPIRED`):
their rows (lines, VAT lines, attachments, history, events), the files nothing else names,
and the payloads of their ledger entries — the chain's skeleton stays (hashes, kinds,
instants: chains and seals still verify) and gains a `PURGE` entry; an audit line per
invoice. Without `confirm`, a dry run: what would go, nothing changed.

An invoice some other row protects (a works piece of a dossier de facturation) is held, and
counted as such: a dossier goes whole or not at all, which is not this command's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet

from choeur.archives import errors
from choeur.archives.export import parse_day
from choeur.core import audit, clock, ledger, storage
from choeur.core.models import LedgerEntry
from choeur.invoicing.lifecycle import LEDGER_TYPE
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import TERMINAL

BATCH = 200
SHOWN = 20


def years() -> int:
    return int(getattr(settings, "CHOEUR_RETENTION_YEARS", 10))


def add_years(day: date, count: int) -> date:
    """The same day `count` years later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + count)
    except ValueError:
        return day.replace(year=day.year + count, day=28)


def expires_on(invoice: Invoice) -> date | None:
    """The day the invoice's retention ends; None while it is in progress."""
    if invoice.status not in TERMINAL:
        return None
    return add_years(invoice.status_changed_at.astimezone(clock.PARIS).date(), years())


def _cutoff(before: date) -> datetime:
    """Invoices whose last change is earlier than this have expired before `before`."""
    return datetime.combine(add_years(before, -years()), time(), tzinfo=clock.PARIS)


def _protecting():
    """The relations to an invoice that forbid its removal (on_delete=PROTECT), as
    (model, field): nullable ones are let go of (a flux's item forgets its invoice),
    required ones hold the invoice."""
    for relation in Invoice._meta.related_objects:
        if relation.on_delete is models.PROTECT:
            yield relation.related_model, relation.field


def _expired(before: date) -> QuerySet[Invoice]:
    return Invoice.objects.filter(status__in=TERMINAL, status_changed_at__lt=_cutoff(before))


def _purgeable(before: date) -> QuerySet[Invoice]:
    found = _expired(before)
    for model, field_ in _protecting():
        if not field_.null:
            found = found.exclude(pk__in=model._default_manager.values(field_.attname))
    return found


def check_before(value) -> date:
    before = parse_day("before", value)
    if before is None:
        raise errors.DateInvalid(field="before", value="")
    if before > clock.today():
        raise errors.RetentionNotExpired(before=before.isoformat(),
                                         today=clock.today().isoformat())
    return before


@dataclass
class PurgeReport:
    before: date
    retention_years: int
    confirmed: bool
    count: int = 0  # purged (or, in a dry run, that would be)
    held: int = 0  # expired but protected (works pieces)
    files_removed: int = 0
    shown: list[dict] = field(default_factory=list)  # the first ones, for the operator

    def lines(self) -> list[str]:
        verb = "purged" if self.confirmed else "would be purged"
        out = [f"Retention {self.retention_years} years; invoices whose retention expired "
               f"before {self.before.isoformat()}: {self.count} {verb}"
               + (f", {self.files_removed} file(s) removed" if self.confirmed else "")
               + (f"; {self.held} held (pieces of a works dossier)" if self.held else "")
               + "."]
        for item in self.shown:
            out.append(f"  #{item['id']} {item['number']} ({item['supplier']}) "
                       f"{item['status']} since {item['status_changed_on']}, "
                       f"expired {item['expired_on']}")
        if self.count > len(self.shown):
            out.append(f"  … and {self.count - len(self.shown)} more")
        if not self.confirmed and self.count:
            out.append("Dry run: nothing was changed. Add --confirm to purge.")
        return out


def _describe(invoice: Invoice) -> dict:
    return {"id": invoice.pk, "number": invoice.number,
            "supplier": invoice.supplier.identifier, "status": invoice.status,
            "status_changed_on": invoice.status_changed_at.astimezone(clock.PARIS).date()
            .isoformat(),
            "expired_on": expires_on(invoice).isoformat()}


def plan(before) -> PurgeReport:
    """The dry run: what `purge` would remove; changes nothing."""
    before = check_before(before)
    report = PurgeReport(before=before, retention_years=years(), confirmed=False)
    found = _purgeable(before)
    report.count = found.count()
    report.held = _expired(before).count() - report.count
    report.shown = [_describe(i) for i in found.select_related("supplier")
                    .order_by("status_changed_at", "pk")[:SHOWN]]
    return report


def _purge_batch(actor, before: date, report: PurgeReport) -> int:
    """Purge up to BATCH expired invoices in one transaction; how many were."""
    with transaction.atomic():
        invoices = list(_purgeable(before).select_for_update(of=("self",))
                        .select_related("supplier").prefetch_related("attachments")
                        .order_by("pk")[:BATCH])
        if not invoices:
            return 0
        ids = [invoice.pk for invoice in invoices]
        keys = [str(pk) for pk in ids]
        files = set()
        for invoice in invoices:
            files.update({invoice.main_file_sha256, invoice.xml_sha256,
                          invoice.certificate_sha256})
            files.update(a.sha256 for a in invoice.attachments.all())
        files.discard("")
        described = {invoice.pk: _describe(invoice) for invoice in invoices}
        if len(report.shown) < SHOWN:
            report.shown += list(described.values())[:SHOWN - len(report.shown)]
        audit.record_many(actor, "archives.purged", invoices, lambda invoice: {
            **described[invoice.pk], "before": before.isoformat(),
            "retention_years": report.retention_years})
        now = clock.now()
        # The ledger keeps the skeleton: hashes, kinds and instants; the content goes.
        LedgerEntry.objects.filter(object_type=LEDGER_TYPE, object_id__in=keys,
                                   purged_at__isnull=True).update(payload="", purged_at=now)
        ledger.append_many(LEDGER_TYPE, [
            (pk, "PURGE", {"reason": "retention", "retention_years": report.retention_years,
                           "expired_on": described[pk]["expired_on"],
                           "before": before.isoformat()}) for pk in ids], at=now)
        for model, field_ in _protecting():
            if field_.null:
                model._default_manager.filter(**{f"{field_.attname}__in": ids}).update(
                    **{field_.attname: None})
        Invoice.objects.filter(pk__in=ids).delete()
        report.files_removed += storage.remove_unreferenced(files)
        return len(ids)


def purge(actor, before, *, confirm: bool) -> PurgeReport:
    """Purge the invoices whose retention expired before `before` (a dry run without
    `confirm`). Each batch is its own transaction: a purge stopped half-way leaves whole
    invoices, purged or kept."""
    report = plan(before)
    if not confirm:
        return report
    report = PurgeReport(before=report.before, retention_years=report.retention_years,
                         confirmed=True, held=report.held)
    while done := _purge_batch(actor, report.before, report):
        report.count += done
    return report
