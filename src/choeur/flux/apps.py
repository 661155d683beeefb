from django.apps import AppConfig


class FluxConfig(AppConfig):
    name = "choeur.flux"
    label = "flux"
    verbose_name = "Flux"

    def ready(self):
        from choeur.core import periodic
        from choeur.flux import tasks

        periodic.timer(tasks.flux_timers)  # drop folders, stalled integrations
