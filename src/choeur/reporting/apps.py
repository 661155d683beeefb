from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "choeur.reporting"
    label = "reporting"
    verbose_name = "Tableaux de bord"

    def ready(self):
        from django.db.models.signals import post_save

        from choeur.invoicing import signals
        from choeur.invoicing.models import Invoice, StatusChange
        from choeur.reporting import facts

        # The rollup follows every write of an invoice, in its transaction (facts.py).
        signals.status_changed.connect(facts.status_changed, sender=Invoice,
                                       dispatch_uid="reporting.facts.status")
        signals.created_many.connect(facts.created_many, sender=Invoice,
                                     dispatch_uid="reporting.facts.batch")
        signals.changed_many.connect(facts.changed_many, sender=Invoice,
                                     dispatch_uid="reporting.facts.changed_batch")
        signals.updated.connect(facts.updated, sender=Invoice,
                                dispatch_uid="reporting.facts.update")
        signals.updated.connect(facts.updated, sender=StatusChange,
                                dispatch_uid="reporting.facts.history_update")
        post_save.connect(facts.saved, sender=Invoice, dispatch_uid="reporting.facts.save")
