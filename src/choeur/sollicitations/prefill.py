"""A sollicitation form pre-filled by another part of the portal (« Contacter un agent »
turning a conversation into a sollicitation): its initial values wait in the session, and
the form reads them when opened with `?depuis=prefill`. Only initial values: the form checks
everything again when sent (a linked invoice must be of the sender's scope)."""

from __future__ import annotations

KEY = "sollicitations.prefill"
FIELDS = ("title", "description", "categorie", "invoice_id")


def stash(session, initial: dict) -> None:
    session[KEY] = {key: str(value) for key, value in initial.items() if key in FIELDS}


def read(session) -> dict:
    """The values, once: a later visit of the form (history, back button) starts empty."""
    value = session.pop(KEY, None)
    return dict(value) if isinstance(value, dict) else {}
