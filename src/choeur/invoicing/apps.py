from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "choeur.invoicing"
    label = "invoicing"
    verbose_name = "Facturation"

    def ready(self):
        from django.db.models.signals import post_migrate

        from choeur.core import periodic
        from choeur.invoicing import (
            acknowledgements,  # noqa: F401 (connects the login signal)
            tally,
            tasks,
        )

        # On SQLite, a later migration that rebuilds the invoices' table drops the tally's
        # triggers with it: put them back (and count again) after every migrate.
        post_migrate.connect(tally.ensure_after_migrate, sender=self,
                             dispatch_uid="invoicing.ensure_tally")
        periodic.timer(tasks.fold_tally)

        periodic.timer(tasks.apply_tacit_validations)
        periodic.timer(tasks.requeue_lost_routings)
        periodic.timer(tasks.sweep_uploads)
