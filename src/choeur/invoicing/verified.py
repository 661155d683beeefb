"""The file a user has just checked with « Vérifier sans envoyer », kept for the deposit that
usually follows, so that the user does not choose it again.

The bytes go to the default storage under `verified/<token>` (the token is random, never the
file's hash); the user's session maps the token to the file's sha256, name and structure.
A deposit by reference therefore:
- works only in the session that checked the file (another user's or a forged token is
  unknown there: `VerifiedFileUnknown`, nothing deposited);
- deposits exactly the checked bytes (their sha256 is compared with the session's);
- expires after `KEEP_FOR` (the file is removed then, or when the session checks another one,
  or once deposited).

This is not a stored document: nothing is recorded in the database and the check still
"writes nothing" a user could see; files left behind (a session that never deposits) are
removed by the next check of anyone, once older than `KEEP_FOR`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from choeur.core import clock
from choeur.invoicing.errors import VerifiedFileUnknown

logger = logging.getLogger(__name__)

KEEP_FOR = timedelta(hours=1)
PREFIX = "verified"
SESSION_KEY = "choeur_verified_files"


def _path(token: str) -> str:
    return f"{PREFIX}/{token}"


def _entries(session) -> dict:
    entries = session.get(SESSION_KEY)
    return entries if isinstance(entries, dict) else {}


def _remove(token: str) -> None:
    try:
        default_storage.delete(_path(token))
    except OSError:  # already gone: nothing to remove
        pass


def sweep() -> int:
    """Remove the kept files older than KEEP_FOR, whoever's they were. Returns how many."""
    limit = clock.wall_now() - KEEP_FOR
    removed = 0
    try:
        _dirs, files = default_storage.listdir(PREFIX)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in files:
        try:
            if default_storage.get_modified_time(_path(name)) < limit:
                default_storage.delete(_path(name))
                removed += 1
        except OSError:
            continue
    return removed


def keep(session, structure_pk: int, name: str, content: bytes) -> str:
    """Keep the checked bytes for this session; returns the token the form sends back. The
    session's earlier kept file is removed (one at a time)."""
    for token in list(_entries(session)):
        _remove(token)
    sweep()
    token = secrets.token_urlsafe(24)
    default_storage.save(_path(token), ContentFile(content))
    session[SESSION_KEY] = {token: {
        "sha256": hashlib.sha256(content).hexdigest(), "name": name[:200],
        "structure": int(structure_pk), "at": clock.wall_now().isoformat(),
    }}
    return token


def describe(session, structure_pk: int, token: str) -> dict | None:
    """The kept file's name and sha256 if `token` is this session's, for this structure."""
    entry = _entries(session).get(token or "")
    if entry is None or entry.get("structure") != int(structure_pk):
        return None
    return entry


def take(session, structure_pk: int, token: str) -> tuple[str, bytes]:
    """(name, bytes) of the file this session checked for this structure, exactly as checked.
    Refused (`VerifiedFileUnknown`) for a token of another session, another structure, an
    expired or altered file."""
    entry = describe(session, structure_pk, token)
    if entry is None:
        raise VerifiedFileUnknown()
    at = datetime.fromisoformat(entry["at"])
    if clock.wall_now() - at > KEEP_FOR:
        forget(session, token)
        raise VerifiedFileUnknown()
    try:
        with default_storage.open(_path(token), "rb") as handle:
            content = handle.read()
    except OSError:
        forget(session, token)
        raise VerifiedFileUnknown() from None
    if hashlib.sha256(content).hexdigest() != entry["sha256"]:
        logger.warning("verified file %s: its bytes changed since the check", token)
        forget(session, token)
        raise VerifiedFileUnknown()
    return entry["name"], content


def forget(session, token: str) -> None:
    entries = _entries(session)
    if token in entries:
        _remove(token)
        entries.pop(token)
        session[SESSION_KEY] = entries


__all__ = ["KEEP_FOR", "describe", "forget", "keep", "sweep", "take"]
