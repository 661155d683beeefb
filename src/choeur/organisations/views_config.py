"""« Configuration » of a structure: export it as a JSON file, import one (preview, then
confirm). Gestionnaires only; the use cases are `config_transfer`'s.

The import is two POSTs: « Prévisualiser » runs it as a dry run and keeps the uploaded
document in the private file store under a random token for an hour, the session holding only
the token, its sha256, the structure and the option chosen (not the document: up to 2 MB with
bank details, read back on every request of the session otherwise); « Importer » applies
exactly that document — the one the preview showed — and forgets it. Secrets made by the
import are in that answer only (no-store), never kept.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from choeur.core import clock
from choeur.core.errors import NotFound
from choeur.organisations import config_transfer, errors, permissions
from choeur.organisations.views import attempt

SESSION_KEY = "choeur_config_import"
PREFIX = "config-imports"
KEEP_FOR = timedelta(hours=1)


def _sweep() -> None:
    """Remove the previewed documents older than KEEP_FOR, whoever's they were."""
    limit = clock.wall_now() - KEEP_FOR
    try:
        _dirs, files = default_storage.listdir(PREFIX)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        try:
            if default_storage.get_modified_time(f"{PREFIX}/{name}") < limit:
                default_storage.delete(f"{PREFIX}/{name}")
        except OSError:
            continue


def _forget(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if isinstance(pending, dict) and pending.get("token"):
        try:
            default_storage.delete(f"{PREFIX}/{pending['token']}")
        except OSError:
            pass


def _document(pending: dict) -> bytes | None:
    """The previewed bytes, if still there and unchanged."""
    try:
        with default_storage.open(f"{PREFIX}/{pending['token']}", "rb") as handle:
            data = handle.read()
    except (OSError, KeyError):
        return None
    return data if hashlib.sha256(data).hexdigest() == pending.get("sha256") else None


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
    _forget(request)  # a new preview replaces the previous one
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
    _sweep()
    token = secrets.token_urlsafe(24)
    default_storage.save(f"{PREFIX}/{token}", ContentFile(data))
    request.session[SESSION_KEY] = {
        "structure": structure.pk, "token": token, "allow_other": allow_other,
        "sha256": hashlib.sha256(data).hexdigest(), "name": upload.name[:200],
    }
    context.update(report=report, pending=request.session[SESSION_KEY])
    return None


def _import(request, structure, context):
    pending = _pending(request, structure)
    document = _document(pending) if pending is not None else None
    if document is None or request.POST.get("sha256") != pending.get("sha256"):
        messages.error(request, _("Prévisualisez d'abord la configuration à importer (la "
                                  "prévisualisation a expiré ou concernait un autre fichier)."))
        return redirect("structure-configuration", structure.pk)
    ok, report = attempt(request, config_transfer.import_config, structure, document,
                         allow_other_identifier=bool(pending.get("allow_other")))
    _forget(request)
    context["pending"] = None
    if ok:
        messages.success(request, _("La configuration est importée."))
        context["report"] = report
    response = render(request, "organisations/structure_configuration.html", context)
    response["Cache-Control"] = "no-store"  # new secrets, shown once
    return response
