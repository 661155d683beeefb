"""Background work of core: the delivery of queued e-mails."""

from choeur.core import mail, queue


@queue.task()
def deliver_email(email_id: int) -> None:
    """Deliver one queued e-mail (see `choeur.core.mail.send_mail`)."""
    mail.deliver(email_id)
