"""Database ids as they come from the outside (query strings, form fields, API bodies)."""

from __future__ import annotations

import re

_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value) -> int | None:
    """The integer id `value` spells, or None: plain ASCII digits that fit a database
    integer only ("²".isdigit() is true and int("²") fails; 20 digits overflow SQLite)."""
    text = str(value) if value is not None else ""
    return int(text) if _ID.fullmatch(text) else None
