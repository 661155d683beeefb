from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "choeur.messaging"
    label = "messaging"
    verbose_name = _("Notifications")

    def ready(self):
        from choeur.core import periodic
        from choeur.messaging import tasks

        # Digests (daily, weekly) and news whose publication date came, on the clock's time.
        periodic.timer(tasks.messaging_timers)
