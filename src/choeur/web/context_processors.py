from django.conf import settings

from choeur import __version__
from choeur.web.navigation import entries_for


def choeur(request):
    qualification = settings.CHOEUR_ENVIRONMENT == "qualification"
    return {
        "choeur_version": __version__,
        "choeur_qualification": qualification,
        # The business date when a qualification instance travelled in time (else None).
        "choeur_simulated_now": _simulated_now() if qualification else None,
        "nav_entries": entries_for(request.user, request.path) if hasattr(request, "user") else [],
    }


def _simulated_now():
    from choeur.core import clock

    now, real = clock.now(), clock.wall_now()
    return now if abs((now - real).total_seconds()) > 60 else None
