from django.apps import AppConfig


class TravauxConfig(AppConfig):
    name = "choeur.travaux"
    label = "travaux"
    verbose_name = "Factures de travaux"

    def ready(self):
        from choeur.core import periodic
        from choeur.travaux import tasks

        # The regulatory delays (the MOE's 7 days) fall due on the clock service's time.
        periodic.timer(tasks.travaux_timers)
