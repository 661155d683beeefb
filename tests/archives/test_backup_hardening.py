"""`choeur backup` / `choeur restore` hardening (review 18): a restore reads nothing but the
backup's own regular files, the sums are signed with the instance's secret key, a backup is
its user's only, and pg_dump / pg_restore connect exactly as the instance does."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from choeur.archives import backup, errors
from choeur.core.models import Blob
from tests.archives.test_backup import choeur, fresh_instance, read_back, world  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

_real_pg_env = backup._pg_env
OTHER_KEY = "another-instance-secret-key-0123456789-abcdef"


def resum(target: Path) -> None:
    """What someone who can write to the backup store would do after changing a file: the
    sums made again (the signature, they cannot make)."""
    lines = []
    for line in (target / "SHA256SUMS").read_text().splitlines():
        _digest, _, name = line.partition("  ")
        lines.append(f"{hashlib.sha256((target / name).read_bytes()).hexdigest()}  {name}\n")
    (target / "SHA256SUMS").write_text("".join(lines))


def add_listed(target: Path, name: str, content: bytes, digest: str | None = None) -> None:
    """A file added and listed in the sums; the signature removed, the restores below being
    --trust-unsigned ones: these checks hold even then."""
    (target / "SHA256SUMS.hmac").unlink(missing_ok=True)
    path = target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    digest = digest or hashlib.sha256(content).hexdigest()
    with open(target / "SHA256SUMS", "a") as fh:
        fh.write(f"{digest}  {name}\n")


def assert_nothing_restored(env) -> None:
    data_dir = env["CHOEUR_DATA_DIR"]
    assert not os.path.exists(os.path.join(data_dir, "files", "blobs"))
    if connection.vendor == "sqlite":
        database = os.path.join(data_dir, "choeur.sqlite3")
        assert not os.path.exists(database) or os.path.getsize(database) == 0


# --- 1. Nothing but the backup's own regular files -------------------------------------------


def test_restore_refuses_a_symlink_leaving_the_backup(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    outside = tmp_path / "outside-secret.txt"
    outside.write_bytes(b"a file of the restoring host, outside the backup\n")
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()
    link = target / "blobs" / digest[:2] / digest[2:4]
    link.mkdir(parents=True, exist_ok=True)
    (link / digest).symlink_to(outside)
    with open(target / "SHA256SUMS", "a") as fh:
        fh.write(f"{digest}  blobs/{digest[:2]}/{digest[2:4]}/{digest}\n")
    with fresh_instance(tmp_path) as env:
        result = choeur(env, "restore", "--trust-unsigned", str(target))
        assert result.returncode == 1 and "ARCH_RESTORE_INVALID" in result.stderr, result.stdout
        assert "symbolic link" in result.stderr
        assert_nothing_restored(env)


def test_restore_refuses_a_symlinked_directory(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    elsewhere = tmp_path / "elsewhere"
    first = next((target / "blobs").iterdir())
    first.rename(elsewhere)
    first.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(errors.RestoreInvalid, match="symbolic link"):
        backup.restore(target, trust_unsigned=True)


def test_restore_refuses_a_symlinked_database(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    database = next(target.glob("database.*"))
    moved = tmp_path / "db-elsewhere"
    database.rename(moved)
    database.symlink_to(moved)
    with pytest.raises(errors.RestoreInvalid, match="symbolic link"):
        backup.restore(target)


@pytest.mark.parametrize(("name", "reason"), [
    ("notes.txt", "no such file"), ("blobs/ab/cd/readme", "no such file"),
    ("etc/passwd", "no such directory"), ("blobs/ab/cd/ef/" + "0" * 64, "no such directory"),
    ("blobs/00/00/" + "0" * 64, "unreadable line"), ("SHA256SUMS", "unreadable line")])
def test_restore_refuses_a_name_of_no_backup(world, tmp_path, name, reason):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    if name == "SHA256SUMS":  # listed in itself
        (target / "SHA256SUMS.hmac").unlink()
        with open(target / name, "a") as fh:
            fh.write(f"{'0' * 64}  SHA256SUMS\n")
    else:
        add_listed(target, name, b"anything\n")
    with pytest.raises(errors.RestoreInvalid, match=reason):
        backup.restore(target, trust_unsigned=True)


def test_restore_refuses_a_file_not_listed_or_the_other_database(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    (target / "unlisted.sqlite3").write_bytes(b"x")
    with pytest.raises(errors.RestoreInvalid, match="no such file"):
        backup.restore(target, trust_unsigned=True)
    (target / "unlisted.sqlite3").unlink()
    other = "database.pgdump" if connection.vendor == "sqlite" else "database.sqlite3"
    add_listed(target, other, b"-- SQL of someone else\n")
    with pytest.raises(errors.RestoreInvalid, match="names no database"):
        backup.restore(target, trust_unsigned=True)


def test_restore_refuses_a_blob_whose_name_is_not_its_digest(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    content = b"not what the name says\n"
    name_digest = hashlib.sha256(b"something else").hexdigest()
    # The line's digest is the file's, but the name is another file's.
    add_listed(target, f"blobs/{name_digest[:2]}/{name_digest[2:4]}/{name_digest}", content,
               digest=hashlib.sha256(content).hexdigest())
    with pytest.raises(errors.RestoreInvalid, match="unreadable line"):
        backup.restore(target, trust_unsigned=True)


# --- 2. The sums are signed with the secret key ----------------------------------------------


def test_a_backup_is_signed_and_a_rewritten_database_is_refused(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    sums = (target / "SHA256SUMS").read_bytes()
    assert (target / "SHA256SUMS.hmac").read_text() == backup.sign(sums)
    assert b"  manifest.json\n" in sums
    # Someone who can write to the backup store rewrites the database and the sums.
    database = next(target.glob("database.*"))
    data = bytearray(database.read_bytes())
    data[-1] ^= 0xFF
    database.write_bytes(bytes(data))
    resum(target)
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=target,
                          check=False).returncode == 0  # the sums alone do not see it
    for trust in (False, True):  # made with this instance's key: never restored
        with pytest.raises(errors.RestoreSignatureMismatch):
            backup.restore(target, trust_unsigned=trust)
    with fresh_instance(tmp_path) as env:
        result = choeur(env, "restore", "--trust-unsigned", str(target))
        assert result.returncode == 1
        assert "ARCH_RESTORE_SIGNATURE_MISMATCH" in result.stderr
        assert_nothing_restored(env)


def test_a_rewritten_manifest_is_refused(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    manifest = target / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"count"', '"count" ', 1))
    with pytest.raises(errors.RestoreInvalid, match="manifest.json does not match"):
        backup.restore(target)


def test_an_unsigned_backup_needs_trust_unsigned(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    (target / "SHA256SUMS.hmac").unlink()
    with pytest.raises(errors.RestoreUnsigned, match="missing"):
        backup.restore(target)
    # With the option, the checks pass; this instance being full, nothing is restored.
    with pytest.raises(errors.RestoreTargetNotEmpty):
        backup.restore(target, trust_unsigned=True)


def test_another_instance_s_key_needs_trust_unsigned(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    with override_settings(SECRET_KEY=OTHER_KEY):
        with pytest.raises(errors.RestoreUnsigned, match="another secret key"):
            backup.restore(target)
        with pytest.raises(errors.RestoreTargetNotEmpty):
            backup.restore(target, trust_unsigned=True)
    # A rotated key kept in SECRET_KEY_FALLBACKS still checks it.
    from django.conf import settings
    with override_settings(SECRET_KEY=OTHER_KEY, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        with pytest.raises(errors.RestoreTargetNotEmpty):
            backup.restore(target)


def test_restore_on_a_new_machine_with_another_key(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    backup.backup(target)
    expected_blobs = sorted(Blob.objects.values_list("sha256", flat=True))
    with fresh_instance(tmp_path) as env:
        env["CHOEUR_SECRET_KEY"] = OTHER_KEY
        refused = choeur(env, "restore", str(target))
        assert refused.returncode == 1 and "ARCH_RESTORE_UNSIGNED" in refused.stderr
        assert "--trust-unsigned" in refused.stderr
        assert_nothing_restored(env)
        done = choeur(env, "restore", "--trust-unsigned", str(target))
        assert done.returncode == 0, done.stderr
        assert "signature not checked" in done.stderr
        assert choeur(env, "migrate").returncode == 0
        back = read_back(env)
        assert back["blobs"] == expected_blobs and back["verified"]


# --- 3. A backup is its user's only ----------------------------------------------------------


def test_backup_into_an_existing_empty_directory_is_not_world_readable(world, tmp_path):  # noqa: F811
    target = tmp_path / "backup"
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)  # noqa: S103 (the case under test)
    umask = os.umask(0o022)
    try:
        manifest = backup.backup(target)
        assert os.umask(0o022) == 0o022  # the process's umask is given back
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o700
    modes = {str(path.relative_to(target)): stat.S_IMODE(os.lstat(path).st_mode)
             for path in target.rglob("*")}
    assert modes and all(mode == (0o700 if (target / name).is_dir() else 0o600)
                         for name, mode in modes.items()), modes
    assert manifest["warnings"] == []


def test_a_parent_writable_by_others_is_warned_about(world, tmp_path):  # noqa: F811
    parent = tmp_path / "shared"
    parent.mkdir()
    os.chmod(parent, 0o777)  # noqa: S103 (the case under test)
    manifest = backup.backup(parent / "backup")
    assert len(manifest["warnings"]) == 1 and "writable by other users" in manifest["warnings"][0]
    os.chmod(parent, 0o1777)  # noqa: S103 — the sticky bit: others cannot rename or replace it
    assert backup.backup(parent / "backup2")["warnings"] == []


# --- 4. pg_dump / pg_restore connect as the instance does ------------------------------------


PG_SETTINGS = {
    "NAME": "choeur dbname=evil host=attacker", "USER": "choeur", "PASSWORD": "s3cret=x y",
    "HOST": "db.example", "PORT": 5433,
    "OPTIONS": {"sslmode": "verify-full", "sslrootcert": "/etc/ssl/ca.pem",
                "sslcert": "/etc/ssl/c.pem", "sslkey": "/etc/ssl/c.key",
                "options": "-c statement_timeout=0", "connect_timeout": 5,
                "application_name": "choeur", "target_session_attrs": "read-write",
                "keepalives": 1, "isolation_level": 1},
}


def test_every_connection_option_reaches_the_tools():
    env = backup._pg_env(PG_SETTINGS)
    assert {key: env[key] for key in (
        "PGDATABASE", "PGUSER", "PGPASSWORD", "PGHOST", "PGPORT", "PGSSLMODE", "PGSSLROOTCERT",
        "PGSSLCERT", "PGSSLKEY", "PGOPTIONS", "PGCONNECT_TIMEOUT", "PGAPPNAME",
        "PGTARGETSESSIONATTRS")} == {
        "PGDATABASE": "choeur dbname=evil host=attacker", "PGUSER": "choeur",
        "PGPASSWORD": "s3cret=x y", "PGHOST": "db.example", "PGPORT": "5433",
        "PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/etc/ssl/ca.pem",
        "PGSSLCERT": "/etc/ssl/c.pem", "PGSSLKEY": "/etc/ssl/c.key",
        "PGOPTIONS": "-c statement_timeout=0", "PGCONNECT_TIMEOUT": "5",
        "PGAPPNAME": "choeur", "PGTARGETSESSIONATTRS": "read-write"}
    with pytest.raises(errors.BackupFailed, match="sslpassword"):
        backup._pg_env({**PG_SETTINGS, "OPTIONS": {"sslpassword": "x"}})


def test_the_database_name_and_password_are_never_on_the_command_line(monkeypatch, tmp_path):
    seen = []

    def run(command, env, **kwargs):
        seen.append((command, env))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", run)
    monkeypatch.setattr(backup, "_tool", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup, "_pg_env", lambda: _real_pg_env(PG_SETTINGS))
    backup._dump_database("postgresql", tmp_path / "database.pgdump")
    monkeypatch.setattr(backup.connection, "close", lambda: None)
    backup._restore_database("postgresql", tmp_path / "database.pgdump")
    assert [Path(command[0]).name for command, _env in seen] == ["pg_dump", "pg_restore"]
    for command, env in seen:
        line = " ".join(command)
        assert "evil" not in line and "s3cret" not in line and "choeur dbname" not in line
        assert env["PGDATABASE"] == PG_SETTINGS["NAME"] and env["PGSSLMODE"] == "verify-full"
    assert "--dbname=postgresql://" in seen[1][0]


@pytest.mark.skipif(not os.environ.get("CHOEUR_DATABASE_URL", "").startswith("postgres"),
                    reason="needs PostgreSQL (CHOEUR_DATABASE_URL)")
def test_pg_dump_gets_the_url_s_sslmode(tmp_path):
    """On a server without SSL, sslmode=require makes pg_dump fail: the option reached it."""
    env = {**os.environ, "CHOEUR_DATABASE_URL": connection_url() + "?sslmode=require"}
    result = choeur(env, "backup", "--output", str(tmp_path / "backup"))
    assert result.returncode == 1 and "ARCH_BACKUP_FAILED" in result.stderr
    assert "pg_dump" in result.stderr and "SSL" in result.stderr, result.stderr
    assert not any((tmp_path / "backup").iterdir())  # empty: the same directory can be used again


def connection_url() -> str:
    from urllib.parse import urlsplit
    url = urlsplit(os.environ["CHOEUR_DATABASE_URL"])
    return url._replace(path=f"/{connection.settings_dict['NAME']}", query="").geturl()
