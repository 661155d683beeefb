"""What the PDF of a works piece says beyond the invoice (docs/TRAVAUX.md): its dossier, its
place in it and the amounts — cumulated over the marché, this piece, and the sommes admises
beside the amounts claimed for a maître d'œuvre's or maître d'ouvrage's piece.

Invoicing writes the Factur-X of every piece (`invoicing.services.generate_document`) and knows
no dossier (it may not import travaux): the travaux services hand it these blocks
(`formats.writers.PageSection`) when they issue a piece. They go on the readable page only: the
embedded CII stays the invoice's EN 16931 data. The page is written once, when the piece is
deposited, and says what stood then (the cumulation at that moment), as a paper décompte does.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import translation

from choeur.formats import display
from choeur.formats.writers import PageSection
from choeur.invoicing.models import Invoice, TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

K = TypeFactureTravaux
C = TravauxCadre
#: Each cadre's piece: its typeFactureTravaux and who deposits it (reference §2.2).
PIECE_OF_CADRE = {
    C.A4: (K.PROJET_DECOMPTE_MENSUEL, Actor.FOURNISSEUR),
    C.A5: (K.ETAT_ACOMPTE, Actor.FOURNISSEUR),
    C.A6: (K.ETAT_ACOMPTE_VALIDE, Actor.FOURNISSEUR),
    C.A7: (K.PROJET_DECOMPTE_FINAL, Actor.FOURNISSEUR),
    C.A8: (K.DECOMPTE_GENERAL_SIGNE, Actor.FOURNISSEUR),
    C.A10: (K.DP_DE_SOUSTRAITANT_TRAVAUX, Actor.FOURNISSEUR),
    C.A13: (K.PROJET_DECOMPTE_MENSUEL, Actor.FOURNISSEUR),
    C.A14: (K.PROJET_DECOMPTE_FINAL, Actor.FOURNISSEUR),
    C.A15: (K.ETAT_ACOMPTE, Actor.MOE),
    C.A16: (K.ETAT_ACOMPTE_VALIDE, Actor.MOE),
    C.A17: (K.PROJET_DECOMPTE_GENERAL, Actor.MOE),
    C.A18: (K.DECOMPTE_GENERAL, Actor.MOE),
    C.A19: (K.ETAT_ACOMPTE_VALIDE, Actor.MOA),
    C.A20: (K.DECOMPTE_GENERAL, Actor.MOA),
    C.A22: (K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE, Actor.FOURNISSEUR),
    C.A23: (K.DECOMPTE_GENERAL_DEFINITIF_TACITE, Actor.FOURNISSEUR),
    C.A24: (K.DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE, Actor.MOE),
    C.A25: (K.DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE, Actor.MOA),
}
#: An état d'acompte validé in these statuses was never paid: not cumulated.
_NOT_COUNTED = (Status.BROUILLON, Status.SUPPRIMEE, Status.REFUSEE_MOE, Status.REFUSEE_MOA,
                Status.REJETEE)


def earlier_validated_ht(dossier: Dossier) -> Decimal:
    """The same marché's earlier états d'acompte validés (same titulaire and MOA, dossiers
    created before this one), HT: what the marché stood at before this dossier. Nothing
    without a marché number (nothing to cumulate over)."""
    if not dossier.marche_number:
        return Decimal(0)
    earlier = Dossier.objects.filter(
        supplier_id=dossier.supplier_id, moa_id=dossier.moa_id,
        marche_number=dossier.marche_number, created_at__lt=dossier.created_at,
    ).exclude(pk=dossier.pk)
    total = (Piece.objects.filter(dossier__in=earlier, kind=K.ETAT_ACOMPTE_VALIDE)
             .exclude(invoice__status__in=_NOT_COUNTED)
             .aggregate(total=Sum("invoice__total_ht"))["total"])
    return total or Decimal(0)


def first_piece(dossier: Dossier, invoice: Invoice, kind: str) -> list[PageSection]:
    """The blocks of a dossier's first piece (the supplier's deposit that opens it)."""
    return sections(dossier, invoice, position=1, kind=kind, role=Actor.FOURNISSEUR,
                    previous=None)


def next_piece(dossier: Dossier, invoice: Invoice) -> list[PageSection]:
    """The blocks of a piece about to follow the dossier's last one (kind and depositor read
    from its cadre)."""
    previous = (dossier.pieces.select_related("invoice").order_by("-position").first())
    kind, role = PIECE_OF_CADRE.get(invoice.cadre, ("", Actor.FOURNISSEUR))
    return sections(dossier, invoice, position=(previous.position + 1) if previous else 1,
                    kind=kind, role=role, previous=previous)


def _money(value, currency: str) -> str:
    return display.money(value, "fr", currency) if value is not None else "—"


def _structure(structure) -> str:
    if structure is None:
        return "—"
    return f"{structure.company_name} ({structure.get_identifier_type_display()} " \
           f"{structure.identifier})"


def sections(dossier: Dossier, invoice: Invoice, *, position: int, kind: str, role: str,
             previous: Piece | None) -> list[PageSection]:
    """The dossier (number, kind, parties, marché), the piece's place (« pièce n du dossier »,
    its type, the previous piece), the amounts, and — for a MOE's or MOA's piece — the sums
    admitted beside those claimed. French, as the page is."""
    currency = invoice.currency or "EUR"
    with translation.override("fr"):
        kind_label = str(K(kind).label) if kind in K.values else "—"
        dossier_kind = str(Dossier.Kind(dossier.kind).label)
        role_label = str(Actor(role).label)
        previous_kind = str(K(previous.kind).label) if previous is not None else ""
        rows = [
            ("Numéro de dossier", dossier.number),
            ("Nature", dossier_kind),
            ("Fournisseur", _structure(dossier.supplier)),
            ("Maître d'œuvre", _structure(dossier.moe) if dossier.moe_id
             else "— (pas de maître d'œuvre)"),
            ("Maître d'ouvrage", _structure(dossier.moa)
             + (f", service {dossier.moa_service.code}" if dossier.moa_service_id else "")),
            ("Marché", dossier.marche_number or "—"),
            ("Engagement", dossier.engagement_number or "—"),
            ("Pièce", f"pièce {position} du dossier {dossier.number}"),
            ("Type de pièce", kind_label),
            ("Déposée par", role_label),
            ("Pièce précédente",
             f"n° {previous.invoice.number} (pièce {previous.position}, {previous_kind})"
             if previous is not None else "aucune : première pièce du dossier"),
        ]
    blocks = [PageSection(title="Dossier de facturation travaux", rows=rows)]

    earlier = earlier_validated_ht(dossier)
    this = invoice.total_ht
    blocks.append(PageSection(
        title="Montants", header=("", "Montant HT"),
        rows=[(f"Cumul antérieur : états d'acompte validés du marché "
               f"{dossier.marche_number or '—'}", _money(earlier, currency)),
              ("Cette pièce", _money(this, currency)),
              ("Montant cumulé (antérieur + cette pièce)", _money(earlier + this, currency))]))

    if role in (Actor.MOE, Actor.MOA) and previous is not None:
        claimed = previous.invoice
        blocks.append(PageSection(
            title=f"Sommes admises (pièce précédente n° {claimed.number})",
            header=("", "Montant demandé", "Somme admise", "Écart"),
            rows=[("HT", _money(claimed.total_ht, currency), _money(invoice.total_ht, currency),
                   _money(invoice.total_ht - claimed.total_ht, currency)),
                  ("TTC", _money(claimed.total_ttc, currency),
                   _money(invoice.total_ttc, currency),
                   _money(invoice.total_ttc - claimed.total_ttc, currency))]))
    return blocks
