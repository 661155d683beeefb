"""The structure a user works for, chosen in the header (« Structure courante »).

Someone attached to several structures — a trainee's matelas de données gives ten, an
accountant serves many clients — picks one in the header: the invoice lists then show that
structure's invoices only, until "Toutes mes structures" is chosen again. The choice lives in
the session and is checked against the user's rattachements at every read, so a structure the
user left (or a forged id) is never applied.
"""

from __future__ import annotations

from choeur.organisations import permissions

SESSION_KEY = "choeur_structure"
#: A header select beyond this many structures would be unusable: the lists' own search is.
MAX_CHOICES = 200


def choices(request) -> list:
    """The user's structures (read once per request, shared with the menu)."""
    user = request.user
    if not user.is_authenticated:
        return []
    structures = getattr(user, "_nav_structures", None)
    if structures is None:
        structures = user._nav_structures = list(permissions.visible_structures(user))
    return structures


def current(request):
    """The chosen structure if it is still one of the user's, else None."""
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not chosen:
        return None
    return next((s for s in choices(request) if s.pk == chosen), None)


def choose(request, value) -> bool:
    """Set (or with "" clear) the current structure; False for an id that is not the user's."""
    if value in ("", None):
        request.session.pop(SESSION_KEY, None)
        return True
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return False
    if not any(s.pk == pk for s in choices(request)):
        return False
    request.session[SESSION_KEY] = pk
    return True
