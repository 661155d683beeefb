"""Background work of invoicing (django-tasks, database queue: a task enqueued in a
transaction exists only if that transaction commits)."""

import logging

from django.db import transaction

from choeur.core import queue

logger = logging.getLogger("choeur.invoicing")


@queue.task()
def route_invoice(invoice_id: int) -> None:
    from choeur.invoicing import deposit_documents, services

    # The documents first, outside the routing's transaction (tens of ms of rendering): the
    # recipient finds them made when the invoice reaches it.
    deposit_documents.issue(invoice_id)
    with transaction.atomic():
        services.route(invoice_id)


@queue.task()
def route_invoices(invoice_ids: list[int]) -> None:
    """A batch's routing (a flux's invoices, one task per batch): the certificates rendered
    first, outside the transaction, then the whole batch routed in one transaction
    (`services.route_many`). If that fails, each invoice as `route_invoice`, in its own
    transaction, so that one that fails is logged and does not hold the others. Run again
    (its worker lost, `core.leases`), the invoices already routed are skipped."""
    from choeur.core import outage
    from choeur.invoicing import deposit_documents, services

    try:
        certificates = deposit_documents.render_certificates(invoice_ids)
        with transaction.atomic():
            services.route_many(invoice_ids, certificates)
        return
    except Exception as exc:
        if outage.is_passing(exc):
            raise  # the worker waits for the database (or the store), hands the task back
        logger.exception("routing of a batch of %s invoices failed, routing them one by one",
                         len(invoice_ids))
    for invoice_id in invoice_ids:
        try:
            route_invoice.call(invoice_id)
        except Exception:
            logger.exception("routing of invoice %s failed", invoice_id)


@queue.task()
def apply_tacit_validations() -> int:
    from choeur.invoicing import services

    return services.apply_tacit_validations()


@queue.task()
def requeue_lost_routings() -> int:
    from choeur.invoicing import services

    return services.requeue_lost_routings()


@queue.task()
def sweep_uploads() -> int:
    from choeur.invoicing import services

    return services.sweep_uploads()


@queue.task()
def fold_tally() -> int:
    """PostgreSQL: the invoice tally's deltas moved into it (invoicing/tally.py)."""
    from choeur.invoicing import tally

    return tally.fold()
