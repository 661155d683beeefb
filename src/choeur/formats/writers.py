"""Write a normalised invoice (`choeur.formats.model.Invoice`) as CII, UBL 2.1 or Factur-X PDF.

- `to_cii(invoice) -> bytes`: Factur-X EN 16931 profile, CII D16B, guideline
  `urn:cen.eu:en16931:2017` (whatever `invoice.specification_id` says: the writer produces that
  profile), elements in the order of the Factur-X 1.09 EN16931 XSD.
- `to_ubl(invoice) -> bytes`: UBL 2.1 `<Invoice>` or, for a credit note, `<CreditNote>`,
  CustomizationID `urn:cen.eu:en16931:2017`, elements in the order of the OASIS UBL 2.1 XSD.
- `to_facturx_pdf(invoice, language="fr", cadre=None) -> bytes`: a human-readable page
  drawn with reportlab (fonts embedded from reportlab's own Vera TTF files), made a PDF/A-3
  Factur-X with the CII embedded as `factur-x.xml` by the `factur-x` package. Deterministic:
  the creation date is the invoice date, the document ID derives from the invoice number.
  `sections`: blocks the platform adds to the readable page only (`PageSection`: a title and
  rows of cells, e.g. a works piece's dossier and amounts), after the references.

The syntax bindings mirror `choeur.formats.readers` (the same EN 16931-3 paths), so what is
written reads back to the same model. Where a syntax cannot carry a term of the model the writer
does what the binding allows and the limit is listed here:

- CII: BT-83 remittance, BT-89 mandate and BT-90 creditor id are document-level (the first
  payment means that has one gives it; readers put it back on every payment means). One
  BT-20/BT-9 payment terms block. BT-29 identifiers: without scheme as `ram:ID`, with a scheme
  as `ram:GlobalID` (the XSD puts all IDs before GlobalIDs). BT-28 and BT-30 share
  `SpecifiedLegalOrganization`. Contact name is `PersonName`.
- UBL: a CreditNote has no `cbc:DueDate`: BT-9 goes on the first payment means
  (`PaymentDueDate`), so a credit note without payment means cannot carry BT-9. A gross price
  (BT-148) needs a price allowance (BT-147) in UBL (the reader takes BT-148 from it).
  `cac:OrderReference/cbc:ID` is mandatory: BT-14 without BT-13 is written with ID "NA".
  A card (BT-87) gets `cbc:NetworkID` "NA" (mandatory in UBL, not a business term).
- Notes: UBL carries BT-21 with the "#CODE#text" convention.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from choeur.formats import display
from choeur.formats.model import (
    Address,
    AllowanceCharge,
    Contact,
    Invoice,
    Line,
    Party,
    PaymentMeans,
)
from choeur.formats.rules import UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS

EN16931 = "urn:cen.eu:en16931:2017"

CII_NSMAP = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# BT-8: the model (and UBL) use UNTDID 2005, CII UNTDID 2475.
CII_TAX_POINT_CODES = {"3": "5", "35": "29", "432": "72"}

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")


class WriteError(ValueError):
    """The invoice lacks what a syntax needs to be written at all (e.g. no number)."""


@dataclass(frozen=True)
class PageSection:
    """A block of the readable page that is not an EN 16931 term (the embedded XML does not
    carry it): a title, an optional header row, rows of text cells (the first one a label;
    any number of cells, the same in every row). Cells are plain text, escaped here."""

    title: str
    rows: Sequence[Sequence[str]] = field(default_factory=tuple)
    header: Sequence[str] = ()


# --- value formatting -----------------------------------------------------------------------

def amount(value: Decimal) -> str:
    """An amount with at least 2 decimals (EN 16931), more only if the value has them."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"{value:.2f}"
    return format(value, "f")


def number(value: Decimal) -> str:
    """A quantity or percentage, plain notation, as precise as the value."""
    return format(value, "f")


def rate(value: Decimal) -> str:
    return amount(value)


def _cii_date(value: date) -> str:
    return value.strftime("%Y%m%d")


# --- small lxml helpers ---------------------------------------------------------------------

def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- CII (Factur-X EN 16931) ------------------------------------------------------------------

def _ram(name: str) -> str:
    return f"{{{CII_NSMAP['ram']}}}{name}"


def _r(parent, name: str, text: str | None = None, **attrs):
    return _sub(parent, _ram(name), text, **attrs)


def _ro(parent, name: str, text: str | None, **attrs):
    """Optional element: only when the value is there."""
    return _r(parent, name, text, **attrs) if text is not None else None


def _cii_datetime(parent, name: str, value: date, qualified: bool = False):
    wrapper = _r(parent, name)
    ns = CII_NSMAP["qdt" if qualified else "udt"]
    _sub(wrapper, f"{{{ns}}}DateTimeString", _cii_date(value), format="102")
    return wrapper


def _cii_indicator(parent, charge: bool):
    wrapper = _r(parent, "ChargeIndicator")
    _sub(wrapper, f"{{{CII_NSMAP['udt']}}}Indicator", "true" if charge else "false")


def _cii_address(parent, address: Address | None):
    if address is None:
        return
    node = _r(parent, "PostalTradeAddress")
    _ro(node, "PostcodeCode", address.postcode)
    _ro(node, "LineOne", address.line1)
    _ro(node, "LineTwo", address.line2)
    _ro(node, "LineThree", address.line3)
    _ro(node, "CityName", address.city)
    _ro(node, "CountryID", address.country)
    _ro(node, "CountrySubDivisionName", address.subdivision)


def _cii_contact(parent, contact: Contact | None):
    if contact is None:
        return
    node = _r(parent, "DefinedTradeContact")
    _ro(node, "PersonName", contact.name)
    if contact.phone is not None:
        _r(_r(node, "TelephoneUniversalCommunication"), "CompleteNumber", contact.phone)
    if contact.email is not None:
        _r(_r(node, "EmailURIUniversalCommunication"), "URIID", contact.email)


def _cii_party(parent, name: str, party: Party):
    node = _r(parent, name)
    for ident in party.identifiers:
        if ident.scheme is None:
            _r(node, "ID", ident.value)
    for ident in party.identifiers:
        if ident.scheme is not None:
            _r(node, "GlobalID", ident.value, schemeID=ident.scheme)
    _ro(node, "Name", party.name)
    _ro(node, "Description", party.legal_form)
    if party.legal_id is not None or party.trading_name is not None:
        legal = _r(node, "SpecifiedLegalOrganization")
        _ro(legal, "ID", party.legal_id, schemeID=party.legal_id_scheme)
        _ro(legal, "TradingBusinessName", party.trading_name)
    _cii_contact(node, party.contact)
    _cii_address(node, party.address)
    if party.electronic_address is not None:
        _r(_r(node, "URIUniversalCommunication"), "URIID", party.electronic_address,
           schemeID=party.electronic_address_scheme)
    if party.vat_id is not None:
        _r(_r(node, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")
    if party.tax_registration_id is not None:
        _r(_r(node, "SpecifiedTaxRegistration"), "ID", party.tax_registration_id, schemeID="FC")
    return node


def _cii_allowance_charge(parent, ac: AllowanceCharge, currency: str | None, doc_level: bool):
    node = _r(parent, "SpecifiedTradeAllowanceCharge")
    _cii_indicator(node, ac.charge)
    if ac.percent is not None:
        _r(node, "CalculationPercent", number(ac.percent))
    if ac.base is not None:
        _r(node, "BasisAmount", amount(ac.base))
    _r(node, "ActualAmount", amount(ac.amount if ac.amount is not None else Decimal(0)))
    _ro(node, "ReasonCode", ac.reason_code)
    _ro(node, "Reason", ac.reason)
    if doc_level:
        tax = _r(node, "CategoryTradeTax")
        _r(tax, "TypeCode", "VAT")
        _ro(tax, "CategoryCode", ac.vat_category)
        if ac.vat_rate is not None:
            _r(tax, "RateApplicablePercent", rate(ac.vat_rate))


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v is not None), None)


def _cii_line(parent, line: Line):
    item = _r(parent, "IncludedSupplyChainTradeLineItem")
    doc = _r(item, "AssociatedDocumentLineDocument")
    _r(doc, "LineID", line.id or "")
    if line.note is not None:
        _r(_r(doc, "IncludedNote"), "Content", line.note)

    product = _r(item, "SpecifiedTradeProduct")
    _ro(product, "GlobalID", line.standard_item_id, schemeID=line.standard_item_scheme)
    _ro(product, "SellerAssignedID", line.seller_item_id)
    _ro(product, "BuyerAssignedID", line.buyer_item_id)
    _r(product, "Name", line.name or "")
    _ro(product, "Description", line.description)
    for attribute in line.attributes:
        characteristic = _r(product, "ApplicableProductCharacteristic")
        _r(characteristic, "Description", attribute.name or "")
        _r(characteristic, "Value", attribute.value or "")
    for classification in line.classification:
        _r(_r(product, "DesignatedProductClassification"), "ClassCode", classification.code,
           listID=classification.list_id, listVersionID=classification.list_version)
    if line.origin_country is not None:
        _r(_r(product, "OriginTradeCountry"), "ID", line.origin_country)

    agreement = _r(item, "SpecifiedLineTradeAgreement")
    if line.order_line_ref is not None:
        _r(_r(agreement, "BuyerOrderReferencedDocument"), "LineID", line.order_line_ref)
    base_quantity = (number(line.price_base_quantity)
                     if line.price_base_quantity is not None else None)
    if line.gross_price is not None:
        gross = _r(agreement, "GrossPriceProductTradePrice")
        _r(gross, "ChargeAmount", number(line.gross_price))
        _ro(gross, "BasisQuantity", base_quantity, unitCode=line.price_base_unit)
        if line.price_discount is not None:
            discount = _r(gross, "AppliedTradeAllowanceCharge")
            _cii_indicator(discount, False)
            _r(discount, "ActualAmount", number(line.price_discount))
    net = _r(agreement, "NetPriceProductTradePrice")
    _r(net, "ChargeAmount", number(line.net_price if line.net_price is not None else Decimal(0)))
    _ro(net, "BasisQuantity", base_quantity, unitCode=line.price_base_unit)

    delivery = _r(item, "SpecifiedLineTradeDelivery")
    _r(delivery, "BilledQuantity",
       number(line.quantity if line.quantity is not None else Decimal(0)), unitCode=line.unit)

    settlement = _r(item, "SpecifiedLineTradeSettlement")
    tax = _r(settlement, "ApplicableTradeTax")
    _r(tax, "TypeCode", "VAT")
    _r(tax, "CategoryCode", line.vat_category or "")
    if line.vat_rate is not None:
        _r(tax, "RateApplicablePercent", rate(line.vat_rate))
    if line.period_start is not None or line.period_end is not None:
        period = _r(settlement, "BillingSpecifiedPeriod")
        if line.period_start is not None:
            _cii_datetime(period, "StartDateTime", line.period_start)
        if line.period_end is not None:
            _cii_datetime(period, "EndDateTime", line.period_end)
    for ac in [*line.allowances, *line.charges]:
        _cii_allowance_charge(settlement, ac, None, doc_level=False)
    _r(_r(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount",
       amount(line.net_amount if line.net_amount is not None else Decimal(0)))
    if line.object_id is not None:
        ref = _r(settlement, "AdditionalReferencedDocument")
        _r(ref, "IssuerAssignedID", line.object_id)
        _r(ref, "TypeCode", "130")
        _ro(ref, "ReferenceTypeCode", line.object_id_scheme)
    if line.accounting_ref is not None:
        _r(_r(settlement, "ReceivableSpecifiedTradeAccountingAccount"), "ID", line.accounting_ref)


def to_cii(invoice: Invoice) -> bytes:
    """The invoice as a Factur-X EN 16931 CII D16B document (UTF-8 bytes)."""
    if not invoice.number or invoice.issue_date is None:
        raise WriteError("An invoice needs a number (BT-1) and an issue date (BT-2).")
    rsm = CII_NSMAP["rsm"]
    currency = invoice.currency
    root = etree.Element(f"{{{rsm}}}CrossIndustryInvoice", nsmap=CII_NSMAP)

    context = _sub(root, f"{{{rsm}}}ExchangedDocumentContext")
    if invoice.business_process is not None:
        _r(_r(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID",
           invoice.business_process)
    _r(_r(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931)

    document = _sub(root, f"{{{rsm}}}ExchangedDocument")
    _r(document, "ID", invoice.number)
    _r(document, "TypeCode", invoice.type_code or "380")
    _cii_datetime(document, "IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        included = _r(document, "IncludedNote")
        _r(included, "Content", note.text or "")
        _ro(included, "SubjectCode", note.subject_code)

    transaction = _sub(root, f"{{{rsm}}}SupplyChainTradeTransaction")
    for line in invoice.lines:
        _cii_line(transaction, line)

    # Header agreement
    agreement = _r(transaction, "ApplicableHeaderTradeAgreement")
    _ro(agreement, "BuyerReference", invoice.buyer_reference)
    _cii_party(agreement, "SellerTradeParty", invoice.seller)
    _cii_party(agreement, "BuyerTradeParty", invoice.buyer)
    if invoice.seller_tax_representative is not None:
        _cii_party(agreement, "SellerTaxRepresentativeTradeParty",
                   invoice.seller_tax_representative)
    if invoice.sales_order_reference is not None:
        _r(_r(agreement, "SellerOrderReferencedDocument"), "IssuerAssignedID",
           invoice.sales_order_reference)
    if invoice.purchase_order_reference is not None:
        _r(_r(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID",
           invoice.purchase_order_reference)
    if invoice.contract_reference is not None:
        _r(_r(agreement, "ContractReferencedDocument"), "IssuerAssignedID",
           invoice.contract_reference)
    for attachment in invoice.attachments:
        ref = _r(agreement, "AdditionalReferencedDocument")
        _r(ref, "IssuerAssignedID", attachment.id or "")
        _ro(ref, "URIID", attachment.uri)
        _r(ref, "TypeCode", "916")
        _ro(ref, "Name", attachment.description)
        if attachment.content is not None:
            _r(ref, "AttachmentBinaryObject", base64.b64encode(attachment.content).decode(),
               mimeCode=attachment.mime_code, filename=attachment.filename)
    if invoice.tender_or_lot is not None:
        ref = _r(agreement, "AdditionalReferencedDocument")
        _r(ref, "IssuerAssignedID", invoice.tender_or_lot)
        _r(ref, "TypeCode", "50")
    if invoice.invoiced_object is not None:
        ref = _r(agreement, "AdditionalReferencedDocument")
        _r(ref, "IssuerAssignedID", invoice.invoiced_object)
        _r(ref, "TypeCode", "130")
        _ro(ref, "ReferenceTypeCode", invoice.invoiced_object_scheme)
    if invoice.project_reference is not None:
        project = _r(agreement, "SpecifiedProcuringProject")
        _r(project, "ID", invoice.project_reference)
        _r(project, "Name", "Project reference")

    # Header delivery
    delivery = _r(transaction, "ApplicableHeaderTradeDelivery")
    d = invoice.delivery
    if d is not None and (d.name is not None or d.location_id is not None
                          or d.address is not None):
        ship_to = _r(delivery, "ShipToTradeParty")
        if d.location_id is not None:
            if d.location_scheme is None:
                _r(ship_to, "ID", d.location_id)
            else:
                _r(ship_to, "GlobalID", d.location_id, schemeID=d.location_scheme)
        _ro(ship_to, "Name", d.name)
        _cii_address(ship_to, d.address)
    if d is not None and d.date is not None:
        event = _r(delivery, "ActualDeliverySupplyChainEvent")
        _cii_datetime(event, "OccurrenceDateTime", d.date)
    if invoice.despatch_advice is not None:
        _r(_r(delivery, "DespatchAdviceReferencedDocument"), "IssuerAssignedID",
           invoice.despatch_advice)
    if invoice.receiving_advice is not None:
        _r(_r(delivery, "ReceivingAdviceReferencedDocument"), "IssuerAssignedID",
           invoice.receiving_advice)

    # Header settlement
    settlement = _r(transaction, "ApplicableHeaderTradeSettlement")
    means = invoice.payment_means
    _ro(settlement, "CreditorReferenceID", _first(m.creditor_id for m in means))
    _ro(settlement, "PaymentReference", _first(m.remittance for m in means))
    _ro(settlement, "TaxCurrencyCode", invoice.vat_currency)
    _r(settlement, "InvoiceCurrencyCode", currency or "")
    if invoice.payee is not None:
        _cii_party(settlement, "PayeeTradeParty", invoice.payee)
    for pm in means:
        if pm.type_code is None:
            continue  # only document-level terms (BT-83/89/90): written above
        _cii_payment_means(settlement, pm)
    for vat in invoice.vat_breakdown:
        tax = _r(settlement, "ApplicableTradeTax")
        _r(tax, "CalculatedAmount", amount(vat.tax if vat.tax is not None else Decimal(0)))
        _r(tax, "TypeCode", "VAT")
        _ro(tax, "ExemptionReason", vat.exemption_reason)
        _r(tax, "BasisAmount", amount(vat.taxable if vat.taxable is not None else Decimal(0)))
        _r(tax, "CategoryCode", vat.category or "")
        _ro(tax, "ExemptionReasonCode", vat.exemption_code)
        if invoice.tax_point_date is not None:
            point = _r(tax, "TaxPointDate")
            _sub(point, f"{{{CII_NSMAP['udt']}}}DateString", _cii_date(invoice.tax_point_date),
                 format="102")
        if invoice.tax_point_code is not None:
            _r(tax, "DueDateTypeCode",
               CII_TAX_POINT_CODES.get(invoice.tax_point_code, invoice.tax_point_code))
        if vat.rate is not None:
            _r(tax, "RateApplicablePercent", rate(vat.rate))
    if invoice.period_start is not None or invoice.period_end is not None:
        period = _r(settlement, "BillingSpecifiedPeriod")
        if invoice.period_start is not None:
            _cii_datetime(period, "StartDateTime", invoice.period_start)
        if invoice.period_end is not None:
            _cii_datetime(period, "EndDateTime", invoice.period_end)
    for ac in [*invoice.allowances, *invoice.charges]:
        _cii_allowance_charge(settlement, ac, currency, doc_level=True)
    mandate = _first(m.mandate for m in means)
    if invoice.payment_terms is not None or invoice.due_date is not None or mandate is not None:
        terms = _r(settlement, "SpecifiedTradePaymentTerms")
        _ro(terms, "Description", invoice.payment_terms)
        if invoice.due_date is not None:
            _cii_datetime(terms, "DueDateDateTime", invoice.due_date)
        _ro(terms, "DirectDebitMandateID", mandate)
    t = invoice.totals
    summation = _r(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    zero = Decimal(0)
    _r(summation, "LineTotalAmount", amount(t.line_total if t.line_total is not None else zero))
    if t.charges is not None:
        _r(summation, "ChargeTotalAmount", amount(t.charges))
    if t.allowances is not None:
        _r(summation, "AllowanceTotalAmount", amount(t.allowances))
    _r(summation, "TaxBasisTotalAmount",
       amount(t.without_vat if t.without_vat is not None else zero))
    if t.vat is not None:
        _r(summation, "TaxTotalAmount", amount(t.vat), currencyID=currency)
    if t.vat_in_accounting_currency is not None:
        _r(summation, "TaxTotalAmount", amount(t.vat_in_accounting_currency),
           currencyID=invoice.vat_currency)
    if t.rounding is not None:
        _r(summation, "RoundingAmount", amount(t.rounding))
    _r(summation, "GrandTotalAmount", amount(t.with_vat if t.with_vat is not None else zero))
    if t.prepaid is not None:
        _r(summation, "TotalPrepaidAmount", amount(t.prepaid))
    _r(summation, "DuePayableAmount", amount(t.due if t.due is not None else zero))
    for preceding in invoice.preceding_invoices:
        ref = _r(settlement, "InvoiceReferencedDocument")
        _r(ref, "IssuerAssignedID", preceding.number or "")
        if preceding.date is not None:
            _cii_datetime(ref, "FormattedIssueDateTime", preceding.date, qualified=True)
    if invoice.buyer_accounting_reference is not None:
        _r(_r(settlement, "ReceivableSpecifiedTradeAccountingAccount"), "ID",
           invoice.buyer_accounting_reference)
    return _serialise(root)


def _cii_payment_means(parent, pm: PaymentMeans):
    node = _r(parent, "SpecifiedTradeSettlementPaymentMeans")
    _r(node, "TypeCode", pm.type_code or "")
    _ro(node, "Information", pm.text)
    if pm.card is not None:
        card = _r(node, "ApplicableTradeSettlementFinancialCard")
        _r(card, "ID", pm.card)
        _ro(card, "CardholderName", pm.card_holder)
    if pm.debited_account is not None:
        _r(_r(node, "PayerPartyDebtorFinancialAccount"), "IBANID", pm.debited_account)
    if pm.iban is not None or pm.account_name is not None:
        account = _r(node, "PayeePartyCreditorFinancialAccount")
        if pm.iban is not None and _IBAN.match(pm.iban):
            _r(account, "IBANID", pm.iban)
        _ro(account, "AccountName", pm.account_name)
        if pm.iban is not None and not _IBAN.match(pm.iban):
            _r(account, "ProprietaryID", pm.iban)
    if pm.bic is not None:
        _r(_r(node, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", pm.bic)


# --- UBL 2.1 ----------------------------------------------------------------------------------

def _a(parent, tag: str, text: str | None = None, **attrs):
    return _sub(parent, f"{{{CAC}}}{tag}", text, **attrs)


def _b(parent, tag: str, text: str | None = None, **attrs):
    return _sub(parent, f"{{{CBC}}}{tag}", text, **attrs)


def _bo(parent, tag: str, text: str | None, **attrs):
    return _b(parent, tag, text, **attrs) if text is not None else None


def _ubl_address(parent, name: str, address: Address | None):
    if address is None:
        return
    node = _a(parent, name)
    _bo(node, "StreetName", address.line1)
    _bo(node, "AdditionalStreetName", address.line2)
    _bo(node, "CityName", address.city)
    _bo(node, "PostalZone", address.postcode)
    _bo(node, "CountrySubentity", address.subdivision)
    if address.line3 is not None:
        _b(_a(node, "AddressLine"), "Line", address.line3)
    if address.country is not None:
        _b(_a(node, "Country"), "IdentificationCode", address.country)


def _ubl_party(parent, party: Party, *, creditor_id: str | None = None):
    """cac:Party of the seller or the buyer (BG-4 / BG-7)."""
    node = _a(parent, "Party")
    _bo(node, "EndpointID", party.electronic_address, schemeID=party.electronic_address_scheme)
    for ident in party.identifiers:
        _b(_a(node, "PartyIdentification"), "ID", ident.value, schemeID=ident.scheme)
    if creditor_id is not None:
        _b(_a(node, "PartyIdentification"), "ID", creditor_id, schemeID="SEPA")
    if party.trading_name is not None:
        _b(_a(node, "PartyName"), "Name", party.trading_name)
    _ubl_address(node, "PostalAddress", party.address)
    if party.vat_id is not None:
        scheme = _a(node, "PartyTaxScheme")
        _b(scheme, "CompanyID", party.vat_id)
        _b(_a(scheme, "TaxScheme"), "ID", "VAT")
    if party.tax_registration_id is not None:
        scheme = _a(node, "PartyTaxScheme")
        _b(scheme, "CompanyID", party.tax_registration_id)
        _b(_a(scheme, "TaxScheme"), "ID", "LOC")
    legal = _a(node, "PartyLegalEntity")
    _b(legal, "RegistrationName", party.name or "")
    _bo(legal, "CompanyID", party.legal_id, schemeID=party.legal_id_scheme)
    _bo(legal, "CompanyLegalForm", party.legal_form)
    if party.contact is not None:
        contact = _a(node, "Contact")
        _bo(contact, "Name", party.contact.name)
        _bo(contact, "Telephone", party.contact.phone)
        _bo(contact, "ElectronicMail", party.contact.email)
    return node


def _ubl_allowance_charge(parent, ac: AllowanceCharge, currency: str, doc_level: bool):
    node = _a(parent, "AllowanceCharge")
    _b(node, "ChargeIndicator", "true" if ac.charge else "false")
    _bo(node, "AllowanceChargeReasonCode", ac.reason_code)
    _bo(node, "AllowanceChargeReason", ac.reason)
    if ac.percent is not None:
        _b(node, "MultiplierFactorNumeric", number(ac.percent))
    _b(node, "Amount", amount(ac.amount if ac.amount is not None else Decimal(0)),
       currencyID=currency)
    if ac.base is not None:
        _b(node, "BaseAmount", amount(ac.base), currencyID=currency)
    if doc_level:
        category = _a(node, "TaxCategory")
        _b(category, "ID", ac.vat_category or "")
        if ac.vat_rate is not None:
            _b(category, "Percent", rate(ac.vat_rate))
        _b(_a(category, "TaxScheme"), "ID", "VAT")


def _ubl_period(parent, start: date | None, end: date | None, code: str | None = None):
    if start is None and end is None and code is None:
        return
    node = _a(parent, "InvoicePeriod")
    if start is not None:
        _b(node, "StartDate", start.isoformat())
    if end is not None:
        _b(node, "EndDate", end.isoformat())
    _bo(node, "DescriptionCode", code)


def _ubl_line(parent, line: Line, currency: str, credit_note: bool):
    node = _a(parent, "CreditNoteLine" if credit_note else "InvoiceLine")
    _b(node, "ID", line.id or "")
    _bo(node, "Note", line.note)
    _b(node, "CreditedQuantity" if credit_note else "InvoicedQuantity",
       number(line.quantity if line.quantity is not None else Decimal(0)), unitCode=line.unit)
    _b(node, "LineExtensionAmount",
       amount(line.net_amount if line.net_amount is not None else Decimal(0)),
       currencyID=currency)
    _bo(node, "AccountingCost", line.accounting_ref)
    _ubl_period(node, line.period_start, line.period_end)
    if line.order_line_ref is not None:
        _b(_a(node, "OrderLineReference"), "LineID", line.order_line_ref)
    if line.object_id is not None:
        ref = _a(node, "DocumentReference")
        _b(ref, "ID", line.object_id, schemeID=line.object_id_scheme)
        _b(ref, "DocumentTypeCode", "130")
    for ac in [*line.allowances, *line.charges]:
        _ubl_allowance_charge(node, ac, currency, doc_level=False)

    item = _a(node, "Item")
    _bo(item, "Description", line.description)
    _b(item, "Name", line.name or "")
    if line.buyer_item_id is not None:
        _b(_a(item, "BuyersItemIdentification"), "ID", line.buyer_item_id)
    if line.seller_item_id is not None:
        _b(_a(item, "SellersItemIdentification"), "ID", line.seller_item_id)
    if line.standard_item_id is not None:
        _b(_a(item, "StandardItemIdentification"), "ID", line.standard_item_id,
           schemeID=line.standard_item_scheme)
    if line.origin_country is not None:
        _b(_a(item, "OriginCountry"), "IdentificationCode", line.origin_country)
    for classification in line.classification:
        _b(_a(item, "CommodityClassification"), "ItemClassificationCode", classification.code,
           listID=classification.list_id, listVersionID=classification.list_version)
    category = _a(item, "ClassifiedTaxCategory")
    _b(category, "ID", line.vat_category or "")
    if line.vat_rate is not None:
        _b(category, "Percent", rate(line.vat_rate))
    _b(_a(category, "TaxScheme"), "ID", "VAT")
    for attribute in line.attributes:
        prop = _a(item, "AdditionalItemProperty")
        _b(prop, "Name", attribute.name or "")
        _b(prop, "Value", attribute.value or "")

    price = _a(node, "Price")
    _b(price, "PriceAmount", number(line.net_price if line.net_price is not None else Decimal(0)),
       currencyID=currency)
    if line.price_base_quantity is not None:
        _b(price, "BaseQuantity", number(line.price_base_quantity),
           unitCode=line.price_base_unit)
    if line.price_discount is not None or line.gross_price is not None:
        discount = _a(price, "AllowanceCharge")
        _b(discount, "ChargeIndicator", "false")
        _b(discount, "Amount",
           number(line.price_discount if line.price_discount is not None else Decimal(0)),
           currencyID=currency)
        if line.gross_price is not None:
            _b(discount, "BaseAmount", number(line.gross_price), currencyID=currency)


def to_ubl(invoice: Invoice) -> bytes:
    """The invoice as a UBL 2.1 Invoice, or CreditNote for a credit note (UTF-8 bytes)."""
    if not invoice.number or invoice.issue_date is None:
        raise WriteError("An invoice needs a number (BT-1) and an issue date (BT-2).")
    credit_note = invoice.is_credit_note
    ns = UBL_CREDIT_NOTE_NS if credit_note else UBL_INVOICE_NS
    root = etree.Element(f"{{{ns}}}{'CreditNote' if credit_note else 'Invoice'}",
                         nsmap={None: ns, "cac": CAC, "cbc": CBC})
    currency = invoice.currency or ""
    means = [m for m in invoice.payment_means]

    _b(root, "CustomizationID", EN16931)
    _bo(root, "ProfileID", invoice.business_process)
    _b(root, "ID", invoice.number)
    _b(root, "IssueDate", invoice.issue_date.isoformat())
    if not credit_note and invoice.due_date is not None:
        _b(root, "DueDate", invoice.due_date.isoformat())
    if credit_note and invoice.tax_point_date is not None:
        _b(root, "TaxPointDate", invoice.tax_point_date.isoformat())
    _b(root, "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode",
       invoice.type_code or ("381" if credit_note else "380"))
    for note in invoice.notes:
        text = note.text or ""
        _b(root, "Note", f"#{note.subject_code}#{text}" if note.subject_code else text)
    if not credit_note and invoice.tax_point_date is not None:
        _b(root, "TaxPointDate", invoice.tax_point_date.isoformat())
    _b(root, "DocumentCurrencyCode", currency)
    _bo(root, "TaxCurrencyCode", invoice.vat_currency)
    _bo(root, "AccountingCost", invoice.buyer_accounting_reference)
    _bo(root, "BuyerReference", invoice.buyer_reference)
    _ubl_period(root, invoice.period_start, invoice.period_end, invoice.tax_point_code)
    if invoice.purchase_order_reference is not None or invoice.sales_order_reference is not None:
        order = _a(root, "OrderReference")
        _b(order, "ID", invoice.purchase_order_reference or "NA")
        _bo(order, "SalesOrderID", invoice.sales_order_reference)
    for preceding in invoice.preceding_invoices:
        ref = _a(_a(root, "BillingReference"), "InvoiceDocumentReference")
        _b(ref, "ID", preceding.number or "")
        if preceding.date is not None:
            _b(ref, "IssueDate", preceding.date.isoformat())
    if invoice.despatch_advice is not None:
        _b(_a(root, "DespatchDocumentReference"), "ID", invoice.despatch_advice)
    if invoice.receiving_advice is not None:
        _b(_a(root, "ReceiptDocumentReference"), "ID", invoice.receiving_advice)

    def originator():
        if invoice.tender_or_lot is not None:
            _b(_a(root, "OriginatorDocumentReference"), "ID", invoice.tender_or_lot)

    def contract():
        if invoice.contract_reference is not None:
            _b(_a(root, "ContractDocumentReference"), "ID", invoice.contract_reference)

    if credit_note:
        contract()
    else:
        originator()
        contract()
    if invoice.invoiced_object is not None:
        ref = _a(root, "AdditionalDocumentReference")
        _b(ref, "ID", invoice.invoiced_object, schemeID=invoice.invoiced_object_scheme)
        _b(ref, "DocumentTypeCode", "130")
    if credit_note and invoice.project_reference is not None:
        ref = _a(root, "AdditionalDocumentReference")
        _b(ref, "ID", invoice.project_reference)
        _b(ref, "DocumentTypeCode", "50")
    for attachment in invoice.attachments:
        ref = _a(root, "AdditionalDocumentReference")
        _b(ref, "ID", attachment.id or "")
        _bo(ref, "DocumentDescription", attachment.description)
        if attachment.content is not None or attachment.uri is not None:
            att = _a(ref, "Attachment")
            if attachment.content is not None:
                _b(att, "EmbeddedDocumentBinaryObject",
                   base64.b64encode(attachment.content).decode(),
                   mimeCode=attachment.mime_code, filename=attachment.filename)
            if attachment.uri is not None:
                _b(_a(att, "ExternalReference"), "URI", attachment.uri)
    if credit_note:
        originator()
    elif invoice.project_reference is not None:
        _b(_a(root, "ProjectReference"), "ID", invoice.project_reference)

    creditor_id = _first(m.creditor_id for m in means)
    _ubl_party(_a(root, "AccountingSupplierParty"), invoice.seller,
               creditor_id=creditor_id if invoice.payee is None else None)
    _ubl_party(_a(root, "AccountingCustomerParty"), invoice.buyer)
    if invoice.payee is not None:
        payee = _a(root, "PayeeParty")
        for ident in invoice.payee.identifiers:
            _b(_a(payee, "PartyIdentification"), "ID", ident.value, schemeID=ident.scheme)
        if creditor_id is not None:
            _b(_a(payee, "PartyIdentification"), "ID", creditor_id, schemeID="SEPA")
        if invoice.payee.name is not None:
            _b(_a(payee, "PartyName"), "Name", invoice.payee.name)
        if invoice.payee.legal_id is not None:
            _b(_a(payee, "PartyLegalEntity"), "CompanyID", invoice.payee.legal_id,
               schemeID=invoice.payee.legal_id_scheme)
    rep = invoice.seller_tax_representative
    if rep is not None:
        node = _a(root, "TaxRepresentativeParty")
        if rep.name is not None:
            _b(_a(node, "PartyName"), "Name", rep.name)
        _ubl_address(node, "PostalAddress", rep.address)
        if rep.vat_id is not None:
            scheme = _a(node, "PartyTaxScheme")
            _b(scheme, "CompanyID", rep.vat_id)
            _b(_a(scheme, "TaxScheme"), "ID", "VAT")
    d = invoice.delivery
    if d is not None:
        node = _a(root, "Delivery")
        if d.date is not None:
            _b(node, "ActualDeliveryDate", d.date.isoformat())
        if d.location_id is not None or d.address is not None:
            location = _a(node, "DeliveryLocation")
            _bo(location, "ID", d.location_id, schemeID=d.location_scheme)
            _ubl_address(location, "Address", d.address)
        if d.name is not None:
            _b(_a(_a(node, "DeliveryParty"), "PartyName"), "Name", d.name)
    due_written = False
    for pm in means:
        if pm.type_code is None:
            continue
        node = _a(root, "PaymentMeans")
        _b(node, "PaymentMeansCode", pm.type_code, name=pm.text)
        if credit_note and not due_written and invoice.due_date is not None:
            _b(node, "PaymentDueDate", invoice.due_date.isoformat())
            due_written = True
        _bo(node, "PaymentID", pm.remittance)
        if pm.card is not None:
            card = _a(node, "CardAccount")
            _b(card, "PrimaryAccountNumberID", pm.card)
            _b(card, "NetworkID", "NA")
            _bo(card, "HolderName", pm.card_holder)
        if pm.iban is not None or pm.account_name is not None or pm.bic is not None:
            account = _a(node, "PayeeFinancialAccount")
            _b(account, "ID", pm.iban or "")
            _bo(account, "Name", pm.account_name)
            if pm.bic is not None:
                _b(_a(account, "FinancialInstitutionBranch"), "ID", pm.bic)
        if pm.mandate is not None or pm.debited_account is not None:
            mandate = _a(node, "PaymentMandate")
            _bo(mandate, "ID", pm.mandate)
            if pm.debited_account is not None:
                _b(_a(mandate, "PayerFinancialAccount"), "ID", pm.debited_account)
    if invoice.payment_terms is not None:
        _b(_a(root, "PaymentTerms"), "Note", invoice.payment_terms)
    for ac in [*invoice.allowances, *invoice.charges]:
        _ubl_allowance_charge(root, ac, currency, doc_level=True)

    t = invoice.totals
    tax_total = _a(root, "TaxTotal")
    _b(tax_total, "TaxAmount", amount(t.vat if t.vat is not None else Decimal(0)),
       currencyID=currency)
    for vat in invoice.vat_breakdown:
        sub = _a(tax_total, "TaxSubtotal")
        _b(sub, "TaxableAmount", amount(vat.taxable if vat.taxable is not None else Decimal(0)),
           currencyID=currency)
        _b(sub, "TaxAmount", amount(vat.tax if vat.tax is not None else Decimal(0)),
           currencyID=currency)
        category = _a(sub, "TaxCategory")
        _b(category, "ID", vat.category or "")
        if vat.rate is not None:
            _b(category, "Percent", rate(vat.rate))
        _bo(category, "TaxExemptionReasonCode", vat.exemption_code)
        _bo(category, "TaxExemptionReason", vat.exemption_reason)
        _b(_a(category, "TaxScheme"), "ID", "VAT")
    if t.vat_in_accounting_currency is not None:
        _b(_a(root, "TaxTotal"), "TaxAmount", amount(t.vat_in_accounting_currency),
           currencyID=invoice.vat_currency)
    total = _a(root, "LegalMonetaryTotal")
    zero = Decimal(0)
    for name, value, required in (
        ("LineExtensionAmount", t.line_total, True),
        ("TaxExclusiveAmount", t.without_vat, True),
        ("TaxInclusiveAmount", t.with_vat, True),
        ("AllowanceTotalAmount", t.allowances, False),
        ("ChargeTotalAmount", t.charges, False),
        ("PrepaidAmount", t.prepaid, False),
        ("PayableRoundingAmount", t.rounding, False),
        ("PayableAmount", t.due, True),
    ):
        if value is not None or required:
            _b(total, name, amount(value if value is not None else zero), currencyID=currency)
    for line in invoice.lines:
        _ubl_line(root, line, currency, credit_note)
    return _serialise(root)




# --- Factur-X PDF ---------------------------------------------------------------------------

LABELS = {
    "fr": {
        "invoice": "FACTURE", "credit_note": "AVOIR", "number": "N°", "date": "Date",
        "due": "Échéance", "seller": "Vendeur", "buyer": "Acheteur", "siret": "SIRET",
        "siren": "SIREN", "vat": "N° TVA", "service": "Code service", "engagement":
        "N° d'engagement", "contract": "Marché", "cadre": "Cadre de facturation",
        "project": "Projet", "sales_order": "Commande vendeur", "preceding": "Facture d'origine",
        "period": "Période", "delivery": "Livraison", "line": "N°", "item": "Désignation",
        "qty": "Qté", "unit": "Unité", "price": "Prix unit. HT", "rate": "TVA %",
        "net": "Montant HT", "vat_breakdown": "Ventilation de la TVA", "category": "Catégorie",
        "base": "Base HT", "tax": "TVA", "totals": "Totaux", "line_total": "Total des lignes HT",
        "allowances": "Remises", "charges": "Frais", "without_vat": "Total HT",
        "total_vat": "Total TVA", "with_vat": "Total TTC", "prepaid": "Déjà payé",
        "rounding": "Arrondi", "due_amount": "Net à payer", "payment": "Paiement",
        "means": "Moyen", "iban": "IBAN", "bic": "BIC", "remittance": "Référence",
        "terms": "Conditions", "notes": "Mentions", "page": "Page", "electronic":
        "Adresse électronique", "reason": "Motif", "of": "du",
    },
    "en": {
        "invoice": "INVOICE", "credit_note": "CREDIT NOTE", "number": "No.", "date": "Date",
        "due": "Due date", "seller": "Seller", "buyer": "Buyer", "siret": "SIRET",
        "siren": "SIREN", "vat": "VAT no.", "service": "Service code", "engagement":
        "Purchase order", "contract": "Contract", "cadre": "Business process",
        "project": "Project", "sales_order": "Sales order", "preceding": "Preceding invoice",
        "period": "Period", "delivery": "Delivery", "line": "No.", "item": "Item",
        "qty": "Qty", "unit": "Unit", "price": "Unit price", "rate": "VAT %",
        "net": "Net amount", "vat_breakdown": "VAT breakdown", "category": "Category",
        "base": "Taxable", "tax": "VAT", "totals": "Totals", "line_total": "Sum of lines",
        "allowances": "Allowances", "charges": "Charges", "without_vat": "Total excl. VAT",
        "total_vat": "Total VAT", "with_vat": "Total incl. VAT", "prepaid": "Paid",
        "rounding": "Rounding", "due_amount": "Amount due", "payment": "Payment",
        "means": "Means", "iban": "IBAN", "bic": "BIC", "remittance": "Reference",
        "terms": "Terms", "notes": "Notes", "page": "Page", "electronic": "Electronic address",
        "reason": "Reason", "of": "of",
    },
}

PAYMENT_MEANS_NAMES = {
    "fr": {"30": "Virement", "58": "Virement SEPA", "59": "Prélèvement SEPA", "49":
           "Prélèvement", "48": "Carte bancaire", "57": "Ordre permanent", "97": "Compensation",
           "1": "Non défini", "10": "Espèces", "20": "Chèque", "31": "Débit", "42":
           "Paiement sur compte bancaire"},
    "en": {"30": "Credit transfer", "58": "SEPA credit transfer", "59": "SEPA direct debit",
           "49": "Direct debit", "48": "Bank card", "57": "Standing agreement",
           "97": "Clearing", "1": "Not defined", "10": "Cash", "20": "Cheque", "31": "Debit",
           "42": "Payment to bank account"},
}

_FONTS_REGISTERED = False


def _register_fonts() -> None:
    """Vera and Vera Bold from reportlab's own package (never system fonts)."""
    global _FONTS_REGISTERED
    if _FONTS_REGISTERED:
        return
    from pathlib import Path

    import reportlab
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont("ChoeurVera", str(fonts / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("ChoeurVera-Bold", str(fonts / "VeraBd.ttf")))
    addMapping("ChoeurVera", 0, 0, "ChoeurVera")
    addMapping("ChoeurVera", 1, 0, "ChoeurVera-Bold")
    addMapping("ChoeurVera", 0, 1, "ChoeurVera")
    addMapping("ChoeurVera", 1, 1, "ChoeurVera-Bold")
    _FONTS_REGISTERED = True


def _money(value: Decimal | None, language: str, currency: str | None = None) -> str:
    return display.money(value, language, currency)


def _num(value: Decimal | None, language: str) -> str:
    if value is None:
        return ""
    text = format(value.normalize() if value == value.to_integral() else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text.replace(".", ",") if language == "fr" else text


def _day(value: date | None, language: str) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y") if language == "fr" else value.isoformat()


def page_footer(at, text: str, bottom_mm: float):
    """A page decorator for reportlab's SimpleDocTemplate: the document's dates fixed to `at`
    (with its invariant mode: the same bytes for the same content) and a grey footer
    « text — page N » on every page (the flux's compte rendu, a session's sheet)."""
    from datetime import UTC

    from reportlab.lib import colors
    from reportlab.lib.units import mm

    stamp = at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")

    def decorate(canvas, doc):
        canvas.setDateFormatter(lambda *_: stamp)
        canvas.setFont("ChoeurVera", 7)
        canvas.setFillColor(colors.Color(0.4, 0.4, 0.4))
        canvas.drawString(18 * mm, bottom_mm * mm, f"{text} — page {doc.page}")

    return decorate


def _esc(text: str | None) -> str:
    from xml.sax.saxutils import escape

    return escape(text or "").replace("\n", "<br/>")


def render_pdf(invoice: Invoice, language: str = "fr", *, cadre: str | None = None,
               sections: Sequence[PageSection] = ()) -> bytes:
    """The human-readable invoice as a plain PDF (no attachment yet), deterministic bytes.

    `cadre`: the billing framework as the platform names it (Chorus Pro's « A1 — Dépôt par un
    fournisseur d'une facture »), shown instead of BT-23's code: BT-23 must be a French
    code (M1, S5...) that says less to the reader than the cadre the portal shows. Units are
    shown with their name (« mètre carré (MTK) »); a line's designation wraps and its row
    flows over as many pages as it needs."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _register_fonts()
    lang = language if language in LABELS else "fr"
    t = LABELS[lang]
    cur = invoice.currency or ""
    base = ParagraphStyle("base", fontName="ChoeurVera", fontSize=8.5, leading=10.5)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9)
    bold = ParagraphStyle("bold", parent=base, fontName="ChoeurVera-Bold")
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=base, fontName="ChoeurVera-Bold", fontSize=14,
                           leading=18)
    heading = ParagraphStyle("heading", parent=base, fontName="ChoeurVera-Bold", fontSize=10,
                             leading=13, spaceBefore=6, spaceAfter=3)
    grid = colors.Color(0.75, 0.75, 0.75)

    def _table_style(commands: list) -> TableStyle:
        # Cells that are plain strings would otherwise use Helvetica (not embedded).
        return TableStyle([("FONTNAME", (0, 0), (-1, -1), "ChoeurVera"), *commands])
    shade = colors.Color(0.93, 0.93, 0.93)

    def party_block(label: str, party: Party) -> list:
        rows = [f"<b>{_esc(label)}</b>", f"<b>{_esc(party.name)}</b>"]
        if party.trading_name and party.trading_name != party.name:
            rows.append(_esc(party.trading_name))
        a = party.address
        if a is not None:
            rows += [_esc(x) for x in (a.line1, a.line2, a.line3) if x]
            rows.append(_esc(" ".join(x for x in (a.postcode, a.city) if x)))
            rows += [_esc(x) for x in (a.subdivision, a.country) if x]
        for ident in party.identifiers:
            if ident.scheme == "0009":
                rows.append(f"{t['siret']} : {_esc(ident.value)}" if lang == "fr"
                            else f"{t['siret']}: {_esc(ident.value)}")
        sep = " : " if lang == "fr" else ": "
        if party.legal_id and party.legal_id_scheme == "0009" and not any(
                i.value == party.legal_id for i in party.identifiers):
            rows.append(f"{t['siret']}{sep}{_esc(party.legal_id)}")
        if party.siren:
            rows.append(f"{t['siren']}{sep}{_esc(party.siren)}")
        if party.vat_id:
            rows.append(f"{t['vat']}{sep}{_esc(party.vat_id)}")
        if party.electronic_address:
            rows.append(f"{t['electronic']}{sep}{_esc(party.electronic_address)}"
                        + (f" ({_esc(party.electronic_address_scheme)})"
                           if party.electronic_address_scheme else ""))
        if party.legal_form:
            rows.append(f"<font size=7>{_esc(party.legal_form)}</font>")
        if party.contact is not None:
            c = party.contact
            rows += [_esc(x) for x in (c.name, c.phone, c.email) if x]
        return [Paragraph(r, base) for r in rows]

    def section_block(section: PageSection) -> list:
        """A PageSection as a heading and a table: the first column a bold label; with a
        header row, the other columns are figures (right-aligned)."""
        rows = [list(row) for row in section.rows]
        width = max([len(section.header), *(len(row) for row in rows)])
        if not width:
            return [Paragraph(_esc(section.title), heading)]
        figures = bool(section.header)
        cells = []
        if section.header:
            header = [*section.header, *[""] * (width - len(section.header))]
            cells.append([Paragraph(f"<b>{_esc(text)}</b>", right if n else base)
                          for n, text in enumerate(header)])
        for row in rows:
            row += [""] * (width - len(row))
            cells.append([Paragraph(_esc(text), bold if n == 0 else right if figures
                                    else base) for n, text in enumerate(row)])
        label = 62 * mm if width > 1 else 180 * mm
        rest = [(180 * mm - label) / (width - 1)] * (width - 1)
        block = Table(cells, colWidths=[label, *rest])
        commands = [("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
                    ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if section.header:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), shade))
        block.setStyle(_table_style(commands))
        return [KeepTogether([Paragraph(_esc(section.title), heading), block]),
                Spacer(1, 4 * mm)]

    sep = " : " if lang == "fr" else ": "
    story: list = []
    kind = t["credit_note"] if invoice.is_credit_note else t["invoice"]
    header_right = [
        Paragraph(f"{kind} {t['number']} {_esc(invoice.number)}", title),
        Paragraph(f"{t['date']}{sep}{_day(invoice.issue_date, lang)}", base),
    ]
    if invoice.due_date:
        header_right.append(Paragraph(f"{t['due']}{sep}{_day(invoice.due_date, lang)}", base))
    header = Table([[party_block(t["seller"], invoice.seller), header_right]],
                   colWidths=[95 * mm, 85 * mm])
    header.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [header, Spacer(1, 5 * mm)]

    refs = []
    for key, value in (
        ("service", invoice.buyer_reference), ("engagement", invoice.purchase_order_reference),
        ("contract", invoice.contract_reference), ("cadre", cadre or invoice.business_process),
        ("project", invoice.project_reference), ("sales_order", invoice.sales_order_reference),
    ):
        if value:
            refs.append(Paragraph(f"<b>{t[key]}</b>{sep}{_esc(value)}", base))
    for preceding in invoice.preceding_invoices:
        text = _esc(preceding.number)
        if preceding.date:
            text += f" {t['of']} {_day(preceding.date, lang)}"
        refs.append(Paragraph(f"<b>{t['preceding']}</b>{sep}{text}", base))
    if invoice.period_start or invoice.period_end:
        refs.append(Paragraph(f"<b>{t['period']}</b>{sep}{_day(invoice.period_start, lang)} – "
                              f"{_day(invoice.period_end, lang)}", base))
    if invoice.delivery is not None and invoice.delivery.date:
        refs.append(Paragraph(f"<b>{t['delivery']}</b>{sep}"
                              f"{_day(invoice.delivery.date, lang)}", base))
    block = Table([[party_block(t["buyer"], invoice.buyer), refs]],
                  colWidths=[95 * mm, 85 * mm])
    block.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOX", (0, 0), (0, 0), 0.5, grid)]))
    story += [block, Spacer(1, 6 * mm)]

    for section in sections:  # the platform's own blocks (PageSection), before the lines
        story += section_block(section)

    # Lines
    rows = [[Paragraph(f"<b>{t[k]}</b>", right if k in ("qty", "price", "rate", "net")
                       else base)
             for k in ("line", "item", "qty", "unit", "price", "rate", "net")]]
    for line in invoice.lines:
        text = f"<b>{_esc(line.name)}</b>"
        if line.description:
            text += f"<br/><font size=7>{_esc(line.description)}</font>"
        if line.note:
            text += f"<br/><font size=7>{_esc(line.note)}</font>"
        rows.append([
            Paragraph(_esc(line.id), small), Paragraph(text, base),
            Paragraph(_num(line.quantity, lang), right),
            Paragraph(_esc(display.unit_label(line.unit, lang)), small),
            Paragraph(_money(line.net_price, lang), right),
            Paragraph(_num(line.vat_rate, lang) if line.vat_rate is not None
                      else _esc(line.vat_category), right),
            Paragraph(_money(line.net_amount, lang), right),
        ])
    # splitInRow: a row taller than what is left of the page (a long designation) is split
    # and continues on the next page, under the repeated header, instead of failing the layout.
    lines = LongTable(rows, colWidths=[10 * mm, 66 * mm, 16 * mm, 22 * mm, 24 * mm, 14 * mm,
                                       28 * mm], repeatRows=1, splitInRow=1)
    lines.setStyle(_table_style([
        ("BACKGROUND", (0, 0), (-1, 0), shade),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [lines, Spacer(1, 6 * mm)]

    # VAT breakdown and totals side by side
    vat_rows = [[Paragraph(f"<b>{t[k]}</b>", right if k != "category" else base)
                 for k in ("category", "rate", "base", "tax")]]
    for vat in invoice.vat_breakdown:
        category = _esc(vat.category)
        if vat.exemption_reason or vat.exemption_code:
            category += f"<br/><font size=7>{_esc(vat.exemption_code or '')} " \
                        f"{_esc(vat.exemption_reason or '')}</font>"
        vat_rows.append([Paragraph(category, base),
                         Paragraph(_num(vat.rate, lang), right),
                         Paragraph(_money(vat.taxable, lang), right),
                         Paragraph(_money(vat.tax, lang), right)])
    vat_table = Table(vat_rows, colWidths=[22 * mm, 14 * mm, 28 * mm, 24 * mm])
    vat_table.setStyle(_table_style([("BACKGROUND", (0, 0), (-1, 0), shade),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid)]))
    tt = invoice.totals
    total_rows = []
    for key, value in (("line_total", tt.line_total), ("allowances", tt.allowances),
                       ("charges", tt.charges), ("without_vat", tt.without_vat),
                       ("total_vat", tt.vat), ("with_vat", tt.with_vat),
                       ("prepaid", tt.prepaid), ("rounding", tt.rounding),
                       ("due_amount", tt.due)):
        if value is None:
            continue
        style = bold if key in ("with_vat", "due_amount") else base
        total_rows.append([Paragraph(t[key], style),
                           Paragraph(f"<b>{_money(value, lang, cur)}</b>" if style is bold
                                     else _money(value, lang, cur), right)])
    totals = Table(total_rows or [[""]], colWidths=[45 * mm, 40 * mm])
    totals.setStyle(_table_style([("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
                                ("BACKGROUND", (0, len(total_rows) - 1), (-1, -1), shade)]))
    summary = Table([[[Paragraph(t["vat_breakdown"], heading), vat_table],
                      [Paragraph(t["totals"], heading), totals]]],
                    colWidths=[92 * mm, 88 * mm])
    summary.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(KeepTogether([summary]))

    # Allowances and charges (document level)
    if invoice.allowances or invoice.charges:
        story.append(Paragraph(f"{t['allowances']} / {t['charges']}", heading))
        for ac in [*invoice.allowances, *invoice.charges]:
            sign = "+" if ac.charge else "−"
            story.append(Paragraph(
                f"{sign} {_money(ac.amount, lang, cur)} — {_esc(ac.reason or ac.reason_code)}"
                f" ({_esc(ac.vat_category)} {_num(ac.vat_rate, lang)} %)", base))

    # Payment
    payment = []
    for pm in invoice.payment_means:
        name = PAYMENT_MEANS_NAMES[lang].get(pm.type_code or "", pm.type_code or "")
        parts = [f"<b>{t['means']}</b>{sep}{_esc(pm.text or name)}"
                 + (f" ({_esc(pm.type_code)})" if pm.type_code else "")]
        if pm.iban:
            parts.append(f"<b>{t['iban']}</b>{sep}{_esc(pm.iban)}")
        if pm.bic:
            parts.append(f"<b>{t['bic']}</b>{sep}{_esc(pm.bic)}")
        if pm.account_name:
            parts.append(_esc(pm.account_name))
        if pm.remittance:
            parts.append(f"<b>{t['remittance']}</b>{sep}{_esc(pm.remittance)}")
        if pm.mandate:
            parts.append(f"Mandat / mandate{sep}{_esc(pm.mandate)}")
        payment.append(Paragraph(" — ".join(parts), base))
    if invoice.payment_terms:
        payment.append(Paragraph(f"<b>{t['terms']}</b>{sep}{_esc(invoice.payment_terms)}",
                                 base))
    if payment:
        story += [Paragraph(t["payment"], heading), *payment]
    if invoice.notes:
        story.append(Paragraph(t["notes"], heading))
        for note in invoice.notes:
            story.append(Paragraph(_esc(note.text), small))

    number = invoice.number or ""

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("ChoeurVera", 7)
        canvas.setFillColor(colors.Color(0.4, 0.4, 0.4))
        canvas.drawString(15 * mm, 10 * mm, f"{kind} {number} — {invoice.seller.name or ''}")
        canvas.drawRightString(195 * mm, 10 * mm, f"{t['page']} {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=18 * mm, title=f"{kind} {number}", author=invoice.seller.name or "",
        subject=f"{kind} {number}", creator="Choeur", producer="Choeur", invariant=1,
        lang=("fr-FR" if lang == "fr" else "en-GB"), initialFontName="ChoeurVera",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _pdf_timestamp(day: date) -> str:
    return day.strftime("D:%Y%m%d000000+00'00'")


def to_facturx_pdf(invoice: Invoice, *, language: str = "fr",
                   cadre: str | None = None, sections: Sequence[PageSection] = ()) -> bytes:
    """A Factur-X EN 16931 PDF/A-3: the readable invoice with its CII as factur-x.xml.

    Deterministic: the dates are the invoice date (00:00 UTC), the document /ID is derived from
    the invoice number, and an sRGB output intent (pikepdf's bundled profile) is added."""
    import hashlib
    import io
    from pathlib import Path

    import facturx
    import pikepdf

    xml = to_cii(invoice)
    lang = language if language in LABELS else "fr"
    kind = LABELS[lang]["credit_note" if invoice.is_credit_note else "invoice"]
    number = invoice.number or ""
    seller = invoice.seller.name or ""
    metadata = {
        "author": seller,
        "keywords": "Factur-X, EN 16931",
        "title": f"{seller}: {kind} {number}",
        "subject": f"{kind} {number} {_day(invoice.issue_date, lang)} — {seller}",
    }
    pdf = facturx.generate_from_binary(
        render_pdf(invoice, lang, cadre=cadre, sections=sections), xml, flavor="factur-x",
        level="en16931", check_xsd=True,
        pdf_metadata=metadata, lang="fr-FR" if lang == "fr" else "en-GB",
        afrelationship="data", xmp_compression=False)

    # Determinism and PDF/A details the factur-x package leaves to the caller.
    day = invoice.issue_date or date(2000, 1, 1)
    stamp = _pdf_timestamp(day)
    iso = day.strftime("%Y-%m-%dT00:00:00+00:00")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        if "/Metadata" in root:
            stream = root.Metadata
            data = stream.read_bytes()
            data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\+00:00|Z)",
                          iso.encode(), data)
            stream.write(data)
        info = document.trailer.get("/Info")
        if info is not None:
            for key in ("/CreationDate", "/ModDate"):
                if key in info:
                    info[key] = pikepdf.String(stamp)
        for spec in _filespecs(document):
            params = spec.get("/EF", {}).get("/F", {}).get("/Params")
            if params is not None and "/ModDate" in params:
                params.ModDate = pikepdf.String(stamp)
        if "/OutputIntents" not in root:
            icc = (Path(pikepdf.__file__).parent / "pdfa" / "data" / "sRGB.icc").read_bytes()
            profile = pikepdf.Stream(document, icc)
            profile.N = 3
            intent = pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=document.make_indirect(profile))
            root.OutputIntents = pikepdf.Array([intent])
        ident = pikepdf.String(hashlib.md5(number.encode("utf-8"),
                                           usedforsecurity=False).digest())
        document.trailer.ID = pikepdf.Array([ident, ident])
        out = io.BytesIO()
        document.save(out, deterministic_id=True, compress_streams=True,
                      object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def _filespecs(document) -> list:
    names = document.Root.get("/Names")
    found = []
    if names is not None and "/EmbeddedFiles" in names:
        array = names.EmbeddedFiles.get("/Names", [])
        found += [array[i + 1] for i in range(0, len(array) - 1, 2)]
    return found


__all__ = ["PageSection", "WriteError", "render_pdf", "to_cii", "to_facturx_pdf", "to_ubl"]
