"""The « Archives » page of a structure: its gestionnaires ask for the export, the worker
makes it, its requester is notified, and the structure's gestionnaires download it for 7 days;
anyone else gets the same not-found answer, and nothing is queued or written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from choeur.archives import services
from choeur.archives.models import ArchiveExport, ExportStatus
from choeur.core import clock
from choeur.core.models import AuditEvent
from choeur.core.worker import run_ready
from choeur.messaging.models import Notification
from choeur.organisations import services as org
from tests.archives.conftest import run
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db

PREPARING = "Votre export est en préparation : vous serez notifié quand il sera prêt."


def url(structure_id) -> str:
    return f"/structures/{structure_id}/archives/"


def download_url(structure_id, export_id) -> str:
    return f"/structures/{structure_id}/archives/exports/{export_id}/"


def ask(client, structure_id, data=None) -> ArchiveExport:
    """POST the form: answered at once (a redirect to the page, which says so), one export
    queued; nothing written yet."""
    response = client.post(url(structure_id), data or {}, follow=True)
    assert response.status_code == 200, response.content[:500]
    assert response.redirect_chain == [(url(structure_id), 302)]
    assert PREPARING in response.content.decode()
    return ArchiveExport.objects.latest("pk")


def made(row: ArchiveExport) -> ArchiveExport:
    """The worker runs the queued task."""
    assert row.status == ExportStatus.QUEUED
    run_ready()
    row.refresh_from_db()
    return row


def exported(response, row: ArchiveExport) -> dict:
    assert response.status_code == 200, response.content[:500]
    assert response.streaming and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    assert row.file_name in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert len(data) == row.size and hashlib.sha256(data).hexdigest() == row.sha256
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sums = dict(reversed(line.split("  ", 1))
                    for line in archive.read("SHA256SUMS").decode().splitlines())
        assert set(sums) == set(archive.namelist()) - {"SHA256SUMS"}
        for name, digest in sums.items():  # as `sha256sum -c SHA256SUMS` does
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        return {"invoices": json.loads(archive.read("invoices.json")),
                "manifest": json.loads(archive.read("manifest.json")),
                "names": archive.namelist()}


def test_gestionnaire_asks_is_notified_and_downloads(client, invoices, supplier, supplier_user,
                                                     _exports_dir):
    client.force_login(supplier_user)
    page = client.get(f"/structures/{supplier.pk}/")
    assert url(supplier.pk).encode() in page.content  # linked from the structure's pages
    page = client.get(url(supplier.pk))
    assert page.status_code == 200 and "2 factures archivées" in page.content.decode()
    assert "Aucun export récent" in page.content.decode()

    row = ask(client, supplier.pk)
    assert (row.structure, row.requested_by, row.start, row.end) == (supplier, supplier_user,
                                                                     None, None)
    assert not _exports_dir.exists() or not any(_exports_dir.iterdir())  # not in the request
    assert not AuditEvent.objects.filter(action="archives.exported").exists()
    page = client.get(url(supplier.pk)).content.decode()
    assert "En attente" in page and download_url(supplier.pk, row.pk) not in page

    row = made(row)
    assert row.status == ExportStatus.READY and row.invoices == 2
    assert row.expires_at == row.ready_at + timedelta(days=7)
    assert [p.name for p in _exports_dir.iterdir()] == [f"{row.pk}.zip"]  # no temporary left
    note = Notification.objects.get(user=supplier_user, kind="archive_export_ready")
    assert note.url == download_url(supplier.pk, row.pk)
    assert supplier.company_name in note.params["structure"]

    page = client.get(url(supplier.pk)).content.decode()
    assert "Prêt" in page and download_url(supplier.pk, row.pk) in page
    got = exported(client.get(note.url), row)
    assert [i["number"] for i in got["invoices"]] == ["FA-2026-0001", "FA-2026-0002"]
    assert all(i["files"]["certificate"] for i in got["invoices"])  # its own deposits
    assert "SHA256SUMS" in got["names"] and "VERIFY.md" in got["names"]
    assert supplier_user.email in got["manifest"]["generated_by"]
    line = AuditEvent.objects.get(action="archives.exported")
    assert line.actor_id == str(supplier_user.pk) and line.object_id == str(supplier.pk)
    assert AuditEvent.objects.filter(action="archives.export_requested").count() == 1
    assert AuditEvent.objects.filter(action="archives.export_downloaded").count() == 1


def test_another_gestionnaire_of_the_structure_downloads_it_too(client, invoices, supplier,
                                                                supplier_user):
    colleague = make_user("comptable@lumiere.fr")
    attached = run(org.attach_user, supplier_user, supplier, colleague.email)
    run(org.set_gestionnaire, supplier_user, supplier, attached.pk, True)
    client.force_login(supplier_user)
    row = made(ask(client, supplier.pk))
    client.force_login(colleague)
    assert len(exported(client.get(download_url(supplier.pk, row.pk)), row)["invoices"]) == 2


def test_the_recipient_side_exports_what_it_received_without_certificates(
        client, invoices, recipient, recipient_user):
    client.force_login(recipient_user)
    row = made(ask(client, recipient.pk))
    got = exported(client.get(download_url(recipient.pk, row.pk)), row)
    assert len(got["invoices"]) == 2
    # The deposit certificate is the supplier's: not in the recipient's export.
    certificates = {f"files/{invoice.certificate_sha256}" for invoice in invoices}
    assert "" not in certificates and not certificates & set(got["names"])
    assert all(i["files"]["certificate"] is None for i in got["invoices"])
    assert got["manifest"]["counts"]["files"] == 3  # two originals, one attachment


def test_period_filter(client, invoices, supplier, supplier_user):
    client.force_login(supplier_user)
    day = invoices[0].deposited_at.astimezone(clock.PARIS).date()  # the portal's days: French
    row = made(ask(client, supplier.pk, {"from": day.isoformat(), "to": day.isoformat()}))
    assert (row.start, row.end) == (day, day)
    assert len(exported(client.get(download_url(supplier.pk, row.pk)), row)["invoices"]) == 2
    row = made(ask(client, supplier.pk, {"to": "2000-01-01"}))
    assert exported(client.get(download_url(supplier.pk, row.pk)), row)["invoices"] == []


@pytest.mark.parametrize("data, code", [
    ({"from": "2026-03-31", "to": "2026-03-01"}, "ARCH_PERIOD_INVALID"),
    ({"from": "31/03/2026"}, "ARCH_DATE_INVALID"),
])
def test_bad_period_is_refused_clearly(client, invoices, supplier, supplier_user, data, code):
    client.force_login(supplier_user)
    response = client.post(url(supplier.pk), data)
    assert response.status_code == 400 and code in response.content.decode()
    assert not ArchiveExport.objects.exists()
    assert not run_ready() and not AuditEvent.objects.filter(action__startswith="archives.")


def test_outsiders_and_plain_users_are_refused_even_with_the_export_id(
        client, invoices, supplier, supplier_user, recipient, recipient_user):
    client.force_login(supplier_user)
    row = made(ask(client, supplier.pk))
    plain = make_user("stagiaire@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, plain.email)
    stranger = make_user("curieux@ailleurs.fr")
    for user in (plain, stranger, recipient_user):
        client.force_login(user)
        for target in (supplier.pk, 999999):
            for response in (client.get(url(target)), client.post(url(target)),
                             client.get(download_url(target, row.pk))):
                assert response.status_code == 404 and not response.streaming
                assert "ARCH_STRUCTURE_NOT_FOUND" in response.content.decode()
    # A gestionnaire of another structure naming this export under its own structure.
    response = client.get(download_url(recipient.pk, row.pk))
    assert response.status_code == 404 and "ARCH_EXPORT_NOT_FOUND" in response.content.decode()
    client.logout()
    assert client.post(url(supplier.pk)).status_code == 302  # to the login page
    assert client.get(download_url(supplier.pk, row.pk)).status_code == 302
    assert ArchiveExport.objects.count() == 1
    assert not AuditEvent.objects.filter(action="archives.export_downloaded").exists()


def test_one_export_at_a_time_per_structure(client, invoices, supplier, supplier_user):
    client.force_login(supplier_user)
    row = ask(client, supplier.pk)
    response = client.post(url(supplier.pk), {})
    assert response.status_code == 409 and "ARCH_EXPORT_RUNNING" in response.content.decode()
    assert ArchiveExport.objects.count() == 1
    # The database says so too (two requests at once).
    with pytest.raises(IntegrityError), transaction.atomic():
        ArchiveExport.objects.create(structure=supplier, requested_by=supplier_user)
    ArchiveExport.objects.filter(pk=row.pk).update(status=ExportStatus.RUNNING)
    assert client.post(url(supplier.pk), {}).status_code == 409
    ArchiveExport.objects.filter(pk=row.pk).update(status=ExportStatus.QUEUED)
    made(row)
    assert ask(client, supplier.pk).pk != row.pk  # once made, another may be asked for


def test_at_most_five_exports_per_user_a_day(client, invoices, supplier, supplier_user):
    client.force_login(supplier_user)
    for _ in range(services.PER_USER_PER_DAY):
        made(ask(client, supplier.pk))
    response = client.post(url(supplier.pk), {})
    assert response.status_code == 429
    assert "ARCH_TOO_MANY_EXPORTS" in response.content.decode()
    assert ArchiveExport.objects.count() == 5 and not run_ready()
    with clock.shifted(timedelta(hours=24, seconds=1)):
        ask(client, supplier.pk)


def test_expired_exports_are_refused_then_removed(client, invoices, supplier, supplier_user,
                                                  _exports_dir):
    client.force_login(supplier_user)
    row = made(ask(client, supplier.pk))
    path = _exports_dir / f"{row.pk}.zip"
    with clock.shifted(timedelta(days=6, hours=23)):
        assert services.remove_expired() == 0 and path.exists()
        assert client.get(download_url(supplier.pk, row.pk)).status_code == 200
    with clock.shifted(timedelta(days=7, seconds=1)):
        response = client.get(download_url(supplier.pk, row.pk))
        assert response.status_code == 404
        assert "ARCH_EXPORT_NOT_FOUND" in response.content.decode()
        page = client.get(url(supplier.pk)).content.decode()
        assert download_url(supplier.pk, row.pk) not in page
        assert services.remove_expired() == 1
    assert not path.exists() and not ArchiveExport.objects.exists()


def test_a_lost_export_is_given_up_and_stray_files_removed(invoices, supplier, supplier_user,
                                                           _exports_dir):
    row = run(services.request_export, supplier_user, supplier.pk)
    _exports_dir.mkdir(parents=True)
    stray = _exports_dir / ".choeur-export-abc.tmp"  # a worker killed while writing
    stray.write_bytes(b"PK")
    with clock.shifted(services.STALE_AFTER + timedelta(minutes=1)):
        services.remove_expired()
        row.refresh_from_db()
        assert (row.status, row.error) == (ExportStatus.FAILED, "ARCH_EXPORT_STALE")
    assert stray.exists()  # young: it may be an export being written
    old = clock.wall_now().timestamp() - services.STALE_AFTER.total_seconds() - 60
    os.utime(stray, (old, old))
    services.remove_expired()
    assert not stray.exists()
    assert services.build(row.pk) == "skipped"  # its task, run late, makes nothing


def test_a_requester_who_is_no_longer_gestionnaire_gets_nothing(client, invoices, supplier,
                                                                supplier_user, _exports_dir):
    colleague = make_user("comptable@lumiere.fr")
    attached = run(org.attach_user, supplier_user, supplier, colleague.email)
    run(org.set_gestionnaire, supplier_user, supplier, attached.pk, True)
    client.force_login(colleague)
    row = ask(client, supplier.pk)
    run(org.set_gestionnaire, supplier_user, supplier, attached.pk, False)
    row = made(row)
    assert (row.status, row.error) == (ExportStatus.FAILED, "ARCH_STRUCTURE_NOT_FOUND")
    assert not _exports_dir.exists() or not any(_exports_dir.iterdir())
    assert Notification.objects.filter(user=colleague, kind="archive_export_failed").exists()
    assert not AuditEvent.objects.filter(action="archives.exported").exists()


def test_a_broken_export_fails_cleanly(client, invoices, supplier, supplier_user, monkeypatch,
                                       _exports_dir):
    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("choeur.archives.export.storage.add_to_zip", broken)
    client.force_login(supplier_user)
    row = ask(client, supplier.pk)
    results = run_ready()
    assert [r.status for r in results if r.task_path.endswith("build_archive_export")] == [
        "FAILED"]  # the worker logs it
    row.refresh_from_db()
    assert (row.status, row.error) == (ExportStatus.FAILED, "ARCH_EXPORT_FAILED")
    assert not any(_exports_dir.iterdir())  # neither the zip nor its temporary file
    assert Notification.objects.filter(user=supplier_user, kind="archive_export_failed").exists()
    assert "ARCH_EXPORT_FAILED" in client.get(url(supplier.pk)).content.decode()
    assert ask(client, supplier.pk).status == ExportStatus.QUEUED  # may be asked for again


def test_an_inactive_structure_keeps_its_archives(client, invoices, supplier, supplier_user):
    run(org.set_structure_active, supplier_user, supplier, False)
    client.force_login(supplier_user)
    page = client.get(url(supplier.pk))
    assert page.status_code == 200 and "désactivée" in page.content.decode()
    row = made(ask(client, supplier.pk))
    assert len(exported(client.get(download_url(supplier.pk, row.pk)), row)["invoices"]) == 2
