from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


class AuditEvent(models.Model):
    """One line of the audit log: who did what to which object, when, with what details.

    Written by services inside the transaction of the change itself (see `choeur.core.audit`),
    so a change and its trace are committed or rolled back together. Never updated.
    """

    at = models.DateTimeField(_("date"), default=clock.now, db_index=True)
    actor_type = models.CharField(_("type d'acteur"), max_length=32)
    actor_id = models.CharField(_("identifiant de l'acteur"), max_length=64, blank=True)
    actor_label = models.CharField(_("acteur"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    object_label = models.CharField(_("objet"), max_length=255, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_label}"


class Blob(models.Model):
    """A stored file, named by the sha256 of its content. Never rewritten (house rule 4)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("fichier stocké")
        verbose_name_plural = _("fichiers stockés")

    def __str__(self) -> str:
        return f"{self.sha256} ({self.size} o)"

    @property
    def storage_name(self) -> str:
        return f"blobs/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"


class WorkerHeartbeat(models.Model):
    """Last sign of life of each background worker; /healthz reads it."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.hostname}:{self.pid}"


class OutgoingEmail(models.Model):
    """An e-mail to deliver. The task that delivers it carries only this row's id, so message
    bodies (which may hold one-time links) never sit in the task table; once delivered, the
    bodies are blanked and only the envelope is kept."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("en attente")
        SENT = "SENT", _("envoyé")
        FAILED = "FAILED", _("échec")

    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    to = models.JSONField(_("destinataires"))
    reply_to = models.JSONField(_("répondre à"), default=list, blank=True)
    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("courriel")
        verbose_name_plural = _("courriels")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{', '.join(self.to)}: {self.subject}"


class LedgerSeal(models.Model):
    """A seal over ledger entries (core/ledger.py): the digest of their hashes in id order,
    chained to the previous seal, so that removing a whole object's chain is detected too."""

    at = models.DateTimeField(_("scellé le"), default=clock.now)
    count = models.PositiveIntegerField(_("entrées scellées"))
    first_entry_id = models.BigIntegerField()
    last_entry_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)  # sha256 over the sealed entries' hashes
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("sceau du registre")
        verbose_name_plural = _("sceaux du registre")

    def __str__(self) -> str:
        return f"{self.pk} {self.hash[:12]}"


class LedgerEntry(models.Model):
    """One entry of an object's hash-chained, append-only history (core/ledger.py,
    docs/CONSERVATION.md). Never updated, except `seal` (set once) and a purge (which keeps
    the hashes and drops the payload)."""

    id = models.BigAutoField(primary_key=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    at = models.DateTimeField()
    payload = models.TextField()  # canonical JSON (ledger.canonical)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    seal = models.ForeignKey(LedgerSeal, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="entries")
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["object_type", "object_id", "seq"],
                                               name="ledger_entry_seq_once")]
        indexes = [models.Index(fields=["seal", "at"], name="ledger_unsealed")]
        verbose_name = _("entrée du registre")
        verbose_name_plural = _("registre")

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}#{self.seq} {self.kind}"
