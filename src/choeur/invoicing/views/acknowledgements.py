"""The acknowledgement page: the rejections and suspensions the user must take note of,
shown once after login and compulsory for those older than 7 days."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from choeur.core import clock
from choeur.invoicing import acknowledgements, services


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def acknowledgement_list(request):
    if request.method == "POST":  # "Plus tard": refused while one is overdue
        if acknowledgements.release(request):
            messages.error(request, _("Acquittez d'abord les factures rejetées ou suspendues "
                                      "depuis plus de 7 jours."))
            return redirect(f"{request.path}?next={_next(request)}")
        return redirect(_next(request))
    pending = list(acknowledgements.pending(request.user)
                   .select_related("supplier", "recipient").order_by("status_changed_at"))
    if not pending:
        acknowledgements.release(request)
        return redirect(_next(request))
    now = clock.now()
    for invoice in pending:
        invoice.overdue = now - invoice.status_changed_at > services.ACKNOWLEDGEMENT_DELAY
    return render(request, "invoicing/acknowledgements.html", {
        "pending": pending, "next": _next(request),
        "compulsory": any(invoice.overdue for invoice in pending),
    })
