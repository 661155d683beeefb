"""Flux (EDI) deposits: one file (an invoice, or a zip / tar batch of them) deposited through
the API (`deposer/flux`), the portal or a drop folder, integrated later by the worker.

A `Flux` is the deposit as Chorus Pro numbers it (`numeroFluxDepot`, `CPP` + 22 digits) with
its state (`etatCourantDepotFlux`). Each invoice of the batch leaves one `FluxItem`, keyed by
its position in the flux: written in the same transaction as the invoice it created (or alone,
with its errors, when the invoice was refused), so an integration that stops half-way and is
run again never deposits an invoice twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.invoicing.models import Invoice
from choeur.organisations.models import Structure, TechnicalAccount


class SyntaxeFlux(models.TextChoices):
    """`syntaxeFlux` of `deposer/flux`: the 13 values of the official Swagger
    (`DeposerFluxFactureParam`)."""

    E1_UBL_INVOICE = "IN_DP_E1_UBL_INVOICE", "UBL (E1)"
    E1_CII = "IN_DP_E1_CII", "CII (E1)"
    E1_PES_FACTURE = "IN_DP_E1_PES_FACTURE", "PES Facture (E1)"
    E1_XCBL = "IN_DP_E1_XCBL", "XCBL (E1)"
    E2_UBL_INVOICE_MIN = "IN_DP_E2_UBL_INVOICE_MIN", "UBL minimal + PDF (E2)"
    E2_CII_MIN = "IN_DP_E2_CII_MIN", "CII minimal + PDF (E2)"
    E2_PES_FACTURE_MIN = "IN_DP_E2_PES_FACTURE_MIN", "PES minimal + PDF (E2)"
    E2_CPP_FACTURE_MIN = "IN_DP_E2_CPP_FACTURE_MIN", "CPP minimal + PDF (E2)"
    PDFARCHIVE_UBL_INVOICE_MUG = "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG", "PDF archive UBL"
    PDFARCHIVE_CII_MUG = "IN_DP_PDFARCHIVE_CII_MUG", "PDF archive CII"
    E1_CII_16B = "IN_DP_E1_CII_16B", "CII D16B (E1)"
    E2_CII_MIN_16B = "IN_DP_E2_CII_MIN_16B", "CII D16B minimal + PDF (E2)"
    E2_CII_FACTURX = "IN_DP_E2_CII_FACTURX", "Factur-X (E2)"


#: The values the Swagger allows in the answer of `deposer/flux` (`WsRetourDeposerFluxFacture`).
RESPONSE_SYNTAXES = frozenset(SyntaxeFlux.values) - {
    SyntaxeFlux.PDFARCHIVE_UBL_INVOICE_MUG, SyntaxeFlux.PDFARCHIVE_CII_MUG}


class EtatFlux(models.TextChoices):
    """`etatCourantDepotFlux` / `etatCourantFlux` (reference §4.4)."""

    RECU = "IN_RECU", _("Reçu")
    EN_ATTENTE = "IN_EN_ATTENTE_TRAITEMENT_CPP", _("En attente de traitement")
    EN_COURS = "IN_EN_COURS_TRAITEMENT_CPP", _("En cours de traitement")
    INTEGRE = "IN_INTEGRE", _("Intégré")
    INTEGRE_PARTIEL = "IN_INTEGRE_PARTIEL", _("Intégré partiellement")
    REJETE = "IN_REJETE", _("Rejeté")
    INCIDENTE = "IN_INCIDENTE", _("Incident technique")

    @classmethod
    def terminal(cls) -> tuple[str, ...]:
        return (cls.INTEGRE, cls.INTEGRE_PARTIEL, cls.REJETE)


class Canal(models.TextChoices):
    API = "API", _("API (deposer/flux)")
    PORTAIL = "PORTAIL", _("Portail")
    EDI = "EDI", _("Dépôt EDI (répertoire)")


class Flux(models.Model):
    numero = models.CharField(_("numéro de flux"), max_length=25,
                              unique=True)  # numeroFluxDepot
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="flux")
    technical_account = models.ForeignKey(TechnicalAccount, on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="flux")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="flux")
    channel = models.CharField(_("canal"), max_length=10, choices=Canal.choices)
    syntaxe = models.CharField(_("syntaxe du flux"), max_length=40,
                               choices=SyntaxeFlux.choices)  # syntaxeFlux
    filename = models.CharField(_("nom du fichier"), max_length=200)  # nomFichier
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("taille"))
    kind = models.CharField(_("type de fichier"), max_length=10)  # xml, pdf, zip, tar.gz...
    avec_signature = models.BooleanField(default=False)  # avecSignature
    invoice_count = models.PositiveIntegerField(_("factures dans le flux"))
    integrated_count = models.PositiveIntegerField(_("factures intégrées"), default=0)
    rejected_count = models.PositiveIntegerField(_("factures rejetées"), default=0)
    status = models.CharField(_("état"), max_length=40, choices=EtatFlux.choices,
                              default=EtatFlux.RECU)
    status_at = models.DateTimeField(_("date de l'état"), default=clock.now)
    deposited_at = models.DateTimeField(_("date de dépôt"), default=clock.now)
    attempts = models.PositiveSmallIntegerField(_("tentatives d'intégration"), default=0)
    #: Errors of the flux as a whole (an internal failure): {code, message_fr, message_en}.
    technical_errors = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("flux")
        verbose_name_plural = _("flux")
        ordering = ["-deposited_at", "-pk"]
        indexes = [
            models.Index(fields=["structure", "-deposited_at"], name="flux_structure_date"),
            models.Index(fields=["status", "status_at"], name="flux_status_at"),
            # A re-send's lookup (services._first_deposit).
            models.Index(fields=["sha256", "-deposited_at"], name="flux_sha256_date"),
        ]

    #: Set on the flux `services.deposit` answers when the deposit was a re-send of it.
    is_resend = False

    def __str__(self) -> str:
        return self.numero

    @property
    def actor(self):
        return self.technical_account or self.user

    @property
    def is_finished(self) -> bool:
        return self.status in EtatFlux.terminal()


class FluxItem(models.Model):
    """One invoice of a flux, integrated or refused."""

    flux = models.ForeignKey(Flux, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position dans le flux"))  # from 1
    name = models.CharField(_("fichier"), max_length=255)
    number = models.CharField(_("numéro de facture"), max_length=100, blank=True)  # numeroDP
    supplier_identifier = models.CharField(max_length=80, blank=True)
    recipient_identifier = models.CharField(max_length=80, blank=True)
    accepted = models.BooleanField(_("intégrée"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="flux_items")
    #: [{code, message_fr, message_en, location, bt, nature}], blocking problems only.
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("facture d'un flux")
        verbose_name_plural = _("factures d'un flux")
        ordering = ["flux", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flux", "position"], name="flux_item_position"),
        ]

    def __str__(self) -> str:
        return f"{self.flux.numero} #{self.position}"
