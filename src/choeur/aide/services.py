"""The help centre's use cases."""

from __future__ import annotations

from choeur.aide import loader


def reload_articles() -> loader.Outcome:
    """Bring the articles to what the repository and the error classes hold (idempotent).
    The caller owns the transaction."""
    return loader.load()
