"""Background work of flux (django-tasks, database queue: a task enqueued in a transaction
exists only if that transaction commits)."""

from choeur.core import queue

#: Integrations go before the other tasks waiting (the routing of what earlier flux
#: deposited, e-mails): the depositing software is polling for the compte rendu, and a flux
#: takes seconds, so the routing waits at most for the flux already queued.
INTEGRATION_PRIORITY = 10


@queue.task(priority=INTEGRATION_PRIORITY, takes_context=True)
def integrate_flux(context, flux_id: int) -> str:
    """Integrate a flux; when the database or the file store goes away in the middle, wait
    for it (1, 2, 4… 10 s between tries) and resume the same flux at once when it is back —
    no half-hour « en cours », no incident. Run again after its worker died or gave it back
    (`core.leases`), it resumes the flux that run left « en cours » instead of refusing it."""
    from choeur.core import leases, outage
    from choeur.flux import services

    resume = leases.is_rerun(context)

    attempt = 0
    while True:
        try:
            flux = services.integrate(flux_id, resume=resume)
        except Exception as exc:
            if not outage.is_passing(exc):
                raise
            back = outage.wait_for(exc, who=f"flux {flux_id}", give_up_after=OUTAGE_WAIT)
            if back:
                services.hand_back(flux_id)
            attempt += 1
            if not back or attempt >= OUTAGES_RESUMED:
                raise  # the worker hands the task back (core.worker): it runs again
            continue
        return flux.status if flux is not None else "not claimed"


#: Outages one integration rides out, and how long it waits for each before giving up (the
#: worker then waits on its own and hands the task back: `core.worker`).
OUTAGES_RESUMED = 5
OUTAGE_WAIT = 600.0


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
