from django_tasks import task

from choeur.core import mail


@task()
def deliver_email(email_id: int) -> None:
    """Deliver one queued e-mail (see `choeur.core.mail.send_mail`)."""
    mail.deliver(email_id)
