"""Background work of the conservation (an entry point: it owns its transactions)."""

from choeur.core import queue


@queue.task()
def build_archive_export(export_id: int) -> str:
    """Make an archive export asked for in the portal (archives/services.py)."""
    from choeur.archives import services

    return services.build(export_id)
