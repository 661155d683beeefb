"""Typed errors of webhook subscriptions (house rule 6)."""

from __future__ import annotations

from choeur.core.errors import ChoeurError


class WebhookError(ChoeurError):
    """Errors of the webhooks feature."""


class WebhookUrlInvalid(WebhookError):
    code = "WEBHOOK_URL_INVALID"
    message_fr = ("L'adresse du webhook n'est pas valide : une URL https:// complète est "
                  "attendue, sans identifiants ({detail_fr}).")
    message_en = ("The webhook address is not valid: a full https:// URL is expected, without "
                  "credentials ({detail_en}).")


class WebhookUrlForbidden(WebhookError):
    code = "WEBHOOK_URL_FORBIDDEN"
    message_fr = ("L'adresse du webhook désigne un réseau privé, local ou réservé : Choeur "
                  "n'envoie ses webhooks qu'à des adresses publiques.")
    message_en = ("The webhook address points to a private, local or reserved network: Choeur "
                  "only sends webhooks to public addresses.")


class WebhookNoEvent(WebhookError):
    code = "WEBHOOK_NO_EVENT"
    message_fr = "Choisissez au moins un type d'événement."
    message_en = "Choose at least one type of event."


class WebhookLimitReached(WebhookError):
    code = "WEBHOOK_LIMIT_REACHED"
    message_fr = "Une structure a au plus {limit} webhooks actifs."
    message_en = "A structure has at most {limit} active webhooks."


class WebhookInactive(WebhookError):
    code = "WEBHOOK_INACTIVE"
    http_status = 409
    message_fr = "Ce webhook est désactivé."
    message_en = "This webhook is deactivated."


class WebhookNotFound(WebhookError):
    code = "WEBHOOK_NOT_FOUND"
    http_status = 404
    message_fr = "Webhook introuvable, ou vous n'y avez pas accès."
    message_en = "Webhook not found, or you have no access to it."
