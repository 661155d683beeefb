"""Signed webhooks: a structure's HTTPS endpoints told of its invoices' status changes and of
its flux' state changes.

A `Subscription` is one endpoint of one structure with the events it wants and its signing
secret. Each event a subscription must hear of leaves one `Delivery` (unique per subscription
and event: the same event never gives two), with the JSON body fixed when the event happened
(byte-identical across attempts), its state and its attempts (`Attempt`, one row each).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.organisations.models import Structure


class EventType(models.TextChoices):
    INVOICE_STATUS = "facture.statut", _("Changement de statut d'une facture")
    FLUX_STATE = "flux.etat", _("Changement d'état d'un flux")
    PING = "ping", _("Événement de test")


class Subscription(models.Model):
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT,
                                  related_name="webhook_subscriptions")
    url = models.URLField(_("adresse (URL)"), max_length=500)
    description = models.CharField(_("description"), max_length=100, blank=True)
    on_invoice_status = models.BooleanField(_("changements de statut des factures"),
                                            default=True)
    on_flux_state = models.BooleanField(_("changements d'état des flux"), default=False)
    # The signing secret is stored as is, not hashed: an HMAC needs the key itself, so a hash
    # could not sign. Encrypting it with a key this same process holds (the SECRET_KEY, in the
    # same private data directory) would add a dependency for little; the database is private
    # to Choeur's account (0700), the admin never shows the field, and no log line, audit
    # detail, repr or page after its creation (or rotation) ever carries it.
    secret = models.CharField(max_length=100, editable=False)
    #: After a rotation the previous secret still signs (a second `v1=`) for a while, so the
    #: receiver can switch without losing events.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(_("secret renouvelé le"), null=True, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    deactivated_at = models.DateTimeField(_("désactivé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["structure", "-created_at", "-pk"]
        indexes = [models.Index(fields=["structure", "is_active"], name="webhook_sub_active")]

    def __str__(self) -> str:
        return f"{self.description or self.host} (#{self.pk})"

    def __repr__(self) -> str:  # never the secret
        return f"<Subscription {self.pk} {self.host}>"

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or ""

    def events(self) -> list[str]:
        return [e for e, on in ((EventType.INVOICE_STATUS, self.on_invoice_status),
                                (EventType.FLUX_STATE, self.on_flux_state)) if on]


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "EN_ATTENTE", _("En attente")
        DELIVERED = "LIVRE", _("Livré")
        FAILED = "ECHEC", _("Échec")
        CANCELLED = "ANNULE", _("Annulé")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    #: The event's id, sent as `Choeur-Webhook-Id`: the same for every attempt and every
    #: subscription that hears of the event (receivers deduplicate on it).
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(_("événement"), max_length=30, choices=EventType.choices)
    #: What the event is about, for the portal (invoice number, flux number).
    subject = models.CharField(_("objet"), max_length=100, blank=True)
    #: The exact bytes sent (UTF-8 JSON), fixed when the event happened.
    payload = models.TextField()
    state = models.CharField(_("état"), max_length=12, choices=State.choices,
                             default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("dernier code HTTP"), null=True,
                                                        blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(_("dernière tentative"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("livré le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=clock.now)

    class Meta:
        verbose_name = _("envoi de webhook")
        verbose_name_plural = _("envois de webhook")
        ordering = ["subscription", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"],
                                    name="webhook_delivery_once_per_event"),
        ]
        indexes = [models.Index(fields=["subscription", "-created_at"],
                                name="webhook_delivery_recent"),
                   # The hourly removal of old deliveries (services.prune_deliveries).
                   models.Index(fields=["created_at"], name="webhook_delivery_age")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("tentative"))
    at = models.DateTimeField(_("le"))
    status_code = models.PositiveSmallIntegerField(_("code HTTP"), null=True, blank=True)
    error = models.CharField(_("erreur"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), default=0)
    manual = models.BooleanField(_("renvoi manuel"), default=False)

    class Meta:
        verbose_name = _("tentative d'envoi")
        verbose_name_plural = _("tentatives d'envoi")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
