"""Use cases of the factures de travaux, final circuit (docs/TRAVAUX.md; reference §2.4): the
titulaire deposits its projet de décompte final (A7; A14 co-traitant) for the maître d'œuvre
(MOE) — a new dossier of kind FINAL; the MOE associates its projet de décompte général (A17),
which goes to the maître d'ouvrage (MOA); the MOA associates its décompte général (A20) — or
the MOE, empowered by the MOA, deposits it (A18) —, notified to the titulaire, who has 30 days
to sign it and deposit the décompte général et définitif (A8: « Déposer la pièce de
facturation suivante »), routed to the paying service as any invoice, or to refuse it.

Tacit procedure, when the MOA is silent: once the décompte général's delay has passed, the
titulaire deposits its own projet de décompte général (A22), which replaces the pending piece
(REMPLACEE_PAR_A22) and goes to the MOA; the MOA may still answer it with its décompte général
within 10 days, after which the projet becomes the DGD tacite, deposited by the titulaire
(A23), the MOE (A24) or the MOA (A25) to the paying service.

Delays (CCAG Travaux 2021 art. 12.4; the reference found no other figure, docs/TRAVAUX.md):
the décompte général within 30 days of the projet de décompte final's availability to the MOE,
10 days for the MOA to answer a tacit projet, 30 days for the titulaire to sign (reminder at
day 25, then the titulaire and the MOA told that the delay has passed; the dossier's `due_at`
shows it). Entry points own the transaction (house rule 2).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.db import IntegrityError, transaction

from choeur.core import audit, clock
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import lifecycle
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import InvoiceData
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre
from choeur.invoicing.statuses import Role, Status
from choeur.organisations.models import Structure
from choeur.travaux import errors, notifications, services
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

K = TypeFactureTravaux
#: The décompte général, from the projet de décompte final's availability to the MOE; past
#: it, the titulaire may start the tacit procedure (A22).
DG_DELAY = timedelta(days=30)
#: The MOA's last delay to notify its décompte général after the titulaire's A22.
TACIT_DELAY = timedelta(days=10)
#: The titulaire's delay to sign the décompte général (or refuse it), and its reminder.
DGD_DELAY = timedelta(days=30)
DGD_REMINDER_AT = timedelta(days=25)
FINAL_CADRES = (TravauxCadre.A7, TravauxCadre.A14)
#: The table's role of each actor of a dossier.
_ROLES = {Actor.FOURNISSEUR: Role.SUPPLIER, Actor.MOE: Role.MOE, Actor.MOA: Role.MOA}


def _paris(moment) -> str:
    return f"{moment.astimezone(clock.PARIS):%d/%m/%Y}" if moment else "—"


def _final(dossier: Dossier, detail: str) -> None:
    if dossier.kind != Dossier.Kind.FINAL:
        raise errors.PieceNotExpected(dossier=dossier.number, detail=detail)


def _same_amounts(reference: Invoice, data: InvoiceData, what: str) -> None:
    """A signed (or tacit) DGD repeats the amounts of the décompte it makes definitive: to
    dispute them, the titulaire refuses the décompte général instead."""
    _, totals = invoicing.check_amounts(data)
    if (totals.total_ht, totals.total_ttc) != (reference.total_ht, reference.total_ttc):
        raise errors.AmountsInconsistent(
            detail=f"{what} reprend les montants de la pièce {reference.number} (HT "
                   f"{reference.total_ht}, TTC {reference.total_ttc}), non HT "
                   f"{totals.total_ht}, TTC {totals.total_ttc}")


def _supplier_data(dossier: Dossier, data: InvoiceData, cadre: str) -> InvoiceData:
    """A piece the supplier deposits into its dossier: its own number and bank account (the
    first piece's when it names none), the dossier's routing."""
    first = dossier.pieces.select_related("invoice").order_by("position").first().invoice
    return replace(
        data, cadre=cadre,
        recipient_identifier=dossier.moa.identifier,
        recipient_service_code=dossier.moa_service.code if dossier.moa_service else "",
        marche_number=dossier.marche_number, engagement_number=dossier.engagement_number,
        invoice_date=data.invoice_date or clock.today(),
        bank_account_id=data.bank_account_id or first.bank_account_id)


def _supplier_invoice(actor, dossier: Dossier, supplier: Structure, data: InvoiceData,
                      cadre: str) -> Invoice:
    """Checks of the supplier's own number and account, then its piece's invoice (BROUILLON).
    """
    data = _supplier_data(dossier, data, cadre)
    number = invoicing.check_number(data.number)
    account = invoicing.check_payment(supplier, data)
    invoicing.check_number_unused(supplier, number, clock.today().year)
    return services.issue_piece(actor, dossier, data, bank_account=account)


def _deposit(invoice: Invoice, target: str, actor, role: Role) -> None:
    """The supplier's number is unique among its deposited invoices: its constraint decides."""
    try:
        with transaction.atomic():
            lifecycle.transition(invoice, target, actor=actor, role=role)
    except IntegrityError:
        raise invoicing_errors.NumberAlreadyUsed(number=invoice.number,
                                                 year=invoice.number_year) from None


# --- The titulaire's projet de décompte final ---------------------------------------------------


def deposit_projet_decompte_final(actor, supplier: Structure, data: InvoiceData, *,
                                  moe_identifier: str, cadre: str = TravauxCadre.A7,
                                  mode_depot: str = ModeDepot.SAISIE_PORTAIL) -> Piece:
    """A7 (titulaire) / A14 (co-traitant): a new FINAL dossier, its projet de décompte final
    made available to the MOE. `data.recipient_identifier` names the MOA and its service."""
    if cadre not in FINAL_CADRES:
        raise errors.CadreNotHere(cadre=str(cadre)[:60])
    piece = services.start_dossier(
        actor, supplier, data, cadre=cadre, kind=Dossier.Kind.FINAL,
        moe_identifier=moe_identifier or "", status=Status.MISE_A_DISPOSITION_MOE,
        piece_kind=K.PROJET_DECOMPTE_FINAL, next_actor=Actor.MOE, delay=DG_DELAY,
        mode_depot=mode_depot)
    dossier = piece.dossier
    audit.record(actor, "travaux.projet_decompte_final_deposited", dossier,
                 invoice=piece.invoice_id, number=piece.invoice.number, moe=dossier.moe_id,
                 moa=dossier.moa_id)
    notifications.final_for_moe(dossier, piece, actor)
    return piece


# --- The MOE's projet de décompte général -------------------------------------------------------


def deposit_projet_decompte_general(actor, dossier_id, data: InvoiceData) -> Piece:
    """A17: the MOE associates its projet de décompte général (the sums it admits) to the
    titulaire's projet de décompte final; it goes to the MOA."""
    dossier, moe = services._acting(actor, dossier_id, Actor.MOE)
    _final(dossier, "un dossier mensuel n'a pas de projet de décompte général")
    previous = services._last(dossier)
    projet = previous.invoice
    if previous.kind != K.PROJET_DECOMPTE_FINAL or projet.status != Status.MISE_A_DISPOSITION_MOE:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend pas de projet de décompte général")
    services._check_admitted(projet, data)
    position = previous.position + 1
    invoice = services.issue_piece(
        actor, dossier, services._piece_data(dossier, projet, data, TravauxCadre.A17, position),
        bank_account=projet.bank_account)
    lifecycle.transition(projet, Status.ASSOCIEE, actor=actor, role=Role.MOE,
                         comment=f"Projet de décompte général {invoice.number}")
    lifecycle.transition(invoice, Status.MISE_A_DISPOSITION_MOA, actor=actor, role=Role.MOE)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=position, kind=K.PROJET_DECOMPTE_GENERAL,
        depositor=moe, depositor_role=Actor.MOE, previous=previous, claimed_ht=projet.total_ht,
        claimed_ttc=projet.total_ttc, due_at=previous.due_at)
    services._now_waits(dossier, Actor.MOA, previous.due_at)
    audit.record(actor, "travaux.projet_decompte_general_deposited", dossier,
                 invoice=invoice.pk, admitted_ht=str(invoice.total_ht),
                 claimed_ht=str(projet.total_ht))
    notifications.general_project_for_moa(dossier, piece, actor)
    return piece


# --- The décompte général (MOA A20, MOE A18) ----------------------------------------------------


def deposit_decompte_general(actor, dossier_id, data: InvoiceData) -> Piece:
    """A20: the MOA associates its décompte général to the MOE's projet de décompte général,
    or to the titulaire's tacit projet (A22) while its 10 days run; the titulaire has 30 days
    to sign it."""
    return _decompte_general(actor, dossier_id, data, Actor.MOA)


def deposit_decompte_general_moe(actor, dossier_id, data: InvoiceData) -> Piece:
    """A18: the MOE, empowered by the MOA (the mandate is given outside, as for A16),
    deposits the décompte général itself on the titulaire's projet de décompte final (or its
    tacit projet)."""
    return _decompte_general(actor, dossier_id, data, Actor.MOE)


def _decompte_general(actor, dossier_id, data: InvoiceData, role: str) -> Piece:
    dossier, structure = services._acting(actor, dossier_id, role)
    _final(dossier, "un dossier mensuel n'a pas de décompte général")
    previous = services._last(dossier)
    before = previous.invoice
    expected = ({(K.PROJET_DECOMPTE_GENERAL, Status.MISE_A_DISPOSITION_MOA)} if role == Actor.MOA
                else {(K.PROJET_DECOMPTE_FINAL, Status.MISE_A_DISPOSITION_MOE)})
    expected.add((K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE, Status.MISE_A_DISPOSITION_MOA))
    if (previous.kind, before.status) not in expected:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend pas de décompte général de vous")
    if previous.kind == K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE and (
            clock.now() > previous.due_at):
        raise errors.TacitDgdReached(due=_paris(previous.due_at), number=before.number,
                                     dossier=dossier.number)
    services._check_admitted(before, data)
    position = previous.position + 1
    cadre = TravauxCadre.A20 if role == Actor.MOA else TravauxCadre.A18
    invoice = services.issue_piece(
        actor, dossier, services._piece_data(dossier, before, data, cadre, position),
        bank_account=before.bank_account)
    due = invoice.deposited_at + DGD_DELAY
    lifecycle.transition(before, Status.ASSOCIEE, actor=actor, role=_ROLES[role],
                         comment=f"Décompte général {invoice.number}")
    lifecycle.transition(invoice, Status.A_ASSOCIER_FOURNISSEUR, actor=actor,
                         role=_ROLES[role])
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=position, kind=K.DECOMPTE_GENERAL,
        depositor=structure, depositor_role=role, previous=previous,
        claimed_ht=before.total_ht, claimed_ttc=before.total_ttc, due_at=due)
    services._now_waits(dossier, Actor.FOURNISSEUR, due)
    audit.record(actor, "travaux.decompte_general_deposited", dossier, invoice=invoice.pk,
                 cadre=cadre, admitted_ht=str(invoice.total_ht))
    notifications.general_for_supplier(dossier, piece, actor)
    return piece


# --- The titulaire: DGD signé (A8), or refusal --------------------------------------------------


def _waiting_general(dossier: Dossier) -> Piece:
    """The décompte général the titulaire must answer; a DGD asked before it exists is
    TRAV_DGD_BEFORE_DG."""
    _final(dossier, "un dossier mensuel n'a pas de décompte général")
    previous = services._last(dossier)
    if previous.kind == K.DECOMPTE_GENERAL and (
            previous.invoice.status == Status.A_ASSOCIER_FOURNISSEUR):
        return previous
    if not dossier.pieces.filter(kind=K.DECOMPTE_GENERAL).exists():
        raise errors.DgdBeforeDecompteGeneral(dossier=dossier.number)
    raise errors.PieceNotExpected(dossier=dossier.number,
                                  detail="son décompte général a déjà reçu sa réponse")


def sign_decompte_general(actor, dossier_id, data: InvoiceData) -> Piece:
    """A8 (« Déposer la pièce de facturation suivante »): the titulaire signs the décompte
    général and deposits the DGD — its own number, the décompte général's amounts —, routed
    to the paying service as any invoice. Late is no reason to refuse it."""
    dossier, supplier = services._acting(actor, dossier_id, Actor.FOURNISSEUR)
    previous = _waiting_general(dossier)
    general = previous.invoice
    _same_amounts(general, data, "le décompte général et définitif signé")
    invoice = _supplier_invoice(actor, dossier, supplier, data, TravauxCadre.A8)
    lifecycle.transition(general, Status.ASSOCIEE, actor=actor, role=Role.SUPPLIER,
                         comment=f"Décompte général et définitif {invoice.number}")
    _deposit(invoice, Status.DEPOSEE, actor, Role.SUPPLIER)
    invoicing.enqueue_routing(invoice)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=previous.position + 1,
        kind=K.DECOMPTE_GENERAL_SIGNE, depositor=supplier, depositor_role=Actor.FOURNISSEUR,
        previous=previous, claimed_ht=general.total_ht, claimed_ttc=general.total_ttc)
    services._now_waits(dossier, Actor.DESTINATAIRE, None)
    audit.record(actor, "travaux.dgd_deposited", dossier, invoice=invoice.pk,
                 number=invoice.number, late=clock.now() > previous.due_at)
    notifications.sent_to_payer(dossier, piece, actor)
    return piece


def refuse_decompte_general(actor, dossier_id, reason: str) -> Piece:
    """The titulaire refuses the décompte général (reason required), within its 30 days:
    past them, the décompte général is deemed accepted."""
    dossier, _supplier = services._acting(actor, dossier_id, Actor.FOURNISSEUR)
    previous = _waiting_general(dossier)
    if clock.now() > previous.due_at:
        raise errors.DecompteGeneralAccepted(number=previous.invoice.number,
                                             due=_paris(previous.due_at),
                                             dossier=dossier.number)
    lifecycle.transition(previous.invoice, Status.REFUSEE_FOURNISSEUR, actor=actor,
                         role=Role.SUPPLIER, comment=reason)
    services._now_waits(dossier, None, None)
    audit.record(actor, "travaux.decompte_general_refused", dossier, reason=reason[:200])
    notifications.general_refused(dossier, previous, actor, reason)
    return previous


# --- Tacit procedure ----------------------------------------------------------------------------

#: The pieces a tacit projet replaces: those still waiting for the MOE or the MOA.
_PENDING = (Status.MISE_A_DISPOSITION_MOE, Status.MISE_A_DISPOSITION_MOA)


def deposit_projet_tacite(actor, dossier_id, data: InvoiceData) -> Piece:
    """A22: the MOA silent past the décompte général's delay, the titulaire deposits its own
    projet de décompte général; the pending pieces become REMPLACEE_PAR_A22 and the MOA has
    10 more days to notify its décompte général."""
    dossier, supplier = services._acting(actor, dossier_id, Actor.FOURNISSEUR)
    _final(dossier, "la procédure tacite ne concerne que le décompte final")
    previous = services._last(dossier)
    if previous.kind not in (K.PROJET_DECOMPTE_FINAL, K.PROJET_DECOMPTE_GENERAL) or (
            previous.invoice.status not in _PENDING):
        raise errors.PieceNotExpected(
            dossier=dossier.number,
            detail="il n'attend plus de décompte général du maître d'ouvrage")
    first = dossier.pieces.order_by("position").first()
    if clock.now() <= first.due_at:
        raise errors.TacitTooEarly(due=_paris(first.due_at), dossier=dossier.number,
                                   piece="le projet de décompte général (procédure tacite)")
    invoice = _supplier_invoice(actor, dossier, supplier, data, TravauxCadre.A22)
    due = invoice.deposited_at + TACIT_DELAY
    for pending in dossier.pieces.select_related("invoice").filter(
            invoice__status__in=_PENDING):
        lifecycle.transition(pending.invoice, Status.REMPLACEE_PAR_A22, actor=actor,
                             role=Role.SUPPLIER, comment=f"Procédure tacite : {invoice.number}")
    _deposit(invoice, Status.MISE_A_DISPOSITION_MOA, actor, Role.SUPPLIER)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=previous.position + 1,
        kind=K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE, depositor=supplier,
        depositor_role=Actor.FOURNISSEUR, previous=previous, due_at=due)
    services._now_waits(dossier, Actor.MOA, due)
    audit.record(actor, "travaux.projet_tacite_deposited", dossier, invoice=invoice.pk,
                 number=invoice.number)
    notifications.tacit_project_for_moa(dossier, piece, actor)
    return piece


def deposit_dgd_tacite(actor, dossier_id, data: InvoiceData) -> Piece:
    """A23: the titulaire's DGD tacite, once the MOA let its 10 days pass: the tacit projet's
    amounts, the titulaire's own number, to the paying service."""
    return _dgd_tacite(actor, dossier_id, data, Actor.FOURNISSEUR)


def deposit_dgd_tacite_moe(actor, dossier_id, data: InvoiceData) -> Piece:
    """A24: the MOE's equivalent of A23."""
    return _dgd_tacite(actor, dossier_id, data, Actor.MOE)


def deposit_dgd_tacite_moa(actor, dossier_id, data: InvoiceData) -> Piece:
    """A25: the MOA's equivalent of A23."""
    return _dgd_tacite(actor, dossier_id, data, Actor.MOA)


def _dgd_tacite(actor, dossier_id, data: InvoiceData, role: str) -> Piece:
    dossier, structure = services._acting(actor, dossier_id, role)
    _final(dossier, "un dossier mensuel n'a pas de décompte général et définitif")
    previous = services._last(dossier)
    tacit = previous.invoice
    if previous.kind != K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE or (
            tacit.status != Status.MISE_A_DISPOSITION_MOA):
        if not dossier.pieces.filter(kind__in=(K.DECOMPTE_GENERAL,
                                               K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE)
                                     ).exists():
            raise errors.DgdBeforeDecompteGeneral(dossier=dossier.number)
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="il n'attend pas de décompte général et "
                                             "définitif tacite")
    if clock.now() <= previous.due_at:
        raise errors.TacitTooEarly(due=_paris(previous.due_at), dossier=dossier.number,
                                   piece="le décompte général et définitif tacite")
    _same_amounts(tacit, data, "le décompte général et définitif tacite")
    position = previous.position + 1
    if role == Actor.FOURNISSEUR:
        cadre, kind = TravauxCadre.A23, K.DECOMPTE_GENERAL_DEFINITIF_TACITE
        invoice = _supplier_invoice(actor, dossier, structure, data, cadre)
    else:
        cadre = TravauxCadre.A24 if role == Actor.MOE else TravauxCadre.A25
        kind = K.DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE
        invoice = services.issue_piece(
            actor, dossier, services._piece_data(dossier, tacit, data, cadre, position),
            bank_account=tacit.bank_account)
    lifecycle.transition(tacit, Status.ASSOCIEE, actor=actor, role=_ROLES[role],
                         comment=f"Décompte général et définitif tacite {invoice.number}")
    _deposit(invoice, Status.DEPOSEE, actor, _ROLES[role])
    invoicing.enqueue_routing(invoice)
    piece = Piece.objects.create(
        invoice=invoice, dossier=dossier, position=position, kind=kind, depositor=structure,
        depositor_role=role, previous=previous, claimed_ht=tacit.total_ht,
        claimed_ttc=tacit.total_ttc)
    services._now_waits(dossier, Actor.DESTINATAIRE, None)
    audit.record(actor, "travaux.dgd_tacite_deposited", dossier, invoice=invoice.pk,
                 cadre=cadre)
    notifications.sent_to_payer(dossier, piece, actor)
    return piece


# --- Timers -------------------------------------------------------------------------------------


def apply_dgd_deadlines(now=None, limit: int = 500) -> int:
    """The titulaire's 30 days on a décompte général: a reminder at day 25, then the titulaire
    and the MOA told the delay has passed (each notice once, each piece in its own
    transaction). The dossier keeps its `due_at`, now past: the lists show it."""
    now = now or clock.now()
    waiting = Piece.objects.filter(kind=K.DECOMPTE_GENERAL,
                                   invoice__status=Status.A_ASSOCIER_FOURNISSEUR)
    remind = waiting.filter(reminded_at__isnull=True, lapsed_at__isnull=True,
                            due_at__lte=now + (DGD_DELAY - DGD_REMINDER_AT), due_at__gt=now)
    lapse = waiting.filter(lapsed_at__isnull=True, due_at__lte=now)
    done = 0
    for pk in list(lapse.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            piece = Piece.objects.select_for_update(of=("self",)).select_related(
                "invoice", "dossier").get(pk=pk)
            if piece.lapsed_at or piece.invoice.status != Status.A_ASSOCIER_FOURNISSEUR:
                continue  # told already, or the titulaire answered meanwhile
            Piece.objects.filter(pk=pk).update(lapsed_at=now)
            audit.record("system", "travaux.dgd_deadline_passed", piece.dossier,
                         invoice=piece.invoice_id)
            notifications.general_lapsed(piece.dossier, piece)
            done += 1
    for pk in list(remind.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            piece = Piece.objects.select_for_update(of=("self",)).select_related(
                "invoice", "dossier").get(pk=pk)
            if piece.reminded_at or piece.invoice.status != Status.A_ASSOCIER_FOURNISSEUR:
                continue
            Piece.objects.filter(pk=pk).update(reminded_at=now)
            notifications.general_reminder(piece.dossier, piece)
            done += 1
    return done

