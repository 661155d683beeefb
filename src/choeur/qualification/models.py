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
    # The works dossiers the worker built for it, [{"dossier": pk, "stage": "mensuel_paye"}]:
    # empty while it is being prepared (matelas.add_travaux).
    travaux = models.JSONField(_("dossiers de travaux"), default=list, blank=True)

    class Meta:
        verbose_name = _("matelas de données")
        verbose_name_plural = _("matelas de données")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} #{self.seed}"
class FaultInjection(models.Model):
    """A fault a technical account asked for, so that its software meets, in qualification,
    the answers it must survive in production: 401 or 403 with an empty body, 429 with
    `Retry-After`, slow answers, or a flux that ends `IN_REJETE` / `IN_INCIDENTE` later. One
    row per account (qualification.faults); production never reads it.

    The fault hits one call (or flux) out of `every`, starting with the first, counted in
    `calls` from the moment it was set: no randomness, so a client's tests see the same
    sequence every time (every=2: fails, succeeds, fails... — a retry succeeds)."""

    class Kind(models.TextChoices):
        UNAUTHORIZED = "401", _("401 sans corps (authentification refusée)")
        FORBIDDEN = "403", _("403 sans corps (accès refusé)")
        TOO_MANY_REQUESTS = "429", _("429 avec Retry-After (trop de requêtes)")
        SLOW = "lent", _("Réponses lentes")
        FLUX = "flux", _("Flux qui finit rejeté ou en incident")

    class FluxOutcome(models.TextChoices):
        # The values of flux.models.EtatFlux (the wire's etatCourantFlux).
        REJETE = "IN_REJETE", _("IN_REJETE (rejeté)")
        INCIDENTE = "IN_INCIDENTE", _("IN_INCIDENTE (incident technique)")

    account = models.OneToOneField("organisations.TechnicalAccount", on_delete=models.CASCADE,
                                   related_name="fault_injection")
    kind = models.CharField(_("panne"), max_length=10, choices=Kind.choices)
    every = models.PositiveIntegerField(_("un appel sur"), default=1)
    delay_seconds = models.PositiveSmallIntegerField(_("délai de réponse (secondes)"), default=0)
    retry_after_seconds = models.PositiveIntegerField(_("Retry-After (secondes)"), default=0)
    flux_outcome = models.CharField(_("issue du flux"), max_length=20, blank=True,
                                    choices=FluxOutcome.choices)
    flux_after_seconds = models.PositiveIntegerField(_("issue au bout de (secondes)"),
                                                     default=0)
    enabled = models.BooleanField(_("active"), default=True)
    calls = models.PositiveBigIntegerField(_("appels comptés"), default=0)
    changed_at = models.DateTimeField(_("modifiée le"))
    changed_by = models.CharField(_("modifiée par"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("injection de pannes")
        verbose_name_plural = _("injections de pannes")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.kind}{'' if self.enabled else ' (off)'}"


class InjectedFluxOutcome(models.Model):
    """A flux the flux fault chose: its outcome and when it falls (wall time), kept so that
    the flux's later attempts (the wait, the retries of an incident) give the same answer."""

    flux = models.OneToOneField("flux.Flux", on_delete=models.CASCADE,
                                related_name="injected_outcome")
    account = models.ForeignKey("organisations.TechnicalAccount", on_delete=models.CASCADE,
                                related_name="injected_flux_outcomes")
    outcome = models.CharField(max_length=20, choices=FaultInjection.FluxOutcome.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("issue de flux injectée")
        verbose_name_plural = _("issues de flux injectées")

    def __str__(self) -> str:
        return f"{self.flux_id}: {self.outcome}"
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
