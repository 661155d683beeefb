"""What a deposit channel hands to the deposit service: the invoice as keyed in a form, sent by
the API, or read from a structured file. Plain dataclasses, so that every channel (portal,
API, flux) fills the same thing and the same checks run on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
#: Every amount is stored as decimal(19,6), as Chorus Pro's: 13 digits before the point.
MAX_AMOUNT = Decimal("1e13")


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class LineData:
    designation: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount: Decimal = Decimal(0)
    unit: str = ""
    reference: str = ""
    vat_category: str = "S"
    total_ht: Decimal | None = None  # given by a file; computed for a form

    def computed_total(self) -> Decimal:
        return money(Decimal(self.quantity) * Decimal(self.unit_price) - Decimal(self.discount))


@dataclass
class VatLineData:
    rate: Decimal
    base_ht: Decimal
    amount: Decimal
    category: str = "S"


@dataclass
class Totals:
    total_ht: Decimal
    total_tva: Decimal
    total_ttc: Decimal
    amount_due: Decimal


@dataclass
class InvoiceData:
    cadre: str = "A1_FACTURE_FOURNISSEUR"
    recipient_identifier: str = ""  # codeDestinataire (SIRET)
    recipient_service_code: str = ""  # codeServiceExecutant (BT-10)
    supplier_service_id: int | None = None
    validator_identifier: str = ""  # codeStructureValideur
    validator_service_code: str = ""
    type_facture: str = "FACTURE"
    number: str = ""
    invoice_date: date | None = None
    currency: str = "EUR"
    type_tva: str = "TVA_SUR_DEBIT"
    vat_exemption_reason: str = ""
    marche_number: str = ""
    engagement_number: str = ""
    original_invoice_number: str = ""
    payment_mode: str = "VIREMENT"
    bank_account_id: int | None = None
    comment: str = ""
    lines: list[LineData] = field(default_factory=list)
    vat_lines: list[VatLineData] | None = None  # None: computed from the lines
    totals: Totals | None = None  # None: computed from the lines

    def computed_vat_lines(self) -> list[VatLineData]:
        bases: dict[tuple[str, Decimal], Decimal] = {}
        for line in self.lines:
            key = (line.vat_category or "S", Decimal(line.vat_rate))
            total = line.total_ht if line.total_ht is not None else line.computed_total()
            bases[key] = bases.get(key, Decimal(0)) + total
        return [VatLineData(rate=rate, base_ht=money(base), category=category,
                            amount=money(base * rate / 100))
                for (category, rate), base in sorted(bases.items(), key=lambda kv: -kv[0][1])]

    def computed_totals(self) -> Totals:
        vat_lines = self.vat_lines if self.vat_lines is not None else self.computed_vat_lines()
        ht = sum((v.base_ht for v in vat_lines), Decimal(0))
        tva = sum((v.amount for v in vat_lines), Decimal(0))
        return Totals(total_ht=money(ht), total_tva=money(tva), total_ttc=money(ht + tva),
                      amount_due=money(ht + tva))
