"""Recycling a piece of a dossier de travaux addressed to the wrong party (docs/TRAVAUX.md;
reference §1.2 (e), §2.4: « ERREUR_DE_MOE … → EN_ATTENTE_RECYCLAGE_FOURNISSEUR → re-routed »;
the pre-PISTE `factures/travaux/demander/recyclage` and `recycler`). One use case each:

- `recycle_to_service`: the MOE (MOA) received the piece waiting for it at the wrong one of
  its services: it moves it to another service of its own structure; the status stays
  (MISE_A_DISPOSITION_MOE / _MOA, a history row says where it went); the MOA's service is
  the paying service, so the piece's `recipient_service` follows, and the next pieces too.
- `request_recycling` (« demander le recyclage »): the structure named MOE (MOA) says it is
  not the dossier's: ERREUR_DE_MOE (ERREUR_DE_MOA, a reason required; an amount is no reason,
  as for a refusal), then EN_ATTENTE_RECYCLAGE_FOURNISSEUR; the supplier, who named the
  parties at its deposit, is asked to recycle. Its deadline no longer runs.
- `recycle_to_party`: the supplier names another MOE (MOA) — and its service —; the piece is
  made available to it (MISE_A_DISPOSITION_MOE / _MOA), the dossier's party changes (the one
  that declined no longer sees the dossier), the MOE's delay starts again from now.

Entry points own the transaction (house rule 2).
"""

from __future__ import annotations

from choeur.core import audit, clock
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import lifecycle
from choeur.invoicing import services as invoicing
from choeur.invoicing.models import StatusChange
from choeur.invoicing.statuses import Role, Status
from choeur.messaging.services import notify
from choeur.organisations.models import Service
from choeur.travaux import errors, final, notifications, services
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

S = Status
K = TypeFactureTravaux
#: The status of a piece waiting for each of the two, the error it declares, its table role.
WAITING = {Actor.MOE: S.MISE_A_DISPOSITION_MOE, Actor.MOA: S.MISE_A_DISPOSITION_MOA}
ERROR = {Actor.MOE: S.ERREUR_DE_MOE, Actor.MOA: S.ERREUR_DE_MOA}
ROLE = {Actor.MOE: Role.MOE, Actor.MOA: Role.MOA}
_PARTY = {Actor.MOE: "maître d'œuvre", Actor.MOA: "maître d'ouvrage"}


def _waiting_piece(dossier: Dossier, role: str) -> Piece:
    piece = services._last(dossier)
    if piece is None or piece.invoice.status != WAITING[role]:
        raise errors.PieceNotExpected(
            dossier=dossier.number, detail=f"aucune pièce n'y attend le {_PARTY[role]}")
    return piece


def _mine(role: str) -> None:
    if role not in WAITING:
        raise errors.PieceNotExpected(dossier="—", detail="seuls le maître d'œuvre et le "
                                      "maître d'ouvrage recyclent une pièce vers un service")


# --- The MOE / MOA: another of its services ------------------------------------------------------


def recycle_to_service(actor, dossier_id, role: str, service_code: str,
                       comment: str = "") -> Piece:
    """The MOE (`role` MOE) or the MOA moves the piece waiting for it to another active
    service of its structure (`service_code`)."""
    _mine(role)
    dossier, structure = services._acting(actor, dossier_id, role)
    piece = _waiting_piece(dossier, role)
    if not (service_code or "").strip():
        raise invoicing_errors.ServiceRequired(recipient=structure.company_name)
    service = invoicing.resolve_service(structure, service_code)
    slot = "moe_service" if role == Actor.MOE else "moa_service"
    if getattr(dossier, f"{slot}_id") == service.pk:
        raise errors.RecyclingUnchanged(dossier=dossier.number,
                                        what=f"le service {service.code}")
    changes = {"recipient_service": service} if role == Actor.MOA else {}
    note = (comment or "").strip()
    lifecycle.transition(piece.invoice, WAITING[role], actor=actor, role=ROLE[role],
                         comment=f"Recyclée vers le service {service.code}"
                                 + (f" : {note}" if note else ""), **changes)
    setattr(dossier, slot, service)
    dossier.updated_at = clock.now()
    dossier.save(update_fields=[slot, "updated_at"])
    audit.record(actor, "travaux.recycled_to_service", dossier, invoice=piece.invoice_id,
                 role=role, service=service.code)
    return piece


# --- The MOE / MOA: not ours, the supplier must recycle ------------------------------------------


def request_recycling(actor, dossier_id, role: str, reason: str) -> Piece:
    """« Demander le recyclage »: the structure named MOE (MOA) is not the dossier's; the
    piece waits for the supplier to name the right one."""
    _mine(role)
    dossier, _structure = services._acting(actor, dossier_id, role)
    piece = _waiting_piece(dossier, role)
    if piece.kind == TypeFactureTravaux.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE:
        # The MOA's answer to a tacit projet is its décompte général within its 10 days, or
        # silence: a recycling request would stop the count the titulaire relies on.
        raise errors.PieceNotExpected(
            dossier=dossier.number, detail="un projet de décompte général de la procédure "
            "tacite appelle le décompte général, pas un recyclage")
    if services.AMOUNT_REASONS.search(reason or ""):
        raise errors.AmountNotAReason()
    lifecycle.transition(piece.invoice, ERROR[role], actor=actor, role=ROLE[role],
                         comment=reason)
    lifecycle.transition(piece.invoice, S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR, role=Role.SYSTEM,
                         comment=f"Recyclage demandé par le {_PARTY[role]}.")
    services._now_waits(dossier, Actor.FOURNISSEUR, None)
    audit.record(actor, "travaux.recycling_requested", dossier, invoice=piece.invoice_id,
                 role=role, reason=(reason or "")[:200])
    notify(notifications._users(dossier.supplier, actor), "travaux_recycling_requested",
           notifications._params(dossier, piece, party=_PARTY[role],
                                 reason=(reason or "")[:200]))
    return piece


# --- The supplier: another MOE / MOA -------------------------------------------------------------


def _declined(piece: Piece) -> str:
    """Which party declined the piece now EN_ATTENTE_RECYCLAGE_FOURNISSEUR (MOE, MOA)."""
    change = (StatusChange.objects.filter(invoice_id=piece.invoice_id,
                                          status=S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR)
              .order_by("-at", "-pk").first())
    return Actor.MOA if change is not None and change.previous == S.ERREUR_DE_MOA else Actor.MOE


def _moe_delay(piece: Piece):
    if piece.kind == K.PROJET_DECOMPTE_FINAL:
        return final.DG_DELAY
    return services.MOE_DELAY if piece.kind == K.PROJET_DECOMPTE_MENSUEL else None


def recycle_to_party(actor, dossier_id, identifier: str, service_code: str = "",
                     comment: str = "") -> Piece:
    """The supplier recycles its dossier's piece EN_ATTENTE_RECYCLAGE_FOURNISSEUR to another
    MOE (or MOA, whichever declined it), `identifier` its SIRET, `service_code` one of its
    services (optional, unless that structure requires one)."""
    dossier, supplier = services._acting(actor, dossier_id, Actor.FOURNISSEUR)
    piece = services._last(dossier)
    if piece is None or piece.invoice.status != S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail="aucune pièce n'y attend de recyclage")
    role = _declined(piece)
    if role == Actor.MOE:
        party = services._moe(identifier)
        others, current = (supplier.pk, dossier.moa_id, dossier.titulaire_id), dossier.moe_id
    else:
        party = services._moa(identifier)
        others, current = (supplier.pk, dossier.moe_id, dossier.titulaire_id), dossier.moa_id
    if party.pk in others:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail=f"le {_PARTY[role]} est une autre structure que "
                                             "les autres parties du dossier")
    if party.pk == current:
        raise errors.RecyclingUnchanged(dossier=dossier.number,
                                        what=f"le {_PARTY[role]} {party.company_name}")
    service: Service | None = invoicing.resolve_service(party, service_code)
    if role == Actor.MOA:
        invoicing.check_service_required(party, service)
    now = clock.now()
    note = (comment or "").strip()
    text = f"Recyclée vers {party.company_name} ({party.identifier})" + (
        f" : {note}" if note else "")
    if role == Actor.MOE:
        delay = _moe_delay(piece)
        due = now + delay if delay else piece.due_at
        lifecycle.transition(piece.invoice, S.MISE_A_DISPOSITION_MOE, actor=actor,
                             role=Role.SUPPLIER, comment=text)
        Piece.objects.filter(pk=piece.pk).update(due_at=due)
        piece.due_at = due
        dossier.moe, dossier.moe_service = party, service
        if dossier.payment_delay_from and piece.position == 1:
            # The délai global de paiement runs from the projet's availability to the MOE.
            dossier.payment_delay_from = now
    else:
        due = piece.due_at
        lifecycle.transition(piece.invoice, S.MISE_A_DISPOSITION_MOA, actor=actor,
                             role=Role.SUPPLIER, comment=text, recipient=party,
                             recipient_service=service, downloaded_by_recipient=False)
        dossier.moa, dossier.moa_service = party, service
    dossier.next_actor, dossier.due_at, dossier.updated_at = role, due, now
    dossier.save(update_fields=["moe", "moe_service", "moa", "moa_service", "next_actor",
                                "due_at", "payment_delay_from", "updated_at"])
    audit.record(actor, "travaux.recycled_to_party", dossier, invoice=piece.invoice_id,
                 role=role, party=party.identifier, service=service.code if service else "")
    notify(notifications._users(party, actor), "travaux_recycled",
           notifications._params(dossier, piece))
    return piece
