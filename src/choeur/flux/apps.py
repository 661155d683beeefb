from django.apps import AppConfig


class FluxConfig(AppConfig):
    name = "choeur.flux"
    label = "flux"
    verbose_name = "Flux"
