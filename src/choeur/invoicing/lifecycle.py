"""The one module that sets an invoice's status (house rule 3).

`transition()` checks the table (statuses.py), changes the row with a conditional update on
the status the caller saw (two people acting at once: one wins, the other gets a Conflict and
nothing changes), writes the history row, queues the notifications and tells the features
that follow invoices (`signals.status_changed`), all in the caller's transaction.
`create_many()` is its batch form for new invoices: the same rule, history row and
notifications as a draft sent by `transition()`, without writing the draft first.
"""

from __future__ import annotations

from django.db import connection

from choeur.core import clock, ledger
from choeur.core.errors import Conflict, OutsideTransaction
from choeur.invoicing import delays, errors, records, statuses
from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Role, Status

MAX_COMMENT = 2000
#: The ledger's name for an invoice's chain (core/ledger.py, docs/CONSERVATION.md).
LEDGER_TYPE = records.LEDGER_TYPE


def status_payload(status: str, previous: str, actor: str, comment: str) -> dict:
    """A status change as the ledger keeps it."""
    return {"status": status, "previous": previous, "actor": actor, "comment": comment}


def acting_user(actor):
    """The acting person, when it is one (not the system, not a technical account)."""
    from choeur.accounts.models import User

    return actor if isinstance(actor, User) else None


def actor_label(actor) -> str:
    if actor is None:
        return "Choeur"
    full_name = getattr(actor, "get_full_name", lambda: "")()
    return (full_name or str(actor))[:255]


def transition(invoice: Invoice, target: str, *, actor=None, role: Role, comment: str = "",
               **changes) -> Invoice:
    """Move `invoice` to `target` as `role` (the caller has checked the actor may act in that
    role). `changes` are other fields set in the same update (e.g. mandate_number)."""
    if not connection.in_atomic_block:
        raise OutsideTransaction()
    current = invoice.status
    rule = statuses.find(current, target, role)
    if rule is None:
        raise errors.TransitionRefused(current=Status(current).label if current in Status.values
                                       else current, target=Status(target).label)
    comment = (comment or "").strip()
    if rule.reason_required and not comment:
        raise errors.ReasonRequired(target=Status(target).label)
    if len(comment) > MAX_COMMENT:
        raise errors.ReasonTooLong(limit=MAX_COMMENT)
    now = clock.now()
    values = {"status": target, "status_changed_at": now, "status_comment": comment,
              "updated_at": now, **changes}
    if target in delays.MOVES_CLOCK:  # the délai de paiement's fields, in the same update
        values.update(delays.stored_fields(invoice, target, now))
    updated = Invoice.objects.filter(pk=invoice.pk, status=current).update(**values)
    if updated != 1:
        raise Conflict()
    for field, value in values.items():
        setattr(invoice, field, value)
    label = actor_label(actor)
    StatusChange.objects.create(
        invoice=invoice, status=target, previous=current, at=now,
        actor=acting_user(actor), actor_label=label, comment=comment)
    # The archive record (docs/CONSERVATION.md): the deposit, then the same change, chained.
    if current == Status.BROUILLON and target != Status.SUPPRIMEE:
        records.deposited(invoice, now)
    ledger.append(LEDGER_TYPE, invoice.pk, "STATUS", status_payload(target, current, label,
                                                                  comment), at=now)
    from choeur.invoicing import notifications, signals

    notifications.status_changed(invoice, previous=current, actor=actor)
    signals.status_changed.send(sender=Invoice, invoice=invoice, previous=current, actor=actor)
    return invoice


def transition_many(invoices: list[Invoice], target: str, *, actor=None, role: Role,
                    comment: str = "") -> list[Invoice]:
    """`transition()` for several invoices at once (a flux's routing): the same rule checked
    for each, the same conditional update (one statement: every row must still be at the
    status the caller saw, or Conflict and nothing changes), one history row and one ledger
    entry each, the same notifications and `status_changed` (with `batch=True`, followed by
    one `changed_many`) — some ten statements for the batch instead of about ten per invoice.
    The caller holds the rows (select_for_update) and may have prefetched their `history`
    (the délai's clock reads it; kept up to date here)."""
    if not connection.in_atomic_block:
        raise OutsideTransaction()
    if not invoices:
        return invoices
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise errors.ReasonTooLong(limit=MAX_COMMENT)
    by_current: dict[str, list[Invoice]] = {}
    for invoice in invoices:
        by_current.setdefault(invoice.status, []).append(invoice)
    for current in by_current:
        rule = statuses.find(current, target, role)
        if rule is None:
            raise errors.TransitionRefused(
                current=Status(current).label if current in Status.values else current,
                target=Status(target).label)
        if rule.reason_required and not comment:
            raise errors.ReasonRequired(target=Status(target).label)
    now = clock.now()
    common = {"status": target, "status_changed_at": now, "status_comment": comment,
              "updated_at": now}
    clocks = {}
    if target in delays.MOVES_CLOCK:  # the délai's fields, per invoice
        clocks = {invoice.pk: delays.stored_fields(invoice, target, now)
                  for invoice in invoices}
    for current, group in by_current.items():
        updated = Invoice.objects.filter(pk__in=[i.pk for i in group], status=current).update(
            **common)
        if updated != len(group):
            raise Conflict()
    previous = {invoice.pk: invoice.status for invoice in invoices}
    for invoice in invoices:
        for field, value in (*common.items(), *clocks.get(invoice.pk, {}).items()):
            setattr(invoice, field, value)
    if clocks:
        # One UPDATE per distinct set of values (a batch's invoices to one recipient mostly
        # share their due date), not bulk_update's CASE over every row. "status" again (the
        # same value): the features following invoice writes know the lifecycle's signals
        # below tell them (reporting's facts: one rebuild, not two).
        same: dict[tuple, list[int]] = {}
        for pk, values in clocks.items():
            same.setdefault(tuple(sorted(values.items())), []).append(pk)
        for values, pks in same.items():
            Invoice.objects.filter(pk__in=pks).update(status=target, **dict(values))
    label = actor_label(actor)
    user = acting_user(actor)
    changes = StatusChange.objects.bulk_create([
        StatusChange(invoice=invoice, status=target, previous=previous[invoice.pk], at=now,
                     actor=user, actor_label=label, comment=comment) for invoice in invoices])
    for invoice, change in zip(invoices, changes, strict=True):
        cache = getattr(invoice, "_prefetched_objects_cache", {}).get("history")
        if cache is not None:
            cache._result_cache.append(change)
    ledger.append_many(LEDGER_TYPE, [
        (invoice.pk, records.STATUS,
         status_payload(target, previous[invoice.pk], label, comment))
        for invoice in invoices], at=now)
    from choeur.invoicing import notifications, signals

    notifications.changed_many(invoices, previous, actor=actor)
    if signals.status_changed.has_listeners(Invoice):
        for invoice in invoices:
            signals.status_changed.send(sender=Invoice, invoice=invoice,
                                        previous=previous[invoice.pk], actor=actor, batch=True)
    signals.changed_many.send(sender=Invoice, invoices=invoices, status=target,
                              actor=actor, at=now)
    return invoices


def create_many(invoices: list[Invoice], target: str, *, actor=None, role: Role,
                tell_supplier: bool = True) -> list[Invoice]:
    """Insert new invoices at `target`, as if each had been saved as a draft and moved by
    `transition()` (rule BROUILLON → `target` for `role`, one history row each, the same
    notifications). A flux's batch: the draft step was two round trips per invoice for
    nothing. `tell_supplier=False`: the supplier's users hear of the batch once (the flux's
    outcome), not once per invoice."""
    if not connection.in_atomic_block:
        raise OutsideTransaction()
    rule = statuses.find(Status.BROUILLON, target, role)
    if rule is None:
        raise errors.TransitionRefused(current=Status.BROUILLON.label,
                                       target=Status(target).label)
    now = clock.now()
    for invoice in invoices:
        invoice.status, invoice.status_changed_at, invoice.status_comment = target, now, ""
        invoice.created_at = invoice.updated_at = now
        for name, value in delays.stored_fields(invoice, target, now).items():
            setattr(invoice, name, value)
    Invoice.objects.bulk_create(invoices)
    user, label = acting_user(actor), actor_label(actor)
    StatusChange.objects.bulk_create([
        StatusChange(invoice=invoice, status=target, previous=Status.BROUILLON, at=now,
                     actor=user, actor_label=label, comment="") for invoice in invoices])
    status = status_payload(target, Status.BROUILLON, label, "")
    ledger.append_many(LEDGER_TYPE, [  # new invoices: no attachment yet
        item for invoice in invoices for item in (
            (invoice.pk, records.DEPOSIT, records.deposit_payload(records.invoice_row(invoice))),
            (invoice.pk, records.STATUS, status))], at=now, fresh=True)
    from choeur.invoicing import notifications, signals

    notifications.created_many(invoices, previous=Status.BROUILLON, actor=actor,
                               tell_supplier=tell_supplier)
    if signals.status_changed.has_listeners(Invoice):
        for invoice in invoices:
            signals.status_changed.send(sender=Invoice, invoice=invoice,
                                        previous=Status.BROUILLON, actor=actor, batch=True)
    signals.created_many.send(sender=Invoice, invoices=invoices, status=target,
                              previous=Status.BROUILLON, actor=actor, at=now)
    return invoices
