"""Use cases of the factures de travaux, monthly circuit (docs/TRAVAUX.md): the supplier
deposits its projet de décompte mensuel for the maître d'œuvre (MOE); the MOE associates its
état d'acompte (the sums it admits) within 7 days, or refuses; the maître d'ouvrage (MOA)
associates its état d'acompte validé, which goes to the paying service as any invoice.

Each piece is an invoice of type FACTURE_TRAVAUX moved by `lifecycle.transition` under the
table's roles (MOE, MOA, FOURNISSEUR, SYSTEME); its dossier says who must act now and by when.
Entry points own the transaction (house rule 2).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from choeur.core import audit, clock
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import lifecycle
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import InvoiceData
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre
from choeur.invoicing.statuses import Role, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Structure
from choeur.travaux import document, errors, notifications, queries
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

#: The MOE's delay to associate its état d'acompte (CCAG travaux art. 12.2.2).
MOE_DELAY = timedelta(days=7)
#: Refusal reasons that are not one (2025 rule, sommes admises): the MOE/MOA enters the
#: amounts it admits in its own piece instead.
AMOUNT_REASONS = re.compile(r"\b(erreur|écart|ecart|désaccord|desaccord)\s+(de|sur les?)\s+"
                            r"montants?\b|\bmontants?\s+(erron|incorrect|faux)", re.I)
MONTHLY_CADRES = {TravauxCadre.A4: Actor.FOURNISSEUR, TravauxCadre.A13: Actor.FOURNISSEUR}
#: The projets de décompte mensuels the MOE receives: the titulaire's or co-traitant's (A4,
#: A13), and the sous-traitant's once its titulaire has accepted it (A10, subcontracting.py).
#: pg_advisory_xact_lock key of the dossier numbering (any constant of Choeur's own).
DOSSIER_NUMBER_LOCK = 0x5452_4156  # "TRAV"
PROJET_KINDS = (TypeFactureTravaux.PROJET_DECOMPTE_MENSUEL,
                TypeFactureTravaux.DP_DE_SOUSTRAITANT_TRAVAUX)
#: The pieces an état d'acompte validé (A19) may follow.
MONTHLY_KINDS = (*PROJET_KINDS, TypeFactureTravaux.ETAT_ACOMPTE)


# --- Reading ------------------------------------------------------------------------------------


def _parties(user, modify: bool = False) -> list[Structure]:
    """The user's structures whose espace Factures de travaux they see (or act in)."""
    check = permissions.can_modify if modify else permissions.can_see
    return [s for s in permissions.visible_structures(user)
            if check(user, s, Espace.FACTURES_TRAVAUX)]


def dossiers_of(user):
    """The dossiers a user sees: those of which one of their structures is the supplier, the
    MOE or the MOA (`queries.dossiers`, the API's scope too)."""
    return queries.dossiers(user).order_by("-updated_at", "-pk")


def dossier_of(user, dossier_id) -> Dossier:
    """One of them; another's (or a forged id) is not found, whatever it is."""
    try:
        return dossiers_of(user).select_related("supplier", "moe", "moa").get(
            pk=int(dossier_id))
    except (Dossier.DoesNotExist, TypeError, ValueError):
        raise errors.DossierNotFound() from None


def _acting(actor, dossier_id, role: str) -> tuple[Dossier, Structure]:
    """The dossier, locked, and the actor's structure in `role` there (modification)."""
    try:
        dossier = Dossier.objects.select_for_update().get(pk=int(dossier_id))
    except (Dossier.DoesNotExist, TypeError, ValueError):
        raise errors.DossierNotFound() from None
    structure = {Actor.FOURNISSEUR: dossier.supplier, Actor.MOE: dossier.moe,
                 Actor.MOA: dossier.moa}[role]
    mine = {s.pk for s in _parties(actor, modify=True)}
    if structure is not None and structure.pk in mine:
        services = permissions.services_of(actor, structure)
        if services is not None and not Dossier.objects.filter(
                queries.in_services(role, services), pk=dossier.pk).exists():
            mine.discard(structure.pk)  # a rattachement limited to other services
    if structure is None or structure.pk not in mine:
        if dossier.pk in set(dossiers_of(actor).values_list("pk", flat=True)):
            raise errors.PieceNotExpected(dossier=dossier.number,
                                          detail=_role_detail(role))
        raise errors.DossierNotFound()
    permissions.require_active(structure)
    return dossier, structure


def _role_detail(role: str) -> str:
    return {Actor.MOE: "seul le maître d'œuvre du dossier dépose l'état d'acompte",
            Actor.MOA: "seul le maître d'ouvrage du dossier valide l'état d'acompte",
            Actor.FOURNISSEUR: "seul le fournisseur du dossier dépose cette pièce"}[role]


def _last(dossier: Dossier) -> Piece:
    return dossier.pieces.select_related("invoice").order_by("-position").first()


# --- The supplier's projet de décompte mensuel ----------------------------------------------------


def _moe(identifier: str) -> Structure:
    moe = invoicing.find_structure((identifier or "").strip())
    if moe is None or not moe.is_active:
        raise errors.MoeUnknown(identifier=(identifier or "")[:80])
    return moe


def _moa(identifier: str) -> Structure:
    moa = invoicing.find_structure((identifier or "").strip())
    if moa is None or not moa.is_public or not moa.is_active:
        raise invoicing_errors.RecipientUnknown(identifier=(identifier or "")[:80])
    if not moa.moa:
        raise errors.MoaRequired(name=moa.company_name)
    return moa


def _numbering_turn() -> None:
    """Two first deposits at once would read the same highest dossier number: on PostgreSQL
    they start one after the other (a lock held to the commit, taken before anything else
    is written or locked, so that it adds no deadlock; SQLite's writers already take turns)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DOSSIER_NUMBER_LOCK])


def _next_number() -> str:
    year = clock.today().year
    prefix = f"DF{year}"
    last = Dossier.objects.filter(number__startswith=prefix).aggregate(Max("number"))
    sequence = int(last["number__max"][len(prefix):]) + 1 if last["number__max"] else 1
    return f"{prefix}{sequence:06d}"


def deposit_projet_decompte(actor, supplier: Structure, data: InvoiceData, *,
                            moe_identifier: str, cadre: str = TravauxCadre.A4,
                            mode_depot: str = ModeDepot.SAISIE_PORTAIL) -> Piece:
    """A4 (titulaire) / A13 (co-traitant): a new monthly dossier, its projet de décompte
    made available to the MOE, who has 7 days. `data.recipient_identifier` names the MOA
    (the paying structure) and its service; the invoice's number is the supplier's own."""
    if cadre not in MONTHLY_CADRES:
        raise errors.CadreNotHere(cadre=str(cadre)[:60])
    piece = start_dossier(
        actor, supplier, data, cadre=cadre, kind=Dossier.Kind.MENSUEL,
        moe_identifier=moe_identifier, status=Status.MISE_A_DISPOSITION_MOE,
        piece_kind=TypeFactureTravaux.PROJET_DECOMPTE_MENSUEL, next_actor=Actor.MOE,
        delay=MOE_DELAY, payment_delay=True, mode_depot=mode_depot)
    dossier = piece.dossier
    audit.record(actor, "travaux.projet_decompte_deposited", dossier, invoice=piece.invoice_id,
                 number=piece.invoice.number, moe=dossier.moe_id, moa=dossier.moa_id)
    notifications.projet_for_moe(dossier, piece, actor)
    return piece


# --- The MOE ------------------------------------------------------------------------------------


def _check_admitted(previous: Invoice, data: InvoiceData) -> None:
    """Sums admitted beside the claim: never negative, never above the claim (an amount
    disagreement is settled by admitting less, not by refusing)."""
    _, totals = invoicing.check_amounts(data)
    if totals.total_ht < 0:
        raise errors.AmountsInconsistent(detail="le montant admis est négatif")
    if totals.total_ht > previous.total_ht:
        raise errors.AmountsInconsistent(
            detail=f"le montant HT admis ({totals.total_ht}) dépasse le montant demandé "
                   f"({previous.total_ht})")
    # The VAT too: a higher rate than claimed would admit more TTC than was asked for.
    if totals.total_ttc > previous.total_ttc:
        raise errors.AmountsInconsistent(
            detail=f"le montant TTC admis ({totals.total_ttc}) dépasse le montant demandé "
                   f"({previous.total_ttc})")


def _piece_data(dossier: Dossier, previous: Invoice, data: InvoiceData, cadre: str,
                position: int) -> InvoiceData:
    """The data of a MOE/MOA piece: its own lines (the sums admitted), the dossier's routing
    (MOA and paying service, marché, engagement), a number the dossier gives it."""
    return replace(
        data, cadre=cadre, number=f"{dossier.number}-{position}",
        recipient_identifier=dossier.moa.identifier,
        recipient_service_code=dossier.moa_service.code if dossier.moa_service else "",
        marche_number=dossier.marche_number, engagement_number=dossier.engagement_number,
        invoice_date=data.invoice_date or clock.today(), payment_mode=previous.payment_mode,
        bank_account_id=previous.bank_account_id)


def deposit_etat_acompte(actor, dossier_id, data: InvoiceData) -> Piece:
    """A15: the MOE associates its état d'acompte — the sums it admits — to the supplier's
    projet de décompte, within 7 days; the état d'acompte goes to the MOA."""
    dossier, moe = _acting(actor, dossier_id, Actor.MOE)
    previous = _last(dossier)
    projet = previous.invoice
    if projet.status == Status.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE:
        raise errors.DeadlinePassed(days=MOE_DELAY.days, piece="l'état d'acompte",
                                    due=f"{previous.due_at.astimezone(clock.PARIS):%d/%m/%Y}",
                                    dossier=dossier.number)
    if previous.kind not in PROJET_KINDS or projet.status != Status.MISE_A_DISPOSITION_MOE:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend pas d'état d'acompte")
    _check_admitted(projet, data)
    position = previous.position + 1
    piece_data = _piece_data(dossier, projet, data, TravauxCadre.A15, position)
    invoice = issue_piece(actor, dossier, piece_data, bank_account=projet.bank_account)
    lifecycle.transition(projet, Status.ASSOCIEE, actor=actor, role=Role.MOE,
                         comment=f"État d'acompte {invoice.number}")
    lifecycle.transition(invoice, Status.MISE_A_DISPOSITION_MOA, actor=actor, role=Role.MOE)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=position,
        kind=TypeFactureTravaux.ETAT_ACOMPTE, depositor=moe, depositor_role=Actor.MOE,
        previous=previous, claimed_ht=projet.total_ht, claimed_ttc=projet.total_ttc)
    _now_waits(dossier, Actor.MOA, None)
    audit.record(actor, "travaux.etat_acompte_deposited", dossier, invoice=invoice.pk,
                 admitted_ht=str(invoice.total_ht), claimed_ht=str(projet.total_ht))
    notifications.etat_acompte_for_moa(dossier, piece, actor)
    return piece


def refuse_as_moe(actor, dossier_id, reason: str) -> Piece:
    """The MOE refuses the projet de décompte: it stops the circuit. An amount disagreement is
    not a reason (the 2025 rule): the MOE admits less in its état d'acompte instead."""
    dossier, _moe_structure = _acting(actor, dossier_id, Actor.MOE)
    previous = _last(dossier)
    if previous.invoice.status != Status.MISE_A_DISPOSITION_MOE:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend rien du maître d'œuvre")
    if previous.kind not in PROJET_KINDS:  # a final dossier's projet goes on to its DGD
        raise errors.PieceNotExpected(
            dossier=dossier.number,
            detail="seul un projet de décompte mensuel se refuse ; un projet de décompte "
                   "final appelle le projet de décompte général, aux sommes admises")
    if AMOUNT_REASONS.search(reason or ""):
        raise errors.AmountNotAReason()
    lifecycle.transition(previous.invoice, Status.REFUSEE_MOE, actor=actor, role=Role.MOE,
                         comment=reason)
    _now_waits(dossier, None, None)
    audit.record(actor, "travaux.refused_by_moe", dossier, reason=reason[:200])
    notifications.refused_by_moe(dossier, previous, actor, reason)
    return previous


# --- The MOA ------------------------------------------------------------------------------------


def validate_etat_acompte(actor, dossier_id, data: InvoiceData) -> Piece:
    """A19: the MOA associates its état d'acompte validé (the sums it admits) to the MOE's
    état d'acompte — or, after the MOE's 7 days of silence, to the projet de décompte itself;
    it is deposited to the paying service, routed and processed as any invoice."""
    dossier, moa = _acting(actor, dossier_id, Actor.MOA)
    previous = _last(dossier)
    before = previous.invoice
    if before.status not in (Status.MISE_A_DISPOSITION_MOA,
                             Status.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE) or (
            previous.kind not in MONTHLY_KINDS):  # not a final dossier's piece
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend pas d'état d'acompte validé")
    _check_admitted(before, data)
    position = previous.position + 1
    piece_data = _piece_data(dossier, before, data, TravauxCadre.A19, position)
    invoice = issue_piece(actor, dossier, piece_data, bank_account=before.bank_account)
    lifecycle.transition(before, Status.ASSOCIEE, actor=actor, role=Role.MOA,
                         comment=f"État d'acompte validé {invoice.number}")
    lifecycle.transition(invoice, Status.DEPOSEE, actor=actor, role=Role.MOA)
    invoicing.enqueue_routing(invoice)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=position,
        kind=TypeFactureTravaux.ETAT_ACOMPTE_VALIDE, depositor=moa, depositor_role=Actor.MOA,
        previous=previous, claimed_ht=before.total_ht, claimed_ttc=before.total_ttc)
    _now_waits(dossier, Actor.DESTINATAIRE, None)
    audit.record(actor, "travaux.etat_acompte_validated", dossier, invoice=invoice.pk,
                 admitted_ht=str(invoice.total_ht))
    return piece


# --- Timers -------------------------------------------------------------------------------------


def apply_moe_deadlines(now=None, limit: int = 500, pieces=None) -> int:
    """Projets de décompte the MOE left 7 days without an état d'acompte: the regulatory
    status, and the dossier now waits for the MOA (each in its own transaction). `pieces`
    (ids): those only — the qualification matelas lapses its own one at its due date."""
    now = now or clock.now()
    due = Piece.objects.filter(
        invoice__status=Status.MISE_A_DISPOSITION_MOE, due_at__lte=now,
        kind__in=PROJET_KINDS)
    if pieces is not None:
        due = due.filter(pk__in=list(pieces))
    due = list(due.values_list("pk", flat=True)[:limit])
    done = 0
    for pk in due:
        with transaction.atomic():
            piece = Piece.objects.select_related("invoice", "dossier").get(pk=pk)
            if piece.invoice.status != Status.MISE_A_DISPOSITION_MOE:
                continue  # the MOE acted meanwhile
            lifecycle.transition(piece.invoice, Status.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE,
                                 role=Role.SYSTEM,
                                 comment="Pas d'état d'acompte de la MOE sous 7 jours.")
            _now_waits(piece.dossier, Actor.MOA, None)
            audit.record("system", "travaux.moe_deadline_passed", piece.dossier,
                         invoice=piece.invoice_id)
            notifications.moe_late(piece.dossier, piece)
            done += 1
    return done


def _now_waits(dossier: Dossier, actor: str | None, due_at) -> None:
    dossier.next_actor, dossier.due_at = actor or "", due_at
    dossier.updated_at = clock.now()
    dossier.save(update_fields=["next_actor", "due_at", "updated_at"])


# --- Shared by the final circuit and the variants (travaux/final.py, travaux/variants.py) -----


def start_dossier(actor, supplier: Structure, data: InvoiceData, *, cadre: str, kind: str,
                  moe_identifier: str | None, status: str, piece_kind: str, next_actor: str,
                  delay: timedelta | None = None, payment_delay: bool = False,
                  mode_depot: str = ModeDepot.SAISIE_PORTAIL) -> Piece:
    """An initial deposit by the supplier: a new dossier of `kind` and its first piece (the
    supplier's own number), moved BROUILLON → `status` as the supplier. `moe_identifier`
    None: a dossier without MOE (A5, A6). `delay`: the next actor's, from the deposit;
    `payment_delay`: the délai global de paiement runs from it."""
    _numbering_turn()
    permissions.require_espace(actor, supplier, Espace.FACTURES_TRAVAUX, modify=True)
    permissions.require_active(supplier)
    moa = _moa(data.recipient_identifier)
    moe = _moe(moe_identifier) if moe_identifier is not None else None
    if moe is not None and moe.pk in (supplier.pk, moa.pk):
        raise errors.PieceNotExpected(dossier="—", detail="le maître d'œuvre est une autre "
                                      "structure que le fournisseur et le maître d'ouvrage")
    data = replace(data, cadre=cadre)
    number = invoicing.check_number(data.number)
    service = invoicing.resolve_service(moa, data.recipient_service_code)
    account = invoicing.check_payment(supplier, data)
    year = clock.today().year
    invoicing.check_number_unused(supplier, number, year)
    invoice = invoicing.create_piece(actor, supplier, moa, data, recipient_service=service,
                                     mode_depot=mode_depot, number_year=year,
                                     bank_account=account)
    now = clock.now()
    Invoice.objects.filter(pk=invoice.pk).update(deposited_at=now)
    invoice.deposited_at = now
    due_at = now + delay if delay else None
    dossier = Dossier.objects.create(  # before the PDF, which names it
        number=_next_number(), kind=kind, supplier=supplier, moe=moe, moa=moa,
        moa_service=service, marche_number=data.marche_number or "",
        engagement_number=data.engagement_number or "", next_actor=next_actor,
        due_at=due_at, payment_delay_from=now if payment_delay else None, created_at=now,
        updated_at=now)
    invoicing.generate_document(invoice,
                                sections=document.first_piece(dossier, invoice, piece_kind))
    try:
        with transaction.atomic():  # the number is the supplier's: its constraint decides
            lifecycle.transition(invoice, status, actor=actor, role=Role.SUPPLIER)
    except IntegrityError:
        raise invoicing_errors.NumberAlreadyUsed(number=number, year=year) from None
    return Piece.objects.create(invoice=invoice, dossier=dossier, position=1, kind=piece_kind,
                                depositor=supplier, depositor_role=Actor.FOURNISSEUR,
                                due_at=due_at)


def with_own_document(use_case, name: str, content: bytes):
    """`use_case` (a MOE's or MOA's piece: A15-A20), its piece then given the depositor's own
    PDF as its document — « ou téléverse son propre document » —, in the same transaction:
    a PDF refused refuses the piece."""

    def deposit(actor, dossier_id, data: InvoiceData) -> Piece:
        piece = use_case(actor, dossier_id, data)
        invoicing.use_own_document(actor, piece.invoice, name, content)
        return piece

    return deposit


def issue_piece(actor, dossier: Dossier, data: InvoiceData, *, bank_account) -> Invoice:
    """The invoice of a piece associated to `dossier` (data already routed to its MOA and
    paying service), deposited now with its Factur-X, still BROUILLON: the caller moves it."""
    invoice = invoicing.create_piece(actor, dossier.supplier, dossier.moa, data,
                                     recipient_service=dossier.moa_service,
                                     mode_depot=ModeDepot.SAISIE_PORTAIL,
                                     number_year=clock.today().year, bank_account=bank_account)
    now = clock.now()
    Invoice.objects.filter(pk=invoice.pk).update(deposited_at=now)
    invoice.deposited_at = now
    # Its PDF names the dossier, its place after the last piece, the amounts (travaux.document).
    invoicing.generate_document(invoice, sections=document.next_piece(dossier, invoice))
    return invoice
