from django.shortcuts import render
from django.views.decorators.http import require_GET

from choeur.core.permissions import platform_admin_required


@require_GET
def home(request):
    return render(request, "web/home.html")


def csrf_failure(request, reason=""):
    # Never echo Django's technical reason: it helps nobody but an attacker.
    return render(request, "web/csrf_failure.html", status=403)


@platform_admin_required
@require_GET
def administration(request):
    """The platform administrator's portal pages, one menu entry for all of them."""
    return render(request, "web/administration.html")
