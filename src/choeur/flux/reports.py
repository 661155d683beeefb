"""The compte rendu of a flux: the PDF `consulterCR` returns (`fichierCR`, base64) and the
portal offers, and the error rows `consulterCRDetaille` and the portal list.

The PDF is made on demand from the flux's state (deterministic bytes for the same state:
reportlab's invariant mode, dates from the flux), in French as Chorus Pro's reports are."""

from __future__ import annotations

import io

from django.utils import translation

from choeur.core import clock
from choeur.flux.models import Flux, FluxItem

#: Findings shown per refused invoice in the PDF (the API gives them all).
PDF_FINDINGS_PER_INVOICE = 30
MAX_MESSAGE = 600  # characters of one finding's message in the PDF (the API gives them whole)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def message(error: dict, language: str = "fr") -> str:
    text = error.get("message_en" if language == "en" else "message_fr") or ""
    location = error.get("location") or ""
    return f"{text} ({location})" if location else text


def summary(item: FluxItem, language: str = "fr", limit: int = 10) -> str:
    """`libelleErreurDP`: the refused invoice's problems, rule ids first, in one line."""
    errors = item.errors or []
    parts = [f"{e.get('code', '')} - {message(e, language)}" for e in errors[:limit]]
    if len(errors) > limit:
        more = len(errors) - limit
        parts.append(f"… and {more} more" if language == "en" else f"… et {more} autres")
    return " ; ".join(parts)


def _paris(value) -> str:
    return value.astimezone(clock.PARIS).strftime("%d/%m/%Y à %H:%M:%S") if value else "—"


def render_cr(flux: Flux) -> bytes:
    """The PDF compte rendu of the flux, as it stands."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from choeur.formats.writers import _esc, _register_fonts, page_footer

    _register_fonts()
    with translation.override("fr"):
        status = str(flux.get_status_display())
        channel = str(flux.get_channel_display())

    base = ParagraphStyle("base", fontName="ChoeurVera", fontSize=9, leading=11.5)
    label = ParagraphStyle("label", parent=base, fontName="ChoeurVera-Bold")
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
    title = ParagraphStyle("title", parent=base, fontName="ChoeurVera-Bold", fontSize=16,
                           leading=21)
    grid = colors.Color(0.75, 0.75, 0.75)

    rows = [
        ("Numéro de flux (numeroFluxDepot)", flux.numero),
        ("Fichier", flux.filename),
        ("Syntaxe (syntaxeFlux)", flux.syntaxe),
        ("Canal de dépôt", channel),
        ("Structure", f"{flux.structure.identifier} — {flux.structure.company_name or ''}"),
        ("Déposé le", _paris(flux.deposited_at) + " (heure de Paris)"),
        ("État (etatCourantFlux)", f"{flux.status} — {status}"),
        ("Date de l'état", _paris(flux.status_at)),
        ("Factures dans le flux", str(flux.invoice_count)),
        ("Factures intégrées", str(flux.integrated_count)),
        ("Factures rejetées", str(flux.rejected_count)),
        ("Empreinte SHA-256 du fichier", flux.sha256),
    ]
    head = Table([[Paragraph(_esc(k), label), Paragraph(_esc(v), base)] for k, v in rows],
                 colWidths=[58 * mm, 116 * mm])
    head.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
        ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.95, 0.95, 0.95)),
    ]))
    story = [Paragraph("Compte rendu de traitement du flux", title), Spacer(1, 4 * mm), head,
             Spacer(1, 6 * mm)]

    for error in (flux.technical_errors or [])[:PDF_FINDINGS_PER_INVOICE]:
        story.append(Paragraph(_esc(_cut(f"{error.get('code', '')} — {message(error)}",
                                         MAX_MESSAGE)), base))
    items = list(flux.items.order_by("position"))
    if items:
        table = [[Paragraph(h, label) for h in ("N°", "Fichier", "Facture (numeroDP)",
                                                 "Résultat", "Anomalies (règle — message)")]]
        for item in items:
            errors = item.errors or []
            shown = errors[:PDF_FINDINGS_PER_INVOICE]
            # One row per finding, each message cut: a row never outgrows a page (reportlab
            # cannot split a row), whatever an invoice's findings.
            lines = [f"<b>{_esc(e.get('code', '')[:80])}</b> — "
                     f"{_esc(_cut(message(e), MAX_MESSAGE))}" for e in shown]
            if len(errors) > len(shown):
                lines.append(_esc(f"… et {len(errors) - len(shown)} autres (consulterCRDetaille "
                                  "ou le portail les donnent toutes)"))
            lines = lines or ["—"]
            table.append([
                Paragraph(str(item.position), base), Paragraph(_esc(item.name[:120]), small),
                Paragraph(_esc((item.number or "—")[:40]), base),
                Paragraph("Intégrée" if item.accepted else "Rejetée", base),
                Paragraph(lines[0], small)])
            table.extend([["", "", "", "", Paragraph(line, small)] for line in lines[1:]])
        invoices = Table(table, colWidths=[10 * mm, 38 * mm, 32 * mm, 18 * mm, 76 * mm],
                         repeatRows=1)
        invoices.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, grid),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.95, 0.95, 0.95)),
        ]))
        story.append(invoices)
    elif not flux.is_finished:
        story.append(Paragraph("Le flux n'est pas encore traité : ce compte rendu sera complété "
                               "à la fin de son intégration.", base))

    buffer = io.BytesIO()
    decorate = page_footer(flux.status_at, f"Choeur — compte rendu du flux {flux.numero}", 10)

    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"Compte rendu du flux {flux.numero}", author="Choeur",
        subject=f"{flux.filename} — {flux.status}", creator="Choeur", producer="Choeur",
        invariant=1, lang="fr-FR")
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
