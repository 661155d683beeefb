from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


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


class RecipientScenario(models.Model):
    """How the recipient simulator plays a public structure's part on the invoices it receives
    (qualification.simulator): ordered steps, each a status the recipient sets so many days
    after the invoice reached it. A structure without a row follows the default scenario when
    nobody manages it, and is played by hand otherwise."""

    class Mode(models.TextChoices):
        AUTOMATIQUE = "AUTOMATIQUE", _("Automatique (scénario)")
        MANUEL = "MANUEL", _("Manuel (je traite moi-même)")

    structure = models.OneToOneField(
        "organisations.Structure", on_delete=models.CASCADE, related_name="recipient_scenario",
        verbose_name=_("structure"))
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices,
                            default=Mode.AUTOMATIQUE)
    updated_at = models.DateTimeField(_("modifié le"), default=clock.now)
    updated_by = models.CharField(_("modifié par"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("scénario de destinataire simulé")
        verbose_name_plural = _("scénarios de destinataires simulés")

    def __str__(self) -> str:
        return f"{self.structure} ({self.mode})"


class ScenarioStep(models.Model):
    """One step of a scenario: `days` after the invoice reached the recipient, the simulator
    sets `status` (a wire code of invoicing.statuses) with `comment` (the reason, when the
    transition table asks for one)."""

    scenario = models.ForeignKey(RecipientScenario, on_delete=models.CASCADE,
                                 related_name="steps", verbose_name=_("scénario"))
    position = models.PositiveSmallIntegerField(_("ordre"))
    days = models.PositiveSmallIntegerField(_("jours après la mise à disposition"))
    status = models.CharField(_("statut"), max_length=40)
    comment = models.CharField(_("motif ou commentaire"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("étape de scénario")
        verbose_name_plural = _("étapes de scénario")
        ordering = ["scenario", "position"]
        constraints = [models.UniqueConstraint(fields=["scenario", "position"],
                                               name="scenario_step_unique_position")]

    def __str__(self) -> str:
        return f"J+{self.days} {self.status}"
