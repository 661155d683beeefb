"""Outgoing e-mail: recorded in the transaction, delivered by the worker after commit.

`send_mail()` is what services call. It records an `OutgoingEmail` row and enqueues its
delivery task in the caller's transaction: with the database task backend, the task becomes
visible to workers only when the transaction commits, and a rollback removes both (nothing is
sent, and no window exists where the change is committed but the e-mail forgotten). The worker
delivers through Django's mail backend: the outbox (a folder of .eml files in the data
directory, readable by platform administrators in the portal) unless CHOEUR_EMAIL_URL names an
SMTP server. Failed deliveries are retried with growing delays.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage as StdEmailMessage
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils.crypto import get_random_string

from choeur.core import clock, queue
from choeur.core.models import OutgoingEmail

logger = logging.getLogger("choeur.mail")

# Named by wall-clock time to the microsecond, so that names sort in sending order.
OUTBOX_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}-[a-z0-9]{12}\.eml")
RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=6)]


def send_mail(
    to: list[str] | str,
    subject: str,
    body: str,
    html_body: str | None = None,
    reply_to: list[str] | None = None,
) -> OutgoingEmail:
    """Queue one e-mail, to be delivered once the current transaction commits."""
    with transaction.atomic():  # the row and its task are committed together, or neither
        email = OutgoingEmail.objects.create(
            to=[to] if isinstance(to, str) else list(to),
            reply_to=reply_to or [],
            subject=subject,
            body=body,
            html_body=html_body or "",
            created_at=clock.now(),
        )
        queue.enqueue("core.deliver_email", email.pk)
    return email


def deliver(email_id: int) -> None:
    """Deliver one queued e-mail; on failure, schedule another attempt or give up."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != OutgoingEmail.Status.QUEUED:
            return  # already delivered (a retried task) or given up
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.to,
            reply_to=email.reply_to or None,
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        email.attempts += 1
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # SMTP and socket errors alike: retry later
            email.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if email.attempts > len(RETRY_DELAYS):
                email.status = OutgoingEmail.Status.FAILED
                logger.error("e-mail %s given up after %s attempts", email.pk, email.attempts)
            else:
                delay = RETRY_DELAYS[email.attempts - 1]
                queue.get("core.deliver_email").using(
                    run_after=clock.wall_now() + delay).enqueue(email.pk)
            email.save()
            return
        email.status = OutgoingEmail.Status.SENT
        email.sent_at = clock.now()
        email.last_error = ""
        email.body = email.html_body = ""  # may hold one-time links: not kept once delivered
        email.save()


class OutboxBackend(BaseEmailBackend):
    """Writes each message as an .eml file in the outbox folder of the data directory."""

    def send_messages(self, email_messages) -> int:
        outbox = Path(settings.CHOEUR_OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = clock.wall_now().strftime("%Y%m%dT%H%M%S.%f")
            name = f"{stamp}-{get_random_string(12, 'abcdefghijklmnopqrstuvwxyz0123456789')}.eml"
            tmp = outbox / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes(linesep="\n"))
            os.replace(tmp, outbox / name)  # readers never see a half-written file
            sent += 1
        return sent


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    sent_at: datetime
    sender: str
    to: str
    subject: str
    text: str
    html: str | None


def _parse(path: Path) -> OutboxMessage:
    msg: StdEmailMessage = message_from_bytes(path.read_bytes(), policy=policy.default)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return OutboxMessage(
        name=path.name,
        sent_at=datetime.strptime(path.name[:22], "%Y%m%dT%H%M%S.%f").replace(tzinfo=clock.UTC),
        sender=str(msg.get("From", "")),
        to=str(msg.get("To", "")),
        subject=str(msg.get("Subject", "")),
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else None,
    )


def outbox_messages(limit: int = 200) -> list[OutboxMessage]:
    """The newest messages of the outbox first."""
    outbox = Path(settings.CHOEUR_OUTBOX_DIR)
    if not outbox.is_dir():
        return []
    names = sorted(
        (p.name for p in outbox.iterdir() if OUTBOX_NAME.fullmatch(p.name)), reverse=True
    )
    return [_parse(outbox / name) for name in names[:limit]]


def outbox_message(name: str) -> OutboxMessage | None:
    if not OUTBOX_NAME.fullmatch(name):  # also what keeps "../" out
        return None
    path = Path(settings.CHOEUR_OUTBOX_DIR) / name
    return _parse(path) if path.is_file() else None
