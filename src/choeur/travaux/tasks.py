"""Background work of the factures de travaux (an entry point: it owns its transactions)."""

from choeur.core import queue


@queue.task()
def travaux_timers() -> int:
    """The regulatory delays that fell due (the MOE's 7 days)."""
    from choeur.travaux import services

    return services.apply_moe_deadlines()
