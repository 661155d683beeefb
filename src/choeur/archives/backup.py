"""Backups and restores of a whole instance (docs/CONSERVATION.md « Backups »).

`backup(DIR)` writes, into a new or empty directory:

- the database: SQLite through its online backup API (`database.sqlite3`, consistent while
  the instance runs), PostgreSQL with `pg_dump --format=custom` (`database.pgdump`, one
  snapshot);
- every stored file (`blobs/aa/bb/<sha256>`, the store's own layout), each copied a chunk at
  a time and checked against its name on the way;
- `manifest.json`, then `SHA256SUMS` (`sha256sum` format: the database file, every file and
  the manifest) and `SHA256SUMS.hmac`: an HMAC-SHA256 of SHA256SUMS keyed with a key derived
  from the instance's secret key (`salted_hmac`, a fixed salt) and the derived key's id, so
  that whoever can write to the backup store cannot rewrite the database and recompute the
  sums unnoticed.

The directory is made 0700 and every file 0600 (umask 077 for the run), whatever the
directory's mode was; a parent writable by others (without the sticky bit) is warned about.

The database goes first, the files after: files are never rewritten, so every file the
database names is there (those added since are extra, harmless).

`restore(DIR)` goes into an empty instance only (no table, no stored file: anything else is
`ARCH_RESTORE_NOT_EMPTY`, nothing restored). Before it writes anything it checks that the
backup holds nothing but regular files (no symlink, nothing resolving out of the directory)
named `database.sqlite3`/`database.pgdump`, `manifest.json`, `SHA256SUMS`,
`SHA256SUMS.hmac` and `blobs/aa/bb/<sha256>` (whose bytes must hash to their name), every
one of them listed in SHA256SUMS and matching its sum (`ARCH_RESTORE_INVALID` otherwise);
then the signature: made with this instance's secret key it must match
(`ARCH_RESTORE_SIGNATURE_MISMATCH`, always refused); absent or made with another key
(a restore onto a new machine whose key differs) it is `ARCH_RESTORE_UNSIGNED` unless
`trust_unsigned`. Then it then restores the database (SQLite: the backup API
again; PostgreSQL: `pg_restore --single-transaction`), then the files (core.storage.put,
which hashes them again). pg_restore runs the dump's SQL as the instance's database role:
never restore with a superuser role. Then: `choeur migrate`, `choeur archive verify --files`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.utils.crypto import constant_time_compare, salted_hmac

from choeur import __version__
from choeur.archives import errors
from choeur.core import clock, ledger, storage
from choeur.core.errors import BlobCorrupted, BlobMissing
from choeur.core.models import Blob

FORMAT = "choeur-backup/1"
SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.hmac"
MANIFEST = "manifest.json"
FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
BLOB_NAME = re.compile(r"blobs/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_SIGNATURE_SALT = "choeur.archives.backup.SHA256SUMS"
_KEY_ID_SALT = "choeur.archives.backup.key-id"
_SIGNATURE_LINE = re.compile(r"hmac-sha256 key-id=([0-9a-f]{16}) ([0-9a-f]{64})")

#: libpq's connection options (CHOEUR_DATABASE_URL's query string, Django's OPTIONS) and the
#: environment variables pg_dump and pg_restore read them from
#: (postgresql.org/docs/current/libpq-envars.html).
LIBPQ_ENV = {
    "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE",
    "user": "PGUSER", "password": "PGPASSWORD", "passfile": "PGPASSFILE",
    "require_auth": "PGREQUIREAUTH", "channel_binding": "PGCHANNELBINDING",
    "service": "PGSERVICE", "options": "PGOPTIONS", "application_name": "PGAPPNAME",
    "sslmode": "PGSSLMODE", "requiressl": "PGREQUIRESSL", "sslnegotiation": "PGSSLNEGOTIATION",
    "sslcompression": "PGSSLCOMPRESSION", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL", "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI", "requirepeer": "PGREQUIREPEER",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION", "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME", "gsslib": "PGGSSLIB", "gssdelegation": "PGGSSDELEGATION",
    "connect_timeout": "PGCONNECT_TIMEOUT", "client_encoding": "PGCLIENTENCODING",
    "target_session_attrs": "PGTARGETSESSIONATTRS", "load_balance_hosts": "PGLOADBALANCEHOSTS",
}
#: OPTIONS Django (or psycopg) keeps for itself, and libpq's TCP tuning without a variable:
#: neither changes where or how securely the tools connect.
_NOT_FOR_THE_TOOLS = {
    "assume_role", "isolation_level", "pool", "server_side_binding", "cursor_factory",
    "context", "prepare_threshold", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "fallback_application_name",
}


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in FILES:
        raise errors.BackupFailed(reason=f"unsupported database {vendor}")
    return vendor


def _pg_env(settings_dict: dict | None = None) -> dict[str, str]:
    """libpq's variables for the instance's database, as Django connects to it: every
    connection option (sslmode, sslrootcert, options…) as its PG* variable, the database
    name only in PGDATABASE and the password only in PGPASSWORD — nothing on a command line.
    An option the tools cannot be given is an error, not a silently weaker connection."""
    database = connection.settings_dict if settings_dict is None else settings_dict
    env = {**os.environ}
    options = dict(database.get("OPTIONS") or {})
    env["PGDATABASE"] = str(database.get("NAME") or "")
    for option, value in options.items():
        if option in _NOT_FOR_THE_TOOLS or value is None:
            continue
        variable = LIBPQ_ENV.get(option)
        if variable is None:
            raise errors.BackupFailed(reason=f"the option {option!r} of CHOEUR_DATABASE_URL "
                                      "cannot be given to pg_dump/pg_restore (no libpq "
                                      "environment variable): remove it or use a service file")
        env[variable] = str(value)
    for key, variable in (("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("HOST", "PGHOST"),
                          ("PORT", "PGPORT")):
        if database.get(key):  # Django's own fields win over OPTIONS, as in its connection
            env[variable] = str(database[key])
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


def _open_member(path: Path):
    """A backup's file, opened without following a symlink, and only if it is a regular
    file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with _open_member(path) as fh:
        while chunk := fh.read(storage.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _key_id(secret) -> str:
    """Names the key a signature was made with, without telling anything of it."""
    return salted_hmac(_KEY_ID_SALT, "choeur backup signing key", secret=secret,
                       algorithm="sha256").hexdigest()[:16]


def sign(sums: bytes, secret=None) -> str:
    """SHA256SUMS.hmac's line: the key's id and the HMAC-SHA256 of SHA256SUMS's bytes, keyed
    with a key derived from the secret key (settings.SECRET_KEY by default)."""
    secret = settings.SECRET_KEY if secret is None else secret
    mac = salted_hmac(_SIGNATURE_SALT, sums, secret=secret, algorithm="sha256").hexdigest()
    return f"hmac-sha256 key-id={_key_id(secret)} {mac}\n"


def _empty_dir(path: Path) -> None:
    if path.is_symlink() or (path.exists() and (not path.is_dir() or any(path.iterdir()))):
        raise errors.BackupTargetNotEmpty(path=str(path))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # an existing empty directory keeps no group or world access


def _parent_warnings(path: Path) -> list[str]:
    mode = os.stat(path.parent).st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH) and not mode & stat.S_ISVTX:
        return [f"{path.parent} is writable by other users: they could replace or rename the "
                "backup. Keep backups in a directory only the instance's user can write to."]
    return []


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
    if vendor == "postgresql":
        _pg_env()  # an option the tools cannot be given: refused before anything is written
    umask = os.umask(0o077)  # every file and directory written: the operator's user only
    try:
        return _backup(target, vendor)
    finally:
        os.umask(umask)


def _backup(target: Path, vendor: str) -> dict:
    _empty_dir(target)
    warnings = _parent_warnings(target)
    started = clock.now()
    database = target / FILES[vendor]
    try:
        _dump_database(vendor, database)
    except Exception:
        database.unlink(missing_ok=True)  # the directory stays empty: try again into it
        raise
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
    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode()
    (target / MANIFEST).write_bytes(manifest_bytes)
    sums.append((hashlib.sha256(manifest_bytes).hexdigest(), MANIFEST))
    sums_bytes = "".join(f"{digest}  {name}\n" for digest, name in sums).encode()
    (target / SUMS).write_bytes(sums_bytes)
    (target / SIGNATURE).write_text(sign(sums_bytes))
    return {**manifest, "warnings": warnings}


# --- Restore --------------------------------------------------------------------------------


def _members(source: Path, invalid) -> set[str]:
    """The backup's regular files, by name; anything else in it (a symlink, a device, a name
    of no backup) is refused."""
    fixed = {*FILES.values(), MANIFEST, SUMS, SIGNATURE}
    found = set()
    for directory, dirnames, filenames in os.walk(source, followlinks=False):
        relative = Path(directory).relative_to(source)
        depth = 0 if relative == Path(".") else len(relative.parts)
        for name in [*dirnames, *filenames]:
            member = (relative / name).as_posix()
            mode = os.lstat(Path(directory) / name).st_mode
            if stat.S_ISLNK(mode):
                raise invalid(f"{member} is a symbolic link")
            if stat.S_ISDIR(mode):
                if not (depth == 0 and name == "blobs" or depth in (1, 2)
                        and re.fullmatch(r"[0-9a-f]{2}", name)):
                    raise invalid(f"{member}: no such directory in a backup")
            elif not stat.S_ISREG(mode):
                raise invalid(f"{member} is not a regular file")
            elif not (depth == 0 and name in fixed or BLOB_NAME.fullmatch(member)):
                raise invalid(f"{member}: no such file in a backup")
            else:
                found.add(member)
    return found


def _check_signature(source: Path, sums: bytes, members: set[str],
                     trust_unsigned: bool) -> str:
    """'verified', or (trust_unsigned) why the signature was not checked."""
    if SIGNATURE not in members:
        reason = f"{SIGNATURE} is missing"
    else:
        with _open_member(source / SIGNATURE) as fh:
            line = fh.read(200).decode("ascii", "replace").strip()
        found = _SIGNATURE_LINE.fullmatch(line)
        if not found:
            raise errors.RestoreSignatureMismatch(path=str(source))
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        for secret in secrets:
            if _key_id(secret) == found.group(1):
                if not constant_time_compare(sign(sums, secret).strip(), line):
                    raise errors.RestoreSignatureMismatch(path=str(source))
                return "verified"
        reason = f"{SIGNATURE} was made with another secret key than this instance's"
    if not trust_unsigned:
        raise errors.RestoreUnsigned(path=str(source), reason=reason)
    return reason


def _read_backup(source: Path, trust_unsigned: bool = False
                 ) -> tuple[dict, list[tuple[str, str]], str]:
    """The manifest, the files to restore (database first) and the signature's state, once
    every check passed."""
    def invalid(reason: str):
        return errors.RestoreInvalid(path=str(source), reason=reason)

    if not source.is_dir():
        raise invalid("not a directory")
    members = _members(source, invalid)
    if SUMS not in members or MANIFEST not in members:
        raise invalid(f"{MANIFEST} or {SUMS} missing")
    with _open_member(source / SUMS) as fh:
        sums_bytes = fh.read()  # parsed, signed and checked from these very bytes
    signature = _check_signature(source, sums_bytes, members, trust_unsigned)
    try:
        lines = sums_bytes.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise invalid(f"{SUMS} unreadable") from None
    sums, listed = [], set()
    for line in lines:
        digest, _, name = line.partition("  ")
        blob = BLOB_NAME.fullmatch(name)
        if (not storage.SHA256.fullmatch(digest) or name in listed
                or not (name in FILES.values() or name == MANIFEST or blob)
                or blob and (blob.group(3) != digest
                             or (blob.group(1), blob.group(2)) != (digest[:2], digest[2:4]))):
            raise invalid(f"{SUMS}: unreadable line {line[:80]!r}")
        listed.add(name)
        sums.append((digest, name))
    unlisted = members - listed - {SUMS, SIGNATURE, MANIFEST}
    if unlisted:
        raise invalid(f"{sorted(unlisted)[0]} is not in {SUMS}")
    for digest, name in sums:
        path = source / name
        if name not in members or not path.resolve().is_relative_to(source):
            raise invalid(f"{name} is missing")
        if _hash_file(path) != digest:
            raise invalid(f"{name} does not match its SHA-256 (changed or damaged)")
    try:
        with _open_member(source / MANIFEST) as fh:
            manifest_bytes = fh.read()
        manifest = json.loads(manifest_bytes)
    except (OSError, ValueError) as exc:
        raise invalid(f"{MANIFEST} unreadable ({exc.__class__.__name__})") from None
    if MANIFEST in listed and hashlib.sha256(manifest_bytes).hexdigest() != dict(
            (n, d) for d, n in sums)[MANIFEST]:
        raise invalid(f"{MANIFEST} changed")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise invalid(f"{MANIFEST} is not a {FORMAT} manifest")
    database = manifest.get("database") or {}
    databases = [name for _, name in sums if name in FILES.values()]
    if (database.get("vendor") not in FILES or not sums
            or databases != [FILES[database["vendor"]]] or sums[0][1] != databases[0]):
        raise invalid(f"{MANIFEST} names no database file")
    files = [sums[0]] + [(digest, name) for digest, name in sums[1:] if name != MANIFEST]
    return manifest, files, signature


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
        # The database is PGDATABASE's (_pg_env): --dbname is an empty URI, so that a name
        # with « = » is never read as a connection string.
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", "--no-password", "--dbname=postgresql://", str(path)])
        connection.close()


def restore(source, *, trust_unsigned: bool = False) -> dict:
    """Restore the backup in `source` into this (empty) instance; return its manifest, the
    counts restored and the signature's state ('verified', or why it was not checked when
    `trust_unsigned`)."""
    source = Path(source).resolve()
    # every byte checked before anything is written
    manifest, sums, signature = _read_backup(source, trust_unsigned)
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
        with _open_member(source / name) as fh:
            blob = storage.put(fh)
        if blob.sha256 != digest:  # changed since it was checked above
            raise errors.RestoreInvalid(path=str(source), reason=f"{name} changed")
        restored += 1
        size += blob.size
    return {"manifest": manifest, "files": restored, "bytes": size, "signature": signature}
