from django.conf import settings

from choeur import __version__
from choeur.web.navigation import entries_for


def choeur(request):
    return {
        "choeur_version": __version__,
        "choeur_qualification": settings.CHOEUR_ENVIRONMENT == "qualification",
        "nav_entries": entries_for(request.user, request.path) if hasattr(request, "user") else [],
    }
