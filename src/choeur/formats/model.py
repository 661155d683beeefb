"""One normalised invoice model, at EN 16931 business-term level (BT / BG numbers).

Filled identically from CII (Factur-X, D16B) and UBL 2.1 by `choeur.formats.readers`: the portal,
the API and the flux integration read invoices only through it. Standard library only: amounts,
quantities and rates are `decimal.Decimal` (compared by value: 100.00 == 100), dates
`datetime.date`. A term the document does not carry is None (or an empty list), never "".

Chorus Pro vocabulary: BT-10 buyer reference = "code service", BT-13 purchase order reference =
"numéro d'engagement", BT-23 business process = "cadre de facturation" (A1, S1, B1…), seller
BT-30 legal id with scheme "0009" = SIRET ("0002" = SIREN).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

# UNTDID 1001 document type codes that are credit notes (EN 16931 code list for BT-3).
CREDIT_NOTE_TYPE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458",
                                    "532"})


class Note(NamedTuple):
    """BG-1 invoice note."""

    subject_code: str | None  # BT-21 (UNTDID 4451, e.g. "AAI", "REG", "PMT")
    text: str | None  # BT-22


class PrecedingInvoice(NamedTuple):
    """BG-3 preceding invoice reference."""

    number: str | None  # BT-25
    date: date | None  # BT-26


class Identifier(NamedTuple):
    """An identifier with its scheme (ISO 6523 ICD such as "0009" SIRET, "0088" GLN…)."""

    value: str
    scheme: str | None


class Classification(NamedTuple):
    """BT-158 item classification identifier."""

    code: str
    list_id: str | None  # BT-158-1 scheme (UNTDID 7143, e.g. "STI", "CV")
    list_version: str | None  # BT-158-2


class Attribute(NamedTuple):
    """BG-32 item attribute."""

    name: str | None  # BT-160
    value: str | None  # BT-161


@dataclass
class Address:
    """BG-5 seller / BG-8 buyer / BG-12 tax representative / BG-15 deliver-to address."""

    line1: str | None = None  # BT-35 / BT-50 / BT-64 / BT-75
    line2: str | None = None  # BT-36 / BT-51 / BT-65 / BT-76
    line3: str | None = None  # BT-162 / BT-163 / BT-164 / BT-165
    city: str | None = None  # BT-37 / BT-52 / BT-66 / BT-77
    postcode: str | None = None  # BT-38 / BT-53 / BT-67 / BT-78
    subdivision: str | None = None  # BT-39 / BT-54 / BT-68 / BT-79
    country: str | None = None  # BT-40 / BT-55 / BT-69 / BT-80 (ISO 3166-1 alpha-2)


@dataclass
class Contact:
    """BG-6 seller contact / BG-9 buyer contact."""

    name: str | None = None  # BT-41 / BT-56
    phone: str | None = None  # BT-42 / BT-57
    email: str | None = None  # BT-43 / BT-58


@dataclass
class Party:
    """BG-4 seller, BG-7 buyer, BG-10 payee (BT-59..61), BG-11 tax representative (BT-62..63)."""

    name: str | None = None  # BT-27 / BT-44 / BT-59 / BT-62
    trading_name: str | None = None  # BT-28 / BT-45
    identifiers: list[Identifier] = field(default_factory=list)  # BT-29 / BT-46 / BT-60
    legal_id: str | None = None  # BT-30 / BT-47 / BT-61 (SIREN, SIRET…)
    legal_id_scheme: str | None = None  # BT-30-1 / BT-47-1 / BT-61-1 ("0002" SIREN, "0009" SIRET)
    vat_id: str | None = None  # BT-31 / BT-48 / BT-63
    tax_registration_id: str | None = None  # BT-32 (seller tax registration, "FC")
    legal_form: str | None = None  # BT-33 (seller additional legal information)
    electronic_address: str | None = None  # BT-34 / BT-49
    electronic_address_scheme: str | None = None  # BT-34-1 / BT-49-1 (EAS, e.g. "0225", "EM")
    address: Address | None = None  # BG-5 / BG-8 / BG-12
    contact: Contact | None = None  # BG-6 / BG-9

    @property
    def siret(self) -> str | None:
        return self.legal_id if self.legal_id_scheme == "0009" else None

    @property
    def siren(self) -> str | None:
        if self.legal_id_scheme == "0002":
            return self.legal_id
        if self.legal_id_scheme == "0009" and self.legal_id:
            return self.legal_id[:9]
        return None


@dataclass
class Delivery:
    """BG-13 delivery information."""

    name: str | None = None  # BT-70 deliver-to party name
    location_id: str | None = None  # BT-71
    location_scheme: str | None = None  # BT-71-1
    date: date | None = None  # BT-72 actual delivery date
    address: Address | None = None  # BG-15


@dataclass
class PaymentMeans:
    """BG-16 payment instructions (one per means; BG-17 transfer, BG-18 card, BG-19 debit)."""

    type_code: str | None = None  # BT-81 (UNTDID 4461: 30, 58 SEPA transfer, 59 SEPA debit…)
    text: str | None = None  # BT-82
    remittance: str | None = None  # BT-83 remittance information
    iban: str | None = None  # BT-84 payment account identifier (IBAN or proprietary)
    account_name: str | None = None  # BT-85
    bic: str | None = None  # BT-86 payment service provider identifier
    card: str | None = None  # BT-87 payment card primary account number
    card_holder: str | None = None  # BT-88
    mandate: str | None = None  # BT-89 mandate reference identifier
    creditor_id: str | None = None  # BT-90 bank assigned creditor identifier
    debited_account: str | None = None  # BT-91 debited account identifier


@dataclass
class AllowanceCharge:
    """BG-20 / BG-21 document level, BG-27 / BG-28 line level allowance or charge."""

    charge: bool = False  # False: allowance (BG-20/27), True: charge (BG-21/28)
    amount: Decimal | None = None  # BT-92 / BT-99 / BT-136 / BT-141
    base: Decimal | None = None  # BT-93 / BT-100 / BT-137 / BT-142
    percent: Decimal | None = None  # BT-94 / BT-101 / BT-138 / BT-143
    vat_category: str | None = None  # BT-95 / BT-102 (document level only)
    vat_rate: Decimal | None = None  # BT-96 / BT-103 (document level only)
    reason: str | None = None  # BT-97 / BT-104 / BT-139 / BT-144
    reason_code: str | None = None  # BT-98 / BT-105 / BT-140 / BT-145


@dataclass
class Totals:
    """BG-22 document totals."""

    line_total: Decimal | None = None  # BT-106 sum of invoice line net amounts
    allowances: Decimal | None = None  # BT-107
    charges: Decimal | None = None  # BT-108
    without_vat: Decimal | None = None  # BT-109
    vat: Decimal | None = None  # BT-110 (invoice currency)
    vat_in_accounting_currency: Decimal | None = None  # BT-111 (in BT-6)
    with_vat: Decimal | None = None  # BT-112
    prepaid: Decimal | None = None  # BT-113
    rounding: Decimal | None = None  # BT-114
    due: Decimal | None = None  # BT-115 amount due for payment


@dataclass
class VatBreakdown:
    """BG-23 VAT breakdown (one per category and rate)."""

    taxable: Decimal | None = None  # BT-116
    tax: Decimal | None = None  # BT-117
    category: str | None = None  # BT-118 (UNCL 5305: S, Z, E, AE, K, G, O, L, M)
    rate: Decimal | None = None  # BT-119
    exemption_reason: str | None = None  # BT-120
    exemption_code: str | None = None  # BT-121 (VATEX)


@dataclass
class Attachment:
    """BG-24 additional supporting document."""

    id: str | None = None  # BT-122
    description: str | None = None  # BT-123
    uri: str | None = None  # BT-124 external document location
    filename: str | None = None  # BT-125-2
    mime_code: str | None = None  # BT-125-1
    content: bytes | None = None  # BT-125 attached document (decoded)


@dataclass
class Line:
    """BG-25 invoice line."""

    id: str | None = None  # BT-126
    note: str | None = None  # BT-127
    object_id: str | None = None  # BT-128
    object_id_scheme: str | None = None  # BT-128-1
    quantity: Decimal | None = None  # BT-129
    unit: str | None = None  # BT-130 (UN/ECE rec. 20, e.g. "C62", "H87", "HUR")
    net_amount: Decimal | None = None  # BT-131
    order_line_ref: str | None = None  # BT-132
    accounting_ref: str | None = None  # BT-133
    period_start: date | None = None  # BT-134 (BG-26)
    period_end: date | None = None  # BT-135 (BG-26)
    allowances: list[AllowanceCharge] = field(default_factory=list)  # BG-27
    charges: list[AllowanceCharge] = field(default_factory=list)  # BG-28
    net_price: Decimal | None = None  # BT-146
    price_discount: Decimal | None = None  # BT-147
    gross_price: Decimal | None = None  # BT-148
    price_base_quantity: Decimal | None = None  # BT-149
    price_base_unit: str | None = None  # BT-150
    vat_category: str | None = None  # BT-151
    vat_rate: Decimal | None = None  # BT-152
    name: str | None = None  # BT-153
    description: str | None = None  # BT-154
    seller_item_id: str | None = None  # BT-155
    buyer_item_id: str | None = None  # BT-156
    standard_item_id: str | None = None  # BT-157
    standard_item_scheme: str | None = None  # BT-157-1
    classification: list[Classification] = field(default_factory=list)  # BT-158
    origin_country: str | None = None  # BT-159
    attributes: list[Attribute] = field(default_factory=list)  # BG-32 (BT-160, BT-161)


@dataclass
class Invoice:
    """An EN 16931 invoice or credit note. Equality ignores the syntax it was read from."""

    number: str | None = None  # BT-1
    issue_date: date | None = None  # BT-2
    type_code: str | None = None  # BT-3 (UNTDID 1001: 380 invoice, 381 credit note, 386, 389…)
    currency: str | None = None  # BT-5
    vat_currency: str | None = None  # BT-6 VAT accounting currency
    tax_point_date: date | None = None  # BT-7
    tax_point_code: str | None = None  # BT-8 (UNTDID 2005: 3, 35, 432)
    due_date: date | None = None  # BT-9
    buyer_reference: str | None = None  # BT-10 (Chorus Pro: code service)
    project_reference: str | None = None  # BT-11
    contract_reference: str | None = None  # BT-12
    purchase_order_reference: str | None = None  # BT-13 (Chorus Pro: numéro d'engagement)
    sales_order_reference: str | None = None  # BT-14
    receiving_advice: str | None = None  # BT-15
    despatch_advice: str | None = None  # BT-16
    tender_or_lot: str | None = None  # BT-17
    invoiced_object: str | None = None  # BT-18
    invoiced_object_scheme: str | None = None  # BT-18-1
    buyer_accounting_reference: str | None = None  # BT-19
    payment_terms: str | None = None  # BT-20
    notes: list[Note] = field(default_factory=list)  # BG-1 (BT-21, BT-22)
    business_process: str | None = None  # BT-23 (Chorus Pro: cadre de facturation)
    specification_id: str | None = None  # BT-24
    preceding_invoices: list[PrecedingInvoice] = field(default_factory=list)  # BG-3
    seller: Party = field(default_factory=Party)  # BG-4
    buyer: Party = field(default_factory=Party)  # BG-7
    payee: Party | None = None  # BG-10
    seller_tax_representative: Party | None = None  # BG-11
    delivery: Delivery | None = None  # BG-13
    period_start: date | None = None  # BT-73 (BG-14 invoicing period)
    period_end: date | None = None  # BT-74 (BG-14)
    payment_means: list[PaymentMeans] = field(default_factory=list)  # BG-16
    allowances: list[AllowanceCharge] = field(default_factory=list)  # BG-20
    charges: list[AllowanceCharge] = field(default_factory=list)  # BG-21
    totals: Totals = field(default_factory=Totals)  # BG-22
    vat_breakdown: list[VatBreakdown] = field(default_factory=list)  # BG-23
    attachments: list[Attachment] = field(default_factory=list)  # BG-24
    lines: list[Line] = field(default_factory=list)  # BG-25
    profile: str | None = None  # "minimum", "basicwl", "basic", "en16931", "extended" (from BT-24)
    syntax: str = field(default="", compare=False)  # "CII" or "UBL" (not a business term)
    ubl_credit_note: bool = field(default=False, compare=False)  # read from a UBL <CreditNote>

    @property
    def is_credit_note(self) -> bool:
        return self.ubl_credit_note or (self.type_code or "") in CREDIT_NOTE_TYPE_CODES

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: Decimal → str (as written), date → ISO 8601, bytes → base64."""
        data = _jsonable(self)
        data["is_credit_note"] = self.is_credit_note
        return data


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: _jsonable(item) for name, item in zip(value._fields, value, strict=True)}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
