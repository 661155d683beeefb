from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "choeur.invoicing"
    label = "invoicing"
    verbose_name = "Facturation"
