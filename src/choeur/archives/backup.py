"""Backups and restores of a whole instance (docs/CONSERVATION.md « Backups »).

`backup(DIR)` writes, into a new or empty directory:

- the database: SQLite through its online backup API (`database.sqlite3`, consistent while
  the instance runs), PostgreSQL with `pg_dump --format=custom` (`database.pgdump`, one
  snapshot);
- every stored file (`blobs/aa/bb/<sha256>`, the store's own layout), each copied a chunk at
  a time and checked against its name on the way;
- `SHA256SUMS` (`sha256sum` format: the database file and every file) and `manifest.json`.

The database goes first, the files after: files are never rewritten, so every file the
database names is there (those added since are extra, harmless).

`restore(DIR)` goes into an empty instance only (no table, no stored file: anything else is
`ARCH_RESTORE_NOT_EMPTY`, nothing restored). It checks every file of the backup against
SHA256SUMS before it writes anything, then restores the database (SQLite: the backup API
again; PostgreSQL: `pg_restore --single-transaction`), then the files (core.storage.put,
which hashes them again). Then: `choeur migrate`, `choeur archive verify --files`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.files.storage import storages
from django.db import connection

from choeur import __version__
from choeur.archives import errors
from choeur.core import clock, ledger, storage
from choeur.core.errors import BlobCorrupted, BlobMissing
from choeur.core.models import Blob

FORMAT = "choeur-backup/1"
SUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in FILES:
        raise errors.BackupFailed(reason=f"unsupported database {vendor}")
    return vendor


def _pg_env() -> dict[str, str]:
    """libpq's variables for the instance's database: the password never on a command
    line."""
    settings = connection.settings_dict
    env = {**os.environ, "PGDATABASE": settings["NAME"] or ""}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                          ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[variable] = str(settings[key])
    sslmode = (settings.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise errors.BackupToolMissing(tool=name)
    return found


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True,  # noqa: S603
                            check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout or "").strip().splitlines()
        raise errors.BackupFailed(reason=f"{Path(command[0]).name}: "
                                  f"{lines[-1] if lines else result.returncode}")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(storage.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _empty_dir(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise errors.BackupTargetNotEmpty(path=str(path))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _dump_database(vendor: str, target: Path) -> None:
    if vendor == "sqlite":
        source = sqlite3.connect(connection.settings_dict["NAME"])
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"])


def backup(output) -> dict:
    """Back the instance up into `output` (new or empty); return the manifest. Files the
    database names but the store lacks, or whose bytes changed, are listed in it as
    `missing` / `corrupted` (and not copied): the operator must hear of them."""
    target = Path(output).resolve()
    vendor = _vendor()
    _empty_dir(target)
    started = clock.now()
    database = target / FILES[vendor]
    _dump_database(vendor, database)
    sums = [(_hash_file(database), database.name)]
    count = size = 0
    missing, corrupted = [], []
    for sha256 in (Blob.objects.order_by("sha256").values_list("sha256", flat=True)
                   .iterator(chunk_size=5000)):
        name = Blob(sha256=sha256, size=0).storage_name
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "wb") as fh:
                size += storage.copy_verified(sha256, fh)
        except (BlobMissing, BlobCorrupted) as exc:
            path.unlink()
            (missing if isinstance(exc, BlobMissing) else corrupted).append(sha256)
            continue
        sums.append((sha256, name))
        count += 1
    (target / SUMS).write_text("".join(f"{digest}  {name}\n" for digest, name in sums))
    seal = ledger.head()
    manifest = {
        "format": FORMAT, "generator": f"Choeur {__version__}",
        "started_at": ledger.instant(started), "finished_at": ledger.instant(clock.now()),
        "database": {"vendor": vendor, "file": database.name, "sha256": sums[0][0],
                     "size": database.stat().st_size},
        "files": {"count": count, "bytes": size, "missing": missing, "corrupted": corrupted},
        "head_seal": ({"id": seal.pk, "hash": seal.hash, "at": ledger.instant(seal.at)}
                      if seal else None),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# --- Restore --------------------------------------------------------------------------------


def _read_backup(source: Path) -> tuple[dict, list[tuple[str, str]]]:
    def invalid(reason: str):
        return errors.RestoreInvalid(path=str(source), reason=reason)

    try:
        manifest = json.loads((source / MANIFEST).read_text())
        lines = (source / SUMS).read_text().splitlines()
    except (OSError, ValueError) as exc:
        raise invalid(f"{MANIFEST} or {SUMS} unreadable ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise invalid(f"{MANIFEST} is not a {FORMAT} manifest")
    sums = []
    for line in lines:
        digest, _, name = line.partition("  ")
        if (not storage.SHA256.fullmatch(digest) or not name or ".." in name.split("/")
                or name.startswith("/")):
            raise invalid(f"{SUMS}: unreadable line {line[:80]!r}")
        sums.append((digest, name))
    database = manifest.get("database") or {}
    if database.get("vendor") not in FILES or not sums or sums[0][1] != database.get("file"):
        raise invalid(f"{MANIFEST} names no database file")
    for digest, name in sums:
        path = source / name
        if not path.is_file():
            raise invalid(f"{name} is missing")
        if _hash_file(path) != digest:
            raise invalid(f"{name} does not match its SHA-256 (changed or damaged)")
    return manifest, sums


def _store_is_empty() -> bool:
    store = storages["blobs"]
    try:
        directories, files = store.listdir("blobs")
    except (FileNotFoundError, NotADirectoryError):
        return True
    return not directories and not files


def _database_is_empty(vendor: str) -> bool:
    if vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        if not os.path.exists(name):
            return True
        check = sqlite3.connect(name)
        try:
            return not check.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                     ).fetchone()[0]
        finally:
            check.close()
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _restore_database(vendor: str, path: Path) -> None:
    if vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        connection.close()
        for stale in (name, Path(f"{name}-wal"), Path(f"{name}-shm")):
            stale.unlink(missing_ok=True)  # an empty database Django opened
        temporary = name.with_name(f".{name.name}.restoring")
        source, copy = sqlite3.connect(path), sqlite3.connect(temporary)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        os.replace(temporary, name)
    else:
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", "--no-password",
              f"--dbname={connection.settings_dict['NAME']}", str(path)])
        connection.close()


def restore(source) -> dict:
    """Restore the backup in `source` into this (empty) instance; return its manifest and
    the counts restored."""
    source = Path(source).resolve()
    manifest, sums = _read_backup(source)  # every byte checked before anything is written
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise errors.RestoreInvalid(
            path=str(source), reason=f"made from {manifest['database']['vendor']}, this "
            f"instance uses {vendor}: restore into an instance of the same kind")
    if not _database_is_empty(vendor):
        raise errors.RestoreTargetNotEmpty(what="the database has tables")
    if not _store_is_empty():
        raise errors.RestoreTargetNotEmpty(what="the file store has files")
    _restore_database(vendor, source / sums[0][1])
    restored = size = 0
    for digest, name in sums[1:]:
        with open(source / name, "rb") as fh:
            blob = storage.put(fh)
        if blob.sha256 != digest:  # changed since it was checked above
            raise errors.RestoreInvalid(path=str(source), reason=f"{name} changed")
        restored += 1
        size += blob.size
    return {"manifest": manifest, "files": restored, "bytes": size}
