"""`choeur backup` / `choeur restore`: a backup restored into a fresh instance gives the same
invoices and the same, verified files. On SQLite, and on PostgreSQL when the suite runs there
(CHOEUR_DATABASE_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from choeur.archives import backup, errors
from choeur.core.models import Blob
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from tests.archives.conftest import deposit, process

pytestmark = pytest.mark.django_db(transaction=True)

READ_BACK = """
import json
from choeur.core import storage
from choeur.core.models import Blob
from choeur.invoicing.models import Invoice
print(json.dumps({
    "invoices": sorted(Invoice.objects.values_list("number", "status", "main_file_sha256")),
    "blobs": sorted(Blob.objects.values_list("sha256", flat=True)),
    "verified": all(storage.verify(b) for b in Blob.objects.values_list("sha256", flat=True)),
}))
"""


@contextmanager
def fresh_instance(tmp_path):
    """The environment of a new, empty instance: its own data directory, and on PostgreSQL
    its own (new, empty) database on the same server; the same secret key (kept with the
    configuration, as the README says), so the backup's signature is checked."""
    env = {**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / f"fresh-{uuid.uuid4().hex[:6]}"),
           "CHOEUR_SECRET_KEY": settings.SECRET_KEY}
    env.pop("CHOEUR_CONFIG_FILE", None)
    if connection.vendor != "postgresql":
        env.pop("CHOEUR_DATABASE_URL", None)
        yield env
        return
    name = f"choeur_restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(os.environ["CHOEUR_DATABASE_URL"])
    env["CHOEUR_DATABASE_URL"] = url._replace(path=f"/{name}").geturl()
    try:
        yield env
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def choeur(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "choeur", *args], env=env,
                          capture_output=True, text=True, check=False, timeout=300)


def read_back(env) -> dict:
    result = choeur(env, "manage", "shell", "-c", READ_BACK)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def world(supplier_user, supplier, bank_account, recipient, recipient_user):
    paid = process(recipient_user, deposit(supplier_user, supplier, bank_account,
                                           "FA-2026-0001",
                                           attachments=[("bl.txt", b"Livraison\n")]),
                   Status.MISE_EN_PAIEMENT)
    pending = deposit(supplier_user, supplier, bank_account, "FA-2026-0002")
    return paid, pending


def test_backup_then_restore_into_a_fresh_instance(world, tmp_path):
    target = tmp_path / "backup"
    manifest = backup.backup(target)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["files"]["count"] == Blob.objects.count() >= 5
    assert not manifest["files"]["missing"] and not manifest["files"]["corrupted"]
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=target,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout

    expected = {
        "invoices": sorted([n, s, f] for n, s, f in Invoice.objects.values_list(
            "number", "status", "main_file_sha256")),
        "blobs": sorted(Blob.objects.values_list("sha256", flat=True)),
        "verified": True,
    }
    with fresh_instance(tmp_path) as env:
        result = choeur(env, "restore", str(target))
        assert result.returncode == 0, result.stderr
        assert f"{manifest['files']['count']} file(s)" in result.stdout
        assert choeur(env, "migrate").returncode == 0
        assert read_back(env) == expected

        # A second restore into the instance, now full, is refused.
        again = choeur(env, "restore", str(target))
        assert again.returncode == 1 and "ARCH_RESTORE_NOT_EMPTY" in again.stderr
        assert read_back(env) == expected


def test_a_damaged_backup_restores_nothing(world, tmp_path):
    target = tmp_path / "backup"
    backup.backup(target)
    paid, _pending = world
    damaged = target / Blob(sha256=paid.main_file_sha256, size=0).storage_name
    damaged.write_bytes(damaged.read_bytes() + b"x")
    with fresh_instance(tmp_path) as env:
        result = choeur(env, "restore", str(target))
        assert result.returncode == 1 and "ARCH_RESTORE_INVALID" in result.stderr
        assert "does not match" in result.stderr
        data_dir = env["CHOEUR_DATA_DIR"]
        assert not os.path.exists(os.path.join(data_dir, "files", "blobs"))
        if connection.vendor == "sqlite":
            database = os.path.join(data_dir, "choeur.sqlite3")
            assert not os.path.exists(database) or os.path.getsize(database) == 0


def test_backup_needs_an_empty_directory(db, tmp_path):
    target = tmp_path / "backup"
    target.mkdir()
    (target / "old").write_text("x")
    with pytest.raises(errors.BackupTargetNotEmpty):
        backup.backup(target)
    assert sorted(p.name for p in target.iterdir()) == ["old"]
