"""Background work of the help centre (an entry point: it owns its transactions)."""

from choeur.core import queue


@queue.task()
def aide_timers() -> int:
    """Ratings older than their retention period go."""
    from django.db import transaction

    from choeur.aide import services

    with transaction.atomic():
        return services.purge_ratings()
