"""Content-addressed file storage: a file is stored once, under its sha256, and never rewritten.

Deposited invoices are originals (house rule 4): the same bytes always get the same name, a
second upload of the same file stores nothing new, and a read can prove the bytes are intact.
The bytes go to the `blobs` Django storage (local data directory, or S3 with CHOEUR_STORAGE);
a `Blob` row records size and type.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import storages
from django.db import connection

from choeur.core import clock
from choeur.core.errors import BlobCorrupted, BlobMissing, FileTooLarge
from choeur.core.models import Blob

CHUNK = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")


def _storage():
    return storages["blobs"]


def _spool(source: bytes | BinaryIO, max_size: int | None) -> tuple[BinaryIO, str, int]:
    """Copy the source to a temporary file while hashing it, stopping past `max_size`."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if max_size is not None and size > max_size:
            spool.close()
            raise FileTooLarge(limit=max_size)
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), size


def local_path(storage, name: str) -> str | None:
    """The file's path when the storage is a local folder; None for an object store (S3).
    Every Django storage has a `path` method: the remote ones raise NotImplementedError."""
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


#: The fan-out folders this process has seen exist (at most 65,536): no mkdir per file.
_folders: set[str] = set()


def _temp_beside(final: str) -> tuple[int, str]:
    """A new temporary file in the final name's folder, made when this process has not seen
    it yet (or no longer finds it: a restored or emptied data directory)."""
    folder = os.path.dirname(final)
    if folder in _folders:
        try:
            return tempfile.mkstemp(dir=folder, prefix=".tmp-")
        except FileNotFoundError:
            pass  # removed since: made again below
    os.makedirs(folder, exist_ok=True)
    _folders.add(folder)
    return tempfile.mkstemp(dir=folder, prefix=".tmp-")


def _publish_local(final: str, spool: BinaryIO) -> None:
    """Write next to the final name, then link(): readers see the whole file or nothing, and a
    concurrent writer of the same bytes loses the race harmlessly."""
    fd, tmp = _temp_beside(final)
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := spool.read(CHUNK):
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)
        try:
            os.link(tmp, final)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def _write_once(storage, name: str, source: BinaryIO) -> None:
    """Store the bytes under their name unless they are there already (same name, same
    bytes)."""
    if storage.exists(name):
        return
    final = local_path(storage, name)
    if final is not None:
        _publish_local(final, source)
    else:
        # Object stores (S3) make a PUT visible whole or not at all; two nodes writing the
        # same name at once write the same bytes (file_overwrite is on: no renamed copy).
        storage.save(name, File(source, name=name))


def put(source: bytes | BinaryIO, content_type: str = "", max_size: int | None = None) -> Blob:
    """Store bytes (or a readable file) once; return its Blob. Idempotent."""
    spool, sha256, size = _spool(source, max_size)
    blob = Blob(sha256=sha256, size=size, content_type=content_type, created_at=clock.now())
    _lock([sha256])
    with spool:
        _write_once(_storage(), blob.storage_name, spool)
    blob, _ = Blob.objects.get_or_create(
        sha256=sha256,
        defaults={"size": size, "content_type": content_type, "created_at": blob.created_at},
    )
    return blob


def _publish_local_many(files: list[tuple[str, bytes]]) -> None:
    """`_publish_local` for a batch of small files: all written, then all synced, then all
    linked. The first fsync commits the file system's journal with the others' data in it,
    so the next ones find little left to do (one sync a file in a row cost ~0.4 ms each)."""
    for start in range(0, len(files), 64):  # a bounded number of open files
        written = []
        try:
            for final, content in files[start:start + 64]:
                fd, tmp = _temp_beside(final)
                written.append((fd, tmp, final))
                _write_all(fd, content)
                os.fchmod(fd, 0o640)
            for fd, _tmp, _final in written:
                os.fsync(fd)
            for _fd, tmp, final in written:
                try:
                    os.link(tmp, final)
                except FileExistsError:
                    pass
            # The new names too (the first sync commits the journal for the others): a Blob
            # row committed next never names a file a power cut could take back.
            for folder in {os.path.dirname(final) for _fd, _tmp, final in written}:
                _sync_folder(folder)
        finally:
            for fd, tmp, _final in written:
                os.close(fd)
                os.unlink(tmp)


def _sync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]


def put_many(contents: list[bytes], content_type: str = "") -> list[str]:
    """`put()` for a batch of small files (a flux's invoices): the same files, their Blob rows
    in one insert. Returns their sha256, in order."""
    storage = _storage()
    now = clock.now()
    rows: dict[str, Blob] = {}
    names = []
    local: list[tuple[str, bytes]] = []
    for content in contents:
        sha256 = hashlib.sha256(content).hexdigest()
        names.append(sha256)
        if sha256 in rows:
            continue
        blob = Blob(sha256=sha256, size=len(content), content_type=content_type, created_at=now)
        rows[sha256] = blob
        final = local_path(storage, blob.storage_name)
        if final is None:  # an object store: one HEAD, then one PUT if missing
            _write_once(storage, blob.storage_name, io.BytesIO(content))
        elif not storage.exists(blob.storage_name):
            local.append((final, content))
    _publish_local_many(local)
    Blob.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return names


def _lock(sha256s, *, exclusive: bool = False) -> None:
    """Inside a transaction, lock these blobs' rows until it ends (PostgreSQL; SQLite
    transactions are serialised whole). `put` takes a shared lock (FOR KEY SHARE: deposits
    sharing a file do not wait for each other), `remove_unreferenced` an exclusive one before
    it looks for references: bytes stored again while a sweep removes them are either seen
    as referenced (the sweep waited for the deposit's commit) or written anew after the
    removal (the deposit waited, then found no row nor file and stores both)."""
    if not connection.in_atomic_block or connection.vendor != "postgresql":
        return
    mode = "UPDATE" if exclusive else "KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sha256 FROM {Blob._meta.db_table} "  # noqa: S608 (constants)
                       f"WHERE sha256 = ANY(%s) FOR {mode}", [sorted(sha256s)])


def referencing_fields():
    """Every (model, field name) that names a blob: a field called `sha256` or ending in
    `_sha256`, in any installed app. Found by name, so a new model that stores files cannot
    be forgotten by the removal (a field so named that is not a blob only keeps blobs)."""
    from django.apps import apps

    for model in apps.get_models():
        if model is Blob:
            continue
        for field in model._meta.concrete_fields:
            if field.name == "sha256" or field.name.endswith("_sha256"):
                yield model, field.name


def remove_unreferenced(sha256s) -> int:
    """Remove the blobs among `sha256s` that no row names any more (`referencing_fields`):
    their Blob rows and their bytes. Must run in the caller's transaction, after it removed
    its own references; the files go last, just before the commit (a commit that fails then
    leaves rows of unreferenced blobs whose bytes `put` writes again when needed). Returns
    the blobs removed."""
    if not connection.in_atomic_block:
        from choeur.core.errors import OutsideTransaction

        raise OutsideTransaction()
    wanted = {sha256 for sha256 in sha256s if SHA256.fullmatch(sha256 or "")}
    if not wanted:
        return 0
    _lock(wanted, exclusive=True)
    referenced: set[str] = set()
    for model, name in referencing_fields():
        referenced.update(model._default_manager.filter(**{f"{name}__in": list(wanted)})
                          .values_list(name, flat=True).distinct())
    orphans = sorted(wanted - referenced)
    if not orphans:
        return 0
    Blob.objects.filter(pk__in=orphans).delete()
    storage = _storage()
    for sha256 in orphans:
        storage.delete(Blob(sha256=sha256, size=0).storage_name)
    return len(orphans)


def open_blob(sha256: str) -> BinaryIO:
    """Open a stored file for reading (no integrity check: use `read` or `verify` for that)."""
    if not SHA256.fullmatch(sha256 or ""):
        raise BlobMissing(sha256=str(sha256)[:64])
    name = Blob(sha256=sha256, size=0).storage_name
    storage = _storage()
    if not storage.exists(name):
        raise BlobMissing(sha256=sha256)
    return storage.open(name, "rb")


def read(sha256: str) -> bytes:
    """The stored bytes, checked against their fingerprint."""
    with open_blob(sha256) as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobCorrupted(sha256=sha256)
    return data


def copy_verified(sha256: str, target: BinaryIO) -> int:
    """Copy a stored file into `target` a chunk at a time (never whole in memory), checked
    against its fingerprint at the end: `BlobCorrupted` then, and the caller drops what it
    wrote. Returns the bytes copied."""
    digest, copied = hashlib.sha256(), 0
    with open_blob(sha256) as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
            copied += len(chunk)
    if digest.hexdigest() != sha256:
        raise BlobCorrupted(sha256=sha256)
    return copied


def add_to_zip(archive: zipfile.ZipFile, name: str, sha256: str) -> None:
    """A stored file as a member of a ZIP being written, streamed and checked
    (copy_verified), dated now in Paris time (a member opened for writing by name alone
    would be dated 1980)."""
    entry = zipfile.ZipInfo(name, date_time=clock.now().astimezone(clock.PARIS).timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(entry, "w") as member:
        copy_verified(sha256, member)


def verify(sha256: str) -> bool:
    """True when the stored bytes still hash to their name (conservation checks)."""
    digest = hashlib.sha256()
    try:
        with open_blob(sha256) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
    except BlobMissing:
        return False
    return digest.hexdigest() == sha256
