"""The documents Choeur issues for a deposited invoice, made at first need rather than during
the deposit: the PDF rendering of a UBL or CII file (Chorus Pro's "PDF de visualisation") and
the certificat de dépôt.

Both cost tens of milliseconds of reportlab each, more than the rest of a deposit together;
made inside the deposit they capped a flux's integration at a few dozen invoices a second. They
are now made by the routing task that follows every deposit (before the invoice reaches its
recipient), or earlier by whoever needs one first (the supplier downloading it, `soumettre`
answering its fingerprint). Both renderings are deterministic — the same invoice gives the same
bytes — and depend only on what the deposit fixed, so it does not matter who makes them first:
two makers store the same blob and the conditional update keeps the first.
"""

from __future__ import annotations

import logging

from choeur import formats
from choeur.core import storage
from choeur.invoicing import errors
from choeur.invoicing.models import Invoice

logger = logging.getLogger("choeur.invoicing")


def readable_name(filename: str) -> str:
    """The rendering's file name: the deposited file's, as a PDF (`facture.pdf` if none)."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    stem = stem[:-4] if stem.lower().endswith((".xml", ".ubl", ".cii")) else stem
    return f"{stem or 'facture'}.pdf"[:200]


def ensure_readable(invoice: Invoice) -> str:
    """The sha256 of the PDF the recipient reads, rendered from the structured data now if it
    was not yet ('' when the invoice has no document). Sets it on `invoice`."""
    if not invoice.rendering_pending:
        return invoice.main_file_sha256
    from choeur.formats.writers import render_pdf

    try:
        pdf = render_pdf(formats.read(storage.read(invoice.xml_sha256)))
    except Exception as exc:  # reportlab's LayoutError and friends: reported, coded
        logger.exception("invoice %s: the PDF rendering failed", invoice.pk)
        raise errors.RenderingFailed() from exc
    blob = storage.put(pdf, content_type="application/pdf")
    Invoice.objects.filter(pk=invoice.pk, main_file_sha256="").update(
        main_file_sha256=blob.sha256)
    invoice.main_file_sha256 = blob.sha256
    if not invoice.main_file_name:
        invoice.main_file_name = readable_name("")
        Invoice.objects.filter(pk=invoice.pk, main_file_name="").update(
            main_file_name=invoice.main_file_name)
    return blob.sha256


def ensure_certificate(invoice: Invoice) -> str:
    """The sha256 of the certificat de dépôt (`empreinteCertificatDepot`), made now if it was
    not yet; '' for an invoice never deposited. Its fingerprint names the readable PDF, which
    is made first when needed."""
    if invoice.certificate_sha256 or invoice.deposited_at is None:
        return invoice.certificate_sha256
    from choeur.invoicing import documents

    ensure_readable(invoice)
    blob = storage.put(documents.render_certificate(invoice), content_type="application/pdf")
    Invoice.objects.filter(pk=invoice.pk, certificate_sha256="").update(
        certificate_sha256=blob.sha256)
    invoice.certificate_sha256 = blob.sha256
    return blob.sha256


def issue(invoice_id: int) -> None:
    """Make what a deposited invoice still lacks (the routing task, before the recipient sees
    it). A rendering failure is logged and leaves the invoice routed with its structured data:
    the readers try again at first need and answer a coded error if it fails again."""
    invoice = Invoice.objects.select_related(
        "supplier", "recipient", "recipient_service").filter(pk=invoice_id).first()
    if invoice is None or invoice.deposited_at is None:
        return
    try:
        ensure_certificate(invoice)
    except errors.RenderingFailed:
        pass
