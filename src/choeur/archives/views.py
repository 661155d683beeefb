"""The archives page of a structure (« Archives », linked from the structure's pages): its
gestionnaires download the archive export of the structure's invoices, for a period or all.
An inactive structure keeps it (leaving the platform keeps the archives readable)."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from choeur.archives import export, retention
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
            scope = export.portal_scope(request.user, pk, values["from"], values["to"])
        except ChoeurError as exc:
            error = exc
        else:
            # Built in a temporary file (on disk past a few MB), then streamed from it: the
            # zip is never whole in memory; the file goes when the answer is sent.
            target = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
            try:
                export.export_to_file(scope, target, actor=request.user,
                                      by=f"{request.user} ({request.user.email})")
            except BaseException:
                target.close()
                raise
            target.seek(0)
            return FileResponse(target, as_attachment=True, filename=export.file_name(scope),
                                content_type="application/zip")
    return render(request, "archives/structure_archives.html", {
        "structure": structure, "error": error, "values": values,
        "count": export.structure_invoices(structure).count(),
        "retention_years": retention.years(),
    }, status=400 if error else 200)
