from django.conf import settings

from choeur import __version__
from choeur.web import current_structure
from choeur.web.navigation import HEADER, entries_for


def choeur(request):
    qualification = settings.CHOEUR_ENVIRONMENT == "qualification"
    return {
        "choeur_version": __version__,
        "choeur_qualification": qualification,
        # The business date when a qualification instance travelled in time (else None).
        "choeur_simulated_now": _simulated_now() if qualification else None,
        "nav_entries": entries_for(request.user, request.path) if hasattr(request, "user") else [],
        "header_entries": (entries_for(request.user, request.path, HEADER)
                           if hasattr(request, "user") else []),
        **_structures(request),
    }


def _structures(request) -> dict:
    """The header's switcher, for someone with several structures."""
    if not hasattr(request, "user") or not request.user.is_authenticated:
        return {}
    structures = current_structure.choices(request)
    if len(structures) < 2:
        return {}
    return {"choeur_structures": sorted(structures, key=lambda s: s.company_name.lower())[
                :current_structure.MAX_CHOICES],
            "choeur_current_structure": current_structure.current(request)}


def _simulated_now():
    from choeur.core import clock

    now, real = clock.now(), clock.wall_now()
    return now if abs((now - real).total_seconds()) > 60 else None
