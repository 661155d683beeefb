"""Background work of qualification (registered as timers in qualification only: apps.py)."""

from choeur.core import queue


@queue.task()
def apply_recipient_scenarios() -> int:
    """The recipient simulator's steps that fell due (each invoice in its own transaction)."""
    from choeur.qualification import simulator

    return simulator.apply_due()


@queue.task()
def build_matelas_travaux(record_id: int) -> int:
    """The works dossiers of a matelas just generated (matelas.add_travaux)."""
    from django.db import transaction

    from choeur.qualification import matelas

    with transaction.atomic():
        return matelas.add_travaux(record_id)
