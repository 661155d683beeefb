"""A sollicitation's statuses and its one transition table (house rule 3): for each move, the
statuses it leaves, the status it reaches, the side that makes it, and whether the receiving
agent must have taken the ticket first (self-assignment, reference §6.2)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    BROUILLON = "BROUILLON", _("Brouillon")
    NOUVELLE = "NOUVELLE", _("Nouvelle")
    EN_COURS = "EN_COURS", _("En cours de traitement")
    COMPLEMENT_DEMANDE = "COMPLEMENT_DEMANDE", _("Complément demandé")
    COMPLETEE = "COMPLETEE", _("Complétée")
    REPONDUE = "REPONDUE", _("Répondue")
    ROUVERTE = "ROUVERTE", _("Rouverte")
    CLOTUREE = "CLOTUREE", _("Clôturée")


class Side(models.TextChoices):
    EMETTEUR = "EMETTEUR", _("Émetteur")
    DESTINATAIRE = "DESTINATAIRE", _("Destinataire")
    SYSTEME = "SYSTEME", _("Plateforme")


class Action(models.TextChoices):
    """What a message of the thread records: the move made (and its words)."""

    CREER = "CREER", _("Brouillon enregistré")
    ENVOYER = "ENVOYER", _("Sollicitation envoyée")
    PRENDRE = "PRENDRE", _("Prise en charge")
    DEMANDER_COMPLEMENT = "DEMANDER_COMPLEMENT", _("Complément demandé")
    COMPLETER = "COMPLETER", _("Complément apporté")
    REPONDRE = "REPONDRE", _("Réponse")
    TRANSFERER = "TRANSFERER", _("Transférée")
    CLOTURER = "CLOTURER", _("Clôturée")
    ROUVRIR = "ROUVRIR", _("Rouverte")
    CLOTURE_AUTOMATIQUE = "CLOTURE_AUTOMATIQUE", _("Clôturée sans réaction en 15 jours")


S, A = Status, Action
OPEN = (S.NOUVELLE, S.EN_COURS, S.COMPLEMENT_DEMANDE, S.COMPLETEE, S.REPONDUE, S.ROUVERTE)
#: What the receiving side works on (its « Actions requises »).
IN_HAND = (S.EN_COURS, S.COMPLETEE, S.ROUVERTE)


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    side: str
    #: The receiving agent must be the ticket's assignee.
    assigned: bool = False
    #: The move's message needs words (an answer, the complement asked for...).
    needs_text: bool = False


TABLE: dict[tuple[str, str], Move] = {
    (A.ENVOYER, Side.EMETTEUR): Move((S.BROUILLON,), S.NOUVELLE, Side.EMETTEUR),
    # Taking the ticket (or taking it over from another agent of the same side).
    (A.PRENDRE, Side.DESTINATAIRE): Move((S.NOUVELLE, S.EN_COURS, *IN_HAND[1:]), S.EN_COURS,
                                         Side.DESTINATAIRE),
    (A.DEMANDER_COMPLEMENT, Side.DESTINATAIRE): Move(IN_HAND, S.COMPLEMENT_DEMANDE,
                                                     Side.DESTINATAIRE, assigned=True,
                                                     needs_text=True),
    (A.COMPLETER, Side.EMETTEUR): Move((S.COMPLEMENT_DEMANDE,), S.COMPLETEE, Side.EMETTEUR,
                                       needs_text=True),
    (A.REPONDRE, Side.DESTINATAIRE): Move(IN_HAND, S.REPONDUE, Side.DESTINATAIRE,
                                          assigned=True, needs_text=True),
    # To the support or to another structure: NOUVELLE there, nobody assigned.
    (A.TRANSFERER, Side.DESTINATAIRE): Move(IN_HAND, S.NOUVELLE, Side.DESTINATAIRE,
                                            assigned=True, needs_text=True),
    # The sender may close its ticket at any time (satisfied, or no longer needed).
    (A.CLOTURER, Side.EMETTEUR): Move(OPEN, S.CLOTUREE, Side.EMETTEUR),
    (A.CLOTURER, Side.DESTINATAIRE): Move((*IN_HAND, S.REPONDUE), S.CLOTUREE,
                                          Side.DESTINATAIRE, assigned=True),
    # Unsatisfied: back to the agents' list.
    (A.ROUVRIR, Side.EMETTEUR): Move((S.REPONDUE, S.CLOTUREE), S.ROUVERTE, Side.EMETTEUR,
                                     needs_text=True),
    (A.CLOTURE_AUTOMATIQUE, Side.SYSTEME): Move((S.REPONDUE,), S.CLOTUREE, Side.SYSTEME),
}


def moves_for(status: str, sides: set[str]) -> list[tuple[str, str]]:
    """The (action, side) pairs a holder of `sides` may make from `status`."""
    return [key for key, move in TABLE.items()
            if key[1] in sides and status in move.sources]


#: The tabs of the lists: which statuses each shows, per side (reference §6.2, KB0011436).
SENDER_TABS = {
    "actions": (S.COMPLEMENT_DEMANDE, S.REPONDUE),
    "en-cours": (S.NOUVELLE, S.EN_COURS, S.COMPLETEE, S.ROUVERTE),
    "cloturees": (S.CLOTUREE,),
    "brouillons": (S.BROUILLON,),
}
RECEIVER_TABS = {
    "actions": (S.NOUVELLE, S.COMPLETEE, S.ROUVERTE),
    "en-cours": (S.EN_COURS, S.COMPLEMENT_DEMANDE, S.REPONDUE),
    "cloturees": (S.CLOTUREE,),
}
