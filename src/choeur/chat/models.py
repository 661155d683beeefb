"""« Contacter un agent » (docs/SOLLICITATIONS.md, « Live agent »): a conversation between a
signed-in user and a platform support agent, live while an agent is available.

- `AgentPresence`: an agent's « disponible » switch and when its console or a conversation
  of its last polled; an agent counts as available only while both hold (closing the tab
  is enough to stop receiving conversations).
- `Conversation`: who asked, the agent who took it, what the assistant's exchange and the
  page said when it started (what a sollicitation made from it quotes).
- `Message`: the thread, in order of id (the polling cursor).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock

MAX_MESSAGE = 2_000


class AgentPresence(models.Model):
    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 primary_key=True, related_name="+")
    available = models.BooleanField(_("disponible"), default=False)
    seen_at = models.DateTimeField(_("vu le"), default=clock.untravelled_now)

    class Meta:
        verbose_name = _("présence d'un agent")
        verbose_name_plural = _("présences des agents")

    def __str__(self) -> str:
        return f"{self.agent_id} {'+' if self.available else '-'}"


class Status(models.TextChoices):
    WAITING = "EN_ATTENTE", _("En attente d'un agent")
    ACTIVE = "EN_COURS", _("En cours")
    CLOSED = "TERMINEE", _("Terminée")
    UNANSWERED = "SANS_AGENT", _("Aucun agent disponible")


OPEN = (Status.WAITING, Status.ACTIVE)


class Conversation(models.Model):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("demandeur"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("agent"))
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices,
                              default=Status.WAITING)
    subject = models.CharField(_("objet"), max_length=200)
    page = models.CharField(_("page d'où l'aide a été demandée"), max_length=300, blank=True)
    # The assistant's exchange as a sollicitation quotes it, and the form's other initial
    # values (category, invoice) it suggested: a conversion starts from them.
    exchange = models.TextField(_("échange avec l'assistant"), blank=True)
    handover = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("ouverte le"), default=clock.untravelled_now)
    accepted_at = models.DateTimeField(_("prise en charge le"), null=True, blank=True)
    last_activity_at = models.DateTimeField(default=clock.untravelled_now)
    closed_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="chat_conv_status"),
                   models.Index(fields=["requester", "created_at"], name="chat_conv_requester")]
        # One open conversation a requester, whatever the races (`services.start` also
        # looks for it under the user's lock).
        constraints = [models.UniqueConstraint(
            fields=["requester"], condition=models.Q(status__in=["EN_ATTENTE", "EN_COURS"]),
            name="chat_one_open_conversation")]
        verbose_name = _("conversation avec un agent")
        verbose_name_plural = _("conversations avec un agent")

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class Side(models.TextChoices):
    USER = "USER", _("Utilisateur")
    AGENT = "AGENT", _("Agent")
    SYSTEM = "SYSTEM", _("Choeur")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="messages")
    side = models.CharField(max_length=6, choices=Side.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    # A person's words; for Choeur's notices (SYSTEM) the event's key, rendered in the
    # reader's language (`queries.NOTICES`) with `params`.
    text = models.TextField()
    params = models.JSONField(default=dict, blank=True)
    # The sending page's own id for the message: a re-sent post (double click, network
    # retry) finds the first one instead of writing it twice.
    token = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=clock.untravelled_now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(
            fields=["conversation", "author", "token"], condition=~models.Q(token=""),
            name="chat_message_token_once")]

    def __str__(self) -> str:
        return f"{self.conversation_id}/{self.pk} {self.side}"
