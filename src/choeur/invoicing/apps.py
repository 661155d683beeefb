from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "choeur.invoicing"
    label = "invoicing"
    verbose_name = "Facturation"

    def ready(self):
        from choeur.invoicing import acknowledgements  # noqa: F401 (connects the login signal)
