"""Sous-traitance and co-traitance in the factures de travaux (docs/TRAVAUX.md; reference
§1.2 (b), §2.2, §2.3).

A sous-traitant paid directly deposits its projet de décompte mensuel (A10,
`typeFactureTravaux` DP_DE_SOUSTRAITANT_TRAVAUX) naming the titulaire of the marché, the
maître d'œuvre (MOE) and the maître d'ouvrage (MOA): a new monthly dossier whose piece waits
for the titulaire (A_VALIDER_1, the level-1 validation of invoicing's A9). The titulaire has
15 days from the deposit (R2193-12 CCP, as invoicing's `VALIDATION_DELAY`) to accept it —
VALIDEE_1, then MISE_A_DISPOSITION_MOE: the MOE's 7 days and the délai global de paiement
start then, and the monthly circuit goes on (the MOE's A15, the MOA's A19, the paying
service) — or to refuse it with a reason (REFUSEE_1, the circuit stops). Silent, a reminder
three days before the end, then the tacit validation (ABSENCE_VALIDATION_1_HORS_DELAI) and
the same way on to the MOE.

A co-traitant's projet (A13 monthly, A14 final) goes straight to the MOE; naming the
mandataire of the groupement lets it follow its co-traitants' pieces (« prise de
connaissance »), without a decision to take.

The titulaire (or mandataire) is `Dossier.titulaire`; the A10 invoice does not carry
invoicing's `validator`: invoicing's own validation (« Factures à valider », the API's
`traiterFactureAValider`, its 15-day timer) would send it to the paying service, past the
MOE. Entry points own the transaction (house rule 2).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from choeur.core import audit, clock
from choeur.invoicing import lifecycle
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import InvoiceData
from choeur.invoicing.models import ModeDepot, TravauxCadre
from choeur.invoicing.statuses import Role, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Structure
from choeur.travaux import errors, final, notifications, queries, services
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

#: The titulaire's delay to accept or refuse its sous-traitant's projet (R2193-12 CCP).
TITULAIRE_DELAY = invoicing.VALIDATION_DELAY
#: Its reminder, this long before the end.
TITULAIRE_REMINDER_BEFORE = timedelta(days=3)
#: A co-traitant's cadres, and the use case of each (the titulaire's own circuit).
COTRAITANT_CADRES = (TravauxCadre.A13, TravauxCadre.A14)


# --- Who the titulaire is -------------------------------------------------------------------------


def _titulaire(identifier: str) -> Structure:
    titulaire = invoicing.find_structure((identifier or "").strip())
    if titulaire is None or not titulaire.is_active:
        raise errors.TitulaireUnknown(identifier=(identifier or "").strip()[:80] or "—")
    return titulaire


def _check_another(titulaire: Structure, depositor: Structure, moe: Structure | None,
                   moa: Structure, what: tuple[str, str]) -> None:
    """The titulaire is none of the dossier's other parties."""
    for structure, role, role_en in ((depositor, *what),
                                     (moe, "le maître d'œuvre", "the project manager"),
                                     (moa, "le maître d'ouvrage", "the project owner")):
        if structure is not None and structure.pk == titulaire.pk:
            raise errors.TitulaireNotAnother(role=role, role_en=role_en,
                                             name=titulaire.company_name)


def _check_parties(titulaire_identifier: str, depositor: Structure, data: InvoiceData,
                   moe_identifier: str, what: tuple[str, str]) -> Structure:
    """The titulaire, checked before anything is written (the MOE and the MOA are checked
    again, alike, by `services.start_dossier`)."""
    titulaire = _titulaire(titulaire_identifier)
    moa = services._moa(data.recipient_identifier)
    moe = services._moe(moe_identifier)
    _check_another(titulaire, depositor, moe, moa, what)
    return titulaire


# --- The sous-traitant's projet de décompte mensuel (A10) -----------------------------------------


def deposit_projet_soustraitant(actor, soustraitant: Structure, data: InvoiceData, *,
                                titulaire_identifier: str, moe_identifier: str,
                                mode_depot: str = ModeDepot.SAISIE_PORTAIL) -> Piece:
    """A10: a new monthly dossier; its piece waits for the titulaire (15 days).
    `data.recipient_identifier` names the MOA (the paying structure) and its service; the
    invoice's number and bank account are the sous-traitant's own (paiement direct)."""
    permissions.require_espace(actor, soustraitant, Espace.FACTURES_TRAVAUX, modify=True)
    titulaire = _check_parties(titulaire_identifier, soustraitant, data, moe_identifier,
                               ("le sous-traitant", "the subcontractor"))
    piece = services.start_dossier(
        actor, soustraitant, data, cadre=TravauxCadre.A10, kind=Dossier.Kind.MENSUEL,
        moe_identifier=moe_identifier, status=Status.A_VALIDER_1,
        piece_kind=TypeFactureTravaux.DP_DE_SOUSTRAITANT_TRAVAUX, next_actor=Actor.VALIDEUR,
        delay=TITULAIRE_DELAY, mode_depot=mode_depot)
    dossier = piece.dossier
    dossier.titulaire = titulaire
    dossier.save(update_fields=["titulaire"])
    audit.record(actor, "travaux.projet_soustraitant_deposited", dossier,
                 invoice=piece.invoice_id, number=piece.invoice.number, titulaire=titulaire.pk,
                 moe=dossier.moe_id, moa=dossier.moa_id)
    notifications.projet_for_titulaire(dossier, piece, actor)
    return piece


def _as_titulaire(actor, dossier_id) -> tuple[Dossier, Piece]:
    """The dossier, locked, and its A10 piece, for the actor acting as its titulaire. Someone
    who does not see the dossier (or a forged id): not found; another party: not its piece;
    a piece decided already: `TRAV_NOT_AWAITING_TITULAIRE`."""
    try:
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "supplier", "moe", "moa", "titulaire").get(pk=int(dossier_id))
    except (Dossier.DoesNotExist, TypeError, ValueError, OverflowError):
        raise errors.DossierNotFound() from None
    if dossier.titulaire_id is None or dossier.titulaire_id not in queries.acting_ids(actor):
        if queries.dossiers(actor).filter(pk=dossier.pk).exists():
            raise errors.PieceNotExpected(
                dossier=dossier.number,
                detail="seul le titulaire du marché accepte ou refuse la demande de paiement "
                       "de son sous-traitant")
        raise errors.DossierNotFound()
    permissions.require_active(dossier.titulaire)
    piece = dossier.pieces.select_related("invoice").order_by("position").first()
    if piece.kind != TypeFactureTravaux.DP_DE_SOUSTRAITANT_TRAVAUX:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="le titulaire n'a pas à valider ce dossier")
    if piece.invoice.status != Status.A_VALIDER_1:
        raise errors.NotAwaitingTitulaire(number=piece.invoice.number, dossier=dossier.number,
                                          status=Status(piece.invoice.status).label)
    return dossier, piece


def _to_moe(dossier: Dossier, piece: Piece, actor) -> None:
    """Accepted (or tacitly validated): the projet reaches the MOE, whose 7 days start now, as
    does the délai global de paiement (reference §2.4)."""
    now = clock.now()
    lifecycle.transition(piece.invoice, Status.MISE_A_DISPOSITION_MOE, role=Role.SYSTEM)
    piece.due_at = now + services.MOE_DELAY
    piece.save(update_fields=["due_at"])
    dossier.payment_delay_from = now
    dossier.save(update_fields=["payment_delay_from"])
    services._now_waits(dossier, Actor.MOE, piece.due_at)
    notifications.projet_for_moe(dossier, piece, actor)


def accept(actor, dossier_id, comment: str = "") -> Piece:
    """The titulaire accepts its sous-traitant's projet: on to the MOE."""
    dossier, piece = _as_titulaire(actor, dossier_id)
    lifecycle.transition(piece.invoice, Status.VALIDEE_1, actor=actor, role=Role.VALIDATOR,
                         comment=comment, validated_at=clock.now())
    _to_moe(dossier, piece, actor)
    audit.record(actor, "travaux.soustraitant_accepted", dossier, invoice=piece.invoice_id)
    notifications.titulaire_accepted(dossier, piece, actor)
    return piece


def refuse(actor, dossier_id, reason: str) -> Piece:
    """The titulaire refuses its sous-traitant's projet, with a reason: the circuit stops."""
    dossier, piece = _as_titulaire(actor, dossier_id)
    reason = (reason or "").strip()
    lifecycle.transition(piece.invoice, Status.REFUSEE_1, actor=actor, role=Role.VALIDATOR,
                         comment=reason)
    services._now_waits(dossier, None, None)
    audit.record(actor, "travaux.soustraitant_refused", dossier, invoice=piece.invoice_id,
                 reason=reason[:200])
    notifications.titulaire_refused(dossier, piece, actor, reason)
    return piece


# --- The titulaire's 15 days (a timer: travaux.tasks.travaux_timers) ------------------------------


def apply_titulaire_deadlines(now=None, limit: int = 500) -> int:
    """Sous-traitants' projets the titulaire leaves undecided: a reminder three days before the
    end, then the tacit validation (ABSENCE_VALIDATION_1_HORS_DELAI) and on to the MOE. Each
    notice once (`Piece.reminded_at`, `lapsed_at`), each piece in its own transaction."""
    now = now or clock.now()
    waiting = Piece.objects.filter(kind=TypeFactureTravaux.DP_DE_SOUSTRAITANT_TRAVAUX,
                                   invoice__status=Status.A_VALIDER_1)
    done = 0
    for pk in list(waiting.filter(due_at__lte=now + TITULAIRE_REMINDER_BEFORE,
                                  due_at__gt=now, reminded_at__isnull=True)
                   .values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            piece = Piece.objects.select_for_update(of=("self",)).select_related(
                "invoice", "dossier__supplier", "dossier__titulaire").get(pk=pk)
            if piece.invoice.status != Status.A_VALIDER_1 or piece.reminded_at:
                continue
            piece.reminded_at = now
            piece.save(update_fields=["reminded_at"])
            notifications.titulaire_reminder(piece.dossier, piece)
            done += 1
    for pk in list(waiting.filter(due_at__lte=now).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            piece = Piece.objects.select_for_update(of=("self",)).select_related(
                "invoice").get(pk=pk)
            dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
                "supplier", "moe", "moa", "titulaire").get(pk=piece.dossier_id)
            piece.dossier = dossier
            if piece.invoice.status != Status.A_VALIDER_1:
                continue  # the titulaire decided meanwhile
            lifecycle.transition(
                piece.invoice, Status.ABSENCE_VALIDATION_1_HORS_DELAI, role=Role.SYSTEM,
                comment="Pas de décision du titulaire sous 15 jours : validation tacite.")
            piece.lapsed_at = now
            piece.save(update_fields=["lapsed_at"])
            _to_moe(dossier, piece, None)
            audit.record("system", "travaux.soustraitant_tacitly_validated", dossier,
                         invoice=piece.invoice_id)
            notifications.titulaire_silent(dossier, piece)
            done += 1
    return done


# --- A co-traitant's projet, its mandataire named (A13, A14) --------------------------------------


def deposit_projet_cotraitant(actor, cotraitant: Structure, data: InvoiceData, *,
                              mandataire_identifier: str, moe_identifier: str,
                              cadre: str = TravauxCadre.A13,
                              mode_depot: str = ModeDepot.SAISIE_PORTAIL) -> Piece:
    """A13 (monthly) / A14 (final): the titulaire's circuit, straight to the MOE, with the
    mandataire of the groupement named on the dossier; it is told, and follows it."""
    if cadre not in COTRAITANT_CADRES:
        raise errors.CadreNotHere(cadre=str(cadre)[:60])
    permissions.require_espace(actor, cotraitant, Espace.FACTURES_TRAVAUX, modify=True)
    mandataire = _check_parties(mandataire_identifier, cotraitant, data, moe_identifier,
                                ("le co-traitant", "the joint contractor"))
    if cadre == TravauxCadre.A13:
        piece = services.deposit_projet_decompte(actor, cotraitant, data,
                                                 moe_identifier=moe_identifier, cadre=cadre,
                                                 mode_depot=mode_depot)
    else:
        piece = final.deposit_projet_decompte_final(actor, cotraitant, data,
                                                    moe_identifier=moe_identifier,
                                                    cadre=cadre, mode_depot=mode_depot)
    dossier = piece.dossier
    dossier.titulaire = mandataire
    dossier.save(update_fields=["titulaire"])
    audit.record(actor, "travaux.mandataire_named", dossier, mandataire=mandataire.pk)
    notifications.cotraitant_for_mandataire(dossier, piece, actor)
    return piece


# --- Reading: the titulaire's list --------------------------------------------------------------


def subcontracted(actor) -> QuerySet[Dossier]:
    """The dossiers of the actor's sous-traitants and co-traitants: those naming one of its
    structures (where it sees the espace Factures de travaux) as titulaire or mandataire,
    latest change first, with their pieces."""
    ids = [structure.pk for structure in queries.parties(actor)]
    return (Dossier.objects.filter(titulaire_id__in=ids)
            .select_related("supplier", "moe", "moa", "titulaire")
            .prefetch_related(Prefetch("pieces", queryset=Piece.objects.exclude(
                invoice__status__in=(Status.BROUILLON, Status.SUPPRIMEE)).select_related(
                "invoice").order_by("position")))
            .order_by("-updated_at", "-pk"))


def awaits(actor, dossier: Dossier, first: Piece | None) -> bool:
    """Whether the actor may accept or refuse this dossier's A10 now."""
    return (first is not None and first.kind == TypeFactureTravaux.DP_DE_SOUSTRAITANT_TRAVAUX
            and first.invoice.status == Status.A_VALIDER_1
            and dossier.titulaire_id in queries.acting_ids(actor))
