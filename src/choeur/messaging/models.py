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
    #: When a digest listed it (each notification is listed at most once).
    digested_at = models.DateTimeField(null=True, blank=True)

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


class Digest(models.TextChoices):
    NONE = "NONE", _("Aucun")
    DAILY = "DAILY", _("Quotidien")
    WEEKLY = "WEEKLY", _("Hebdomadaire")


class NotificationPreference(models.Model):
    """A user's choices: per application (catalogue.SWITCHABLE) and channel, on or off, and
    an optional digest. No row means the defaults: everything on, no digest; a row is written
    the first time the user saves the page. One row per user, so that `notify()` reads the
    preferences of every user concerned in one query."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    factures_portal = models.BooleanField(_("Factures — dans le portail"), default=True)
    factures_email = models.BooleanField(_("Factures — par courriel"), default=True)
    engagements_portal = models.BooleanField(_("Engagements — dans le portail"), default=True)
    engagements_email = models.BooleanField(_("Engagements — par courriel"), default=True)
    sollicitations_portal = models.BooleanField(_("Sollicitations — dans le portail"),
                                                default=True)
    sollicitations_email = models.BooleanField(_("Sollicitations — par courriel"), default=True)
    actualites_portal = models.BooleanField(_("Actualités — dans le portail"), default=True)
    actualites_email = models.BooleanField(_("Actualités — par courriel"), default=True)
    digest = models.CharField(_("récapitulatif"), max_length=10, choices=Digest.choices,
                              default=Digest.NONE)
    #: Where the next digest's window starts (set when the digest is chosen, then at each
    #: digest): only notifications created from then on are listed.
    digest_from = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")
        indexes = [models.Index(fields=["digest", "digest_from"], name="notification_digest_due")]

    def __str__(self) -> str:
        return f"préférences → {self.user_id}"

    @staticmethod
    def field(application: str, channel: str) -> str:
        return f"{application.lower()}_{channel}"

    def wants(self, application: str | None, channel: str) -> bool:
        """Whether notifications of `application` go through `channel` (portal, email). An
        application the user cannot switch (security notices, an unmapped kind) always does."""
        if application is None:
            return True
        return getattr(self, self.field(application, channel), True)

    def digest_covers(self, application: str | None) -> bool:
        """Whether the digest takes the place of this application's e-mails one by one: it
        lists the portal's unread notifications, so only for an application shown there and
        e-mailed, and never for a notice the user cannot switch."""
        from choeur.messaging.catalogue import SWITCHABLE

        return (self.digest != Digest.NONE and application in SWITCHABLE
                and self.wants(application, "portal") and self.wants(application, "email"))


class Actualite(models.Model):
    """Platform news, written by the platform's administrators, shown on the home page while
    published (from `published_from`, until `published_until` when set). Its users are
    notified once (application « Actualités »), when it is first published: `notified_at`."""

    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    published_from = models.DateTimeField(_("publiée à partir du"))
    published_until = models.DateTimeField(_("publiée jusqu'au"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+", verbose_name=_("auteur"))
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("actualité")
        ordering = ["-published_from", "-id"]
        indexes = [models.Index(fields=["published_from"], name="actualite_published")]

    def __str__(self) -> str:
        return self.title
