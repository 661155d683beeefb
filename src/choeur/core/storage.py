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


def _publish_local(storage, name: str, spool: BinaryIO) -> None:
    """Write next to the final name, then link(): readers see the whole file or nothing, and a
    concurrent writer of the same bytes loses the race harmlessly."""
    final = storage.path(name)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(final), prefix=".tmp-")
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
    if hasattr(storage, "path"):
        _publish_local(storage, name, source)
    else:
        # Object stores (S3) make a PUT visible whole or not at all; file_overwrite is off,
        # and the same name always carries the same bytes.
        storage.save(name, File(source, name=name))


def put(source: bytes | BinaryIO, content_type: str = "", max_size: int | None = None) -> Blob:
    """Store bytes (or a readable file) once; return its Blob. Idempotent."""
    spool, sha256, size = _spool(source, max_size)
    blob = Blob(sha256=sha256, size=size, content_type=content_type, created_at=clock.now())
    with spool:
        _write_once(_storage(), blob.storage_name, spool)
    blob, _ = Blob.objects.get_or_create(
        sha256=sha256,
        defaults={"size": size, "content_type": content_type, "created_at": blob.created_at},
    )
    return blob


def put_many(contents: list[bytes], content_type: str = "") -> list[str]:
    """`put()` for a batch of small files (a flux's invoices): the same files, their Blob rows
    in one insert. Returns their sha256, in order."""
    storage = _storage()
    now = clock.now()
    rows: dict[str, Blob] = {}
    names = []
    for content in contents:
        sha256 = hashlib.sha256(content).hexdigest()
        names.append(sha256)
        if sha256 in rows:
            continue
        blob = Blob(sha256=sha256, size=len(content), content_type=content_type, created_at=now)
        rows[sha256] = blob
        _write_once(storage, blob.storage_name, io.BytesIO(content))
    Blob.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return names


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
