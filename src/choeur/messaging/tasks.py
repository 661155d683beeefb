"""Background work of notifications (an entry point: each user's digest and each news item's
publication in its own transaction)."""

from django.db import transaction

from choeur.core import queue


@queue.task()
def messaging_timers() -> int:
    """The digests that fell due (07:00 Paris, daily or on Mondays) and the news whose
    publication date came: what was sent."""
    from choeur.messaging import actualites, services

    done = 0
    for pk in services.due_digests():
        with transaction.atomic():
            done += services.send_digest(pk)
    for pk in actualites.due_publications():
        with transaction.atomic():
            done += actualites.publish_due(pk)
    return done
