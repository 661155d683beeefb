"""`choeur.formats.readers.read`: one normalised model, filled identically from CII and UBL."""

import json
import time
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from choeur.formats.model import Identifier, Invoice, Note
from choeur.formats.readers import ReadError, read

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PAIRS = CORPUS / "zugferd" / "XML-Rechnung"
CEN = CORPUS / "cen"

pytestmark = pytest.mark.skipif(not PAIRS.is_dir(), reason="shared corpus not available")


def pair_names() -> list[str]:
    return sorted(p.name.removesuffix(".cii.xml") for p in (PAIRS / "CII").glob("*.cii.xml"))


def read_pair(name: str) -> tuple[Invoice, Invoice]:
    cii = read((PAIRS / "CII" / f"{name}.cii.xml").read_bytes())
    ubl = read((PAIRS / "UBL" / f"{name}.ubl.xml").read_bytes())
    return cii, ubl


def differences(a, b, path: str = "") -> list[tuple[str, object, object]]:
    """Business terms that differ, field by field (the fields equality compares)."""
    if is_dataclass(a) and is_dataclass(b) and type(a) is type(b):
        found = []
        for f in fields(a):
            if f.compare:
                found += differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        found = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found += differences(x, y, f"{path}[{i}]")
        return found
    return [] if a == b else [(path, a, b)]


# --- the pairs' legitimate differences: the source files differ, not the reading ---------------
# Each rule is as narrow as the XML allows: it accepts one path and only the exact shape of
# difference found in the files, so any other divergence still fails.

def _peppol_context(path, cii, ubl, cii_doc, ubl_doc):
    # The FeRD "EN16931_*" UBL files are Peppol BIS Billing 3 documents: cbc:CustomizationID
    # "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0" and
    # cbc:ProfileID "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", while their CII twins say
    # plain "urn:cen.eu:en16931:2017" with no BT-23 (or a free "Baurechnung",
    # "Beispielgeschäftsprozess"). The XRECHNUNG pairs carry the same ids and are not excused.
    return path in {".specification_id", ".business_process"} and ubl_doc.specification_id == (
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")


def _ubl_trading_name_is_the_name(path, cii, ubl, cii_doc, ubl_doc):
    # The UBL files repeat the party name in cac:PartyName/cbc:Name (BT-28 trading name); the CII
    # files have no ram:SpecifiedLegalOrganization/ram:TradingBusinessName.
    if path not in {".seller.trading_name", ".buyer.trading_name"}:
        return False
    party = path.split(".")[1]
    return cii is None and ubl == getattr(ubl_doc, party).name == getattr(cii_doc, party).name


def _cii_extra_unschemed_seller_id(path, cii, ubl, cii_doc, ubl_doc):
    # The CII seller has an extra <ram:ID>549910</ram:ID> (BT-29 without scheme) that the UBL
    # conversion left out; the schemed GLN (0088) is in both.
    return path == ".seller.identifiers" and [i for i in cii if i.scheme] == ubl


def _gross_price_left_out_of_ubl(path, cii, ubl, cii_doc, ubl_doc):
    # CII always writes ram:GrossPriceProductTradePrice/ram:ChargeAmount (BT-148); the UBL files
    # of the EN16931_* pairs never write cac:Price/cac:AllowanceCharge/cbc:BaseAmount. Most CII
    # values are derivable (gross = net + discount, e.g. EN16931_Rabatte 3.3333 + 0.6667 = 4), but
    # some CII files put the German "Bruttopreis" (price including VAT or insurance tax) there:
    # Reisekostenabrechnung 11.76 net / 14.00, Kraftfahrversicherung 67.2244 / 80.0006,
    # Sachversicherung 1000 / 1163.40, and Innergemeinschaftliche_Lieferungen 100 / 1000 (the
    # line total). Excused only when the UBL document carries no BT-148 on any line.
    return (path.startswith(".lines[") and path.endswith("].gross_price") and ubl is None
            and cii is not None and all(line.gross_price is None for line in ubl_doc.lines))


def _zero_price_discount(path, cii, ubl, cii_doc, ubl_doc):
    # XRECHNUNG_* UBL: cac:Price/cac:AllowanceCharge with cbc:Amount 0 (BT-147 = 0, BT-148 = the
    # net price); the CII gross price has no ram:AppliedTradeAllowanceCharge.
    return (path.startswith(".lines[") and path.endswith("].price_discount")
            and cii is None and ubl == 0)


def _cii_embedded_file_uri(path, cii, ubl, cii_doc, ubl_doc):
    # CII ram:URIID "#ef=Aufmass.png" points at a file embedded in the Factur-X PDF; the UBL
    # twin has no cac:ExternalReference.
    return (path.startswith(".attachments[") and path.endswith("].uri") and ubl is None
            and str(cii).startswith("#ef="))


TOLERATED = (_peppol_context, _ubl_trading_name_is_the_name, _cii_extra_unschemed_seller_id,
             _gross_price_left_out_of_ubl, _zero_price_discount, _cii_embedded_file_uri)

# "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel" is, as its name says, a
# pair whose two files were not kept in step: the UBL amounts are ten times the CII ones (line
# net 1000 vs 100.00, VAT 50 vs 5.00, 46 NOK vs 4.60, taxable and allowance/charge bases 1000 vs
# 100.00), the UBL has no cac:PaymentMeans (CII: card, IBAN, SEPA info, remittance, mandate,
# creditor id), no BT-8 (CII DueDateTypeCode 29), no BT-114 (CII RoundingAmount 0.00) and no payee
# legal id (CII 0099 "Payee legal registration identifier").
FULL_MODEL_DIFFERENCES = {
    ".tax_point_code", ".payee.legal_id", ".payee.legal_id_scheme", ".payment_means",
    ".allowances[0].base", ".charges[0].base", ".totals.vat", ".totals.vat_in_accounting_currency",
    ".totals.rounding", ".vat_breakdown[0].taxable", ".vat_breakdown[0].tax",
    ".vat_breakdown[1].taxable", ".lines[0].net_amount", ".lines[0].allowances[0].base",
    ".lines[0].charges[0].base", ".lines[1].net_amount",
}
FULL_MODEL = "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel"


@pytest.mark.parametrize("name", pair_names())
def test_cii_and_ubl_twins_read_to_the_same_model(name):
    cii, ubl = read_pair(name)
    assert (cii.syntax, ubl.syntax) == ("CII", "UBL")
    left = [
        (path, a, b) for path, a, b in differences(cii, ubl)
        if not any(rule(path, a, b, cii, ubl) for rule in TOLERATED)
        and not (name == FULL_MODEL and path in FULL_MODEL_DIFFERENCES)
    ]
    assert left == []


def test_the_pairs_are_all_there():
    assert len(pair_names()) == 27
    for name in pair_names():
        assert (PAIRS / "UBL" / f"{name}.ubl.xml").is_file()


@pytest.mark.parametrize("name", ["XRECHNUNG_Betriebskostenabrechnung"])
def test_a_twin_pair_is_strictly_equal(name):
    cii, ubl = read_pair(name)
    assert cii == ubl  # equality ignores only `syntax` (and Decimal compares by value)
    assert cii.syntax != ubl.syntax


def test_ubl_invoice_and_credit_note_max_content_read_alike():
    # The CEN "Max content" Invoice and CreditNote differ in these terms only (checked in the XML).
    invoice = read((CEN / "ubl-testfiles" / "Invoice-Max_content.xml").read_bytes())
    credit = read((CEN / "ubl-testfiles" / "CreditNote-Max_content.xml").read_bytes())
    assert {path for path, _, _ in differences(invoice, credit)} == {
        ".type_code", ".due_date",  # the CreditNote's cbc:PaymentDueDate is commented out
        ".project_reference",  # "Project 99" vs "11111111" (cac:AdditionalDocumentReference 50)
        ".payment_means[0].account_name", ".payment_means[1].account_name",
        ".lines[0].unit", ".lines[0].price_base_unit",  # MTR vs EA
    }
    assert credit.project_reference == "11111111"
    assert len(invoice.attachments) == len(credit.attachments) == 3


def test_the_full_model_pair_agrees_on_everything_else():
    cii, ubl = read_pair(FULL_MODEL)
    assert cii.notes == ubl.notes == [Note("AAA", "invoice note text"),
                                      Note("AAA", "invoice note text 2")]
    assert cii.due_date == ubl.due_date == date(2018, 11, 30)
    assert cii.seller.tax_registration_id == ubl.seller.tax_registration_id == "DE49294093"
    assert cii.seller.legal_form == ubl.seller.legal_form == "Seller additional legal information"
    assert cii.buyer.legal_id == ubl.buyer.legal_id == "Buyer legal registration identifier"
    assert cii.buyer.legal_id_scheme == ubl.buyer.legal_id_scheme == "0089"
    assert cii.seller_tax_representative == ubl.seller_tax_representative
    assert cii.seller_tax_representative.vat_id == "DE3949053"
    assert cii.delivery == ubl.delivery
    assert cii.delivery.location_scheme == "0045" and cii.delivery.date == date(2018, 12, 4)
    assert cii.invoiced_object == ubl.invoiced_object == "rst"
    assert cii.invoiced_object_scheme == ubl.invoiced_object_scheme == "AAA"
    assert cii.attachments == ubl.attachments
    assert cii.attachments[0].content == b"default"
    assert cii.attachments[0].filename == "filename0"
    assert cii.lines[0].standard_item_id == "Item standar identifier"  # whitespace trimmed
    assert cii.lines[0].classification == ubl.lines[0].classification
    assert [tuple(a) for a in cii.lines[0].attributes] == [("Color", "Red"), ("Size", "L")]
    assert cii.lines[0].price_discount == ubl.lines[0].price_discount == 1
    assert cii.lines[0].gross_price == ubl.lines[0].gross_price == 11
    assert cii.vat_breakdown[1].exemption_code == ubl.vat_breakdown[1].exemption_code
    assert cii.payment_means[0].mandate == "Mandate reference identifier"
    assert cii.payment_means[0].creditor_id == "Bank assigned creditor identifier"
    assert cii.payment_means[0].card == "1234"
    assert cii.totals.vat_in_accounting_currency == Decimal("4.60")


# --- spot checks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("syntax", ["CII", "UBL"])
def test_spot_check_xrechnung_einfach(syntax):
    inv = read((PAIRS / syntax / f"XRECHNUNG_Einfach.{syntax.lower()}.xml").read_bytes())
    assert inv.number == "471102"
    assert inv.issue_date == date(2024, 11, 15)
    assert inv.type_code == "380" and not inv.is_credit_note
    assert inv.currency == "EUR"
    assert inv.buyer_reference == "04011000-12345-34"
    assert inv.seller.vat_id == "DE123456789"
    assert inv.seller.tax_registration_id == "201/113/40209"
    assert (inv.seller.electronic_address, inv.seller.electronic_address_scheme) == (
        "info@Mustermann.de", "EM")
    assert inv.buyer.name == "Kunden AG Mitte"
    assert len(inv.lines) == 2
    assert inv.totals.line_total == Decimal("473")
    assert inv.totals.vat == Decimal("56.87")
    assert inv.totals.with_vat == inv.totals.due == Decimal("529.87")
    assert [(v.category, v.rate, v.taxable, v.tax) for v in inv.vat_breakdown] == [
        ("S", Decimal(7), Decimal(275), Decimal("19.25")),
        ("S", Decimal(19), Decimal(198), Decimal("37.62"))]
    assert inv.payment_means[0].type_code == "58"
    assert inv.payment_means[0].iban == "DE02120300000000202051"
    assert inv.payment_means[0].bic == "BYLADEM1001"
    assert inv.notes[1].subject_code == "REG"
    assert inv.profile == "en16931"


@pytest.mark.parametrize("syntax", ["CII", "UBL"])
def test_spot_check_rechnungskorrektur(syntax):
    inv = read((PAIRS / syntax / f"EN16931_Rechnungskorrektur.{syntax.lower()}.xml").read_bytes())
    assert inv.number == "RK21012345"
    assert inv.issue_date == date(2018, 9, 16)
    assert inv.type_code == "384"
    assert inv.purchase_order_reference == "B123456789"
    assert inv.totals.due == Decimal("-8.79")
    assert inv.totals.allowances == Decimal("-0.23")
    assert inv.notes[0] == Note("AAK", "Es bestehen Rabatt- oder Bonusvereinbarungen.")
    assert len(inv.lines) == 2


@pytest.mark.parametrize("syntax", ["CII", "UBL"])
def test_spot_check_identifiers_and_lines(syntax):
    inv = read((PAIRS / syntax / f"EN16931_Einfach.{syntax.lower()}.xml").read_bytes())
    assert Identifier("4000001123452", "0088") in inv.seller.identifiers
    assert inv.seller.address.city == "München" and inv.seller.address.country == "DE"
    line = inv.lines[0]
    assert line.id == "1" and line.quantity == 20 and line.unit == "H87"
    assert line.net_price == Decimal("9.90") and line.net_amount == Decimal("198")
    assert line.vat_category == "S" and line.vat_rate == 19


def test_spot_check_ubl_max_content():
    inv = read((CEN / "ubl-testfiles" / "Invoice-Max_content.xml").read_bytes())
    assert inv.seller.legal_id == "1234567890" and inv.seller.legal_id_scheme == "0007"
    assert inv.project_reference is not None
    assert inv.tender_or_lot == "Tender 2017-12, lot no. 3"
    assert inv.vat_currency == "EUR" and inv.currency == "SEK"
    assert inv.totals.vat == 2500 and inv.totals.vat_in_accounting_currency == 249
    assert inv.period_start == date(2018, 2, 1) and inv.period_end == date(2018, 2, 7)
    assert len(inv.preceding_invoices) == 2
    assert inv.payee.name == "Finansiell Support u.p.a."
    assert inv.seller_tax_representative.name == "Tax Administrators Inc."


# --- a French invoice (Chorus Pro terms), written in both syntaxes -----------------------------

FRENCH_CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID>
  </ram:BusinessProcessSpecifiedDocumentContextParameter>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>F-2024-0042</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">{issue}</udt:DateTimeString>
  </ram:IssueDateTime></rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID>
   </ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:Name>Prestation de conseil</ram:Name>
   </ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>
    <ram:ChargeAmount>500.00</ram:ChargeAmount></ram:NetPriceProductTradePrice>
   </ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="DAY">2</ram:BilledQuantity>
   </ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
     <ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation>
     <ram:LineTotalAmount>1000.00</ram:LineTotalAmount>
    </ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>SERVICE-COMPTA</ram:BuyerReference>
   <ram:SellerTradeParty><ram:Name>Conseil &amp; Fils SARL</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">12345678200010</ram:ID>
    </ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:PostcodeCode>75001</ram:PostcodeCode>
     <ram:LineOne>1 rue de Rivoli</ram:LineOne><ram:CityName>Paris</ram:CityName>
     <ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
    <ram:URIUniversalCommunication><ram:URIID schemeID="0009">12345678200010</ram:URIID>
    </ram:URIUniversalCommunication>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR32123456782</ram:ID>
    </ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Commune de Exemple</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">21750001600019</ram:ID>
    </ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
   </ram:BuyerTradeParty>
   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>ENG-2024-001</ram:IssuerAssignedID>
   </ram:BuyerOrderReferencedDocument>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode>
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID>
    </ram:PayeePartyCreditorFinancialAccount>
   </ram:SpecifiedTradeSettlementPaymentMeans>
   <ram:ApplicableTradeTax><ram:CalculatedAmount>200.00</ram:CalculatedAmount>
    <ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>1000.00</ram:BasisAmount>
    <ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent>
   </ram:ApplicableTradeTax>
   <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>
    <udt:DateTimeString format="102">20240331</udt:DateTimeString></ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>1000.00</ram:LineTotalAmount>
    <ram:TaxBasisTotalAmount>1000.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">200.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>1200.00</ram:GrandTotalAmount>
    <ram:DuePayableAmount>{due}</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

FRENCH_UBL = """<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
 <cbc:ProfileID>A1</cbc:ProfileID>
 <cbc:ID>F-2024-0042</cbc:ID>
 <cbc:IssueDate>{issue}</cbc:IssueDate>
 {due_date}
 <cbc:{root}TypeCode>{type_code}</cbc:{root}TypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cbc:BuyerReference>SERVICE-COMPTA</cbc:BuyerReference>
 <cac:OrderReference><cbc:ID>ENG-2024-001</cbc:ID></cac:OrderReference>
 <cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0009">12345678200010</cbc:EndpointID>
  <cac:PostalAddress><cbc:StreetName>1 rue de Rivoli</cbc:StreetName>
   <cbc:CityName>Paris</cbc:CityName><cbc:PostalZone>75001</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>FR32123456782</cbc:CompanyID>
   <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Conseil &amp; Fils SARL</cbc:RegistrationName>
   <cbc:CompanyID schemeID="0009">12345678200010</cbc:CompanyID></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode>
  </cac:Country></cac:PostalAddress>
  <cac:PartyLegalEntity><cbc:RegistrationName>Commune de Exemple</cbc:RegistrationName>
   <cbc:CompanyID schemeID="0009">21750001600019</cbc:CompanyID></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
  {payment_due_date}
  <cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID>
  </cac:PayeeFinancialAccount></cac:PaymentMeans>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">200.00</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">1000.00</cbc:TaxableAmount>
   <cbc:TaxAmount currencyID="EUR">200.00</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>
    <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:TaxSubtotal></cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">1000.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">1000.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">1200.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">{due}</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:{line}>
  <cbc:ID>1</cbc:ID>
  <cbc:{quantity} unitCode="DAY">2</cbc:{quantity}>
  <cbc:LineExtensionAmount currencyID="EUR">1000.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Prestation de conseil</cbc:Name>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>
    <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
  </cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">500.00</cbc:PriceAmount></cac:Price>
 </cac:{line}>
</{root}>
"""


def french_cii(type_code="380", issue="20240301", due="1200.00") -> bytes:
    return FRENCH_CII.format(type_code=type_code, issue=issue, due=due).encode()


def french_ubl(type_code="380", issue="2024-03-01", due="1200.00", credit_note=False) -> bytes:
    due_date = "<cbc:DueDate>2024-03-31</cbc:DueDate>"
    payment_due_date = "<cbc:PaymentDueDate>2024-03-31</cbc:PaymentDueDate>"
    return FRENCH_UBL.format(
        root="CreditNote" if credit_note else "Invoice", type_code=type_code, issue=issue,
        due=due, due_date="" if credit_note else due_date,
        payment_due_date=payment_due_date if credit_note else "",
        line="CreditNoteLine" if credit_note else "InvoiceLine",
        quantity="CreditedQuantity" if credit_note else "InvoicedQuantity").encode()


def test_french_invoice_reads_the_same_from_cii_and_ubl():
    cii, ubl = read(french_cii()), read(french_ubl())
    assert differences(cii, ubl) == []
    assert cii == ubl
    for inv in (cii, ubl):
        assert inv.business_process == "A1"  # cadre de facturation
        assert inv.buyer_reference == "SERVICE-COMPTA"  # code service
        assert inv.purchase_order_reference == "ENG-2024-001"  # numéro d'engagement
        assert inv.seller.legal_id == inv.seller.siret == "12345678200010"
        assert inv.seller.legal_id_scheme == "0009"
        assert inv.seller.siren == "123456782"
        assert inv.seller.vat_id == "FR32123456782"
        assert inv.seller.electronic_address_scheme == "0009"
        assert inv.buyer.siret == "21750001600019"
        assert inv.due_date == date(2024, 3, 31)
        assert inv.payment_means[0].iban == "FR7630006000011234567890189"
        assert inv.lines[0].quantity == 2 and inv.lines[0].unit == "DAY"


def test_as_dict_is_json_friendly():
    data = read(french_cii()).as_dict()
    json.dumps(data)
    assert data["issue_date"] == "2024-03-01"
    assert data["totals"]["due"] == "1200.00"
    assert data["seller"]["legal_id_scheme"] == "0009"
    assert data["syntax"] == "CII" and data["is_credit_note"] is False
    full = read((PAIRS / "CII" / f"{FULL_MODEL}.cii.xml").read_bytes()).as_dict()
    json.dumps(full)
    assert full["attachments"][0]["content"] == "ZGVmYXVsdA=="
    assert full["notes"][0] == {"subject_code": "AAA", "text": "invoice note text"}


def test_credit_notes():
    assert read(french_cii(type_code="381")).is_credit_note
    cn = read(french_ubl(type_code="381", credit_note=True))
    assert cn.is_credit_note and cn.ubl_credit_note
    assert cn.lines[0].quantity == 2  # cbc:CreditedQuantity
    assert cn.due_date == date(2024, 3, 31)  # cac:PaymentMeans/cbc:PaymentDueDate
    assert cn == read(french_cii(type_code="381"))
    # A UBL <CreditNote> is a credit note whatever its type code says.
    assert read(french_ubl(type_code="380", credit_note=True)).is_credit_note
    for path in (CEN / "ubl-examples" / "ubl-tc434-creditnote1.xml",
                 CEN / "ubl-testfiles" / "CreditNote-Max_content.xml"):
        inv = read(path.read_bytes())
        assert inv.is_credit_note and inv.type_code == "381"
        assert inv.lines and all(line.quantity is not None for line in inv.lines)


# --- every corpus file reads ---------------------------------------------------------------------

def corpus_files() -> list[Path]:
    files = []
    for folder in ("ubl-examples", "cii-examples", "ubl-testfiles"):
        for path in sorted((CEN / folder).iterdir()):
            if b"urn:ferd:" in path.read_bytes()[:4096]:
                continue  # ZUGFeRD 1.0: not a syntax Choeur reads
            files.append(path)
    return files


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_cen_file_reads(path):
    inv = read(path.read_bytes())
    assert inv.number and inv.issue_date and inv.currency
    assert inv.syntax in {"CII", "UBL"}
    assert inv.lines
    assert inv.totals.due is not None


# --- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "bt"), [
    (french_cii(due="1 200,00"), "BT-115"),
    (french_ubl(due="1200,00"), "BT-115"),
    (french_ubl(due="NaN"), "BT-115"),
    (french_cii().replace(b"<ram:BasisAmount>1000.00", b"<ram:BasisAmount>1e3"), "BT-116"),
])
def test_bad_amount(data, bt):
    with pytest.raises(ReadError) as caught:
        read(data)
    assert caught.value.code == "READ_BAD_AMOUNT"
    assert caught.value.bt == bt
    assert bt in caught.value.message_fr and bt in caught.value.message_en


def test_bad_quantity():
    data = french_ubl().replace(b'unitCode="DAY">2<', b'unitCode="DAY">deux<')
    with pytest.raises(ReadError) as caught:
        read(data)
    assert caught.value.code == "READ_BAD_NUMBER" and caught.value.bt == "BT-129"


@pytest.mark.parametrize("data", [
    french_cii(issue="20240230"),  # no such day
    french_cii(issue="2024-03-01"),  # ISO in a format="102" field
    french_ubl(issue="01/03/2024"),
    french_ubl(issue="2024-13-01"),
])
def test_bad_date(data):
    with pytest.raises(ReadError) as caught:
        read(data)
    assert caught.value.code == "READ_BAD_DATE"
    assert caught.value.bt == "BT-2"
    assert "BT-2" in caught.value.message_fr


def test_ubl_date_with_time_zone_is_read():
    assert read(french_ubl(issue="2024-03-01+01:00")).issue_date == date(2024, 3, 1)


def test_missing_optional_data_is_none_not_a_crash():
    minimal = (b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
               b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
               b"<cbc:ID>1</cbc:ID></Invoice>")
    inv = read(minimal)
    assert inv.number == "1" and inv.issue_date is None and inv.lines == []
    assert inv.payee is None and inv.delivery is None and inv.totals.due is None
    cii = read(b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
               b'CrossIndustryInvoice:100"/>')
    assert cii.number is None and cii.seller.name is None and cii.vat_breakdown == []


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>&lol9;</cbc:ID></Invoice>"""

XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>')


@pytest.mark.parametrize(("data", "code"), [
    (BOMB, "READ_XML_FORBIDDEN_DTD"),
    (XXE, "READ_XML_FORBIDDEN_DTD"),
    (french_cii()[:700], "READ_XML_MALFORMED"),
    (b"<a>" * 200 + b"</a>" * 200, "READ_XML_TOO_DEEP"),
    (b"", "READ_EMPTY"),
    (b"%PDF-1.7 not xml", "READ_XML_MALFORMED"),
    (b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
     "READ_NOT_AN_INVOICE"),
    (b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>',
     "READ_UNSUPPORTED_SYNTAX"),
])
def test_unreadable_input(data, code):
    started = time.perf_counter()
    with pytest.raises(ReadError) as caught:
        read(data)
    assert caught.value.code == code
    assert time.perf_counter() - started < 1  # refused up front, never expanded
    assert caught.value.message_fr and caught.value.message_en


def test_hostile_corpus_files_read_as_plain_data():
    # XML files carrying the EICAR test string: text is data, read or refused, never a crash.
    for path in sorted((CORPUS / "zugferd" / "other").glob("*.xml")):
        try:
            read(path.read_bytes())
        except ReadError as exc:
            assert exc.code.startswith("READ_")
