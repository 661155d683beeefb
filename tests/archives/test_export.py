"""`choeur archive export`: a zip checked without Choeur (sha256sum, a stdlib script)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from choeur.archives import errors, export
from choeur.cli import main
from choeur.core.models import AuditEvent, LedgerEntry
from tests.archives.conftest import deposit

pytestmark = pytest.mark.django_db

ONE_LINER = "unzip -q export.zip -d export && (cd export && sha256sum -c SHA256SUMS)"


def verify_script(path) -> str:
    """The Python script VERIFY.md prints, taken from the zip as a reader would."""
    with zipfile.ZipFile(path) as archive:
        text = archive.read("VERIFY.md").decode()
    assert ONE_LINER in text
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def checks(workdir) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """VERIFY.md's two checks, run in `workdir` (which holds export.zip)."""
    files = subprocess.run(["sh", "-c", ONE_LINER], cwd=workdir, capture_output=True,
                           text=True, check=False)
    chains = subprocess.run([sys.executable, "-c", verify_script(workdir / "export.zip")],
                            cwd=workdir / "export", capture_output=True, text=True,
                            check=False)
    return files, chains


def rezip(source, target, change) -> None:
    """Copy a zip with one member changed by `change(name, data) -> data`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))


def test_structure_export_checks_with_standard_tools(invoices, supplier, tmp_path):
    paid, pending = invoices
    output = tmp_path / "export.zip"
    assert main(["archive", "export", "--structure", supplier.identifier,
                 "--output", str(output)]) == 0
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        data = json.loads(archive.read("invoices.json"))
        records = [json.loads(line) for line in archive.read("records.jsonl").splitlines()]
    wanted = {paid.main_file_sha256, paid.certificate_sha256, pending.main_file_sha256,
              pending.certificate_sha256, paid.attachments.get().sha256}
    assert "" not in wanted
    assert {f"files/{sha}" for sha in wanted} | {
        "invoices.json", "records.jsonl", "manifest.json", "VERIFY.md", "SHA256SUMS"} == names
    assert [i["number"] for i in data] == ["FA-2026-0001", "FA-2026-0002"]
    assert data[0]["status"] == "MISE_EN_PAIEMENT"
    assert data[0]["files"]["attachments"][0]["name"] == "bon-de-livraison.txt"
    stored = LedgerEntry.objects.filter(object_type="invoicing.invoice",
                                        object_id__in=[str(paid.pk), str(pending.pk)])
    assert len(records) == stored.count() > 0
    assert {r["hash"] for r in records} == set(stored.values_list("hash", flat=True))
    assert manifest["counts"] == {"invoices": 2, "records": len(records), "files": 5,
                                  "file_bytes": manifest["counts"]["file_bytes"]}
    assert manifest["generated_by"].startswith("cli")
    assert manifest["scope"]["structure"]["identifier"] == supplier.identifier

    files, chains = checks(tmp_path)
    assert files.returncode == 0, files.stdout + files.stderr
    assert chains.returncode == 0, chains.stdout + chains.stderr
    assert "2 chain(s), 0 problem(s)" in chains.stdout
    assert AuditEvent.objects.filter(action="archives.exported").count() == 1


def test_tampering_a_member_is_detected(invoices, supplier, tmp_path):
    paid, _pending = invoices
    original = tmp_path / "original.zip"
    assert main(["archive", "export", "--structure", supplier.identifier,
                 "--output", str(original)]) == 0

    # A file changed: sha256sum says so.
    work = tmp_path / "file"
    work.mkdir()
    certificate = f"files/{paid.certificate_sha256}"
    rezip(original, work / "export.zip",
          lambda name, data: data + b"%" if name == certificate else data)
    files, _chains = checks(work)
    assert files.returncode != 0 and f"{certificate}: FAILED" in files.stdout

    # A history entry changed and SHA256SUMS rewritten to match: the chain check says so.
    work = tmp_path / "history"
    work.mkdir()

    def forge(name, data):
        if name == "records.jsonl":
            return data.replace(b"MISE_EN_PAIEMENT", b"REJETEE", 1)
        return data

    rezip(original, work / "export.zip", forge)
    with zipfile.ZipFile(work / "export.zip") as archive:
        sums = "".join(f"{hashlib.sha256(archive.read(n)).hexdigest()}  {n}\n"
                       for n in archive.namelist() if n != "SHA256SUMS")
    rezip(work / "export.zip", work / "forged.zip",
          lambda name, data: sums.encode() if name == "SHA256SUMS" else data)
    (work / "forged.zip").replace(work / "export.zip")
    files, chains = checks(work)
    assert files.returncode == 0
    assert chains.returncode == 1 and f"BROKEN invoicing.invoice:{paid.pk}" in chains.stdout


def test_one_invoice_and_a_period(invoices, supplier, tmp_path, capsys):
    paid, _pending = invoices
    output = tmp_path / "one.zip"
    assert main(["archive", "export", "--invoice", str(paid.pk), "--output", str(output)]) == 0
    with zipfile.ZipFile(output) as archive:
        assert [i["id"] for i in json.loads(archive.read("invoices.json"))] == [paid.pk]
        assert {json.loads(line)["object_id"]
                for line in archive.read("records.jsonl").splitlines()} == {str(paid.pk)}
    day = paid.deposited_at.date()
    later = tmp_path / "later.zip"
    assert main(["archive", "export", "--structure", supplier.identifier, "--from",
                 (day.replace(year=day.year + 1)).isoformat(), "--output", str(later)]) == 0
    with zipfile.ZipFile(later) as archive:
        assert json.loads(archive.read("invoices.json")) == []


@pytest.mark.parametrize("args, code", [
    (["--invoice", "999999"], "ARCH_INVOICE_NOT_FOUND"),
    (["--invoice", "abc"], "ARCH_INVOICE_NOT_FOUND"),
    (["--structure", "00000000000000"], "ARCH_STRUCTURE_NOT_FOUND"),
    (["--structure", "SUPPLIER", "--from", "2026-03-31", "--to", "2026-03-01"],
     "ARCH_PERIOD_INVALID"),
    (["--structure", "SUPPLIER", "--from", "31/03/2026"], "ARCH_DATE_INVALID"),
    (["--invoice", "1", "--from", "2026-03-01"], "ARCH_EXPORT_SCOPE"),
])
def test_bad_requests_write_nothing(invoices, supplier, tmp_path, capsys, args, code):
    args = [supplier.identifier if a == "SUPPLIER" else a for a in args]
    out = tmp_path / "out"
    out.mkdir()
    assert main(["archive", "export", *args, "--output", str(out / "export.zip")]) == 1
    assert code in capsys.readouterr().err
    assert list(out.iterdir()) == []
    assert not AuditEvent.objects.filter(action="archives.exported").exists()


def test_a_damaged_file_stops_the_export_and_leaves_nothing(invoices, supplier, tmp_path,
                                                             settings, capsys):
    paid, _pending = invoices
    location = settings.STORAGES["blobs"]["OPTIONS"]["location"]
    name = location / "blobs" / paid.main_file_sha256[:2] / paid.main_file_sha256[2:4] / \
        paid.main_file_sha256
    name.chmod(0o600)
    name.write_bytes(b"not the original")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["archive", "export", "--structure", supplier.identifier,
                 "--output", str(out / "export.zip")]) == 1
    assert "CORE_BLOB" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_large_files_are_streamed(supplier_user, supplier, bank_account, recipient, tmp_path,
                                  monkeypatch):
    """A file is copied into the zip a chunk at a time: never read whole."""
    from choeur.core import storage

    invoice = deposit(supplier_user, supplier, bank_account, "FA-2026-0100",
                      attachments=[("gros.txt", b"x" * (3 * storage.CHUNK + 5))])
    biggest = []
    original = storage.open_blob

    class Measured:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            assert size is not None and size > 0, "a whole-file read"
            data = self.handle.read(size)
            biggest.append(len(data))
            return data

    def spying(sha256):
        return Measured(original(sha256))

    monkeypatch.setattr(storage, "open_blob", spying)
    with open(tmp_path / "export.zip", "wb") as fh:
        export.write(export.Scope(invoice_id=invoice.pk), fh, by="test")
    assert biggest and max(biggest) <= storage.CHUNK


def test_scope_errors_are_coded():
    with pytest.raises(errors.ExportScopeRequired):
        export.operator_scope()
    assert shutil.which("sha256sum") and shutil.which("unzip")
