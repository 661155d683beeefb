"""Invoice statuses and the transition table (house rule 3).

The table is the only place that says which status may follow which, and who may cause it.
It follows the reconstruction of the reference (chorus-pro-domain.md §1.6); the API serves it
as `recupererEtatsPossiblesPourTraitement`. `lifecycle.transition()` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """`statutFacture`, verbatim (the codes of this scope; works statuses come later)."""

    BROUILLON = "BROUILLON", _("Brouillon")
    A_VALIDER_1 = "A_VALIDER_1", _("À valider (niveau 1)")
    VALIDEE_1 = "VALIDEE_1", _("Validée (niveau 1)")
    REFUSEE_1 = "REFUSEE_1", _("Refusée (niveau 1)")
    ABSENCE_VALIDATION_1_HORS_DELAI = (
        "ABSENCE_VALIDATION_1_HORS_DELAI", _("Validée tacitement (niveau 1, 15 jours)"))
    ERREUR_FOURNISSEUR_SUR_VALIDEUR = (
        "ERREUR_FOURNISSEUR_SUR_VALIDEUR", _("Erreur de valideur (à corriger)"))
    A_VALIDER_2 = "A_VALIDER_2", _("À valider (niveau 2)")
    VALIDEE_2 = "VALIDEE_2", _("Validée (niveau 2)")
    REFUSEE_2 = "REFUSEE_2", _("Refusée (niveau 2)")
    ABSENCE_VALIDATION_2_HORS_DELAI = (
        "ABSENCE_VALIDATION_2_HORS_DELAI", _("Validée tacitement (niveau 2, 15 jours)"))
    ERREUR_COTRAITANT_SUR_VALIDEUR = (
        "ERREUR_COTRAITANT_SUR_VALIDEUR", _("Erreur de second valideur (à corriger)"))
    DEPOSEE = "DEPOSEE", _("Déposée")
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT", _("En cours d'acheminement")
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION", _("Mise à disposition du destinataire")
    A_RECYCLER = "A_RECYCLER", _("À recycler")
    SUSPENDUE = "SUSPENDUE", _("Suspendue")
    COMPLETEE = "COMPLETEE", _("Complétée")
    REJETEE = "REJETEE", _("Rejetée")
    SERVICE_FAIT = "SERVICE_FAIT", _("Service fait")
    MANDATEE = "MANDATEE", _("Mandatée")
    MISE_A_DISPOSITION_COMPTABLE = (
        "MISE_A_DISPOSITION_COMPTABLE", _("Mise à disposition du comptable"))
    COMPTABILISEE = "COMPTABILISEE", _("Comptabilisée")
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT", _("Mise en paiement")
    SUPPRIMEE = "SUPPRIMEE", _("Supprimée")


class Role(StrEnum):
    SUPPLIER = "FOURNISSEUR"
    RECIPIENT = "DESTINATAIRE"
    VALIDATOR = "VALIDEUR"
    SYSTEM = "SYSTEME"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    role: Role
    reason_required: bool = False


S = Status
_RECIPIENT_FROM_TO = {
    # To-process list (MISE_A_DISPOSITION, COMPLETEE) and the optional processing steps,
    # which may be skipped but never go back (SERVICE_FAIT → MANDATEE → MISE_A_DISPOSITION_
    # COMPTABLE → COMPTABILISEE → MISE_EN_PAIEMENT).
    S.MISE_A_DISPOSITION: [S.A_RECYCLER, S.SUSPENDUE, S.REJETEE, S.SERVICE_FAIT, S.MANDATEE,
                           S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE,
                           S.MISE_EN_PAIEMENT],
    S.COMPLETEE: [S.A_RECYCLER, S.SUSPENDUE, S.REJETEE, S.SERVICE_FAIT, S.MANDATEE,
                  S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE, S.MISE_EN_PAIEMENT],
    S.SERVICE_FAIT: [S.SUSPENDUE, S.REJETEE, S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE,
                     S.COMPTABILISEE, S.MISE_EN_PAIEMENT],
    # The accountant may reject the mandat: the recipient then rejects the invoice.
    S.MANDATEE: [S.REJETEE, S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE,
                 S.MISE_EN_PAIEMENT],
    S.MISE_A_DISPOSITION_COMPTABLE: [S.COMPTABILISEE, S.MISE_EN_PAIEMENT],
    S.COMPTABILISEE: [S.MISE_EN_PAIEMENT],
}
_REASON_REQUIRED = {S.SUSPENDUE, S.REJETEE}

TABLE: tuple[Transition, ...] = (
    # Supplier: send a draft (A1/A2 → DEPOSEE, A9/A12 → A_VALIDER_1), delete it.
    Transition(S.BROUILLON, S.DEPOSEE, Role.SUPPLIER),
    Transition(S.BROUILLON, S.A_VALIDER_1, Role.SUPPLIER),
    Transition(S.BROUILLON, S.SUPPRIMEE, Role.SUPPLIER),
    # Validators, level 1 and 2 (sous-traitance, co-traitance).
    Transition(S.A_VALIDER_1, S.VALIDEE_1, Role.VALIDATOR),
    Transition(S.A_VALIDER_1, S.REFUSEE_1, Role.VALIDATOR, reason_required=True),
    Transition(S.A_VALIDER_1, S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, Role.VALIDATOR),
    Transition(S.A_VALIDER_1, S.ABSENCE_VALIDATION_1_HORS_DELAI, Role.SYSTEM),
    Transition(S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, S.A_VALIDER_1, Role.SUPPLIER),
    Transition(S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, S.SUPPRIMEE, Role.SUPPLIER),
    Transition(S.VALIDEE_1, S.A_VALIDER_2, Role.SYSTEM),
    Transition(S.VALIDEE_1, S.DEPOSEE, Role.SYSTEM),
    Transition(S.ABSENCE_VALIDATION_1_HORS_DELAI, S.A_VALIDER_2, Role.SYSTEM),
    Transition(S.ABSENCE_VALIDATION_1_HORS_DELAI, S.DEPOSEE, Role.SYSTEM),
    Transition(S.A_VALIDER_2, S.VALIDEE_2, Role.VALIDATOR),
    Transition(S.A_VALIDER_2, S.REFUSEE_2, Role.VALIDATOR, reason_required=True),
    Transition(S.A_VALIDER_2, S.ERREUR_COTRAITANT_SUR_VALIDEUR, Role.VALIDATOR),
    Transition(S.A_VALIDER_2, S.ABSENCE_VALIDATION_2_HORS_DELAI, Role.SYSTEM),
    Transition(S.ERREUR_COTRAITANT_SUR_VALIDEUR, S.A_VALIDER_2, Role.VALIDATOR),
    Transition(S.VALIDEE_2, S.DEPOSEE, Role.SYSTEM),
    Transition(S.ABSENCE_VALIDATION_2_HORS_DELAI, S.DEPOSEE, Role.SYSTEM),
    # Routing (a task after commit).
    Transition(S.DEPOSEE, S.EN_COURS_ACHEMINEMENT, Role.SYSTEM),
    Transition(S.EN_COURS_ACHEMINEMENT, S.MISE_A_DISPOSITION, Role.SYSTEM),
    # Supplier answers: recycle (new routing data, routed again), complete a suspension.
    Transition(S.A_RECYCLER, S.DEPOSEE, Role.SUPPLIER),
    Transition(S.SUSPENDUE, S.COMPLETEE, Role.SUPPLIER),
    # Recipient processing.
    *(Transition(source, target, Role.RECIPIENT, reason_required=target in _REASON_REQUIRED)
      for source, targets in _RECIPIENT_FROM_TO.items() for target in targets),
)

_INDEX: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TABLE}

#: Statuses in which the recipient must act ("à traiter").
RECIPIENT_TO_PROCESS = (S.MISE_A_DISPOSITION, S.COMPLETEE)
#: Statuses the recipient sees at all (before routing, an invoice is not theirs yet).
RECIPIENT_VISIBLE = tuple(s for s in Status if s not in (
    S.BROUILLON, S.SUPPRIMEE, S.A_VALIDER_1, S.VALIDEE_1, S.REFUSEE_1,
    S.ABSENCE_VALIDATION_1_HORS_DELAI, S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, S.A_VALIDER_2,
    S.VALIDEE_2, S.REFUSEE_2, S.ABSENCE_VALIDATION_2_HORS_DELAI,
    S.ERREUR_COTRAITANT_SUR_VALIDEUR, S.DEPOSEE, S.EN_COURS_ACHEMINEMENT))
#: Supplier "à traiter" (reference §1.3), minus the transient routing statuses.
SUPPLIER_TO_PROCESS = (S.BROUILLON, S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, S.A_RECYCLER,
                       S.SUSPENDUE)
#: Terminal statuses: nothing follows.
TERMINAL = (S.MISE_EN_PAIEMENT, S.REJETEE, S.REFUSEE_1, S.REFUSEE_2, S.SUPPRIMEE)


def find(source: str, target: str) -> Transition | None:
    return _INDEX.get((source, target))


def targets(source: str, role: Role | None = None) -> list[str]:
    """The statuses that may follow `source` (for `role` only, when given), in table order."""
    return [t.target for t in TABLE if t.source == source and (role is None or t.role == role)]


def recipient_targets(source: str) -> list[str]:
    return targets(source, Role.RECIPIENT)
