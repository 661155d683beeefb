"""The documents made from a saved invoice: the Factur-X PDF validates clean (all layers, BR-FR
included) and reads back to the same model; the certificat de dépôt is deterministic and says
what it must."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal as D
from types import SimpleNamespace

import pypdf
import pytest

from choeur.formats import default_engine, read
from choeur.invoicing import documents
from choeur.invoicing.models import Invoice, InvoiceLine, VatLine
from choeur.organisations.models import BankAccount, Service, Structure

SUPPLIER_SIRET = "73282932000074"
SUPPLIER_SIREN = "732829320"
SUPPLIER_VAT = "FR44732829320"
RECIPIENT_SIRET = "11000201100044"
IBAN = "FR1420041010050500013M02606"
BIC = "PSSTFRPP"
MAIN_FILE = b"%PDF-1.7 the invoice document as deposited"
MAIN_SHA = hashlib.sha256(MAIN_FILE).hexdigest()
DEPOSITED_AT = datetime(2026, 3, 2, 9, 15, 30, tzinfo=UTC)  # 10:15:30 in Paris

# (designation, quantity, unit, unit price, discount, VAT rate, total HT)
LINES = [
    ("Maintenance du parc d'imprimantes", "12", "heure", "85.00", "20.00", "20", "1000.00"),
    ("Ramettes de papier A4 recyclé", "40", "", "4.35", "0", "20", "174.00"),
    ("Ouvrages de référence", "3", "unité", "42.10", "0", "5.5", "126.30"),
]
VAT = [("20", "1174.00", "234.80"), ("5.5", "126.30", "6.95")]


@pytest.fixture(scope="module")
def engine():
    return default_engine()


@pytest.fixture
def world(db):
    supplier = Structure.objects.create(
        identifier_type="SIRET", identifier=SUPPLIER_SIRET, kind="PRIVEE",
        company_name="Papeterie Lumière SA", vat_number=SUPPLIER_VAT,
        address_line1="12 rue de la République", address_line2="Bâtiment B", postcode="69002",
        city="Lyon", country="FR", email="facturation@lumiere.example")
    recipient = Structure.objects.create(
        identifier_type="SIRET", identifier=RECIPIENT_SIRET, kind="PUBLIQUE",
        company_name="Direction régionale des finances publiques",
        address_line1="3 quai de la Douane", postcode="33000", city="Bordeaux", country="FR")
    service = Service.objects.create(structure=recipient, code="COMPTA", name="Comptabilité")
    account = BankAccount.objects.create(structure=supplier, label="Compte principal",
                                         holder="Papeterie Lumière SA", iban=IBAN, bic=BIC)
    return SimpleNamespace(supplier=supplier, recipient=recipient, service=service,
                           account=account)


def make_invoice(world, *, lines=LINES, vat=VAT, **overrides) -> Invoice:
    total_ht = sum((D(line[6]) for line in lines), D(0))
    total_tva = sum((D(v[2]) for v in vat), D(0))
    fields = {
        "supplier": world.supplier, "recipient": world.recipient,
        "recipient_service": world.service, "cadre": "A1_FACTURE_FOURNISSEUR",
        "type_facture": "FACTURE", "number": "FA-2026-0117", "number_year": 2026,
        "invoice_date": date(2026, 3, 2), "deposited_at": DEPOSITED_AT, "currency": "EUR",
        "type_tva": "TVA_SUR_DEBIT", "marche_number": "MARCHE-2025-123",
        "engagement_number": "EJ-2026-0042", "payment_mode": "VIREMENT",
        "bank_account": world.account, "total_ht": total_ht, "total_tva": total_tva,
        "total_ttc": total_ht + total_tva, "amount_due": total_ht + total_tva,
        "mode_depot": "SAISIE_PORTAIL", "status": "DEPOSEE", "main_file_sha256": MAIN_SHA,
        "main_file_name": "FA-2026-0117.pdf",
    }
    fields.update(overrides)
    invoice = Invoice.objects.create(**fields)
    for number, (name, qty, unit, price, discount, rate, net) in enumerate(lines, start=1):
        InvoiceLine.objects.create(
            invoice=invoice, number=number, reference=f"REF-{number}", designation=name,
            quantity=D(qty), unit=unit, unit_price=D(price), discount=D(discount),
            vat_rate=D(rate), vat_category="S", total_ht=D(net))
    for rate, base, amount in vat:
        VatLine.objects.create(invoice=invoice, rate=D(rate), category="S", base_ht=D(base),
                               amount=D(amount))
    return Invoice.objects.get(pk=invoice.pk)  # amounts as the database gives them back


def assert_valid(engine, pdf: bytes) -> bytes:
    """Validate the PDF with all layers and return its embedded XML."""
    report = engine.validate(pdf, "facture.pdf")
    problems = [f"{f.rule} [{f.severity}] {f.location}: {f.message_en}"
                for f in report.findings if f.blocking]
    assert problems == [], "\n".join(problems)
    assert report.valid
    assert report.container == "pdf" and report.profile == "en16931"
    assert "BR-FR CII" in report.layers_run, report.layers_run
    assert "xsd" in report.layers_run
    return report.xml


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db
def test_invoice_renders_as_clean_facturx_and_reads_back(world, engine):
    invoice = make_invoice(world)
    pdf = documents.render_facturx(invoice)
    assert pdf.startswith(b"%PDF")
    back = read(assert_valid(engine, pdf))
    assert back == documents.to_model(invoice)
    assert back.number == "FA-2026-0117" and back.type_code == "380"
    assert back.issue_date == date(2026, 3, 2)
    assert back.buyer_reference == "COMPTA"
    assert back.purchase_order_reference == "EJ-2026-0042"
    assert back.contract_reference == "MARCHE-2025-123"
    assert back.business_process == "M1"
    assert back.totals.without_vat == D("1300.30") and back.totals.vat == D("241.75")
    assert back.totals.with_vat == D("1542.05") and back.totals.due == D("1542.05")
    assert back.totals.prepaid is None
    assert back.seller.identifiers == [("73282932000074", "0009")]
    assert (back.seller.legal_id, back.seller.legal_id_scheme) == (SUPPLIER_SIREN, "0002")
    assert (back.seller.electronic_address, back.seller.electronic_address_scheme) == (
        SUPPLIER_SIREN, "0225")
    assert back.seller.vat_id == SUPPLIER_VAT
    assert back.buyer.identifiers == [(RECIPIENT_SIRET, "0009")]
    assert back.buyer.siren == RECIPIENT_SIRET[:9]
    assert (back.buyer.electronic_address, back.buyer.electronic_address_scheme) == (
        RECIPIENT_SIRET, "0009")
    assert [n.subject_code for n in back.notes] == ["PMT", "PMD", "AAB"]
    [means] = back.payment_means
    assert (means.type_code, means.iban, means.bic) == ("58", IBAN, BIC)
    assert [line.unit for line in back.lines] == ["HUR", "C62", "C62"]
    first = back.lines[0]
    assert first.net_price == D("85") and first.net_amount == D("1000.00")
    assert [(a.amount, a.reason_code) for a in first.allowances] == [(D("20.00"), "95")]
    assert first.note == "Remise HT déduite : 20,00\u00a0€"
    assert back.tax_point_code is None
    assert "COMPTA" in pdf_text(pdf)


@pytest.mark.django_db
def test_credit_note_refers_to_its_original_invoice(world, engine):
    make_invoice(world)  # the original, deposited
    credit = make_invoice(
        world, type_facture="AVOIR", number="AV-2026-0009", invoice_date=date(2026, 3, 16),
        original_invoice_number="FA-2026-0117", payment_mode="REPORT", bank_account=None,
        lines=[LINES[1]], vat=[("20", "174.00", "34.80")])
    pdf = documents.render_facturx(credit)
    back = read(assert_valid(engine, pdf))
    assert back.type_code == "381" and back.is_credit_note
    assert [(p.number, p.date) for p in back.preceding_invoices] == [
        ("FA-2026-0117", date(2026, 3, 2))]
    assert [m.type_code for m in back.payment_means] == ["1"]
    assert back.totals.with_vat == D("208.80")


@pytest.mark.django_db
def test_vat_exemption_is_category_e_with_its_reason(world, engine):
    reason = "Exonération de TVA, article 261-4-4° du CGI"
    invoice = make_invoice(
        world, number="FA-2026-0200", type_tva="EXONERATION", vat_exemption_reason=reason,
        payment_mode="CHEQUE", bank_account=None,
        lines=[("Formation professionnelle continue", "2", "jour", "600.00", "0", "0",
                "1200.00")],
        vat=[("0", "1200.00", "0")])
    pdf = documents.render_facturx(invoice)
    back = read(assert_valid(engine, pdf))
    [vat] = back.vat_breakdown
    assert (vat.category, vat.rate, vat.tax, vat.exemption_reason) == (
        "E", D("0"), D("0"), reason)
    assert back.lines[0].vat_category == "E" and back.lines[0].unit == "DAY"
    assert [m.type_code for m in back.payment_means] == ["20"]


@pytest.mark.django_db
def test_advance_invoice_cash_accounting_and_subcontractor(world, engine):
    invoice = make_invoice(world, number="AC-2026-0003", type_facture="ACOMPTE",
                           type_tva="TVA_SUR_ENCAISSEMENT", cadre="A9_FACTURE_SOUSTRAITANT",
                           comment="Acompte de 30 % à la commande.")
    pdf = documents.render_facturx(invoice)
    back = read(assert_valid(engine, pdf))
    assert (back.type_code, back.tax_point_code, back.business_process) == ("386", "432", "S5")
    assert back.notes[-1] == ("AAI", "Acompte de 30 % à la commande.")


@pytest.mark.django_db
def test_already_paid_invoice_without_lines(world, engine):
    """A2 (already paid): nothing is due, the total is prepaid; an invoice entered with its VAT
    breakdown only gets one line per VAT line (EN 16931 needs one)."""
    invoice = make_invoice(world, number="FA-2026-0300", cadre="A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
                           lines=[], amount_due=D("0"))
    invoice.total_ht, invoice.total_tva = D("1300.30"), D("241.75")
    invoice.total_ttc = D("1542.05")
    invoice.save()
    pdf = documents.render_facturx(invoice)
    back = read(assert_valid(engine, pdf))
    assert back.business_process == "M1"
    assert back.totals.prepaid == D("1542.05") and back.totals.due == D("0")
    assert [(line.net_amount, line.vat_rate) for line in back.lines] == [
        (D("1174.00"), D("20")), (D("126.30"), D("5.5"))]


def test_unit_codes():
    assert documents.unit_code("") == "C62"
    assert documents.unit_code(None) == "C62"
    assert documents.unit_code("HUR") == "HUR"
    assert documents.unit_code("kg") == "KGM"
    assert documents.unit_code("Heures") == "HUR"
    assert documents.unit_code("boîte de 12") == "C62"
    assert documents.unit_code("XYZ") == "C62"


@pytest.mark.django_db
def test_certificate_is_deterministic_and_complete(world):
    invoice = make_invoice(world)
    certificate = documents.render_certificate(invoice)
    assert certificate.startswith(b"%PDF")
    again = documents.render_certificate(Invoice.objects.get(pk=invoice.pk))
    assert certificate == again
    assert hashlib.sha256(certificate).hexdigest() == hashlib.sha256(again).hexdigest()

    reader = pypdf.PdfReader(io.BytesIO(certificate))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Certificat de dépôt" in text
    assert "FA-2026-0117" in text
    assert SUPPLIER_SIRET in text and RECIPIENT_SIRET in text
    assert "COMPTA" in text
    assert "02/03/2026 à 10:15:30" in text
    assert "Saisie sur le portail" in text
    assert "A1" in text
    assert MAIN_SHA in re.sub(r"\s+", "", text)
    assert str(invoice.pk) in text
    assert reader.metadata.creation_date == DEPOSITED_AT


@pytest.mark.django_db
def test_certificate_of_a_name_beyond_windows_1252_embeds_its_font(world):
    """Helvetica is named, not embedded, and holds only Windows-1252: a Polish supplier's
    name is set in the embedded Vera instead (which has Ł, Č, Ğ, not every letter: « ź » never
    rendered), and reads back as written; a word too long for its column is cut, every
    character kept."""
    supplier = world.supplier
    supplier.company_name = "Zakład Čistoće Łukasz Ğüneş " + "Ł" * 60
    supplier.save()
    invoice = make_invoice(world)
    certificate = documents.render_certificate(invoice)
    page = pypdf.PdfReader(io.BytesIO(certificate)).pages[0]
    fonts = {font["/BaseFont"] for font in page["/Resources"]["/Font"].values()
             if "/BaseFont" in font}
    assert any("BitstreamVeraSans" in name for name in map(str, fonts)), fonts
    text = page.extract_text()
    assert "Zakład Čistoće Łukasz Ğüneş" in text
    assert "Ł" * 60 in re.sub(r"\s+", "", text)
    assert documents.render_certificate(invoice) == certificate  # still deterministic

    # The usual French name: the standard font, nothing embedded.
    supplier.company_name = "Société Générale d'Œuvres — Île-de-France"
    supplier.save()
    plain = pypdf.PdfReader(io.BytesIO(documents.render_certificate(make_invoice(
        world, number="FA-2026-0118")))).pages[0]
    assert {str(font["/BaseFont"]) for font in plain["/Resources"]["/Font"].values()} <= {
        "/Helvetica", "/Helvetica-Bold", "/Courier"}
    assert "Société Générale d'Œuvres — Île-de-France" in plain.extract_text()


@pytest.mark.django_db
def test_certificate_values_never_add_lines_nor_leave_the_page(world):
    """A name made of new lines (99 characters of « A\\n ») and a service code of tabs and
    control characters: each value is one line of printable text, the fingerprint and the
    notice stay on the page."""
    supplier = world.supplier
    supplier.company_name = "A\n" * 49 + "Z"
    supplier.save()
    world.service.code = "\t\x01SERV\x07" + "\n" * 60 + "ICE"
    world.service.save()
    certificate = documents.render_certificate(make_invoice(world))
    page = pypdf.PdfReader(io.BytesIO(certificate)).pages[0]
    text = re.sub(r"\s+", " ", page.extract_text())  # (the name wraps)
    assert " ".join(["A"] * 49 + ["Z"]) in text
    assert "SERV ICE" in text and "\x01" not in text and "\x07" not in text
    assert MAIN_SHA in re.sub(r"\s+", "", text)
    assert "communiquée avec la facture" in text
    positions = []
    page.extract_text(visitor_text=lambda t, cm, tm, *_: positions.append(tm[5]) if t.strip()
                      else None)
    assert min(positions) > 0  # nothing drawn below the page


@pytest.mark.django_db
def test_certificate_needs_a_deposit(world):
    invoice = make_invoice(world, deposited_at=None, status="BROUILLON")
    with pytest.raises(ValueError):
        documents.render_certificate(invoice)


def _is_subsequence(needle: str, haystack: str) -> bool:
    """Every character of `needle`, in order, in `haystack` (other text may come between:
    a row split over two pages has the page's footer and repeated header in the middle)."""
    position = 0
    for char in needle:
        position = haystack.find(char, position)
        if position < 0:
            return False
        position += 1
    return True


@pytest.mark.django_db
def test_readable_page_names_the_cadre_units_and_french_amounts(world):
    invoice = make_invoice(world, lines=[
        ("Carrelage de la salle de réunion", "42.5", "MTK", "30.6", "0", "20", "1300.50"),
    ], vat=[("20", "1300.50", "260.10")], cadre="A9_FACTURE_SOUSTRAITANT")
    pdf = documents.render_facturx(invoice)
    text = re.sub(r"[ \n]+", " ", pdf_text(pdf))  # lines joined; no-break spaces kept
    # The cadre as the portal shows it, not BT-23's French code (S5, kept in the XML).
    assert "Cadre de facturation : A9 — Dépôt par un sous-traitant d'une facture" in text
    assert "S5" not in text and b"<ram:ID>S5</ram:ID>" in read_xml(pdf)
    assert "mètre carré (MTK)" in text
    # French amounts (pypdf gives the no-break spaces back as plain ones).
    assert re.search(r"1\s300,50\s€", text) and re.search(r"1\s560,60\s€", text)


def read_xml(pdf: bytes) -> bytes:
    import facturx

    return facturx.get_xml_from_pdf(pdf, check_xsd=False)[1]


@pytest.mark.django_db
def test_a_long_designation_is_kept_whole_and_flows_over_pages(world):
    words = ("Prestation de maintenance préventive et corrective du parc informatique, "
             "remplacement des pièces d'usure et rapport d'intervention détaillé ; ")
    designation = (words * 20)[:2000].strip() + " FIN-DE-LA-DESIGNATION"
    lines = [(designation, "1", "HUR", "10", "0", "20", "10.00")]
    lines += [(f"Ligne courte {n}", "1", "C62", "10", "0", "20", "10.00") for n in range(2, 201)]
    invoice = make_invoice(world, lines=lines, vat=[("20", "2000.00", "400.00")])
    assert invoice.lines.get(number=1).designation == designation  # stored whole, not cut
    pdf = documents.render_facturx(invoice)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    text = "".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", "", text)
    assert _is_subsequence(re.sub(r"\s+", "", designation), flat)
    assert "FIN-DE-LA-DESIGNATION" in flat
    assert "Lignecourte200" in flat
    assert documents.to_model(invoice).lines[0].name == designation
