from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "choeur.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
