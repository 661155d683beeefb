"""Who hears what in a works dossier (reference §2.4: e-mails when an action is expected and
when an actor enriched the dossier; the mise en paiement is the ordinary invoice's notice).
In the caller's transaction, as every notification."""

from __future__ import annotations

from choeur.core import clock
from choeur.messaging.services import notify
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Structure
from choeur.travaux.models import Dossier, Piece


def _users(structure: Structure | None, actor=None) -> list:
    if structure is None:
        return []
    return [u for u in permissions.users_in_espace(structure, Espace.FACTURES_TRAVAUX)
            if u != actor]


def _params(dossier: Dossier, piece: Piece, **extra) -> dict:
    invoice = piece.invoice
    return {"dossier": dossier.number, "number": invoice.number,
            "amount": str(invoice.total_ttc), "currency": invoice.currency,
            "supplier": dossier.supplier.company_name,
            "moe": dossier.moe.company_name if dossier.moe else "", **extra}


def projet_for_moe(dossier: Dossier, piece: Piece, actor) -> None:
    due = dossier.due_at.astimezone(clock.PARIS).strftime("%d/%m/%Y") if dossier.due_at else ""
    notify(_users(dossier.moe, actor), "travaux_to_moe", _params(dossier, piece, due=due))


def etat_acompte_for_moa(dossier: Dossier, piece: Piece, actor) -> None:
    notify(_users(dossier.moa, actor), "travaux_to_moa", _params(dossier, piece))


def moe_late(dossier: Dossier, piece: Piece) -> None:
    users = _users(dossier.moa) + _users(dossier.moe) + _users(dossier.supplier)
    notify(users, "travaux_moe_late", _params(dossier, piece))


def refused_by_moe(dossier: Dossier, piece: Piece, actor, reason: str) -> None:
    notify(_users(dossier.supplier, actor), "travaux_refused",
           _params(dossier, piece, reason=reason[:200]))
