"""Who may act on a sollicitation besides a signed-in user and a technical account: the
logged-out sender of one ticket, holding its personal follow-up link (followup.py).

It is no user: it is not authenticated, sees no structure, and holds the sender's side of
that one ticket only (queries.is_sender, queries.visible); every signed-in check is left as
it is (it never passes them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedOutSender:
    sollicitation_id: int
    email: str

    is_authenticated = False
    is_anonymous = False  # the audit records it by its address, not as « anonyme »
    is_active = False
    is_staff = False
    is_support_agent = False

    def __str__(self) -> str:
        return self.email


def is_logged_out_sender(actor) -> bool:
    return isinstance(actor, LoggedOutSender)
