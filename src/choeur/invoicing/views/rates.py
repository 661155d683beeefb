"""The table of ECB rates for the intérêts moratoires (interest.py), kept by the platform
administrators: the whole table in one text field, checked whole before anything is saved."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from choeur.core.errors import ChoeurError
from choeur.core.permissions import platform_admin_required
from choeur.invoicing import interest


@platform_admin_required
@require_http_methods(["GET", "POST"])
def interest_rates(request):
    error = None
    text = interest.table_text()
    if request.method == "POST":
        text = request.POST.get("table", "")
        try:
            with transaction.atomic():
                interest.replace_table(request.user, interest.parse_table(text))
        except ChoeurError as exc:
            if exc.http_status in (403, 404):
                raise
            error = exc
        else:
            messages.success(request, _("La table des taux est enregistrée."))
            return redirect("invoicing:interest_rates")
    return render(request, "invoicing/interest_rates.html", {
        "rates": interest.table(), "text": text, "error": error,
        "margin": interest.MARGIN_POINTS, "indemnity": interest.INDEMNITY,
    }, status=error.http_status if error else 200)
