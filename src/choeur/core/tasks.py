"""Background work of core: the delivery of queued e-mails, the ledger's seals."""

from choeur.core import mail, queue


@queue.task()
def deliver_email(email_id: int) -> None:
    """Deliver one queued e-mail (see `choeur.core.mail.send_mail`)."""
    mail.deliver(email_id)


@queue.task()
def ledger_seal() -> int:
    """Seal the ledger entries written since the last seal (core/ledger.py)."""
    from choeur.core import ledger

    return ledger.seal_all()
