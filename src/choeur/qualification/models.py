from django.db import models
from django.utils.translation import gettext_lazy as _


class SimulatedClock(models.Model):
    """How far a qualification instance's business time runs ahead of real time: one row, read
    by every process (qualification.clock_control). Only ever moves forward: timers already
    fired, and invoices dated, cannot be taken back."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    offset_seconds = models.BigIntegerField(_("avance sur l'heure réelle (secondes)"), default=0)
    changed_at = models.DateTimeField(_("modifiée le (heure réelle)"), null=True, blank=True)
    changed_by = models.CharField(_("modifiée par"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("horloge simulée")
        verbose_name_plural = _("horloge simulée")

    def __str__(self) -> str:
        return f"+{self.offset_seconds} s"


class GeneratedMatelas(models.Model):
    """A matelas de données generated for a user: which structures play which role, so that
    "Mon matelas" can show it again and give its CSV (without the secrets, shown once)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                             related_name="generated_matelas")
    seed = models.BigIntegerField(_("graine"))
    valid_sirets = models.BooleanField(_("SIRET à clé valide"), default=True)
    created_at = models.DateTimeField(_("généré le"))
    # [{"structure": pk, "role": "destinataire", "variante": "code_service"}, ...] in CSV order.
    entries = models.JSONField(_("structures"), default=list)

    class Meta:
        verbose_name = _("matelas de données")
        verbose_name_plural = _("matelas de données")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} #{self.seed}"
