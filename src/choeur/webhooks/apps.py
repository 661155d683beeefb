from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "choeur.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from choeur.core import periodic
        from choeur.webhooks import services

        periodic.housekeeping("ended webhook deliveries", services.prune_deliveries)
