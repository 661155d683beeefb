"""The portal's archive exports (docs/CONSERVATION.md « Conservation »): asked for on the
structure's « Archives » page, built by the worker, downloaded for 7 days.

A structure's export compresses every file of its invoices: minutes of work and as many bytes
as its archives. So the web request only queues it (`request_export`, answered at once), with
limits (one export being made per structure, `PER_USER_PER_DAY` per user); the worker writes
it into `<CHOEUR_DATA_DIR>/exports/` whole or not at all (`build`), then notifies its
requester; the structure's gestionnaires download it from the page (`download`) until it
expires (`EXPORT_KEPT`); the hourly housekeeping removes the expired files and rows
(`remove_expired`). The operator's `choeur archive export` stays synchronous (export.py).

With an object store (CHOEUR_STORAGE=s3://...), the web node that serves the download is not
the worker's machine: the finished zip goes to the object store (`exports/<id>.zip` beside
the blobs) and its local copy is removed (`_remote`).
"""

from __future__ import annotations

import hashlib
import logging
import time as _time
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, translation

from choeur.archives import errors, export
from choeur.archives.models import PENDING, ArchiveExport, ExportStatus
from choeur.core import audit, clock, queue
from choeur.core.errors import ChoeurError
from choeur.messaging.services import notify

logger = logging.getLogger("choeur.archives")

#: How long a ready export stays downloadable (then its file and row are removed).
EXPORT_KEPT = timedelta(days=7)
#: Exports a user may ask for in 24 hours (all structures together).
PER_USER_PER_DAY = 5
#: An export queued or running for longer than this is deemed lost (a worker killed while
#: making it): marked failed, so that the structure may ask again.
STALE_AFTER = timedelta(hours=24)
#: Exports listed on the page.
RECENT = 20


def exports_dir() -> Path:
    return Path(settings.CHOEUR_EXPORTS_DIR)


def _path(export_id: int) -> Path:
    return exports_dir() / f"{export_id}.zip"


def _remote():
    """The object store when files go to one (S3): exports are kept there, so that any node
    serves what any worker built; None when files are local (the data directory)."""
    from django.core.files.storage import storages

    from choeur.core.storage import local_path

    store = storages["blobs"]
    return None if local_path(store, "exports") is not None else store


def _remote_name(export_id: int) -> str:
    return f"exports/{export_id}.zip"


def _publish(export_id: int, path: Path) -> None:
    """With an object store, the finished zip goes there and its local copy is removed."""
    from django.core.files import File

    remote = _remote()
    if remote is None:
        return
    name = _remote_name(export_id)
    with path.open("rb") as fh:  # overwrites a half-sent attempt (file_overwrite is on)
        saved = remote.save(name, File(fh, name=name))
    if saved != name:  # pragma: no cover (the store renamed it: it cannot be found)
        raise RuntimeError(f"the object store saved the export as {saved!r}")
    path.unlink()


def download_url(row: ArchiveExport) -> str:
    return reverse("archives:download", args=[row.structure_id, row.pk])


# --- Asking -----------------------------------------------------------------------------------


def request_export(user, structure_id, start=None, end=None) -> ArchiveExport:
    """Queue the export of a structure's archives (deposited between `start` and `end`) for
    `user`, one of its gestionnaires. Coded errors, nothing queued: `ARCH_STRUCTURE_NOT_FOUND`
    (not a gestionnaire, or no such structure), `ARCH_DATE_INVALID`, `ARCH_PERIOD_INVALID`,
    `ARCH_EXPORT_RUNNING` (one is being made for the structure), `ARCH_TOO_MANY_EXPORTS`."""
    scope = export.portal_scope(user, structure_id, start, end)
    # The user's row locked: their requests are counted one at a time (PostgreSQL).
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    if ArchiveExport.objects.filter(structure=scope.structure, status__in=PENDING).exists():
        raise errors.ExportRunning()
    since = clock.now() - timedelta(days=1)
    if ArchiveExport.objects.filter(requested_by=user,
                                    created_at__gt=since).count() >= PER_USER_PER_DAY:
        raise errors.TooManyExports(limit=PER_USER_PER_DAY)
    try:
        with transaction.atomic():  # two requests at once: the constraint keeps one
            row = ArchiveExport.objects.create(structure=scope.structure, requested_by=user,
                                               start=scope.start, end=scope.end)
    except IntegrityError:
        raise errors.ExportRunning() from None
    audit.record(user, "archives.export_requested", scope.structure, export=row.pk,
                 scope=scope.describe())
    queue.enqueue("archives.build_archive_export", row.pk)
    return row


# --- Making (the worker) ----------------------------------------------------------------------


def _measure(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _period(row: ArchiveExport) -> str:
    if not row.start and not row.end:
        return translation.gettext("toutes les factures")
    start = formats.date_format(row.start, "SHORT_DATE_FORMAT") if row.start else "…"
    end = formats.date_format(row.end, "SHORT_DATE_FORMAT") if row.end else "…"
    return f"{start} – {end}"


def build(export_id: int) -> str:
    """Make the queued export `export_id`: the zip written beside its final name, renamed
    when whole; the row READY with its size and SHA-256; its requester notified. Run by the
    worker (tasks.build_archive_export), outside any transaction (export.export_to_file says
    why). Returns what became of it (`ready`, `failed`, `skipped`)."""
    with transaction.atomic():
        row = (ArchiveExport.objects.select_for_update().select_related("requested_by")
               .filter(pk=export_id).first())
        if row is None or row.status != ExportStatus.QUEUED:
            return "skipped"  # run twice, or given up on (STALE_AFTER)
        row.status, row.started_at = ExportStatus.RUNNING, clock.now()
        row.save(update_fields=["status", "started_at"])
    user = row.requested_by
    path = _path(row.pk)
    try:
        # Checked again: the requester may have lost the gestionnaire role since.
        scope = export.portal_scope(user, row.structure_id, row.start, row.end)
        exports_dir().mkdir(parents=True, exist_ok=True)
        manifest = export.export_to_path(scope, str(path), actor=user,
                                         by=f"{user} ({user.email})")
        size, sha256 = _measure(path)
        _publish(row.pk, path)
    except Exception as exc:
        path.unlink(missing_ok=True)
        _failed(row, exc.code if isinstance(exc, ChoeurError) else "ARCH_EXPORT_FAILED")
        if isinstance(exc, ChoeurError):
            return "failed"
        raise  # a bug or a broken disk: the worker logs it
    with transaction.atomic():
        now = clock.now()
        done = ArchiveExport.objects.filter(pk=row.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.READY, ready_at=now, expires_at=now + EXPORT_KEPT,
            size=size, sha256=sha256, file_name=export.file_name(scope),
            invoices=manifest["counts"]["invoices"])
        if not done:  # given up on meanwhile (STALE_AFTER): nobody will fetch it
            transaction.on_commit(lambda: _remove_file(row.pk))
            return "skipped"
        row.refresh_from_db()
        with translation.override("fr"):
            params = {"structure": row.structure.company_name, "period": _period(row),
                      "size": str(filesizeformat(size)),
                      "expires": formats.date_format(row.expires_at.astimezone(clock.PARIS),
                                                     "SHORT_DATE_FORMAT")}
        notify([user], "archive_export_ready", params, url=download_url(row))
    return "ready"


def _failed(row: ArchiveExport, code: str) -> None:
    with transaction.atomic():
        now = clock.now()
        done = ArchiveExport.objects.filter(pk=row.pk, status__in=PENDING).update(
            status=ExportStatus.FAILED, error=code, ready_at=now, expires_at=now + EXPORT_KEPT)
        if done:
            notify([row.requested_by], "archive_export_failed",
                   {"structure": row.structure.company_name, "code": code},
                   url=reverse("archives:structure", args=[row.structure_id]))


# --- Reading ----------------------------------------------------------------------------------


def recent_exports(structure) -> list[ArchiveExport]:
    """The structure's exports still kept, newest first (its gestionnaires see them all)."""
    return list(ArchiveExport.objects.filter(structure=structure)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=clock.now()))
                .select_related("requested_by")[:RECENT])


def download(user, structure_id, export_id) -> tuple[ArchiveExport, BinaryIO]:
    """A ready export's file, opened, for a current gestionnaire of its structure; anyone
    else gets `ARCH_STRUCTURE_NOT_FOUND` (as for a missing structure), whatever the export's
    id; a gestionnaire naming an export that is not ready, expired, gone or another
    structure's gets `ARCH_EXPORT_NOT_FOUND`. Audited (`archives.export_downloaded`)."""
    structure = export.gestionnaire_structure(user, structure_id)
    try:
        export_id = int(export_id)
    except (TypeError, ValueError):
        raise errors.ExportNotFound() from None
    row = ArchiveExport.objects.filter(pk=export_id, structure=structure,
                                       status=ExportStatus.READY,
                                       expires_at__gt=clock.now()).first()
    if row is None:
        raise errors.ExportNotFound()
    remote = _remote()
    try:
        if remote is None:
            handle = _path(row.pk).open("rb")
        elif remote.exists(_remote_name(row.pk)):
            handle = remote.open(_remote_name(row.pk), "rb")
        else:
            raise FileNotFoundError(_remote_name(row.pk))
    except FileNotFoundError:
        raise errors.ExportNotFound() from None
    audit.record(user, "archives.export_downloaded", structure, export=row.pk,
                 sha256=row.sha256, size=row.size)
    return row, handle


# --- Removing (the hourly housekeeping) -------------------------------------------------------


def _remove_file(export_id: int) -> None:
    _path(export_id).unlink(missing_ok=True)
    remote = _remote()
    if remote is not None:
        remote.delete(_remote_name(export_id))


def remove_expired() -> int:
    """Remove the expired exports (their files, then their rows); give up on the exports
    queued or running for longer than `STALE_AFTER`; remove the files no export owns (a
    worker killed while writing one leaves its temporary file). Returns the rows removed."""
    now = clock.now()
    ArchiveExport.objects.filter(status__in=PENDING, created_at__lt=now - STALE_AFTER).update(
        status=ExportStatus.FAILED, error="ARCH_EXPORT_STALE", ready_at=now,
        expires_at=now + EXPORT_KEPT)
    expired = list(ArchiveExport.objects.filter(expires_at__lte=now)
                   .values_list("pk", flat=True))
    for pk in expired:
        _remove_file(pk)
    removed, _ = ArchiveExport.objects.filter(pk__in=expired).delete()
    directory = exports_dir()
    if directory.is_dir():
        kept = {f"{pk}.zip" for pk in ArchiveExport.objects.values_list("pk", flat=True)}
        old = _time.time() - STALE_AFTER.total_seconds()
        for path in directory.iterdir():
            if path.name not in kept and path.is_file() and path.stat().st_mtime < old:
                path.unlink(missing_ok=True)
    return removed
