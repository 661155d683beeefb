"""The qualification pages (404 in production: they do not exist there)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from choeur.core.permissions import is_platform_admin, require
from choeur.organisations.views import attempt
from choeur.qualification import clock_control, errors


def _qualification_only(view):
    def wrapped(request, *args, **kwargs):
        try:
            clock_control.require_qualification()
        except errors.QualificationOnly:
            raise Http404() from None
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@_qualification_only
@require(is_platform_admin)
def clock_page(request):
    """Advance the instance's business time by N days or to a date."""
    if request.method == "POST":
        if request.POST.get("action") == "to":
            ok, result = attempt(request, clock_control.move_to, request.POST.get("date", ""))
        else:
            ok, result = attempt(request, clock_control.advance, request.POST.get("days", ""))
        if ok:
            messages.success(request, _("La date simulée est maintenant le %(date)s.")
                             % {"date": result.astimezone(clock_control.clock.PARIS)
                                .strftime("%d/%m/%Y %H:%M")})
            return redirect("qualification:clock")
    return render(request, "qualification/clock.html", {"status": clock_control.status()})
