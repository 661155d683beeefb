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
    count: Callable[[object], int] | None = None  # shown after the label when not zero

    def url(self) -> str:
        return reverse(self.url_name)


def _everyone(user) -> bool:
    return True


def _staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def _authenticated(user) -> bool:
    return bool(user.is_authenticated)


def _sees(espace: str) -> Callable[[object], bool]:
    """Whoever sees `espace` of at least one of their structures (remembered for the request:
    the menu is drawn once per page)."""

    def visible(user) -> bool:
        if not user.is_authenticated:
            return False
        seen = getattr(user, "_nav_espaces", None)
        if seen is None:
            seen = user._nav_espaces = {}
        if espace not in seen:
            from choeur.organisations import permissions

            # The user's structures read once for all the entries; their open espaces and
            # the user's rights are remembered by permissions for the request.
            structures = getattr(user, "_nav_structures", None)
            if structures is None:
                structures = user._nav_structures = list(permissions.visible_structures(user))
            seen[espace] = any(permissions.can_see(user, s, espace) for s in structures)
        return seen[espace]

    return visible


def _unread_notifications(user) -> int:
    from choeur.messaging.views import unread_count

    return unread_count(user)


MAIN = [
    NavEntry(_("Accueil"), "home", _everyone),
    NavEntry(_("Factures émises"), "invoicing:issued_list", _sees("FACTURES_EMISES")),
    NavEntry(_("Factures reçues"), "invoicing:received_list", _sees("FACTURES_RECUES")),
    NavEntry(_("Factures à valider"), "invoicing:to_validate_list",
             _sees("FACTURES_A_VALIDER")),
    NavEntry(_("Travaux"), "travaux:list", _sees("FACTURES_TRAVAUX")),
    NavEntry(_("Engagements"), "invoicing:engagement_list", _sees("ENGAGEMENTS")),
    NavEntry(_("Commandes"), "invoicing:order_list", _sees("FACTURES_EMISES")),
    NavEntry(_("Suivi des flux"), "flux:list",
             lambda u: _sees("RACCORDEMENTS")(u) or _sees("FACTURES_EMISES")(u)),
    NavEntry(_("Notifications"), "messaging:list", _authenticated,
             count=_unread_notifications),
    NavEntry(_("Mes structures"), "structures", _authenticated),
    # « Mon compte » is the user's name in the header (web/base.html): one entry less here.
    NavEntry(_("Annuaire"), "annuaire", _everyone),
    # One entry for the platform administrator's pages (public recipients, outbox, back
    # office), so that the menu holds on one line at 1280 px; staff who are not platform
    # administrators only have the back office.
    NavEntry(_("Administration"), "administration", is_platform_admin),
    NavEntry(_("Administration"), "admin:index", lambda u: _staff(u) and not is_platform_admin(u)),
]


def _sollicitations(user) -> bool:
    """Whoever sends or receives sollicitations somewhere, and the support's agents."""
    if not user.is_authenticated:
        return False
    return bool(getattr(user, "is_support_agent", False) or user.is_staff
                or _sees("SOLLICITATIONS_EMISES")(user) or _sees("SOLLICITATIONS_RECUES")(user))


#: Links of the header, beside the user's name: the main menu holds on one line at 1280 px
#: (tests/web/test_browser_menu.py) and has no room left.
def _agent(user) -> bool:
    from choeur.chat.queries import is_agent

    return is_agent(user)


def _waiting_conversations(user) -> int:
    from choeur.chat.queries import waiting_count

    return waiting_count()


HEADER = [
    NavEntry(_("Sollicitations"), "sollicitations:home", _sollicitations),
    # The support's agents: the live conversations waiting for one of them.
    NavEntry(_("Direct"), "chat:console", _agent, count=_waiting_conversations),
]


def entries_for(user, current_path: str, entries=None) -> list[dict]:
    items = []
    for entry in MAIN if entries is None else entries:
        if not entry.visible(user):
            continue
        url = entry.url()
        current = current_path == url if url == "/" else current_path.startswith(url)
        label = entry.label
        count = entry.count(user) if entry.count is not None else 0
        if count:  # at most three characters: the menu holds on one line at 1280 px
            label = f"{label} ({count if count < 100 else '99+'})"
        items.append({"label": label, "url": url, "current": current})
    return items
