"""The « Archives » page of a structure: its gestionnaires download the export; anyone else
gets the same not-found answer, and nothing is written."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from choeur.core.models import AuditEvent
from choeur.organisations import services as org
from tests.archives.conftest import run
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db


def url(structure_id) -> str:
    return f"/structures/{structure_id}/archives/"


def exported(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    assert response.streaming and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        return {"invoices": json.loads(archive.read("invoices.json")),
                "manifest": json.loads(archive.read("manifest.json")),
                "names": archive.namelist()}


def test_gestionnaire_downloads_the_export_from_the_structure_page(client, invoices, supplier,
                                                                   supplier_user):
    client.force_login(supplier_user)
    page = client.get(f"/structures/{supplier.pk}/")
    assert url(supplier.pk).encode() in page.content  # linked from the structure's pages
    page = client.get(url(supplier.pk))
    assert page.status_code == 200 and "2 factures archivées" in page.content.decode()
    got = exported(client.post(url(supplier.pk), {"from": "", "to": ""}))
    assert [i["number"] for i in got["invoices"]] == ["FA-2026-0001", "FA-2026-0002"]
    assert "SHA256SUMS" in got["names"] and "VERIFY.md" in got["names"]
    assert supplier_user.email in got["manifest"]["generated_by"]
    line = AuditEvent.objects.get(action="archives.exported")
    assert line.actor_id == str(supplier_user.pk) and line.object_id == str(supplier.pk)


def test_the_recipient_side_exports_what_it_received(client, invoices, recipient,
                                                     recipient_user):
    client.force_login(recipient_user)
    got = exported(client.post(url(recipient.pk), {}))
    assert len(got["invoices"]) == 2


def test_period_filter(client, invoices, supplier, supplier_user):
    client.force_login(supplier_user)
    day = invoices[0].deposited_at.date()
    got = exported(client.post(url(supplier.pk), {"from": day.isoformat(),
                                                 "to": day.isoformat()}))
    assert len(got["invoices"]) == 2
    got = exported(client.post(url(supplier.pk), {"to": day.replace(day=1).isoformat()
                                                 if day.day > 1 else "2000-01-01"}))
    assert got["invoices"] == []


@pytest.mark.parametrize("data, code", [
    ({"from": "2026-03-31", "to": "2026-03-01"}, "ARCH_PERIOD_INVALID"),
    ({"from": "31/03/2026"}, "ARCH_DATE_INVALID"),
])
def test_bad_period_is_refused_clearly(client, invoices, supplier, supplier_user, data, code):
    client.force_login(supplier_user)
    response = client.post(url(supplier.pk), data)
    assert response.status_code == 400 and not response.streaming
    assert code in response.content.decode()
    assert not AuditEvent.objects.filter(action="archives.exported").exists()


def test_outsiders_and_plain_users_are_refused(client, invoices, supplier, supplier_user):
    plain = make_user("stagiaire@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, plain.email)
    stranger = make_user("curieux@ailleurs.fr")
    answers = []
    for user in (plain, stranger):
        client.force_login(user)
        for target in (supplier.pk, 999999):
            for method in (client.get, client.post):
                response = method(url(target))
                assert response.status_code == 404 and not response.streaming
                answers.append(response.content.decode().count("ARCH_STRUCTURE_NOT_FOUND"))
    assert all(answers)
    client.logout()
    assert client.post(url(supplier.pk)).status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action="archives.exported").exists()


def test_an_inactive_structure_keeps_its_archives(client, invoices, supplier, supplier_user):
    run(org.set_structure_active, supplier_user, supplier, False)
    client.force_login(supplier_user)
    page = client.get(url(supplier.pk))
    assert page.status_code == 200 and "désactivée" in page.content.decode()
    assert len(exported(client.post(url(supplier.pk)))["invoices"]) == 2
