"""Sollicitations (tickets, docs/SOLLICITATIONS.md): the ticket, its thread (one message per
move: the history rows of house rule 3, with the words said) and its attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.sollicitations.statuses import Action, Side, Status

MAX_TITLE = 200
MAX_TEXT = 10_000


class Sollicitation(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)  # SOL<year><seq 6>
    category = models.CharField(_("catégorie"), max_length=30)
    subcategory = models.CharField(_("sous-catégorie"), max_length=30)
    title = models.CharField(_("titre"), max_length=MAX_TITLE)
    description = models.TextField(_("description"))
    status = models.CharField(_("statut"), max_length=24, choices=Status.choices)
    status_at = models.DateTimeField(default=clock.now)

    # The sender: one of a user's structures, or a logged-out person known by an address.
    sender_structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, null=True, blank=True,
        related_name="sollicitations_emises")
    sender_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    sender_email = models.EmailField(_("adresse électronique de l'émetteur"), blank=True)

    # The receiving side: the support, or a public structure (and optionally its service).
    to_support = models.BooleanField(_("adressée au support"), default=False)
    recipient_structure = models.ForeignKey(
        "organisations.Structure", on_delete=models.PROTECT, null=True, blank=True,
        related_name="sollicitations_recues")
    recipient_service = models.ForeignKey("organisations.Service", on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    # Or the receiving structure's own technical account, when its software took the ticket
    # on the wire API (a technical account is no user: never both set).
    assignee_account = models.ForeignKey("organisations.TechnicalAccount",
                                         on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="+")

    # What it is about (checked against the sender's scope when linked).
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    flux = models.ForeignKey("flux.Flux", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    dossier = models.ForeignKey("travaux.Dossier", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")

    created_at = models.DateTimeField(default=clock.now)
    # When it reached its current receiving side (sent, or transferred there), the first
    # answer given there, and its closing: the response-time figures.
    received_at = models.DateTimeField(null=True, blank=True)
    first_answer_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sollicitation")
        ordering = ["-status_at", "-id"]
        indexes = [
            models.Index(fields=["sender_structure", "status"], name="sollicitation_sender"),
            models.Index(fields=["recipient_structure", "status"],
                         name="sollicitation_recipient"),
            models.Index(fields=["to_support", "status"], name="sollicitation_support"),
            models.Index(fields=["status", "status_at"], name="sollicitation_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def sender_label(self) -> str:
        if self.sender_structure_id:
            return self.sender_structure.company_name
        return self.sender_email

    @property
    def assignee_label(self) -> str:
        """Who took the ticket: a person, or the structure's technical account; "" if no one."""
        if self.assignee_id:
            return self.assignee.get_full_name() or self.assignee.email
        if self.assignee_account_id:
            return str(_("Compte technique %(login)s") % {"login": self.assignee_account.login})
        return ""

    @property
    def recipient_label(self) -> str:
        if self.to_support:
            return str(_("Support de la plateforme"))
        name = self.recipient_structure.company_name if self.recipient_structure_id else ""
        if self.recipient_service_id:
            name = f"{name} — {self.recipient_service.name or self.recipient_service.code}"
        return name


class Message(models.Model):
    """One step of the thread: the move, who made it from which side, the status reached."""

    sollicitation = models.ForeignKey(Sollicitation, on_delete=models.CASCADE,
                                      related_name="messages")
    action = models.CharField(max_length=24, choices=Action.choices)
    side = models.CharField(max_length=12, choices=Side.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    author_label = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    previous_status = models.CharField(max_length=24, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["sollicitation", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sollicitation_id}:{self.action}"


class Attachment(models.Model):
    """A file joined to a message, stored by hash (core.storage), never rewritten."""

    sollicitation = models.ForeignKey(Sollicitation, on_delete=models.CASCADE,
                                      related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    sha256 = models.CharField(max_length=64)
    name = models.CharField(_("nom du fichier"), max_length=50)
    size = models.PositiveBigIntegerField(_("taille"))
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.name


class FollowupLink(models.Model):
    """A logged-out sender's personal link to its ticket (`/contact/suivi/<token>/`), one per
    e-mail written to it. Only the SHA-256 of the random secret is kept (the secret is in the
    e-mail alone): a link can be revoked, and expires."""

    sollicitation = models.ForeignKey(Sollicitation, on_delete=models.CASCADE,
                                      related_name="followup_links")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sollicitation", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sollicitation_id}:{self.digest[:8]}"
