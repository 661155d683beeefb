from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "choeur.api"
    label = "api"
    verbose_name = "API Chorus Pro"
