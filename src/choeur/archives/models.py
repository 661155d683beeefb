"""An archive export asked for in the portal (archives/services.py): built by a background
task into the data directory (`<CHOEUR_DATA_DIR>/exports/`), downloadable by the structure's
gestionnaires for `EXPORT_KEPT` (7 days), then removed with its file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


class ExportStatus(models.TextChoices):
    QUEUED = "QUEUED", _("En attente")
    RUNNING = "RUNNING", _("En préparation")
    READY = "READY", _("Prêt")
    FAILED = "FAILED", _("Échec")


#: The statuses of an export not finished yet: one at a time per structure.
PENDING = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ArchiveExport(models.Model):
    structure = models.ForeignKey("organisations.Structure", on_delete=models.CASCADE,
                                  related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="+")
    start = models.DateField(_("déposées à partir du"), null=True, blank=True)
    end = models.DateField(_("jusqu'au"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=8, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    created_at = models.DateTimeField(_("demandé le"), default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(_("prêt le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    file_name = models.CharField(max_length=120, blank=True)  # the name it downloads as
    size = models.BigIntegerField(_("taille"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    invoices = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)  # a failure's code, for the page

    class Meta:
        verbose_name = _("export des archives")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One export being made per structure (the service checks first; this settles
            # two requests at once).
            models.UniqueConstraint(fields=["structure"],
                                    condition=Q(status__in=["QUEUED", "RUNNING"]),
                                    name="archives_one_pending_export"),
        ]
        indexes = [
            models.Index(fields=["requested_by", "created_at"], name="archives_export_user"),
            models.Index(fields=["structure", "created_at"], name="archives_export_structure"),
            models.Index(fields=["expires_at"], name="archives_export_expiry"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.structure_id}, {self.status})"
