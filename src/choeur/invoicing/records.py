"""An invoice's archive record (docs/CONSERVATION.md « Conservation »): what its ledger chain
says beyond its status changes (`lifecycle` writes those), and the payloads of every entry.

The chain of an invoice (`lifecycle.LEDGER_TYPE`, its id) is, in order: `DEPOSIT` (when it
leaves BROUILLON: its number, parties, cadre, amounts, dates, mode de dépôt and the sha256 of
the document deposited, of its structured data and of each attachment), every `STATUS`, every
`EVENT` (InvoiceEvent), `CERTIFICATE` (the certificat de dépôt's sha256, once made),
`ATTACHMENT` (a file added after the deposit: a complement, a works piece's original) and
`DOCUMENT` (a works piece's document replaced after its deposit, in the same transaction: the
depositor's own PDF, the structured file kept). `archives.verify` checks the invoice rows
against these entries; `archives.backfill` writes the chains of invoices older than the ledger
from their rows, with these same payload builders.

The payload builders read plain values (a mapping, or an object's attributes), so that the
backfill migration can give them historical rows.
"""

from __future__ import annotations

from decimal import Decimal

from choeur.core import ledger

LEDGER_TYPE = "invoicing.invoice"
DEPOSIT, STATUS, EVENT, ATTACHMENT, CERTIFICATE, DOCUMENT = (
    "DEPOSIT", "STATUS", "EVENT", "ATTACHMENT", "CERTIFICATE", "DOCUMENT")
_CENT = Decimal("0.000001")  # the amounts' six decimals (models.AMOUNT)
#: The invoice fields a DEPOSIT entry copies as they are.
DEPOSIT_FIELDS = ("number", "number_year", "type_demande_paiement", "type_facture", "cadre",
                  "currency", "type_tva", "mode_depot", "syntax", "profile",
                  "engagement_number", "marche_number", "original_invoice_number")
AMOUNTS = ("total_ht", "total_tva", "total_ttc", "amount_due")


def deposited_sha256(main_file_sha256: str, xml_sha256: str, rendered: bool,
                     deposited: bool) -> str:
    """`Invoice.deposited_sha256` from plain values: the document the supplier deposited (a
    PDF, or the UBL/CII file itself when the PDF is Choeur's rendering of it)."""
    pending = bool(xml_sha256 and not main_file_sha256 and deposited)
    return xml_sha256 if rendered or pending else main_file_sha256


def _amount(value) -> str:
    return str(Decimal(value or 0).quantize(_CENT))


def deposit_payload(row, attachments=()) -> dict:
    """The DEPOSIT entry of an invoice. `row`: the invoice's fields (a mapping or an object)
    with `supplier`, `recipient`, `validator` as identifiers and `supplier_service`,
    `recipient_service` as codes ('' when none); `attachments`: (sha256, name, size) of its
    attachments at the deposit, in their order."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    payload = {name: get(name) for name in DEPOSIT_FIELDS}
    payload.update({name: _amount(get(name)) for name in AMOUNTS})
    payload.update(
        supplier=get("supplier") or "", supplier_service=get("supplier_service") or "",
        recipient=get("recipient") or "", recipient_service=get("recipient_service") or "",
        validator=get("validator") or "",
        invoice_date=get("invoice_date").isoformat() if get("invoice_date") else None,
        deposited_at=ledger.instant(get("deposited_at")) if get("deposited_at") else None,
        original=deposited_sha256(get("main_file_sha256"), get("xml_sha256"),
                                  get("main_file_rendered"), get("deposited_at") is not None),
        original_name=get("main_file_name") or "", xml=get("xml_sha256") or "",
        attachments=[attachment_payload(*item) for item in attachments])
    return payload


def invoice_row(invoice) -> dict:
    """What `deposit_payload` reads, from an Invoice (its related rows as the caller holds
    them: a deposit has them at hand, a batch's unsaved invoices carry them)."""
    def identifier(structure):
        return structure.identifier if structure is not None else ""

    def code(service):
        return service.code if service is not None else ""

    row = {name: getattr(invoice, name) for name in
           (*DEPOSIT_FIELDS, *AMOUNTS, "invoice_date", "deposited_at", "main_file_sha256",
            "main_file_name", "xml_sha256", "main_file_rendered")}
    row.update(supplier=identifier(invoice.supplier), recipient=identifier(invoice.recipient),
               validator=identifier(invoice.validator),
               supplier_service=code(invoice.supplier_service),
               recipient_service=code(invoice.recipient_service))
    return row


def attachment_payload(sha256: str, name: str, size: int, status: str = "") -> dict:
    payload = {"sha256": sha256, "name": name, "size": size}
    if status:
        payload["status"] = status
    return payload


def event_payload(code: str, label: str, actor: str) -> dict:
    return {"code": code, "label": label, "actor": actor}


def certificate_payload(sha256: str) -> dict:
    return {"sha256": sha256}


def document_payload(original: str, name: str, xml: str, mode_depot: str) -> dict:
    return {"original": original, "original_name": name, "xml": xml, "mode_depot": mode_depot}


# --- Writing (in the caller's transaction, the invoice's row locked by it) -----------------


def deposited(invoice, at) -> None:
    """The DEPOSIT entry of an invoice leaving BROUILLON (lifecycle.transition)."""
    attachments = [(a.sha256, a.name, a.size) for a in invoice.attachments.order_by("id")]
    ledger.append(LEDGER_TYPE, invoice.pk, DEPOSIT,
                  deposit_payload(invoice_row(invoice), attachments), at=at)


def event(event_row) -> None:
    """The EVENT entry of an InvoiceEvent just created."""
    ledger.append(LEDGER_TYPE, event_row.invoice_id, EVENT,
                  event_payload(event_row.code, event_row.label, event_row.actor_label),
                  at=event_row.at)


def attachment_added(invoice, attachment) -> None:
    """An ATTACHMENT entry for a file added to a deposited invoice (a draft's attachments
    are in its DEPOSIT entry)."""
    from choeur.invoicing.statuses import Status

    if invoice.status == Status.BROUILLON:
        return
    ledger.append(LEDGER_TYPE, invoice.pk, ATTACHMENT,
                  attachment_payload(attachment.sha256, attachment.name, attachment.size,
                                     attachment.added_with_status), at=attachment.added_at)


def certificate_made(invoice_id, sha256: str, at=None) -> None:
    ledger.append(LEDGER_TYPE, invoice_id, CERTIFICATE, certificate_payload(sha256), at=at)


def document_changed(invoice) -> None:
    """A DOCUMENT entry when a deposited invoice's document is replaced (works pieces)."""
    from choeur.invoicing.statuses import Status

    if invoice.status == Status.BROUILLON:
        return
    ledger.append(LEDGER_TYPE, invoice.pk, DOCUMENT, document_payload(
        deposited_sha256(invoice.main_file_sha256, invoice.xml_sha256,
                         invoice.main_file_rendered, invoice.deposited_at is not None),
        invoice.main_file_name, invoice.xml_sha256, invoice.mode_depot))
