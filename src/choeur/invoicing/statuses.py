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
    # Factures de travaux (reference §1.2 (e); docs/TRAVAUX.md): the pieces of a dossier de
    # facturation between the supplier, the maître d'œuvre and the maître d'ouvrage.
    ASSOCIEE = "ASSOCIEE", _("Associée (pièce suivante déposée)")
    MISE_A_DISPOSITION_MOE = "MISE_A_DISPOSITION_MOE", _("Mise à disposition de la MOE")
    PRISE_EN_COMPTE_MOE = "PRISE_EN_COMPTE_MOE", _("Prise en compte par la MOE")
    REFUSEE_MOE = "REFUSEE_MOE", _("Refusée par la MOE")
    ERREUR_DE_MOE = "ERREUR_DE_MOE", _("Erreur de maître d'œuvre")
    ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE = (
        "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE",
        _("Sans état d'acompte de la MOE dans le délai réglementaire (7 jours)"))
    A_ASSOCIER_MOA = "A_ASSOCIER_MOA", _("À associer par la MOA")
    MISE_A_DISPOSITION_MOA = "MISE_A_DISPOSITION_MOA", _("Mise à disposition de la MOA")
    PRISE_EN_COMPTE_MOA = "PRISE_EN_COMPTE_MOA", _("Prise en compte par la MOA")
    REFUSEE_MOA = "REFUSEE_MOA", _("Refusée par la MOA")
    ERREUR_DE_MOA = "ERREUR_DE_MOA", _("Erreur de maître d'ouvrage")
    TRANSMISE_MOA = "TRANSMISE_MOA", _("Transmise à la MOA")
    A_ASSOCIER_FOURNISSEUR = "A_ASSOCIER_FOURNISSEUR", _("À associer par le fournisseur")
    REFUSEE_FOURNISSEUR = "REFUSEE_FOURNISSEUR", _("Refusée par le fournisseur")
    EN_ATTENTE_RECYCLAGE_FOURNISSEUR = (
        "EN_ATTENTE_RECYCLAGE_FOURNISSEUR", _("En attente de recyclage par le fournisseur"))
    REMPLACEE_PAR_A22 = "REMPLACEE_PAR_A22", _("Remplacée par un projet de décompte général "
                                                  "(procédure tacite)")


class Role(StrEnum):
    SUPPLIER = "FOURNISSEUR"
    RECIPIENT = "DESTINATAIRE"
    VALIDATOR = "VALIDEUR"
    MOE = "MOE"
    MOA = "MOA"
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
    # Factures de travaux (docs/TRAVAUX.md). A projet de décompte reaches the MOE; the MOE
    # associates its état d'acompte (the projet becomes ASSOCIEE), refuses it, or says it is
    # not the MOE; silent 7 days, the regulatory status, after which the MOA may act on it.
    Transition(S.BROUILLON, S.MISE_A_DISPOSITION_MOE, Role.SUPPLIER),
    Transition(S.VALIDEE_1, S.MISE_A_DISPOSITION_MOE, Role.SYSTEM),
    Transition(S.ABSENCE_VALIDATION_1_HORS_DELAI, S.MISE_A_DISPOSITION_MOE, Role.SYSTEM),
    Transition(S.MISE_A_DISPOSITION_MOE, S.ASSOCIEE, Role.MOE),
    Transition(S.MISE_A_DISPOSITION_MOE, S.REFUSEE_MOE, Role.MOE, reason_required=True),
    Transition(S.MISE_A_DISPOSITION_MOE, S.ERREUR_DE_MOE, Role.MOE, reason_required=True),
    Transition(S.MISE_A_DISPOSITION_MOE, S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE,
               Role.SYSTEM),
    Transition(S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE, S.ASSOCIEE, Role.MOA),
    Transition(S.ERREUR_DE_MOE, S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR, Role.SYSTEM),
    Transition(S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR, S.MISE_A_DISPOSITION_MOE, Role.SUPPLIER),
    # A piece for the MOA (the MOE's état d'acompte, or the supplier's A5 without MOE): the
    # MOA associates its état d'acompte validé, or refuses.
    Transition(S.BROUILLON, S.MISE_A_DISPOSITION_MOA, Role.MOE),
    Transition(S.BROUILLON, S.MISE_A_DISPOSITION_MOA, Role.SUPPLIER),
    Transition(S.MISE_A_DISPOSITION_MOA, S.ASSOCIEE, Role.MOA),
    Transition(S.MISE_A_DISPOSITION_MOA, S.REFUSEE_MOA, Role.MOA, reason_required=True),
    Transition(S.MISE_A_DISPOSITION_MOA, S.ERREUR_DE_MOA, Role.MOA, reason_required=True),
    # The last piece of a dossier goes to the paying service like any invoice.
    Transition(S.BROUILLON, S.DEPOSEE, Role.MOA),
    Transition(S.BROUILLON, S.DEPOSEE, Role.MOE),
    # --- Factures de travaux, circuit final (docs/TRAVAUX.md) ------------------------------
    # A7/A14 reaches the MOE (BROUILLON → MISE_A_DISPOSITION_MOE above); the MOE associates its
    # projet de décompte général A17 (→ MISE_A_DISPOSITION_MOA above) or, empowered, its
    # décompte général A18; the MOA associates its décompte général A20 to the A17 (or to the
    # titulaire's A22). The décompte général waits for the titulaire (30 days): it signs and
    # deposits the DGD A8 (→ DEPOSEE above, the paying service) or refuses it.
    Transition(S.BROUILLON, S.A_ASSOCIER_FOURNISSEUR, Role.MOA),
    Transition(S.BROUILLON, S.A_ASSOCIER_FOURNISSEUR, Role.MOE),
    Transition(S.A_ASSOCIER_FOURNISSEUR, S.ASSOCIEE, Role.SUPPLIER),
    Transition(S.A_ASSOCIER_FOURNISSEUR, S.REFUSEE_FOURNISSEUR, Role.SUPPLIER,
               reason_required=True),
    # Tacit procedure: the MOA silent, the titulaire's A22 replaces the pending piece and goes
    # to the MOA (BROUILLON → MISE_A_DISPOSITION_MOA above); the MOA may still answer it with
    # its A20, else the DGD tacite (A23 titulaire, A24 MOE, A25 MOA) is associated to it.
    Transition(S.MISE_A_DISPOSITION_MOE, S.REMPLACEE_PAR_A22, Role.SUPPLIER),
    Transition(S.MISE_A_DISPOSITION_MOA, S.REMPLACEE_PAR_A22, Role.SUPPLIER),
    Transition(S.MISE_A_DISPOSITION_MOA, S.ASSOCIEE, Role.SUPPLIER),
    Transition(S.MISE_A_DISPOSITION_MOA, S.ASSOCIEE, Role.MOE),
    # --- Factures de travaux, recycling (travaux/recycling.py) ------------------------------
    # A piece put at the wrong service of the MOE (MOA): that structure moves it to another of
    # its services, the status unchanged (the move writes its history row). A piece put at
    # the wrong MOA: as for the wrong MOE above, the supplier names another.
    Transition(S.MISE_A_DISPOSITION_MOE, S.MISE_A_DISPOSITION_MOE, Role.MOE),
    Transition(S.MISE_A_DISPOSITION_MOA, S.MISE_A_DISPOSITION_MOA, Role.MOA),
    Transition(S.ERREUR_DE_MOA, S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR, Role.SYSTEM),
    Transition(S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR, S.MISE_A_DISPOSITION_MOA, Role.SUPPLIER),
)

# The same move may be made by several roles (a piece deposited by the supplier, the MOE or
# the MOA): keyed by role too.
_INDEX: dict[tuple[str, str, str], Transition] = {(t.source, t.target, t.role): t
                                                  for t in TABLE}

#: Statuses in which the recipient must act ("à traiter").
RECIPIENT_TO_PROCESS = (S.MISE_A_DISPOSITION, S.COMPLETEE)
#: Statuses the recipient sees at all (before routing, an invoice is not theirs yet).
#: The statuses of a works piece on its way between supplier, MOE and MOA: the paying
#: service sees a dossier's last piece only, from its routing on (docs/TRAVAUX.md).
TRAVAUX_ONLY = (
    S.ASSOCIEE, S.MISE_A_DISPOSITION_MOE, S.PRISE_EN_COMPTE_MOE, S.REFUSEE_MOE, S.ERREUR_DE_MOE,
    S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE, S.A_ASSOCIER_MOA, S.MISE_A_DISPOSITION_MOA,
    S.PRISE_EN_COMPTE_MOA, S.REFUSEE_MOA, S.ERREUR_DE_MOA, S.TRANSMISE_MOA,
    S.A_ASSOCIER_FOURNISSEUR, S.REFUSEE_FOURNISSEUR, S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR,
    S.REMPLACEE_PAR_A22)
#: The statuses an ordinary invoice (typeDemandePaiement FACTURE) can have.
INVOICE_STATUSES = tuple(s for s in Status if s not in TRAVAUX_ONLY)
RECIPIENT_VISIBLE = tuple(s for s in Status if s not in (
    S.BROUILLON, S.SUPPRIMEE, S.A_VALIDER_1, S.VALIDEE_1, S.REFUSEE_1,
    S.ABSENCE_VALIDATION_1_HORS_DELAI, S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, S.A_VALIDER_2,
    S.VALIDEE_2, S.REFUSEE_2, S.ABSENCE_VALIDATION_2_HORS_DELAI,
    S.ERREUR_COTRAITANT_SUR_VALIDEUR, S.DEPOSEE, S.EN_COURS_ACHEMINEMENT, *TRAVAUX_ONLY))
#: Supplier "à traiter" (reference §1.3), minus the transient routing statuses.
SUPPLIER_TO_PROCESS = (S.BROUILLON, S.ERREUR_FOURNISSEUR_SUR_VALIDEUR, S.A_RECYCLER,
                       S.SUSPENDUE)
#: Validator "à traiter" (the « Factures à valider » list's tab).
VALIDATOR_TO_PROCESS = (S.A_VALIDER_1, S.A_VALIDER_2)
#: Terminal statuses: nothing follows.
TERMINAL = (S.MISE_EN_PAIEMENT, S.REJETEE, S.REFUSEE_1, S.REFUSEE_2, S.SUPPRIMEE)


def find(source: str, target: str, role: Role | None = None) -> Transition | None:
    """The rule for moving `source` → `target` (as `role`, when given)."""
    if role is not None:
        return _INDEX.get((source, target, role))
    return next((t for t in TABLE if t.source == source and t.target == target), None)


def targets(source: str, role: Role | None = None) -> list[str]:
    """The statuses that may follow `source` (for `role` only, when given), in table order."""
    return [t.target for t in TABLE if t.source == source and (role is None or t.role == role)]


def recipient_targets(source: str) -> list[str]:
    return targets(source, Role.RECIPIENT)
