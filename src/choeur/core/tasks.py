from django_tasks import task

from choeur.core import mail


@task()
def deliver_email(payload: dict) -> None:
    """Deliver one queued e-mail (see `choeur.core.mail.send_mail`)."""
    mail.deliver(payload)
