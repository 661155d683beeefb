"""The portal's main navigation. Features add their entries here as they land.

An entry shows only to whoever may use it (`visible`), so the menu never offers a page that
would then refuse the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from choeur.core.permissions import is_platform_admin


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    visible: Callable[[object], bool]

    def url(self) -> str:
        return reverse(self.url_name)


def _everyone(user) -> bool:
    return True


def _staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def _authenticated(user) -> bool:
    return bool(user.is_authenticated)


MAIN = [
    NavEntry(_("Accueil"), "home", _everyone),
    NavEntry(_("Mes structures"), "structures", _authenticated),
    NavEntry(_("Mon compte"), "account", _authenticated),
    NavEntry(_("Annuaire"), "annuaire", _everyone),
    NavEntry(_("Courriels envoyés"), "outbox", is_platform_admin),
    NavEntry(_("Administration"), "admin:index", _staff),
]


def entries_for(user, current_path: str) -> list[dict]:
    items = []
    for entry in MAIN:
        if not entry.visible(user):
            continue
        url = entry.url()
        current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": entry.label, "url": url, "current": current})
    return items
