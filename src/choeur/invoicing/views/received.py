"""Factures reçues: an invoice's page, the recipient's processing, downloads (marked)."""

from __future__ import annotations

import tempfile
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.core import storage
from choeur.core.errors import NotFound
from choeur.core.ids import parse_id
from choeur.invoicing import deposit_documents, forms, queries, services, statuses
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import (
    MAX_ZIP,
    attachment_response,
    attempt,
    document_response,
    invoice_context,
    safe_name,
    xml_response,
)
from choeur.organisations import permissions
from choeur.organisations.models import Espace


def _received_page(request, invoice: Invoice, status: int = 200, process_form=None):
    can_act = permissions.can_modify(request.user, invoice.recipient, Espace.FACTURES_RECUES)
    targets = statuses.recipient_targets(invoice.status)
    return render(request, "invoicing/received_detail.html", {
        "invoice": invoice,
        "can_act": can_act and bool(targets),
        "process_form": process_form or forms.ProcessForm(invoice=invoice, prefix="process"),
        **invoice_context(invoice),
    }, status=status)


@login_required
@require_safe
def received_detail(request, pk):
    return _received_page(request, queries.received_invoice(request.user, pk))


@login_required
@require_POST
def received_process(request, pk):
    invoice = queries.received_invoice(request.user, pk)
    form = forms.ProcessForm(request.POST, invoice=invoice, prefix="process")
    if form.is_valid():
        data = form.cleaned_data
        ok, result = attempt(request, form, services.process, invoice, data["target"],
                             data["comment"], data["mandate_number"])
        if ok:
            messages.success(request, _("La facture n° %(number)s est passée au statut "
                                        "« %(status)s ».") % {
                "number": result.number, "status": Status(result.status).label})
            return redirect("invoicing:received_detail", result.pk)
        invoice = queries.received_invoice(request.user, pk)
    return _received_page(request, invoice, status=400, process_form=form)


@login_required
@require_POST
def received_document(request, pk):
    """The recipient downloads the invoice: a POST, since it is recorded (téléchargée)."""
    invoice = queries.received_invoice(request.user, pk)
    if not invoice.has_document:
        raise NotFound(object_label="Fichier")
    response = document_response(invoice)  # opened first: a missing file is no download
    with transaction.atomic():
        services.mark_downloaded(request.user, [invoice])
    return response


@login_required
@require_POST
def received_xml(request, pk):
    """The structured data of the invoice, recorded as a download like the PDF."""
    invoice = queries.received_invoice(request.user, pk)
    if not invoice.xml_sha256:
        raise NotFound(object_label="Fichier")
    response = xml_response(invoice)
    with transaction.atomic():
        services.mark_downloaded(request.user, [invoice])
    return response


@login_required
@require_safe
def received_attachment(request, pk, attachment_id):
    return attachment_response(queries.received_invoice(request.user, pk), attachment_id)


#: What a ZIP download holds: the PDFs, the structured data (XML), or both.
ZIP_CONTENTS = ("pdf", "xml", "tout")


def _zip_members(invoice: Invoice, content: str):
    if content in ("pdf", "tout") and invoice.has_document:
        yield deposit_documents.ensure_readable(invoice), invoice.main_file_name or "facture.pdf"
    if content in ("xml", "tout") and invoice.xml_sha256:
        yield invoice.xml_sha256, f"facture-{invoice.number}.xml"


@login_required
@require_POST
def received_zip(request):
    """Several invoices at once: a ZIP of their documents (50 at most); the invoices that gave
    a file are marked downloaded. Built in a temporary file, not in memory."""
    ids = {parse_id(value) for value in request.POST.getlist("ids")} - {None}
    if not ids:
        messages.error(request, _("Cochez les factures à télécharger."))
        return redirect("invoicing:received_list")
    if len(ids) > MAX_ZIP:
        messages.error(request, _("Vous pouvez télécharger %(n)d factures au plus à la fois.")
                       % {"n": MAX_ZIP})
        return redirect("invoicing:received_list")
    invoices = list(queries.received_invoices(request.user).filter(pk__in=ids)
                    .select_related("supplier", "recipient", "recipient_service")
                    .order_by("pk"))
    if len(invoices) != len(ids):
        raise NotFound(object_label="Facture")
    content = request.POST.get("contenu", "pdf")
    if content not in ZIP_CONTENTS:
        content = "pdf"
    spool = tempfile.SpooledTemporaryFile(max_size=8 * storage.CHUNK)  # noqa: SIM115
    try:
        given = _write_zip(spool, invoices, content)  # each file checked as it is copied
    except BaseException:
        spool.close()
        raise
    if not given:
        spool.close()
        messages.error(request, _("Les factures choisies n'ont aucun fichier de ce type : rien "
                                  "n'a été téléchargé."))
        return redirect("invoicing:received_list")
    with transaction.atomic():
        services.mark_downloaded(request.user, given)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename="factures.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


def _write_zip(target, invoices, content: str) -> list[Invoice]:
    """Write the chosen files of `invoices` into `target`; the invoices that gave one."""
    given, used = [], set()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            members = list(_zip_members(invoice, content))
            for sha256, filename in members:
                name = safe_name(f"{invoice.supplier.identifier}_{invoice.number}_{filename}",
                                 filename)
                while name in used:
                    name = f"{invoice.pk}_{name}"
                used.add(name)
                storage.add_to_zip(archive, name, sha256)
            if members:
                given.append(invoice)
    return given
