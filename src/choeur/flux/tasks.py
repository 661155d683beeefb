"""Background work of flux (django-tasks, database queue: a task enqueued in a transaction
exists only if that transaction commits)."""

from choeur.core import queue

#: Integrations go before the other tasks waiting (the routing of what earlier flux
#: deposited, e-mails): the depositing software is polling for the compte rendu, and a flux
#: takes seconds, so the routing waits at most for the flux already queued.
INTEGRATION_PRIORITY = 10


@queue.task(priority=INTEGRATION_PRIORITY)
def integrate_flux(flux_id: int) -> str:
    from choeur.flux import services

    flux = services.integrate(flux_id)
    return flux.status if flux is not None else "not claimed"


@queue.task()
def flux_timers() -> dict:
    """Every five minutes (a timer: flux/apps.py): take the drop folders' new files and
    resume the flux that need it."""
    import logging

    from choeur.flux import edi, services

    deposited = []
    try:
        deposited = edi.scan_drop_folders()
    except Exception:  # the drop folders' trouble must not keep stalled flux stalled
        logging.getLogger(__name__).exception("drop folder scan failed")
    return {"deposited": len(deposited), "requeued": services.retry_stalled()}
