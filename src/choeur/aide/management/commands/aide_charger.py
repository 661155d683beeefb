"""`choeur manage aide_charger` (and `choeur aide-charger`): reload the help articles."""

from django.core.management.base import BaseCommand
from django.db import transaction

from choeur.aide import services


class Command(BaseCommand):
    help = "Reload the help articles (aide/articles/*.md and one per error code); idempotent."

    def handle(self, *args, **options):
        with transaction.atomic():
            outcome = services.reload_articles()
        self.stdout.write(
            f"Help articles: {outcome.created} created, {outcome.updated} updated, "
            f"{outcome.removed} removed, {outcome.unchanged} unchanged.")
