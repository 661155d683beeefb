"""Dossiers de facturation of works contracts (docs/TRAVAUX.md). A dossier groups the pieces
of one payment request between the supplier, the maître d'œuvre (MOE) and the maître
d'ouvrage (MOA); each piece is an `invoicing.Invoice` of type FACTURE_TRAVAUX, described here
by its `Piece`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.invoicing.models import AMOUNT, Invoice
from choeur.organisations.models import Service, Structure


class TypeFactureTravaux(models.TextChoices):
    """`typeFactureTravaux`, verbatim (reference §1.1)."""

    DP_DE_SOUSTRAITANT_TRAVAUX = "DP_DE_SOUSTRAITANT_TRAVAUX", _(
        "Demande de paiement d'un sous-traitant")
    PROJET_DECOMPTE_MENSUEL = "PROJET_DECOMPTE_MENSUEL", _("Projet de décompte mensuel")
    ETAT_ACOMPTE = "ETAT_ACOMPTE", _("État d'acompte")
    ETAT_ACOMPTE_VALIDE = "ETAT_ACOMPTE_VALIDE", _("État d'acompte validé")
    PROJET_DECOMPTE_FINAL = "PROJET_DECOMPTE_FINAL", _("Projet de décompte final")
    PROJET_DECOMPTE_GENERAL = "PROJET_DECOMPTE_GENERAL", _("Projet de décompte général")
    PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE = (
        "PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE",
        _("Projet de décompte général (procédure tacite)"))
    DECOMPTE_GENERAL = "DECOMPTE_GENERAL", _("Décompte général")
    DECOMPTE_GENERAL_SIGNE = "DECOMPTE_GENERAL_SIGNE", _("Décompte général signé")
    DECOMPTE_GENERAL_DEFINITIF_TACITE = "DECOMPTE_GENERAL_DEFINITIF_TACITE", _(
        "Décompte général et définitif tacite")
    DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE = (
        "DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE",
        _("Décompte général et définitif (procédure tacite)"))


class Actor(models.TextChoices):
    """Who must act on a dossier, and who deposited a piece (`roleUtilisateur`)."""

    FOURNISSEUR = "FOURNISSEUR", _("Fournisseur")
    MOE = "MOE", _("Maître d'œuvre")
    MOA = "MOA", _("Maître d'ouvrage")
    DESTINATAIRE = "DESTINATAIRE", _("Service payeur")
    # The titulaire deciding on its sous-traitant's projet de décompte (A10, 15 days).
    VALIDEUR = "VALIDEUR", _("Titulaire (valideur)")


class Dossier(models.Model):
    """A dossier de facturation (`numeroDossierFacturation`)."""

    class Kind(models.TextChoices):
        MENSUEL = "MENSUEL", _("Décompte mensuel")
        FINAL = "FINAL", _("Décompte final")

    number = models.CharField(_("numéro de dossier"), max_length=20, unique=True)
    kind = models.CharField(_("nature"), max_length=8, choices=Kind.choices)
    supplier = models.ForeignKey(Structure, on_delete=models.PROTECT,
                                 related_name="travaux_dossiers")
    moe = models.ForeignKey(Structure, on_delete=models.PROTECT, null=True, blank=True,
                            related_name="travaux_dossiers_moe")
    moe_service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    moa = models.ForeignKey(Structure, on_delete=models.PROTECT,
                            related_name="travaux_dossiers_moa")
    moa_service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    # The titulaire of the marché when the supplier is not: the valideur of a sous-traitant's
    # A10, the mandataire of a co-traitant's A13/A14 (travaux/subcontracting.py).
    titulaire = models.ForeignKey(Structure, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="travaux_dossiers_titulaire",
                                  verbose_name=_("titulaire (valideur ou mandataire)"))
    marche_number = models.CharField(_("numéro de marché"), max_length=50, blank=True)
    engagement_number = models.CharField(_("numéro d'engagement"), max_length=50, blank=True)
    # Who must act now and by when: kept by the services, read by every list.
    next_actor = models.CharField(_("à qui d'agir"), max_length=12, choices=Actor.choices,
                                  blank=True)
    due_at = models.DateTimeField(_("avant le"), null=True, blank=True)
    # The délai global de paiement of a monthly dossier runs from the projet de décompte's
    # availability to the MOE (reference §2.4).
    payment_delay_from = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("dossier de facturation")
        verbose_name_plural = _("dossiers de facturation")
        indexes = [models.Index(fields=["next_actor", "due_at"], name="travaux_dossier_due")]

    def __str__(self) -> str:
        return self.number


class Piece(models.Model):
    """A piece of a dossier: one invoice (FACTURE_TRAVAUX), its kind and its place."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="piece")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="pieces")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("type de pièce"), max_length=48,
                            choices=TypeFactureTravaux.choices)
    depositor = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    depositor_role = models.CharField(max_length=12, choices=Actor.choices)
    previous = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="next")
    # What this piece admits of the previous one's claim (sommes admises, 2025 rule): the
    # invoice's own totals are the amounts admitted; these are what was claimed.
    claimed_ht = models.DecimalField(_("montant HT demandé"), **AMOUNT, null=True, blank=True)
    claimed_ttc = models.DecimalField(_("montant TTC demandé"), **AMOUNT, null=True,
                                      blank=True)
    due_at = models.DateTimeField(_("à traiter avant le"), null=True, blank=True)
    # The timers' marks (the DGD's 30 days): each notice is sent once.
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("délai échu signalé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("pièce de facturation")
        verbose_name_plural = _("pièces de facturation")
        ordering = ["dossier", "position"]
        constraints = [models.UniqueConstraint(fields=["dossier", "position"],
                                               name="travaux_piece_position")]

    def __str__(self) -> str:
        return f"{self.dossier.number}/{self.position}"
