"""Shared helpers of the accounts tests: the entry-point transaction and the outbox."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from choeur.accounts.views import _run
from choeur.core.mail import outbox_messages

STRONG = "Tres-Solide-Mot2Passe"
ANSWERS = {"question_1": "PET", "answer_1": "Médor", "question_2": "BIRTH_CITY",
           "answer_2": "Saint-Étienne"}


def entry(service, *args, **kwargs):
    """Call a service as a portal view does: in its own transaction, rolled back on a typed
    error unless the error is a counted failure."""
    return _run(None, service, *args, **kwargs)


def mails(run_tasks, to: str | None = None, subject: str = ""):
    """The e-mails delivered since the last call (they are taken out of the outbox, so that
    "the last link" is never ambiguous, even with a frozen clock)."""
    run_tasks()
    messages = outbox_messages()
    outbox = Path(settings.CHOEUR_OUTBOX_DIR)
    for message in messages:
        (outbox / message.name).unlink()
    return [m for m in messages
            if (to is None or to in m.to) and subject.lower() in m.subject.lower()]


def link_path(message) -> str:
    """The path of the first link in an e-mail (the base URL is the configured one)."""
    match = re.search(r"https?://\S+", message.text)
    assert match, message.text
    return urlparse(match.group(0)).path


def code_in(message) -> str:
    match = re.search(r"\b(\d{6})\b", message.text)
    assert match, message.text
    return match.group(1)
