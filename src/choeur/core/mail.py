"""Outgoing e-mail: queued after commit, delivered by the worker (house rule 2).

`send_mail()` is what services call. Nothing leaves while the transaction is open: a rollback
sends nothing. The worker delivers through Django's mail backend: the outbox (a folder of .eml
files in the data directory, readable by administrators in the portal) unless
CHOEUR_EMAIL_URL names an SMTP server.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage as StdEmailMessage
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils.crypto import get_random_string

from choeur.core import clock

OUTBOX_NAME = re.compile(r"^\d{8}T\d{6}-[a-z0-9]{12}\.eml$")


def send_mail(
    to: list[str] | str,
    subject: str,
    body: str,
    html_body: str | None = None,
    reply_to: list[str] | None = None,
) -> None:
    """Queue one e-mail, to be delivered once the current transaction commits."""
    from choeur.core.tasks import deliver_email

    payload = {
        "to": [to] if isinstance(to, str) else list(to),
        "subject": subject,
        "body": body,
        "html_body": html_body,
        "reply_to": reply_to or [],
    }
    transaction.on_commit(lambda: deliver_email.enqueue(payload))


def deliver(payload: dict) -> None:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        reply_to=payload.get("reply_to") or None,
    )
    if payload.get("html_body"):
        message.attach_alternative(payload["html_body"], "text/html")
    message.send(fail_silently=False)


class OutboxBackend(BaseEmailBackend):
    """Writes each message as an .eml file in the outbox folder of the data directory."""

    def send_messages(self, email_messages) -> int:
        outbox = Path(settings.CHOEUR_OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
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
        sent_at=datetime.strptime(path.name[:15], "%Y%m%dT%H%M%S").replace(tzinfo=clock.UTC),
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
    names = sorted((p.name for p in outbox.iterdir() if OUTBOX_NAME.match(p.name)), reverse=True)
    return [_parse(outbox / name) for name in names[:limit]]


def outbox_message(name: str) -> OutboxMessage | None:
    if not OUTBOX_NAME.match(name):  # also what keeps "../" out
        return None
    path = Path(settings.CHOEUR_OUTBOX_DIR) / name
    return _parse(path) if path.is_file() else None
