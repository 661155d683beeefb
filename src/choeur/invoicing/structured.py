"""Structured deposit (Factur-X, UBL, CII) as a *unit* deposit: the file is validated at once
with every layer and the full report shown before anything is sent — where Chorus Pro takes
such files as a batch and fails them hours later. The invoice data come from the file
through the normalised model (choeur.formats); what the user keys in (cadre, validator, and
routing data missing from the file) must agree with it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from choeur import formats
from choeur.core import storage
from choeur.formats import travaux as travaux_refs
from choeur.invoicing import deposit_documents, errors, lookups, services
from choeur.invoicing.data import InvoiceData, LineData, Totals, VatLineData
from choeur.invoicing.models import Invoice, ModeDepot, TypeFacture
from choeur.organisations import permissions
from choeur.organisations.models import Espace

PAYMENT_MODES = {"30": "VIREMENT", "31": "VIREMENT", "42": "VIREMENT", "58": "VIREMENT",
                 "20": "CHEQUE", "49": "PRELEVEMENT", "59": "PRELEVEMENT", "10": "ESPECE"}


@dataclass
class Examined:
    """A structured file examined: its validation report and, when readable, its data."""

    report: formats.Report
    data: InvoiceData | None
    seller_siret: str = ""
    iban: str = ""
    model: object = None  # the normalised invoice (choeur.formats.model.Invoice)
    #: What the file says of a facture de travaux (`formats.travaux.references`), when BT-23
    #: names a works cadre: deposited by the registered handler (`register_travaux`).
    travaux: travaux_refs.Travaux | None = None


# --- Factures de travaux: a works file goes to its dossier, never in as an A1 invoice ------------

#: The handler of works files (`choeur.travaux.structured`, registered by its app: invoicing
#: does not import travaux). An object with `deposit(actor, structure, content, filename,
#: examined, *, mode_depot) -> Invoice` and `check(actor, structure, content, examined)`.
_travaux_handler = None


def register_travaux(handler) -> None:
    global _travaux_handler
    _travaux_handler = handler


def _works_handler(examined: Examined):
    if _travaux_handler is None:
        raise errors.CadreNotAllowed(cadre=examined.travaux.cadre)
    return _travaux_handler


def examine(content: bytes) -> Examined:
    report = formats.validate(content)
    if report.xml is None or not report.readable:
        return Examined(report, None)
    try:
        model = formats.read(report.xml)
    except formats.ReadError:
        return Examined(report, None)
    travaux_refs.waive_cadre_rule(report, model)
    iban = next((pm.iban for pm in model.payment_means if pm.iban), "")
    return Examined(report, to_data(model), _siret(model.seller), iban or "", model,
                    travaux_refs.references(model))


def _siret(party) -> str:
    if party.siret:
        return party.siret
    for identifier in party.identifiers:
        if identifier.scheme == "0009":
            return identifier.value
    if party.electronic_address_scheme == "0009":
        return party.electronic_address or ""
    return ""


def to_data(model) -> InvoiceData:
    type_code = next((pm.type_code for pm in model.payment_means if pm.type_code), "")
    totals = model.totals
    return InvoiceData(
        recipient_identifier=_siret(model.buyer),
        recipient_service_code=model.buyer_reference or "",
        type_facture=TypeFacture.AVOIR if model.is_credit_note else TypeFacture.FACTURE,
        number=model.number or "", invoice_date=model.issue_date,
        currency=model.currency or "EUR",
        marche_number=(model.contract_reference or "")[:50],
        engagement_number=(model.purchase_order_reference or "")[:50],
        original_invoice_number=(model.preceding_invoices[0].number
                                 if model.preceding_invoices and model.is_credit_note else ""),
        payment_mode="" if model.is_credit_note else PAYMENT_MODES.get(type_code, "AUTRE"),
        lines=[LineData(designation=line.name or "", quantity=line.quantity or 0,
                        unit_price=line.net_price or 0, vat_rate=line.vat_rate or 0,
                        unit=line.unit or "", reference=(line.seller_item_id or "")[:50],
                        vat_category=line.vat_category or "S",
                        discount=_line_discount(line), total_ht=line.net_amount)
               for line in model.lines],
        vat_lines=[VatLineData(rate=v.rate or Decimal(0), base_ht=v.taxable or Decimal(0),
                               amount=v.tax or Decimal(0), category=v.category or "S")
                   for v in model.vat_breakdown],
        totals=Totals(total_ht=totals.without_vat or Decimal(0),
                      total_tva=totals.vat or Decimal(0),
                      total_ttc=totals.with_vat or Decimal(0),
                      amount_due=totals.due if totals.due is not None
                      else totals.with_vat or Decimal(0)),
    )


def _line_discount(line) -> Decimal:
    """What separates quantity × net price from the line's net amount (line allowances minus
    charges, and rounding), so the line checks agree with the file."""
    if line.quantity is None or line.net_price is None or line.net_amount is None:
        return Decimal(0)
    base = line.price_base_quantity or Decimal(1)
    return (line.quantity * line.net_price / base) - line.net_amount


def examine_for_deposit(content: bytes, filename: str = "") -> Examined:
    """The CPU-only part of `deposit_file`, which needs no database: a caller that holds a
    transaction per invoice (flux integration) examines the file before opening it and hands
    the result to `deposit_file`, so the database is not held while files are validated."""
    return examine(content)


def require_valid(examined: Examined) -> None:
    if not examined.report.valid or examined.data is None:
        blocking = [f for f in examined.report.findings if f.blocking]
        raise errors.InvoiceFileInvalid(report=examined.report, count=len(blocking) or 1)


def _prepare(supplier, content: bytes, *, cadre: str, keyed: InvoiceData | None,
             examined: Examined | None = None,
             works: bool = False) -> tuple[Examined, InvoiceData]:
    """Validate the file (unless `examined` is the examination of these very bytes), take its
    data and check the keyed data agree with it. A works file is refused here unless its
    handler asks (`works=True`): it never goes in as an ordinary invoice."""
    examined = examined if examined is not None else examine(content)
    require_valid(examined)
    if examined.travaux is not None and not works:
        raise errors.CadreNotAllowed(cadre=examined.travaux.cadre)
    data, iban = examined.data, examined.iban
    if examined.seller_siret and examined.seller_siret != supplier.identifier:
        raise errors.DataMismatch(field_fr="SIRET du vendeur (BT-29)",
                                  field_en="seller SIRET (BT-29)", keyed=supplier.identifier,
                                  in_file=examined.seller_siret)
    data.cadre = cadre
    keyed = keyed or InvoiceData(cadre=cadre, number="", recipient_identifier="")
    for name, label_fr, label_en in (
            ("recipient_identifier", "SIRET du destinataire (BT-46)", "recipient SIRET (BT-46)"),
            ("recipient_service_code", "code service (BT-10)", "service code (BT-10)"),
            ("engagement_number", "numéro d'engagement (BT-13)", "engagement number (BT-13)"),
            ("number", "numéro de facture (BT-1)", "invoice number (BT-1)")):
        typed, in_file = (getattr(keyed, name) or "").strip(), getattr(data, name) or ""
        if typed and in_file and typed != in_file:
            raise errors.DataMismatch(field_fr=label_fr, field_en=label_en, keyed=typed,
                                      in_file=in_file)
        if typed and not in_file:
            setattr(data, name, typed)
    data.validator_identifier = keyed.validator_identifier
    data.validator_service_code = keyed.validator_service_code
    data.supplier_service_id = keyed.supplier_service_id
    data.comment = keyed.comment
    data.bank_account_id = bank_account_of(supplier, data, iban, keyed.bank_account_id)
    return examined, data


def bank_account_of(supplier, data: InvoiceData, iban: str, keyed_id: int | None) -> int | None:
    """The bank account a file's invoice is paid to: the supplier's active account with the
    file's IBAN (BT-84) for a credit transfer, else the one keyed in. Refused when a credit
    transfer has none (naming the file's IBAN when the structure has not registered it)."""
    account_id = keyed_id
    if iban and data.payment_mode == "VIREMENT":
        iban = iban.replace(" ", "").upper()
        account = lookups.once_per_batch(("iban", supplier.pk, iban), lambda: (
            supplier.bank_accounts.filter(iban=iban, is_active=True).first()))
        account_id = account.pk if account else keyed_id
        if not account_id:
            raise errors.BankAccountRequired.unregistered(iban, supplier)
    if data.payment_mode == "VIREMENT" and not account_id:
        raise errors.BankAccountRequired()
    return account_id


def check_file(actor, supplier, content: bytes, *, cadre: str,
               keyed: InvoiceData | None = None, examined: Examined | None = None) -> Examined:
    """"Vérifier sans envoyer": the file's validation and every platform check a sending
    would make, nothing written. Raises what deposit_file would raise. `examined`: the
    caller's own `examine(content)` of the same bytes, not validated twice."""
    permissions.require_espace(actor, supplier, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(supplier)
    examined = examined if examined is not None else examine(content)
    if examined.travaux is not None and examined.data is not None:
        return _works_handler(examined).check(actor, supplier, content, examined)
    examined, data = _prepare(supplier, content, cadre=cadre, keyed=keyed, examined=examined)
    services.check_sendable(supplier, data)
    return examined


def deposit_file(actor, supplier, content: bytes, filename: str, *, cadre: str,
                 keyed: InvoiceData | None = None, attachments=(),
                 mode_depot: str = ModeDepot.UPLOAD_PORTAIL,
                 prepared: Examined | None = None) -> Invoice:
    """Validate the file, take its data, check the keyed data agree, and send it.
    `prepared`: what `examine_for_deposit(content)` returned for these bytes.

    What the recipient reads: a Factur-X is its own PDF; a UBL or CII file gets a PDF
    rendering of its data (Chorus Pro's "PDF de visualisation"), made after the deposit
    (deposit_documents.py), the XML itself being kept as the invoice's structured data."""
    examined = prepared if prepared is not None else examine(content)
    if examined.travaux is not None and examined.data is not None:
        # A works piece: to its dossier through the travaux services (the keyed cadre, for
        # the ordinary invoices, does not apply).
        return _works_handler(examined).deposit(actor, supplier, content, filename, examined,
                                                mode_depot=mode_depot)
    examined, data = _prepare(supplier, content, cadre=cadre, keyed=keyed, examined=examined)
    is_pdf = content.startswith(services.PDF_MAGIC)
    invoice = services.save_draft(actor, supplier, data, mode_depot=mode_depot,
                                  document=(filename, content) if is_pdf else None,
                                  attachments=attachments)
    xml = storage.put(examined.report.xml, content_type="application/xml")
    Invoice.objects.filter(pk=invoice.pk).update(
        xml_sha256=xml.sha256, syntax=examined.report.syntax,
        profile=examined.report.profile or "",
        **({} if is_pdf else {"main_file_name": deposit_documents.readable_name(filename)}))
    return services.send(actor, invoice)
