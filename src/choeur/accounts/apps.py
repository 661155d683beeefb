from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "choeur.accounts"
    label = "accounts"
    verbose_name = _("Comptes")

    def ready(self):
        from choeur.accounts import throttle
        from choeur.core import periodic

        periodic.housekeeping("failed authentication counts", throttle.prune)
