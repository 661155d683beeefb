"""Keeps `InvoiceFacts` (models.py), the dashboards' rollup, in step with the invoices, in the
transaction that changes them (docs/CONSERVATION.md « Dashboards »).

One function computes a row from an invoice's fields and history (`build`); the others call
it when an invoice changes, on the signals invoicing sends (connected in apps.py):

- `invoicing.signals.status_changed` (`lifecycle.transition()`): the invoice's row is built
  again from its fields and history (`refresh`): three small queries;
- `invoicing.signals.created_many` (`lifecycle.create_many()`, a flux's batch): one bulk
  insert for the batch, from the invoices in memory (their history is the one row the batch
  wrote); the per-invoice `status_changed` of a batch (`batch=True`) are ignored;
- `invoicing.signals.updated` (any `Invoice.objects…update()`, e.g. lifecycle's update that
  sets the payment dates, a service reassigned, an amount corrected, the deposit date set by
  travaux; and the same on `StatusChange`) and Django's `post_save` (`Invoice.save()`): the
  rows of the invoices written, when a field the facts read is among those written.

`backfill()` builds every invoice's row, by batches (migration 0001, works on any database).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Status, recipient_targets
from choeur.reporting.models import InvoiceFacts

PARIS = ZoneInfo("Europe/Paris")
#: The recipient's first action: any status it may set on an invoice put at its disposal.
RECIPIENT_ACTIONS = frozenset(recipient_targets(Status.MISE_A_DISPOSITION))
REASON_LENGTH = 120
NO_REASON = "(sans motif)"
#: The invoice's fields the facts copy (under the same names).
COPIED = ("recipient_id", "recipient_service_id", "supplier_id", "supplier_service_id",
          "deposited_at", "status", "total_ttc", "amount_due", "payment_due_on", "paid_at")
#: The names an update may give them (`recipient=` or `recipient_id=`).
WATCHED = frozenset(COPIED) | {name.removesuffix("_id") for name in COPIED}
#: The history's fields the facts read.
HISTORY = frozenset({"invoice", "invoice_id", "status", "at", "comment"})
FIELDS = (*COPIED, "deposit_month", "paid_on", "made_available_at", "first_action_at",
          "payment_started_at", "days_to_available", "days_to_first_action", "days_to_payment",
          "rejected", "rejection_reason", "suspended", "suspension_reason")
BATCH = 2000


def reason(comment: str) -> str:
    """A rejection's or suspension's reason as the dashboards group it: spaces folded."""
    text = " ".join((comment or "").split())
    return text[:REASON_LENGTH] if text else NO_REASON


def days(start: datetime | None, end: datetime | None) -> float | None:
    """Days from `start` to `end`; None when either is missing or `end` precedes `start`."""
    if end is None or start is None or end < start:
        return None
    return (end - start).total_seconds() / 86400


def month_of(at: datetime | None) -> date | None:
    return at.astimezone(PARIS).date().replace(day=1) if at is not None else None


def local_day(at: datetime | None) -> date | None:
    return at.astimezone(PARIS).date() if at is not None else None


def build(values: dict, history: Iterable[tuple[str, datetime, str]], model=InvoiceFacts):
    """The facts of the invoice whose fields are `values` (COPIED and `pk`) and whose history
    rows are `history` — (status, at, comment) — unsaved."""
    made = action = payment = None
    rejection = suspension = None
    for status, at, comment in sorted(history, key=lambda row: row[1]):
        if status == Status.MISE_A_DISPOSITION and made is None:
            made = at
        if status in RECIPIENT_ACTIONS and action is None:
            action = at
        if status == Status.MISE_EN_PAIEMENT and payment is None:
            payment = at
        if status == Status.REJETEE and rejection is None:
            rejection = reason(comment)
        if status == Status.SUSPENDUE and suspension is None:
            suspension = reason(comment)
    deposited = values["deposited_at"]
    return model(
        invoice_id=values["pk"], **{name: values[name] for name in COPIED},
        deposit_month=month_of(deposited), paid_on=local_day(values["paid_at"]),
        made_available_at=made, first_action_at=action,
        payment_started_at=payment, days_to_available=days(deposited, made),
        days_to_first_action=days(deposited, action), days_to_payment=days(deposited, payment),
        rejected=rejection is not None, rejection_reason=rejection or "",
        suspended=suspension is not None, suspension_reason=suspension or "")


def refresh(pks: Iterable[int], *, invoice_model=Invoice, history_model=StatusChange,
            facts_model=InvoiceFacts) -> int:
    """Build the facts of the invoices `pks` again from their fields and history, and write
    them (insert or update): three queries. The models may be a migration's."""
    pks = list(pks)
    if not pks:
        return 0
    invoices = list(invoice_model.objects.filter(pk__in=pks).values("pk", *COPIED))
    if not invoices:
        return 0
    history: dict[int, list] = {}
    rows = (history_model.objects.filter(invoice_id__in=[row["pk"] for row in invoices])
            .values_list("invoice_id", "status", "at", "comment").order_by("at", "id"))
    for invoice_id, status, at, comment in rows:
        history.setdefault(invoice_id, []).append((status, at, comment))
    facts = [build(row, history.get(row["pk"], ()), facts_model) for row in invoices]
    facts_model.objects.bulk_create(facts, update_conflicts=True, unique_fields=["invoice"],
                                    update_fields=list(FIELDS))
    return len(facts)


def backfill(invoice_model=Invoice, history_model=StatusChange, facts_model=InvoiceFacts,
             batch: int = BATCH) -> int:
    """Every invoice's facts, `batch` invoices at a time (in the order of their ids)."""
    done, last = 0, 0
    while True:
        pks = list(invoice_model.objects.filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:batch])
        if not pks:
            return done
        done += refresh(pks, invoice_model=invoice_model, history_model=history_model,
                        facts_model=facts_model)
        last = pks[-1]


# --- Receivers (apps.py) --------------------------------------------------------------------

def status_changed(sender, invoice, batch=False, **kwargs):
    if batch:
        return  # created_many follows with the whole batch
    refresh([invoice.pk])


def created_many(sender, invoices, status, at, **kwargs):
    InvoiceFacts.objects.bulk_create([
        build({"pk": invoice.pk, **{name: getattr(invoice, name) for name in COPIED}},
              [(status, at, "")]) for invoice in invoices])


def changed_many(sender, invoices, **kwargs):
    refresh([invoice.pk for invoice in invoices])  # the batch's status_changed were skipped


def updated(sender, pks, fields, **kwargs):
    if sender is Invoice and "status" in fields:
        # Only lifecycle.transition() sets a status (house rule 3), and its status_changed
        # follows in the same transaction: one rebuild, not two.
        return
    if sender is StatusChange:
        if fields & HISTORY:
            refresh(set(StatusChange.objects.filter(pk__in=pks)
                        .values_list("invoice_id", flat=True)))
    elif fields & WATCHED:
        refresh(pks)


def saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return  # loaddata: the facts come with the fixture or a backfill
    if created:  # a new invoice has no history yet
        build({"pk": instance.pk, **{name: getattr(instance, name) for name in COPIED}},
              ()).save(force_insert=True)
    else:
        refresh([instance.pk])
