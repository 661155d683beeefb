"""Variants of the monthly circuit (docs/TRAVAUX.md; reference §2.2, §2.4 — the chaining is
the reference's [INFERENCE] from the cadres' labels):

- A5, the supplier's état d'acompte when the marché has no maître d'œuvre: a dossier without
  MOE, straight to the MOA (MISE_A_DISPOSITION_MOA), who then associates its état d'acompte
  validé (A19, `services.validate_etat_acompte`) as after a MOE's A15;
- A6, the supplier's état d'acompte validé (MOE and MOA validated outside Choeur): straight to
  DEPOSEE, routed to the paying service;
- A16, the MOE's état d'acompte validé, the MOA's validation given outside: associated to the
  supplier's projet de décompte within the MOE's 7 days, the sums admitted, straight to DEPOSEE
  and the paying service.

Entry points own the transaction (house rule 2).
"""

from __future__ import annotations

from choeur.core import audit, clock
from choeur.invoicing import lifecycle
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import InvoiceData
from choeur.invoicing.models import ModeDepot, TravauxCadre
from choeur.invoicing.statuses import Role, Status
from choeur.organisations.models import Structure
from choeur.travaux import errors, notifications, services
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

K = TypeFactureTravaux


def deposit_etat_acompte_fournisseur(actor, supplier: Structure, data: InvoiceData, *,
                                     mode_depot: str = ModeDepot.SAISIE_PORTAIL) -> Piece:
    """A5: a monthly dossier without MOE; the état d'acompte waits for the MOA's A19. The
    délai de paiement runs from its availability to the MOA."""
    piece = services.start_dossier(
        actor, supplier, data, cadre=TravauxCadre.A5, kind=Dossier.Kind.MENSUEL,
        moe_identifier=None, status=Status.MISE_A_DISPOSITION_MOA, piece_kind=K.ETAT_ACOMPTE,
        next_actor=Actor.MOA, payment_delay=True, mode_depot=mode_depot)
    audit.record(actor, "travaux.etat_acompte_fournisseur_deposited", piece.dossier,
                 invoice=piece.invoice_id, number=piece.invoice.number,
                 moa=piece.dossier.moa_id)
    notifications.etat_acompte_from_supplier(piece.dossier, piece, actor)
    return piece


def deposit_etat_acompte_valide_fournisseur(actor, supplier: Structure, data: InvoiceData, *,
                                            mode_depot: str = ModeDepot.SAISIE_PORTAIL
                                            ) -> Piece:
    """A6: the validations happened outside: a one-piece monthly dossier (no MOE), deposited
    and routed to the paying service as any invoice."""
    piece = services.start_dossier(
        actor, supplier, data, cadre=TravauxCadre.A6, kind=Dossier.Kind.MENSUEL,
        moe_identifier=None, status=Status.DEPOSEE, piece_kind=K.ETAT_ACOMPTE_VALIDE,
        next_actor=Actor.DESTINATAIRE, payment_delay=True, mode_depot=mode_depot)
    invoicing.enqueue_routing(piece.invoice)
    audit.record(actor, "travaux.etat_acompte_valide_fournisseur_deposited", piece.dossier,
                 invoice=piece.invoice_id, number=piece.invoice.number)
    notifications.sent_to_payer(piece.dossier, piece, actor)
    return piece


def deposit_etat_acompte_valide_moe(actor, dossier_id, data: InvoiceData) -> Piece:
    """A16: the MOE, holding the MOA's validation given outside, associates its état
    d'acompte validé (the sums it admits) to the projet de décompte within its 7 days; it goes
    straight to the paying service."""
    dossier, moe = services._acting(actor, dossier_id, Actor.MOE)
    previous = services._last(dossier)
    projet = previous.invoice
    if projet.status == Status.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE:
        raise errors.DeadlinePassed(days=services.MOE_DELAY.days,
                                    piece="l'état d'acompte validé",
                                    due=f"{previous.due_at.astimezone(clock.PARIS):%d/%m/%Y}",
                                    dossier=dossier.number)
    if previous.kind not in services.PROJET_KINDS or (
            projet.status != Status.MISE_A_DISPOSITION_MOE):
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend pas d'état d'acompte validé")
    services._check_admitted(projet, data)
    position = previous.position + 1
    invoice = services.issue_piece(
        actor, dossier, services._piece_data(dossier, projet, data, TravauxCadre.A16, position),
        bank_account=projet.bank_account)
    lifecycle.transition(projet, Status.ASSOCIEE, actor=actor, role=Role.MOE,
                         comment=f"État d'acompte validé {invoice.number}")
    lifecycle.transition(invoice, Status.DEPOSEE, actor=actor, role=Role.MOE)
    invoicing.enqueue_routing(invoice)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=position, kind=K.ETAT_ACOMPTE_VALIDE,
        depositor=moe, depositor_role=Actor.MOE, previous=previous, claimed_ht=projet.total_ht,
        claimed_ttc=projet.total_ttc)
    services._now_waits(dossier, Actor.DESTINATAIRE, None)
    audit.record(actor, "travaux.etat_acompte_valide_moe_deposited", dossier,
                 invoice=invoice.pk, admitted_ht=str(invoice.total_ht),
                 claimed_ht=str(projet.total_ht))
    notifications.sent_to_payer(dossier, piece, actor)
    return piece
