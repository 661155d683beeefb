"""In-app notifications. The text is rendered when shown, in the reader's language, from a
kind (catalogue.py) and its parameters: nothing language-bound is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"],
                                name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"

    @property
    def text(self) -> str:
        from choeur.messaging.catalogue import render

        return render(self.kind, self.params)
