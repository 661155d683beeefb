from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "choeur.web"
    label = "web"
    verbose_name = "Choeur — portail"
