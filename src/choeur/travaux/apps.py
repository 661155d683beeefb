from django.apps import AppConfig


class TravauxConfig(AppConfig):
    name = "choeur.travaux"
    label = "travaux"
    verbose_name = "Factures de travaux"

    def ready(self):
        from choeur.core import periodic
        from choeur.invoicing import signals
        from choeur.invoicing import structured as invoicing_structured
        from choeur.travaux import lifecycle, structured, tasks

        # A structured file (flux, portal upload) whose BT-23 names a works cadre.
        invoicing_structured.register_travaux(structured)

        # The regulatory delays (the MOE's 7 days) fall due on the clock service's time.
        periodic.timer(tasks.travaux_timers)
        # The dossier follows its last piece at the paying service (travaux/lifecycle.py).
        signals.status_changed.connect(lifecycle.invoice_status_changed,
                                       dispatch_uid="travaux.follow_last_piece")
