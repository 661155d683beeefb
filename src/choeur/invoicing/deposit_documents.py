"""The documents Choeur issues for a deposited invoice, made at first need rather than during
the deposit: the PDF rendering of a UBL or CII file (Chorus Pro's "PDF de visualisation") and
the certificat de dépôt.

Both cost tens of milliseconds of reportlab each, more than the rest of a deposit together;
made inside the deposit they capped a flux's integration at a few dozen invoices a second. The
certificate is made by the routing task that follows every deposit (before the invoice reaches
its recipient), or earlier by whoever needs it first (the supplier downloading it, `soumettre`
answering its fingerprint); the rendering waits for its first reader. Both are deterministic —
the same invoice gives the same bytes — so it does not matter who makes them first: two makers
store the same blob and the conditional update keeps the first. The certificate names the
document deposited (`Invoice.deposited_sha256`), so it never waits for the rendering.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import translation

from choeur import formats
from choeur.core import storage
from choeur.invoicing import errors, records
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
        with translation.override("fr"):  # the cadre as the portal names it
            cadre = str(invoice.get_cadre_display())
        pdf = render_pdf(formats.read(storage.read(invoice.xml_sha256)), cadre=cadre)
    except Exception as exc:  # reportlab's LayoutError and friends: reported, coded
        logger.exception("invoice %s: the PDF rendering failed", invoice.pk)
        raise errors.RenderingFailed() from exc
    blob = storage.put(pdf, content_type="application/pdf")
    Invoice.objects.filter(pk=invoice.pk, main_file_sha256="").update(
        main_file_sha256=blob.sha256, main_file_rendered=True)
    invoice.main_file_sha256, invoice.main_file_rendered = blob.sha256, True
    return blob.sha256


def ensure_certificate(invoice: Invoice) -> str:
    """The sha256 of the certificat de dépôt (`empreinteCertificatDepot`), made now if it was
    not yet; '' for an invoice never deposited. Its fingerprint names the document deposited
    (`Invoice.deposited_sha256`: a UBL/CII file itself, not its rendering), so it does not wait
    for the rendering."""
    if invoice.certificate_sha256 or invoice.deposited_at is None:
        return invoice.certificate_sha256
    from choeur.invoicing import documents

    blob = storage.put(documents.render_certificate(invoice), content_type="application/pdf")
    with transaction.atomic():  # the fingerprint and its archive record, together
        if Invoice.objects.filter(pk=invoice.pk, certificate_sha256="").update(
                certificate_sha256=blob.sha256):
            records.certificate_made(invoice.pk, blob.sha256)
    invoice.certificate_sha256 = blob.sha256
    return blob.sha256


def issue(invoice_id: int) -> None:
    """Make the certificate of a deposited invoice (the routing task, before the recipient
    sees it: the certificate fixes what was deposited, to whom, before anyone acts on it). The
    PDF rendering of a UBL/CII file waits for its first reader (~30 ms a rendering: a flux's
    routing would spend most of its time on PDFs many recipients never open, reading the XML
    instead)."""
    invoice = Invoice.objects.select_related(
        "supplier", "recipient", "recipient_service").filter(pk=invoice_id).first()
    if invoice is None or invoice.deposited_at is None:
        return
    ensure_certificate(invoice)


def render_certificates(invoice_ids: list[int]) -> dict[int, bytes]:
    """{pk: certificat de dépôt} of the invoices of a batch that are deposited, not routed yet
    and have none: rendered outside any transaction (tens of ms of reportlab each), kept by
    `keep_certificates` in the routing's."""
    from choeur.invoicing import documents
    from choeur.invoicing.statuses import Status

    invoices = Invoice.objects.select_related("supplier", "recipient", "recipient_service") \
        .filter(pk__in=invoice_ids, status=Status.DEPOSEE, certificate_sha256="",
                deposited_at__isnull=False)
    return {invoice.pk: documents.render_certificate(invoice) for invoice in invoices}


def keep_certificates(invoices: list[Invoice], certificates: dict[int, bytes]) -> None:
    """Store the certificates rendered for these invoices (their rows locked by the caller's
    transaction) and set their fingerprint and archive record, for those still without one;
    an invoice whose certificate was not rendered (deposited meanwhile, a batch's leftover)
    gets it now, as `ensure_certificate` would."""
    from choeur.core import ledger

    missing = [invoice for invoice in invoices
               if not invoice.certificate_sha256 and invoice.deposited_at is not None]
    if not missing:
        return
    late = [invoice for invoice in missing if invoice.pk not in certificates]
    if late:
        from choeur.invoicing import documents

        certificates = {**certificates, **{invoice.pk: documents.render_certificate(invoice)
                                           for invoice in late}}
    names = storage.put_many([certificates[invoice.pk] for invoice in missing],
                             "application/pdf")
    for invoice, sha256 in zip(missing, names, strict=True):
        invoice.certificate_sha256 = sha256
    Invoice.objects.bulk_update(missing, ["certificate_sha256"])
    ledger.append_many(records.LEDGER_TYPE, [
        (invoice.pk, records.CERTIFICATE, records.certificate_payload(invoice.certificate_sha256))
        for invoice in missing])
