"""The archives page of a structure (« Archives », linked from the structure's pages): its
gestionnaires ask for the archive export of the structure's invoices, for a period or all;
the worker makes it (archives/services.py) and they download it from the page for 7 days.
An inactive structure keeps it (leaving the platform keeps the archives readable)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from choeur.archives import export, retention, services
from choeur.core.errors import ChoeurError


@login_required
@require_http_methods(["GET", "POST"])
def structure_archives(request, pk):
    structure = export.gestionnaire_structure(request.user, pk)  # ARCH_STRUCTURE_NOT_FOUND
    error = None
    values = {"from": "", "to": ""}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip()[:20] for key in values}
        try:
            with transaction.atomic():
                services.request_export(request.user, pk, values["from"], values["to"])
        except ChoeurError as exc:
            error = exc
        else:
            messages.success(request, _("Votre export est en préparation : vous serez notifié "
                                        "quand il sera prêt."))
            return redirect("archives:structure", pk=structure.pk)
    return render(request, "archives/structure_archives.html", {
        "structure": structure, "error": error, "values": values,
        "count": export.structure_invoices(structure).count(),
        "retention_years": retention.years(),
        "exports": services.recent_exports(structure),
        "kept_days": services.EXPORT_KEPT.days,
    }, status=error.http_status if error else 200)


@login_required
@require_GET
def download_export(request, pk, export_id):
    """A ready export, streamed from its file, for a current gestionnaire of the structure."""
    with transaction.atomic():
        row, handle = services.download(request.user, pk, export_id)
    response = FileResponse(handle, as_attachment=True, filename=row.file_name,
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
