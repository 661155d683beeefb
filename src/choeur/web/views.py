from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from choeur.core.permissions import platform_admin_required
from choeur.web import current_structure


@require_GET
def home(request):
    from choeur.messaging import actualites

    return render(request, "web/home.html", {"actualites": actualites.published()})


def csrf_failure(request, reason=""):
    # Never echo Django's technical reason: it helps nobody but an attacker.
    return render(request, "web/csrf_failure.html", status=403)


@platform_admin_required
@require_GET
def administration(request):
    """The platform administrator's portal pages, one menu entry for all of them."""
    return render(request, "web/administration.html")


@login_required
@require_POST
def switch_structure(request):
    """The header's structure switcher: the lists then show that structure only."""
    if not current_structure.choose(request, request.POST.get("structure", "")):
        messages.error(request, _("Cette structure n'est pas l'une des vôtres."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return redirect(target)
