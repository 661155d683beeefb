"""« Configuration » of a structure: export it as a JSON file, import one (preview, then
confirm). Gestionnaires only; the use cases are `config_transfer`'s.

The import is two POSTs: « Prévisualiser » runs it as a dry run and keeps the uploaded
document in the session (with its sha256, the structure and the option chosen); « Importer »
applies exactly that document — the one the preview showed — and forgets it. Secrets made by
the import are in that answer only (no-store), never kept.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from choeur.core import clock
from choeur.core.errors import NotFound
from choeur.organisations import config_transfer, errors, permissions
from choeur.organisations.views import attempt

SESSION_KEY = "choeur_config_import"


def _pending(request, structure) -> dict | None:
    pending = request.session.get(SESSION_KEY)
    if isinstance(pending, dict) and pending.get("structure") == structure.pk:
        return pending
    return None


@login_required
def structure_configuration(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    context = {"structure": structure, "is_gestionnaire": True, "report": None,
               "pending": _pending(request, structure),
               "max_kib": config_transfer.MAX_BYTES // 1024}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "export":
            ok, document = attempt(request, config_transfer.export_config, structure)
            if ok:
                return _download(structure, document)
        elif action == "preview":
            response = _preview(request, structure, context)
            if response is not None:
                return response
        elif action == "import":
            return _import(request, structure, context)
        else:
            raise NotFound(object_label="Action")
    return render(request, "organisations/structure_configuration.html", context)


def _download(structure, document) -> HttpResponse:
    response = HttpResponse(config_transfer.dumps(document),
                            content_type="application/json; charset=utf-8")
    name = f"configuration-{structure.identifier}-{clock.today():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # bank details
    return response


def _preview(request, structure, context):
    upload = request.FILES.get("document")
    allow_other = request.POST.get("allow_other_identifier") == "1"
    if upload is None:
        messages.error(request, _("Choisissez le fichier de configuration à importer."))
        return None
    request.session.pop(SESSION_KEY, None)  # a new preview replaces the previous one
    context["pending"] = None
    if upload.size > config_transfer.MAX_BYTES:  # refused unread
        refusal = errors.ConfigTooLarge(what="le fichier", what_en="the file",
                                        limit=f"{config_transfer.MAX_BYTES // 1024} Kio")
        messages.error(request, f"{refusal.message()} [{refusal.code}]")
        return None
    data = upload.read()
    ok, report = attempt(request, config_transfer.import_config, structure, data,
                         dry_run=True, allow_other_identifier=allow_other)
    if not ok:
        return None
    text = data.decode("utf-8-sig")  # read_document decoded it already
    request.session[SESSION_KEY] = {
        "structure": structure.pk, "document": text, "allow_other": allow_other,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "name": upload.name[:200],
    }
    context.update(report=report, pending=request.session[SESSION_KEY])
    return None


def _import(request, structure, context):
    pending = _pending(request, structure)
    if pending is None or request.POST.get("sha256") != pending.get("sha256"):
        messages.error(request, _("Prévisualisez d'abord la configuration à importer (la "
                                  "prévisualisation a expiré ou concernait un autre fichier)."))
        return redirect("structure-configuration", structure.pk)
    ok, report = attempt(request, config_transfer.import_config, structure,
                         pending["document"],
                         allow_other_identifier=bool(pending.get("allow_other")))
    request.session.pop(SESSION_KEY, None)
    context["pending"] = None
    if ok:
        messages.success(request, _("La configuration est importée."))
        context["report"] = report
    response = render(request, "organisations/structure_configuration.html", context)
    response["Cache-Control"] = "no-store"  # new secrets, shown once
    return response
