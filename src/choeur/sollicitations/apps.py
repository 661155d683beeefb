from django.apps import AppConfig


class SollicitationsConfig(AppConfig):
    name = "choeur.sollicitations"
    label = "sollicitations"
    verbose_name = "Sollicitations"

    def ready(self):
        from choeur.core import periodic
        from choeur.sollicitations import tasks

        # An answered sollicitation left 15 days without reaction closes by itself.
        periodic.timer(tasks.sollicitations_timers)
