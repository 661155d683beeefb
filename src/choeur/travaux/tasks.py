"""Background work of the factures de travaux (an entry point: it owns its transactions)."""

from choeur.core import queue


@queue.task()
def travaux_timers() -> int:
    """The regulatory delays that fell due (the MOE's 7 days; the titulaire's 30 days on a
    décompte général: its reminder, then its lapse; the titulaire's 15 days on its
    sous-traitant's projet: its reminder, then the tacit validation)."""
    from choeur.travaux import final, services, subcontracting

    return (services.apply_moe_deadlines() + final.apply_dgd_deadlines()
            + subcontracting.apply_titulaire_deadlines())
