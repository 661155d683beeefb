"""The acknowledgement page: the rejections and suspensions the user must take note of,
shown once after login and compulsory for those older than 7 days."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from choeur.core import clock
from choeur.invoicing import acknowledgements, services

SHOWN = 100  # the oldest first; "Tout acquitter" takes them all


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def acknowledgement_list(request):
    if request.method == "POST":
        if request.POST.get("action") == "tout":
            with transaction.atomic():
                done = services.acknowledge_all(request.user)
            messages.success(request, ngettext(
                "C'est noté : %(n)d facture est acquittée.",
                "C'est noté : %(n)d factures sont acquittées.", done) % {"n": done})
        # "Plus tard" (or after "Tout acquitter"): refused while one is still overdue.
        if acknowledgements.release(request):
            messages.error(request, _("Acquittez d'abord les factures rejetées ou suspendues "
                                      "depuis plus de 7 jours."))
            return redirect(f"{request.path}?{urlencode({'next': _next(request)})}")
        return redirect(_next(request))
    queryset = acknowledgements.pending(request.user)
    pending = list(queryset.select_related("supplier", "recipient")
                   .order_by("status_changed_at")[:SHOWN])
    if not pending:
        acknowledgements.release(request)
        return redirect(_next(request))
    now = clock.now()
    for invoice in pending:
        invoice.overdue = now - invoice.status_changed_at > services.ACKNOWLEDGEMENT_DELAY
    return render(request, "invoicing/acknowledgements.html", {
        "pending": pending, "next": _next(request),
        "more": queryset.count() - len(pending) if len(pending) == SHOWN else 0,
        "compulsory": any(invoice.overdue for invoice in pending),
    })
