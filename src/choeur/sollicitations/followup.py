"""A logged-out sender's follow-up link (docs/SOLLICITATIONS.md): every e-mail written to it
(the receipt, each step) carries `/contact/suivi/<token>/`, a random secret of 256 bits of
which only the SHA-256 is stored (`FollowupLink`). The link stands for the sender's side of
that one ticket (actors.LoggedOutSender); it expires (`LIFETIME` after its e-mail, each later
e-mail bringing a fresh one) and can be revoked. A wrong, forged, expired or revoked token is
not found — the same answer as a missing ticket. The token is never logged nor audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from choeur.core import clock
from choeur.sollicitations import errors
from choeur.sollicitations.actors import LoggedOutSender
from choeur.sollicitations.models import FollowupLink, Sollicitation
from choeur.sollicitations.statuses import Status

LIFETIME = timedelta(days=90)
TOKEN_BYTES = 32
#: What `secrets.token_urlsafe(32)` gives: 43 characters of the URL-safe alphabet.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue(ticket: Sollicitation) -> str:
    """A new link for a logged-out sender's ticket (in the caller's transaction: the e-mail
    carrying it is written there too); the token, to be put in that e-mail only."""
    if ticket.sender_structure_id is not None:
        raise ValueError("only a logged-out sender's ticket has follow-up links")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    FollowupLink.objects.create(sollicitation=ticket, digest=_digest(token), created_at=now,
                                expires_at=now + LIFETIME)
    return token


def url(token: str) -> str:
    return settings.CHOEUR_BASE_URL + reverse("sollicitations:followup", args=[token])


def sender_for(token: str) -> LoggedOutSender:
    """The logged-out sender a token stands for; SOL_NOT_FOUND for any token that is not a
    live link of a logged-out sender's sent ticket, told apart from nothing."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise errors.SollicitationNotFound()
    link = (FollowupLink.objects.select_related("sollicitation")
            .filter(digest=_digest(token), revoked_at__isnull=True,
                    expires_at__gt=clock.now(),
                    sollicitation__sender_structure__isnull=True)
            .exclude(sollicitation__status=Status.BROUILLON).first())
    if link is None:
        raise errors.SollicitationNotFound()
    return LoggedOutSender(link.sollicitation_id, link.sollicitation.sender_email)


def revoke(ticket: Sollicitation) -> int:
    """Every live link of the ticket stops working (e.g. an address that was not the
    sender's); the next e-mail brings a new one."""
    return FollowupLink.objects.filter(sollicitation=ticket, revoked_at__isnull=True).update(
        revoked_at=clock.now())
