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
