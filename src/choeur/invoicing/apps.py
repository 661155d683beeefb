from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "choeur.invoicing"
    label = "invoicing"
    verbose_name = "Facturation"

    def ready(self):
        from choeur.core import periodic
        from choeur.invoicing import (
            acknowledgements,  # noqa: F401 (connects the login signal)
            tasks,
        )

        periodic.timer(tasks.apply_tacit_validations)
        periodic.timer(tasks.requeue_lost_routings)
        periodic.timer(tasks.sweep_uploads)
