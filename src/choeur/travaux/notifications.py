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


# --- The final circuit and the variants (travaux/final.py, travaux/variants.py) ----------------


def _due(piece: Piece) -> str:
    return piece.due_at.astimezone(clock.PARIS).strftime("%d/%m/%Y") if piece.due_at else ""


def _parties(dossier: Dossier, actor=None) -> list:
    return (_users(dossier.supplier, actor) + _users(dossier.moe, actor)
            + _users(dossier.moa, actor))


def final_for_moe(dossier: Dossier, piece: Piece, actor) -> None:
    """A7/A14: the MOE establishes the projet de décompte général."""
    notify(_users(dossier.moe, actor), "travaux_final_to_moe", _params(dossier, piece))


def general_project_for_moa(dossier: Dossier, piece: Piece, actor) -> None:
    """A17: the MOA establishes the décompte général (before the date the dossier shows)."""
    notify(_users(dossier.moa, actor), "travaux_final_to_moa",
           _params(dossier, piece, due=_due(piece)))


def general_for_supplier(dossier: Dossier, piece: Piece, actor) -> None:
    """A20/A18: the titulaire signs the décompte général (30 days) or refuses it."""
    notify(_users(dossier.supplier, actor), "travaux_dg_to_supplier",
           _params(dossier, piece, due=_due(piece)))


def general_reminder(dossier: Dossier, piece: Piece) -> None:
    notify(_users(dossier.supplier), "travaux_dgd_reminder",
           _params(dossier, piece, due=_due(piece)))


def general_lapsed(dossier: Dossier, piece: Piece) -> None:
    notify(_users(dossier.supplier) + _users(dossier.moa), "travaux_dgd_late",
           _params(dossier, piece, due=_due(piece)))


def general_refused(dossier: Dossier, piece: Piece, actor, reason: str) -> None:
    notify(_users(dossier.moa, actor) + _users(dossier.moe, actor), "travaux_dg_refused",
           _params(dossier, piece, reason=reason[:200]))


def tacit_project_for_moa(dossier: Dossier, piece: Piece, actor) -> None:
    """A22: the MOA (and the MOE) told that the tacit procedure started, and until when the
    MOA may still notify its décompte général."""
    notify(_users(dossier.moa, actor) + _users(dossier.moe, actor), "travaux_tacit_to_moa",
           _params(dossier, piece, due=_due(piece)))


def etat_acompte_from_supplier(dossier: Dossier, piece: Piece, actor) -> None:
    """A5: the supplier's état d'acompte, without MOE, for the MOA."""
    notify(_users(dossier.moa, actor), "travaux_to_moa_from_supplier", _params(dossier, piece))


def sent_to_payer(dossier: Dossier, piece: Piece, actor) -> None:
    """The dossier's last piece went to the paying service: the other parties told."""
    notify(_parties(dossier, actor), "travaux_sent_to_payer", _params(dossier, piece))


# --- Sous-traitance and co-traitance (travaux/subcontracting.py) --------------------------------


def _titulaire_params(dossier: Dossier, piece: Piece, **extra) -> dict:
    return _params(dossier, piece, titulaire=dossier.titulaire.company_name, due=_due(piece),
                   **extra)


def projet_for_titulaire(dossier: Dossier, piece: Piece, actor) -> None:
    """A10: the titulaire accepts or refuses its sous-traitant's projet (15 days)."""
    notify(_users(dossier.titulaire, actor), "travaux_to_titulaire",
           _titulaire_params(dossier, piece))


def titulaire_reminder(dossier: Dossier, piece: Piece) -> None:
    notify(_users(dossier.titulaire), "travaux_titulaire_reminder",
           _titulaire_params(dossier, piece))


def titulaire_accepted(dossier: Dossier, piece: Piece, actor) -> None:
    notify(_users(dossier.supplier, actor), "travaux_titulaire_accepted",
           _titulaire_params(dossier, piece))


def titulaire_refused(dossier: Dossier, piece: Piece, actor, reason: str) -> None:
    notify(_users(dossier.supplier, actor), "travaux_titulaire_refused",
           _titulaire_params(dossier, piece, reason=reason[:200]))


def titulaire_silent(dossier: Dossier, piece: Piece) -> None:
    """The 15 days passed: the titulaire and the sous-traitant told of the tacit validation."""
    notify(_users(dossier.titulaire) + _users(dossier.supplier), "travaux_titulaire_tacit",
           _titulaire_params(dossier, piece))


def cotraitant_for_mandataire(dossier: Dossier, piece: Piece, actor) -> None:
    """A13/A14: the mandataire of the groupement takes note (« prise de connaissance »)."""
    notify(_users(dossier.titulaire, actor), "travaux_to_mandataire",
           _titulaire_params(dossier, piece))
