"""Read a CII (Factur-X / ZUGFeRD 2, D16B) or UBL 2.1 invoice into the one normalised model.

`read(xml_bytes) -> Invoice`. Both syntaxes are described by explicit XPath maps, one entry per
business term, following the EN 16931-3 syntax bindings (CII D16B "ram:" paths as Factur-X uses
them, UBL 2.1 "cac:/cbc:" paths); one builder walks either map, so the two syntaxes fill the
model the same way. The few bindings that are not a plain path are handled once, by name:

- BG-1 in UBL: `cbc:Note` "#AAI#text" carries the subject code BT-21 (the XRechnung / Peppol
  convention used by the CEN and FeRD samples) — split into (BT-21, BT-22).
- BT-8 is a UNTDID 2005 code in the model (3, 35, 432); CII carries UNTDID 2475 (5, 29, 72).
- BT-83 (remittance), BT-89 (mandate) and BT-90 (creditor id) are document-level in CII and per
  payment means (BT-90: a "SEPA" party identifier) in UBL: they are put on each BG-16.
- BT-110 / BT-111 are told apart by their currencyID (BT-5 / BT-6).

Parsing goes through `xmlparse.parse` (no DTD, no entities, bounded size and depth). A missing
term is None or an empty list; a malformed amount, number or date raises `ReadError` naming the
business term.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from choeur.formats import rules, xmlparse
from choeur.formats.model import (
    Address,
    AllowanceCharge,
    Attachment,
    Attribute,
    Classification,
    Contact,
    Delivery,
    Identifier,
    Invoice,
    Line,
    Note,
    Party,
    PaymentMeans,
    PrecedingInvoice,
    Totals,
    VatBreakdown,
)
from choeur.formats.rules import CII_NS, UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS, ZUGFERD1_NS

NAMESPACES = {
    "rsm": CII_NS,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "inv": UBL_INVOICE_NS,
    "cn": UBL_CREDIT_NOTE_NS,
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}

# BT-8: CII carries UNTDID 2475, the model (and UBL) UNTDID 2005.
CII_TAX_POINT_CODES = {"5": "3", "29": "35", "72": "432"}


class ReadError(Exception):
    """The input cannot be read as an invoice. `code` is stable (READ_…); messages are bilingual."""

    def __init__(self, code: str, message_fr: str, message_en: str, bt: str | None = None):
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_fr = message_fr
        self.message_en = message_en
        self.bt = bt


# --- the syntax bindings: one XPath per business term ------------------------------------------
# Keys are BT / BG numbers (or a field name where a group needs its own context). Paths are
# relative to the context the builder gives: the root, a party, an address, a line…

_CII_H = "rsm:SupplyChainTradeTransaction"
_CII_AGR = f"{_CII_H}/ram:ApplicableHeaderTradeAgreement"
_CII_DEL = f"{_CII_H}/ram:ApplicableHeaderTradeDelivery"
_CII_SET = f"{_CII_H}/ram:ApplicableHeaderTradeSettlement"

CII = {
    "document": {
        "BT-1": "rsm:ExchangedDocument/ram:ID",
        "BT-2": "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
        "BT-3": "rsm:ExchangedDocument/ram:TypeCode",
        "BT-5": f"{_CII_SET}/ram:InvoiceCurrencyCode",
        "BT-6": f"{_CII_SET}/ram:TaxCurrencyCode",
        "BT-7": f"{_CII_SET}/ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString",
        "BT-8": f"{_CII_SET}/ram:ApplicableTradeTax/ram:DueDateTypeCode",
        "BT-9": f"{_CII_SET}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime"
                "/udt:DateTimeString",
        "BT-10": f"{_CII_AGR}/ram:BuyerReference",
        "BT-11": f"{_CII_AGR}/ram:SpecifiedProcuringProject/ram:ID",
        "BT-12": f"{_CII_AGR}/ram:ContractReferencedDocument/ram:IssuerAssignedID",
        "BT-13": f"{_CII_AGR}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
        "BT-14": f"{_CII_AGR}/ram:SellerOrderReferencedDocument/ram:IssuerAssignedID",
        "BT-15": f"{_CII_DEL}/ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID",
        "BT-16": f"{_CII_DEL}/ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID",
        "BT-17": f"{_CII_AGR}/ram:AdditionalReferencedDocument[ram:TypeCode='50']"
                 "/ram:IssuerAssignedID",
        "BT-18": f"{_CII_AGR}/ram:AdditionalReferencedDocument[ram:TypeCode='130']"
                 "/ram:IssuerAssignedID",
        "BT-18-1": f"{_CII_AGR}/ram:AdditionalReferencedDocument[ram:TypeCode='130']"
                   "/ram:ReferenceTypeCode",
        "BT-19": f"{_CII_SET}/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
        "BT-20": f"{_CII_SET}/ram:SpecifiedTradePaymentTerms/ram:Description",
        "BT-23": "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter"
                 "/ram:ID",
        "BT-24": "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
                 "/ram:ID",
        "BT-73": f"{_CII_SET}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
        "BT-74": f"{_CII_SET}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
        "BT-83": f"{_CII_SET}/ram:PaymentReference",
        "BT-89": f"{_CII_SET}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID",
        "BT-90": f"{_CII_SET}/ram:CreditorReferenceID",
        "BT-110/111": f"{_CII_SET}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
                      "/ram:TaxTotalAmount",
        "BG-1": "rsm:ExchangedDocument/ram:IncludedNote",
        "BG-3": f"{_CII_SET}/ram:InvoiceReferencedDocument",
        "BG-4": f"{_CII_AGR}/ram:SellerTradeParty",
        "BG-7": f"{_CII_AGR}/ram:BuyerTradeParty",
        "BG-10": f"{_CII_SET}/ram:PayeeTradeParty",
        "BG-11": f"{_CII_AGR}/ram:SellerTaxRepresentativeTradeParty",
        "BG-13": f"{_CII_DEL}",
        "BG-16": f"{_CII_SET}/ram:SpecifiedTradeSettlementPaymentMeans",
        "BG-20/21": f"{_CII_SET}/ram:SpecifiedTradeAllowanceCharge",
        "BG-22": f"{_CII_SET}/ram:SpecifiedTradeSettlementHeaderMonetarySummation",
        "BG-23": f"{_CII_SET}/ram:ApplicableTradeTax",
        "BG-24": f"{_CII_AGR}/ram:AdditionalReferencedDocument[ram:TypeCode='916']",
        "BG-25": f"{_CII_H}/ram:IncludedSupplyChainTradeLineItem",
    },
    "note": {"BT-21": "ram:SubjectCode", "BT-22": "ram:Content"},
    "preceding": {"BT-25": "ram:IssuerAssignedID",
                  "BT-26": "ram:FormattedIssueDateTime/qdt:DateTimeString"},
    "party": {
        "name": "ram:Name",  # BT-27 / BT-44 / BT-59 / BT-62
        "trading_name": "ram:SpecifiedLegalOrganization/ram:TradingBusinessName",  # BT-28/45
        "identifiers": "ram:ID | ram:GlobalID",  # BT-29 / BT-46 / BT-60
        "legal_id": "ram:SpecifiedLegalOrganization/ram:ID",  # BT-30 / BT-47 / BT-61
        "vat_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",  # BT-31/48/63
        "tax_registration_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']",  # BT-32
        "legal_form": "ram:Description",  # BT-33
        "electronic_address": "ram:URIUniversalCommunication/ram:URIID",  # BT-34 / BT-49
        "address": "ram:PostalTradeAddress",  # BG-5 / BG-8 / BG-12
        "contact": "ram:DefinedTradeContact",  # BG-6 / BG-9
    },
    "payee": {},  # same paths as any party
    "tax_representative": {},
    "address": {
        "line1": "ram:LineOne", "line2": "ram:LineTwo", "line3": "ram:LineThree",
        "city": "ram:CityName", "postcode": "ram:PostcodeCode",
        "subdivision": "ram:CountrySubDivisionName", "country": "ram:CountryID",
    },
    "contact": {
        "name": "ram:PersonName | ram:DepartmentName",
        "phone": "ram:TelephoneUniversalCommunication/ram:CompleteNumber",
        "email": "ram:EmailURIUniversalCommunication/ram:URIID",
    },
    "delivery": {
        "BT-70": "ram:ShipToTradeParty/ram:Name",
        "BT-71": "ram:ShipToTradeParty/ram:ID | ram:ShipToTradeParty/ram:GlobalID",
        "BT-72": "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString",
        "BG-15": "ram:ShipToTradeParty/ram:PostalTradeAddress",
    },
    "payment_means": {
        "BT-81": "ram:TypeCode",
        "BT-82": "ram:Information",
        "BT-83": None,  # document level (BT-83 in "document")
        "BT-84": "ram:PayeePartyCreditorFinancialAccount/ram:IBANID"
                 " | ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID",
        "BT-85": "ram:PayeePartyCreditorFinancialAccount/ram:AccountName",
        "BT-86": "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
        "BT-87": "ram:ApplicableTradeSettlementFinancialCard/ram:ID",
        "BT-88": "ram:ApplicableTradeSettlementFinancialCard/ram:CardholderName",
        "BT-89": None,  # document level
        "BT-91": "ram:PayerPartyDebtorFinancialAccount/ram:IBANID",
    },
    "allowance_charge": {
        "indicator": "ram:ChargeIndicator/udt:Indicator",
        "amount": "ram:ActualAmount",  # BT-92 / BT-99 / BT-136 / BT-141
        "base": "ram:BasisAmount",  # BT-93 / BT-100 / BT-137 / BT-142
        "percent": "ram:CalculationPercent",  # BT-94 / BT-101 / BT-138 / BT-143
        "vat_category": "ram:CategoryTradeTax/ram:CategoryCode",  # BT-95 / BT-102
        "vat_rate": "ram:CategoryTradeTax/ram:RateApplicablePercent",  # BT-96 / BT-103
        "reason": "ram:Reason",  # BT-97 / BT-104 / BT-139 / BT-144
        "reason_code": "ram:ReasonCode",  # BT-98 / BT-105 / BT-140 / BT-145
    },
    "totals": {
        "BT-106": "ram:LineTotalAmount", "BT-107": "ram:AllowanceTotalAmount",
        "BT-108": "ram:ChargeTotalAmount", "BT-109": "ram:TaxBasisTotalAmount",
        "BT-112": "ram:GrandTotalAmount", "BT-113": "ram:TotalPrepaidAmount",
        "BT-114": "ram:RoundingAmount", "BT-115": "ram:DuePayableAmount",
    },
    "vat": {
        "BT-116": "ram:BasisAmount", "BT-117": "ram:CalculatedAmount",
        "BT-118": "ram:CategoryCode", "BT-119": "ram:RateApplicablePercent",
        "BT-120": "ram:ExemptionReason", "BT-121": "ram:ExemptionReasonCode",
    },
    "attachment": {
        "BT-122": "ram:IssuerAssignedID", "BT-123": "ram:Name", "BT-124": "ram:URIID",
        "BT-125": "ram:AttachmentBinaryObject",
    },
    "line": {
        "BT-126": "ram:AssociatedDocumentLineDocument/ram:LineID",
        "BT-127": "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content",
        "BT-128": "ram:SpecifiedLineTradeSettlement/ram:AdditionalReferencedDocument"
                  "[ram:TypeCode='130']/ram:IssuerAssignedID",
        "BT-128-1": "ram:SpecifiedLineTradeSettlement/ram:AdditionalReferencedDocument"
                    "[ram:TypeCode='130']/ram:ReferenceTypeCode",
        "BT-129": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
        "BT-131": "ram:SpecifiedLineTradeSettlement"
                  "/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        "BT-132": "ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/ram:LineID",
        "BT-133": "ram:SpecifiedLineTradeSettlement"
                  "/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
        "BT-134": "ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
                  "/ram:StartDateTime/udt:DateTimeString",
        "BT-135": "ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
                  "/ram:EndDateTime/udt:DateTimeString",
        "BG-27/28": "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge",
        "BT-146": "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice"
                  "/ram:ChargeAmount",
        "BT-147": "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice"
                  "/ram:AppliedTradeAllowanceCharge/ram:ActualAmount",
        "BT-148": "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice"
                  "/ram:ChargeAmount",
        "BT-149": "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice"
                  "/ram:BasisQuantity"
                  " | ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice"
                  "/ram:BasisQuantity",
        "BT-151": "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
        "BT-152": "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
                  "/ram:RateApplicablePercent",
        "BT-153": "ram:SpecifiedTradeProduct/ram:Name",
        "BT-154": "ram:SpecifiedTradeProduct/ram:Description",
        "BT-155": "ram:SpecifiedTradeProduct/ram:SellerAssignedID",
        "BT-156": "ram:SpecifiedTradeProduct/ram:BuyerAssignedID",
        "BT-157": "ram:SpecifiedTradeProduct/ram:GlobalID",
        "BT-158": "ram:SpecifiedTradeProduct/ram:DesignatedProductClassification/ram:ClassCode",
        "BT-159": "ram:SpecifiedTradeProduct/ram:OriginTradeCountry/ram:ID",
        "BG-32": "ram:SpecifiedTradeProduct/ram:ApplicableProductCharacteristic",
        "BT-160": "ram:Description",
        "BT-161": "ram:Value",
    },
}

# UBL: one map for Invoice and CreditNote (the few differences are unions or `self::cn:…`).
UBL = {
    "document": {
        "BT-1": "cbc:ID",
        "BT-2": "cbc:IssueDate",
        "BT-3": "cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode",
        "BT-5": "cbc:DocumentCurrencyCode",
        "BT-6": "cbc:TaxCurrencyCode",
        "BT-7": "cbc:TaxPointDate",
        "BT-8": "cac:InvoicePeriod/cbc:DescriptionCode",
        "BT-9": "cbc:DueDate | cac:PaymentMeans/cbc:PaymentDueDate",
        "BT-10": "cbc:BuyerReference",
        "BT-11": "cac:ProjectReference/cbc:ID | self::cn:CreditNote"
                 "/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']/cbc:ID",
        "BT-12": "cac:ContractDocumentReference/cbc:ID",
        "BT-13": "cac:OrderReference/cbc:ID",
        "BT-14": "cac:OrderReference/cbc:SalesOrderID",
        "BT-15": "cac:ReceiptDocumentReference/cbc:ID",
        "BT-16": "cac:DespatchDocumentReference/cbc:ID",
        "BT-17": "cac:OriginatorDocumentReference/cbc:ID",
        "BT-18": "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']/cbc:ID",
        "BT-18-1": "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']/cbc:ID/@schemeID",
        "BT-19": "cbc:AccountingCost",
        "BT-20": "cac:PaymentTerms/cbc:Note",
        "BT-23": "cbc:ProfileID",
        "BT-24": "cbc:CustomizationID",
        "BT-73": "cac:InvoicePeriod/cbc:StartDate",
        "BT-74": "cac:InvoicePeriod/cbc:EndDate",
        "BT-83": None,  # per payment means
        "BT-89": None,  # per payment means
        "BT-90": "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification"
                 "/cbc:ID[@schemeID='SEPA']"
                 " | cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']",
        "BT-110/111": "cac:TaxTotal/cbc:TaxAmount",
        "BG-1": "cbc:Note",
        "BG-3": "cac:BillingReference/cac:InvoiceDocumentReference",
        "BG-4": "cac:AccountingSupplierParty/cac:Party",
        "BG-7": "cac:AccountingCustomerParty/cac:Party",
        "BG-10": "cac:PayeeParty",
        "BG-11": "cac:TaxRepresentativeParty",
        "BG-13": "cac:Delivery",
        "BG-16": "cac:PaymentMeans",
        "BG-20/21": "cac:AllowanceCharge",
        "BG-22": "cac:LegalMonetaryTotal",
        "BG-23": "cac:TaxTotal/cac:TaxSubtotal",
        "BG-24": "cac:AdditionalDocumentReference[not(cbc:DocumentTypeCode='130')"
                 " and not(/cn:CreditNote and cbc:DocumentTypeCode='50')]",
        "BG-25": "cac:InvoiceLine | cac:CreditNoteLine",
    },
    "note": {"BT-21": None, "BT-22": "."},  # "#AAI#text" convention, split in _notes
    "preceding": {"BT-25": "cbc:ID", "BT-26": "cbc:IssueDate"},
    "party": {
        "name": "cac:PartyLegalEntity/cbc:RegistrationName",
        "trading_name": "cac:PartyName/cbc:Name",
        "identifiers": "cac:PartyIdentification/cbc:ID[not(@schemeID='SEPA')]",
        "legal_id": "cac:PartyLegalEntity/cbc:CompanyID",
        "vat_id": "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
        "tax_registration_id": "cac:PartyTaxScheme[not(cac:TaxScheme/cbc:ID='VAT')]"
                               "/cbc:CompanyID",
        "legal_form": "cac:PartyLegalEntity/cbc:CompanyLegalForm",
        "electronic_address": "cbc:EndpointID",
        "address": "cac:PostalAddress",
        "contact": "cac:Contact",
    },
    # BT-59 payee name and BT-62 tax representative name are cac:PartyName in UBL.
    "payee": {"name": "cac:PartyName/cbc:Name", "trading_name": None},
    "tax_representative": {"name": "cac:PartyName/cbc:Name", "trading_name": None},
    "address": {
        "line1": "cbc:StreetName", "line2": "cbc:AdditionalStreetName",
        "line3": "cac:AddressLine/cbc:Line", "city": "cbc:CityName",
        "postcode": "cbc:PostalZone", "subdivision": "cbc:CountrySubentity",
        "country": "cac:Country/cbc:IdentificationCode",
    },
    "contact": {"name": "cbc:Name", "phone": "cbc:Telephone", "email": "cbc:ElectronicMail"},
    "delivery": {
        "BT-70": "cac:DeliveryParty/cac:PartyName/cbc:Name",
        "BT-71": "cac:DeliveryLocation/cbc:ID",
        "BT-72": "cbc:ActualDeliveryDate",
        "BG-15": "cac:DeliveryLocation/cac:Address",
    },
    "payment_means": {
        "BT-81": "cbc:PaymentMeansCode",
        "BT-82": "cbc:PaymentMeansCode/@name",
        "BT-83": "cbc:PaymentID",
        "BT-84": "cac:PayeeFinancialAccount/cbc:ID",
        "BT-85": "cac:PayeeFinancialAccount/cbc:Name",
        "BT-86": "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
        "BT-87": "cac:CardAccount/cbc:PrimaryAccountNumberID",
        "BT-88": "cac:CardAccount/cbc:HolderName",
        "BT-89": "cac:PaymentMandate/cbc:ID",
        "BT-91": "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID",
    },
    "allowance_charge": {
        "indicator": "cbc:ChargeIndicator",
        "amount": "cbc:Amount",
        "base": "cbc:BaseAmount",
        "percent": "cbc:MultiplierFactorNumeric",
        "vat_category": "cac:TaxCategory/cbc:ID",
        "vat_rate": "cac:TaxCategory/cbc:Percent",
        "reason": "cbc:AllowanceChargeReason",
        "reason_code": "cbc:AllowanceChargeReasonCode",
    },
    "totals": {
        "BT-106": "cbc:LineExtensionAmount", "BT-107": "cbc:AllowanceTotalAmount",
        "BT-108": "cbc:ChargeTotalAmount", "BT-109": "cbc:TaxExclusiveAmount",
        "BT-112": "cbc:TaxInclusiveAmount", "BT-113": "cbc:PrepaidAmount",
        "BT-114": "cbc:PayableRoundingAmount", "BT-115": "cbc:PayableAmount",
    },
    "vat": {
        "BT-116": "cbc:TaxableAmount", "BT-117": "cbc:TaxAmount",
        "BT-118": "cac:TaxCategory/cbc:ID", "BT-119": "cac:TaxCategory/cbc:Percent",
        "BT-120": "cac:TaxCategory/cbc:TaxExemptionReason",
        "BT-121": "cac:TaxCategory/cbc:TaxExemptionReasonCode",
    },
    "attachment": {
        "BT-122": "cbc:ID", "BT-123": "cbc:DocumentDescription",
        "BT-124": "cac:Attachment/cac:ExternalReference/cbc:URI",
        "BT-125": "cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
    },
    "line": {
        "BT-126": "cbc:ID",
        "BT-127": "cbc:Note",
        "BT-128": "cac:DocumentReference[cbc:DocumentTypeCode='130']/cbc:ID",
        "BT-128-1": "cac:DocumentReference[cbc:DocumentTypeCode='130']/cbc:ID/@schemeID",
        "BT-129": "cbc:InvoicedQuantity | cbc:CreditedQuantity",
        "BT-131": "cbc:LineExtensionAmount",
        "BT-132": "cac:OrderLineReference/cbc:LineID",
        "BT-133": "cbc:AccountingCost",
        "BT-134": "cac:InvoicePeriod/cbc:StartDate",
        "BT-135": "cac:InvoicePeriod/cbc:EndDate",
        "BG-27/28": "cac:AllowanceCharge",
        "BT-146": "cac:Price/cbc:PriceAmount",
        "BT-147": "cac:Price/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount",
        "BT-148": "cac:Price/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:BaseAmount",
        "BT-149": "cac:Price/cbc:BaseQuantity",
        "BT-151": "cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
        "BT-152": "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
        "BT-153": "cac:Item/cbc:Name",
        "BT-154": "cac:Item/cbc:Description",
        "BT-155": "cac:Item/cac:SellersItemIdentification/cbc:ID",
        "BT-156": "cac:Item/cac:BuyersItemIdentification/cbc:ID",
        "BT-157": "cac:Item/cac:StandardItemIdentification/cbc:ID",
        "BT-158": "cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode",
        "BT-159": "cac:Item/cac:OriginCountry/cbc:IdentificationCode",
        "BG-32": "cac:Item/cac:AdditionalItemProperty",
        "BT-160": "cbc:Name",
        "BT-161": "cbc:Value",
    },
}

# Human names of the terms an error can name.
BT_NAMES = {
    "BT-2": "date de facture / invoice issue date", "BT-7": "date d'exigibilité de la TVA / "
    "VAT point date", "BT-9": "date d'échéance / payment due date",
    "BT-26": "date de la facture antérieure / preceding invoice issue date",
    "BT-72": "date de livraison / actual delivery date",
    "BT-73": "début de période / invoicing period start date",
    "BT-74": "fin de période / invoicing period end date",
}

_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CII_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$")
_UBL_NOTE = re.compile(r"^#([A-Za-z]{3})#(.*)$", re.DOTALL)
_XPATHS: dict[str, etree.XPath] = {}


def read(xml: bytes) -> Invoice:
    """Read one CII or UBL invoice (bytes of an XML document) into the normalised model."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not xml or not xml.strip():
        raise ReadError("READ_EMPTY", "Le fichier est vide.", "The file is empty.")
    parsed = xmlparse.parse(xml)
    if parsed.root is None:
        finding = parsed.findings[0] if parsed.findings else None
        if finding is None:
            raise ReadError("READ_XML_MALFORMED", "Fichier XML illisible.", "Unreadable XML file.")
        raise ReadError(f"READ_{finding.rule}", finding.message_fr, finding.message_en)
    root = parsed.root
    tag = etree.QName(root)
    if tag.namespace == CII_NS and tag.localname == "CrossIndustryInvoice":
        return _Builder(root, CII, "CII").invoice()
    if (tag.namespace, tag.localname) in {(UBL_INVOICE_NS, "Invoice"),
                                          (UBL_CREDIT_NOTE_NS, "CreditNote")}:
        return _Builder(root, UBL, "UBL").invoice()
    if tag.namespace == ZUGFERD1_NS:
        raise ReadError(
            "READ_UNSUPPORTED_SYNTAX",
            "ZUGFeRD 1.0 n'est pas pris en charge : seuls Factur-X / ZUGFeRD 2 (CII D16B) et "
            "UBL 2.1 le sont.",
            "ZUGFeRD 1.0 is not supported: only Factur-X / ZUGFeRD 2 (CII D16B) and UBL 2.1 are.")
    raise ReadError(
        "READ_NOT_AN_INVOICE",
        f"Ce document XML n'est pas une facture CII ni UBL (élément racine « {tag.localname} », "
        f"espace de noms « {tag.namespace or ''} »).",
        f"This XML document is not a CII or UBL invoice (root element “{tag.localname}”, "
        f"namespace “{tag.namespace or ''}”).")


def profile_of(specification_id: str | None) -> str | None:
    """The profile a BT-24 specification identifier designates (None if not EN 16931)."""
    if not specification_id:
        return None
    profile = rules.profile_of(specification_id)  # the engine's routing, for the same ids
    if profile is not None:
        return profile
    if specification_id.startswith("urn:cen.eu:en16931:2017"):
        return "en16931"  # a CIUS or extension of the norm (Peppol BIS, XRechnung, CIUS-FR…)
    return None


def _xpath(path: str) -> etree.XPath:
    compiled = _XPATHS.get(path)
    if compiled is None:
        compiled = _XPATHS[path] = etree.XPath(path, namespaces=NAMESPACES)
    return compiled


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


class _Builder:
    """Walks one syntax map over one document: the same code for CII and UBL."""

    def __init__(self, root, binding: dict, syntax: str):
        self.root = root
        self.b = binding
        self.syntax = syntax

    # --- primitive readers --------------------------------------------------------------------

    def nodes(self, ctx, path: str | None) -> list:
        if path is None or ctx is None:
            return []
        result = _xpath(path)(ctx)
        return result if isinstance(result, list) else [result]

    def node(self, ctx, path: str | None):
        found = self.nodes(ctx, path)
        return found[0] if found else None

    def text(self, ctx, path: str | None) -> str | None:
        for found in self.nodes(ctx, path):
            value = _clean(found if isinstance(found, str) else found.text)
            if value is not None:
                return value
        return None

    def texts(self, ctx, path: str | None) -> list[str]:
        values = (_clean(n if isinstance(n, str) else n.text) for n in self.nodes(ctx, path))
        return [v for v in values if v is not None]

    def joined(self, ctx, path: str | None) -> str | None:
        return "\n".join(self.texts(ctx, path)) or None

    def attr(self, ctx, path: str | None, name: str) -> str | None:
        found = self.node(ctx, path)
        return _clean(found.get(name)) if found is not None and not isinstance(found, str) else None

    def decimal(self, ctx, path: str | None, bt: str, kind: str = "amount") -> Decimal | None:
        raw = self.text(ctx, path)
        if raw is None:
            return None
        if _AMOUNT.match(raw):
            try:
                return Decimal(raw)
            except InvalidOperation:  # pragma: no cover - the pattern already excludes it
                pass
        if kind == "amount":
            raise ReadError(
                "READ_BAD_AMOUNT",
                f"Montant illisible pour {bt} : « {raw[:40]} » (attendu : un nombre décimal "
                "avec un point, par exemple 1250.50).",
                f"Unreadable amount for {bt}: “{raw[:40]}” (expected a decimal number with a "
                "dot, e.g. 1250.50).", bt)
        raise ReadError(
            "READ_BAD_NUMBER",
            f"Nombre illisible pour {bt} : « {raw[:40]} » (attendu : un nombre décimal avec un "
            "point).",
            f"Unreadable number for {bt}: “{raw[:40]}” (expected a decimal number with a dot).",
            bt)

    def date(self, ctx, path: str | None, bt: str) -> date | None:
        found = self.node(ctx, path)
        if found is None:
            return None
        raw = _clean(found if isinstance(found, str) else found.text)
        if raw is None:
            return None
        label = BT_NAMES.get(bt, bt)
        if self.syntax == "CII":
            fmt = None if isinstance(found, str) else found.get("format")
            match = _CII_DATE.match(raw) if fmt in (None, "102") else None
            expected_fr, expected_en = "AAAAMMJJ (format 102)", "YYYYMMDD (format 102)"
        else:
            match = _ISO_DATE.match(raw)
            expected_fr, expected_en = "AAAA-MM-JJ", "YYYY-MM-DD"
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                pass
        raise ReadError(
            "READ_BAD_DATE",
            f"Date illisible pour {bt} ({label}) : « {raw[:40]} » (attendu : {expected_fr}).",
            f"Unreadable date for {bt} ({label}): “{raw[:40]}” (expected {expected_en}).", bt)

    def identifier(self, node) -> Identifier | None:
        value = _clean(node.text)
        return Identifier(value, _clean(node.get("schemeID"))) if value else None

    # --- groups -------------------------------------------------------------------------------

    def invoice(self) -> Invoice:
        doc = self.b["document"]
        r = self.root
        spec = self.text(r, doc["BT-24"])
        currency = self.text(r, doc["BT-5"])
        vat_currency = self.text(r, doc["BT-6"])
        tax_point_code = self.text(r, doc["BT-8"])
        if self.syntax == "CII" and tax_point_code is not None:
            tax_point_code = CII_TAX_POINT_CODES.get(tax_point_code, tax_point_code)
        allowances_charges = [self.allowance_charge(n, "BG-20/21")
                              for n in self.nodes(r, doc["BG-20/21"])]
        return Invoice(
            number=self.text(r, doc["BT-1"]),
            issue_date=self.date(r, doc["BT-2"], "BT-2"),
            type_code=self.text(r, doc["BT-3"]),
            currency=currency,
            vat_currency=vat_currency,
            tax_point_date=self.date(r, doc["BT-7"], "BT-7"),
            tax_point_code=tax_point_code,
            due_date=self.date(r, doc["BT-9"], "BT-9"),
            buyer_reference=self.text(r, doc["BT-10"]),
            project_reference=self.text(r, doc["BT-11"]),
            contract_reference=self.text(r, doc["BT-12"]),
            purchase_order_reference=self.text(r, doc["BT-13"]),
            sales_order_reference=self.text(r, doc["BT-14"]),
            receiving_advice=self.text(r, doc["BT-15"]),
            despatch_advice=self.text(r, doc["BT-16"]),
            tender_or_lot=self.text(r, doc["BT-17"]),
            invoiced_object=self.text(r, doc["BT-18"]),
            invoiced_object_scheme=self.text(r, doc["BT-18-1"]),
            buyer_accounting_reference=self.text(r, doc["BT-19"]),
            payment_terms=self.joined(r, doc["BT-20"]),
            notes=self.notes(),
            business_process=self.text(r, doc["BT-23"]),
            specification_id=spec,
            preceding_invoices=[self.preceding(n) for n in self.nodes(r, doc["BG-3"])],
            seller=self.party(self.node(r, doc["BG-4"]), "party") or Party(),
            buyer=self.party(self.node(r, doc["BG-7"]), "party") or Party(),
            payee=self.party(self.node(r, doc["BG-10"]), "payee"),
            seller_tax_representative=self.party(self.node(r, doc["BG-11"]),
                                                 "tax_representative"),
            delivery=self.delivery(self.node(r, doc["BG-13"])),
            period_start=self.date(r, doc["BT-73"], "BT-73"),
            period_end=self.date(r, doc["BT-74"], "BT-74"),
            payment_means=self.payment_means(),
            allowances=[ac for ac in allowances_charges if not ac.charge],
            charges=[ac for ac in allowances_charges if ac.charge],
            totals=self.totals(currency, vat_currency),
            vat_breakdown=[self.vat(n) for n in self.nodes(r, doc["BG-23"])],
            attachments=[self.attachment(n) for n in self.nodes(r, doc["BG-24"])],
            lines=[self.line(n) for n in self.nodes(r, doc["BG-25"])],
            profile=profile_of(spec),
            syntax=self.syntax,
            ubl_credit_note=etree.QName(r).namespace == UBL_CREDIT_NOTE_NS,
        )

    def notes(self) -> list[Note]:
        paths = self.b["note"]
        notes = []
        for node in self.nodes(self.root, self.b["document"]["BG-1"]):
            text = self.joined(node, paths["BT-22"])
            code = self.text(node, paths["BT-21"])
            if paths["BT-21"] is None and text:
                match = _UBL_NOTE.match(text)
                if match:
                    code, text = match.group(1), _clean(match.group(2))
            if text is not None or code is not None:
                notes.append(Note(code, text))
        return notes

    def preceding(self, node) -> PrecedingInvoice:
        paths = self.b["preceding"]
        return PrecedingInvoice(self.text(node, paths["BT-25"]),
                                self.date(node, paths["BT-26"], "BT-26"))

    def party(self, node, role: str) -> Party | None:
        if node is None:
            return None
        paths = {**self.b["party"], **self.b[role]}
        identifiers = [i for i in map(self.identifier, self.nodes(node, paths["identifiers"]))
                       if i is not None]
        electronic = self.node(node, paths["electronic_address"])
        party = Party(
            name=self.text(node, paths["name"]),
            trading_name=self.text(node, paths["trading_name"]),
            identifiers=identifiers,
            legal_id=self.text(node, paths["legal_id"]),
            legal_id_scheme=self.attr(node, paths["legal_id"], "schemeID"),
            vat_id=self.text(node, paths["vat_id"]),
            tax_registration_id=self.text(node, paths["tax_registration_id"]),
            legal_form=self.text(node, paths["legal_form"]),
            electronic_address=_clean(electronic.text) if electronic is not None else None,
            electronic_address_scheme=(_clean(electronic.get("schemeID"))
                                       if electronic is not None else None),
            address=self.address(self.node(node, paths["address"])),
            contact=self.contact(self.node(node, paths["contact"])),
        )
        return None if party == Party() else party

    def address(self, node) -> Address | None:
        if node is None:
            return None
        address = Address(**{name: self.text(node, path)
                             for name, path in self.b["address"].items()})
        return None if address == Address() else address

    def contact(self, node) -> Contact | None:
        if node is None:
            return None
        contact = Contact(**{name: self.text(node, path)
                             for name, path in self.b["contact"].items()})
        return None if contact == Contact() else contact

    def delivery(self, node) -> Delivery | None:
        if node is None:
            return None
        paths = self.b["delivery"]
        location = self.node(node, paths["BT-71"])
        delivery = Delivery(
            name=self.text(node, paths["BT-70"]),
            location_id=_clean(location.text) if location is not None else None,
            location_scheme=_clean(location.get("schemeID")) if location is not None else None,
            date=self.date(node, paths["BT-72"], "BT-72"),
            address=self.address(self.node(node, paths["BG-15"])),
        )
        return None if delivery == Delivery() else delivery

    def payment_means(self) -> list[PaymentMeans]:
        doc = self.b["document"]
        paths = self.b["payment_means"]
        # Document-level terms (CII BT-83/89/90, UBL BT-90) go onto every payment means.
        shared = {
            "remittance": self.text(self.root, doc["BT-83"]),
            "mandate": self.text(self.root, doc["BT-89"]),
            "creditor_id": self.text(self.root, doc["BT-90"]),
        }
        means = []
        for node in self.nodes(self.root, doc["BG-16"]):
            means.append(PaymentMeans(
                type_code=self.text(node, paths["BT-81"]),
                text=self.text(node, paths["BT-82"]),
                remittance=self.text(node, paths["BT-83"]) or shared["remittance"],
                iban=self.text(node, paths["BT-84"]),
                account_name=self.text(node, paths["BT-85"]),
                bic=self.text(node, paths["BT-86"]),
                card=self.text(node, paths["BT-87"]),
                card_holder=self.text(node, paths["BT-88"]),
                mandate=self.text(node, paths["BT-89"]) or shared["mandate"],
                creditor_id=shared["creditor_id"],
                debited_account=self.text(node, paths["BT-91"]),
            ))
        if not means and any(shared.values()):
            means.append(PaymentMeans(**shared))
        return means

    def allowance_charge(self, node, group: str) -> AllowanceCharge:
        paths = self.b["allowance_charge"]
        indicator = (self.text(node, paths["indicator"]) or "").lower()
        if indicator not in {"true", "false", "1", "0"}:
            raise ReadError(
                "READ_BAD_INDICATOR",
                f"Indicateur remise/charge illisible ({group}) : « {indicator[:20]} » "
                "(attendu : true ou false).",
                f"Unreadable allowance/charge indicator ({group}): “{indicator[:20]}” "
                "(expected true or false).", group)
        charge = indicator in {"true", "1"}
        doc_level = group == "BG-20/21"
        amount_bt = ("BT-99" if charge else "BT-92") if doc_level else (
            "BT-141" if charge else "BT-136")
        base_bt = ("BT-100" if charge else "BT-93") if doc_level else (
            "BT-142" if charge else "BT-137")
        percent_bt = ("BT-101" if charge else "BT-94") if doc_level else (
            "BT-143" if charge else "BT-138")
        return AllowanceCharge(
            charge=charge,
            amount=self.decimal(node, paths["amount"], amount_bt),
            base=self.decimal(node, paths["base"], base_bt),
            percent=self.decimal(node, paths["percent"], percent_bt, "number"),
            vat_category=self.text(node, paths["vat_category"]) if doc_level else None,
            vat_rate=(self.decimal(node, paths["vat_rate"], "BT-103" if charge else "BT-96",
                                   "number") if doc_level else None),
            reason=self.text(node, paths["reason"]),
            reason_code=self.text(node, paths["reason_code"]),
        )

    def totals(self, currency: str | None, vat_currency: str | None) -> Totals:
        paths = self.b["totals"]
        node = self.node(self.root, self.b["document"]["BG-22"])
        vat, vat_accounting = self.vat_totals(currency, vat_currency)
        return Totals(
            line_total=self.decimal(node, paths["BT-106"], "BT-106"),
            allowances=self.decimal(node, paths["BT-107"], "BT-107"),
            charges=self.decimal(node, paths["BT-108"], "BT-108"),
            without_vat=self.decimal(node, paths["BT-109"], "BT-109"),
            vat=vat,
            vat_in_accounting_currency=vat_accounting,
            with_vat=self.decimal(node, paths["BT-112"], "BT-112"),
            prepaid=self.decimal(node, paths["BT-113"], "BT-113"),
            rounding=self.decimal(node, paths["BT-114"], "BT-114"),
            due=self.decimal(node, paths["BT-115"], "BT-115"),
        )

    def vat_totals(self, currency, vat_currency) -> tuple[Decimal | None, Decimal | None]:
        """BT-110 in the invoice currency, BT-111 in the VAT accounting currency (by currencyID)."""
        nodes = self.nodes(self.root, self.b["document"]["BT-110/111"])
        other = vat_currency if vat_currency and vat_currency != currency else None
        main = [n for n in nodes if n.get("currencyID") in (None, currency)
                or (other and n.get("currencyID") != other)]
        if not main:  # no currency to match against (BT-5 missing): anything not in BT-6
            main = [n for n in nodes if not other or n.get("currencyID") != other]
        accounting = [n for n in nodes if other and n.get("currencyID") == other]
        vat = self.decimal(main[0], ".", "BT-110") if main else None
        vat_accounting = self.decimal(accounting[0], ".", "BT-111") if accounting else None
        return vat, vat_accounting

    def vat(self, node) -> VatBreakdown:
        paths = self.b["vat"]
        return VatBreakdown(
            taxable=self.decimal(node, paths["BT-116"], "BT-116"),
            tax=self.decimal(node, paths["BT-117"], "BT-117"),
            category=self.text(node, paths["BT-118"]),
            rate=self.decimal(node, paths["BT-119"], "BT-119", "number"),
            exemption_reason=self.text(node, paths["BT-120"]),
            exemption_code=self.text(node, paths["BT-121"]),
        )

    def attachment(self, node) -> Attachment:
        paths = self.b["attachment"]
        binary = self.node(node, paths["BT-125"])
        content = None
        if binary is not None and _clean(binary.text):
            try:
                content = base64.b64decode("".join(binary.text.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ReadError(
                    "READ_BAD_ATTACHMENT",
                    "Pièce jointe illisible (BT-125) : le contenu n'est pas du base64 valide.",
                    "Unreadable attachment (BT-125): the content is not valid base64.",
                    "BT-125") from exc
        return Attachment(
            id=self.text(node, paths["BT-122"]),
            description=self.text(node, paths["BT-123"]),
            uri=self.text(node, paths["BT-124"]),
            filename=_clean(binary.get("filename")) if binary is not None else None,
            mime_code=_clean(binary.get("mimeCode")) if binary is not None else None,
            content=content,
        )

    def line(self, node) -> Line:
        p = self.b["line"]
        quantity = self.node(node, p["BT-129"])
        base_quantity = self.node(node, p["BT-149"])
        standard = self.node(node, p["BT-157"])
        allowances_charges = [self.allowance_charge(n, "BG-27/28")
                              for n in self.nodes(node, p["BG-27/28"])]
        return Line(
            id=self.text(node, p["BT-126"]),
            note=self.joined(node, p["BT-127"]),
            object_id=self.text(node, p["BT-128"]),
            object_id_scheme=self.text(node, p["BT-128-1"]),
            quantity=self.decimal(node, p["BT-129"], "BT-129", "number"),
            unit=_clean(quantity.get("unitCode")) if quantity is not None else None,
            net_amount=self.decimal(node, p["BT-131"], "BT-131"),
            order_line_ref=self.text(node, p["BT-132"]),
            accounting_ref=self.text(node, p["BT-133"]),
            period_start=self.date(node, p["BT-134"], "BT-134"),
            period_end=self.date(node, p["BT-135"], "BT-135"),
            allowances=[ac for ac in allowances_charges if not ac.charge],
            charges=[ac for ac in allowances_charges if ac.charge],
            net_price=self.decimal(node, p["BT-146"], "BT-146"),
            price_discount=self.decimal(node, p["BT-147"], "BT-147"),
            gross_price=self.decimal(node, p["BT-148"], "BT-148"),
            price_base_quantity=self.decimal(node, p["BT-149"], "BT-149", "number"),
            price_base_unit=(_clean(base_quantity.get("unitCode"))
                             if base_quantity is not None else None),
            vat_category=self.text(node, p["BT-151"]),
            vat_rate=self.decimal(node, p["BT-152"], "BT-152", "number"),
            name=self.text(node, p["BT-153"]),
            description=self.joined(node, p["BT-154"]),
            seller_item_id=self.text(node, p["BT-155"]),
            buyer_item_id=self.text(node, p["BT-156"]),
            standard_item_id=_clean(standard.text) if standard is not None else None,
            standard_item_scheme=_clean(standard.get("schemeID")) if standard is not None else None,
            classification=self.classifications(node, p["BT-158"]),
            origin_country=self.text(node, p["BT-159"]),
            attributes=[Attribute(self.text(a, p["BT-160"]), self.text(a, p["BT-161"]))
                        for a in self.nodes(node, p["BG-32"])],
        )

    def classifications(self, node, path: str) -> list[Classification]:
        result = []
        for code in self.nodes(node, path):
            value = _clean(code.text)
            if value is not None:
                result.append(Classification(value, _clean(code.get("listID")),
                                             _clean(code.get("listVersionID"))))
        return result


__all__ = ["ReadError", "profile_of", "read"]
