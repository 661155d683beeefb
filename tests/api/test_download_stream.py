"""telecharger/groupe answers a download of up to 120 MB: its JSON is written while it is sent
(envelope.ok_with_file), the file never whole in memory; what a client reads is the same JSON
as any answer, and a stored file that no longer matches its fingerprint is refused with a code,
nothing marked downloaded."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
from django.core.files.storage import storages

from choeur.api.envelope import BASE64_CHUNK, ok_with_file
from choeur.invoicing.models import Invoice
from tests.api.test_factures_scenario import deposit_invoice

pytestmark = pytest.mark.django_db


class Trickle(io.BytesIO):
    """A file whose reads return less than asked (as a pipe or a socket may)."""

    def read(self, size=-1):
        return super().read(min(size, 1000) if size and size > 0 else size)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, BASE64_CHUNK - 1, BASE64_CHUNK,
                                  BASE64_CHUNK + 1, 2 * BASE64_CHUNK + 2])
@pytest.mark.parametrize("source", [io.BytesIO, Trickle])
def test_the_streamed_answer_is_the_json_of_the_whole_file(size, source):
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    response = ok_with_file("fichierResultat", source(data))
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(content) == {"codeRetour": 0, "libelle": "TRA_MSG_00.000",
                                   "fichierResultat": base64.b64encode(data).decode()}


def test_a_group_download_is_streamed_and_marks_the_invoices(wire, buyer_wire, buyer):
    ids = [deposit_invoice(wire, buyer, number) for number in ("F-1", "F-2")]
    response = buyer_wire.post("factures/v1/telecharger/groupe", {
        "format": "ZIP", "listeFacture": [{"idFacture": i} for i in ids]})
    assert response.status_code == 200 and response.streamed
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(response.json()["fichierResultat"])))
    assert len(archive.namelist()) == 2 and archive.testzip() is None
    assert all(Invoice.objects.get(pk=i).downloaded_by_recipient for i in ids)


def test_a_corrupted_stored_file_is_refused_and_nothing_is_marked(wire, buyer_wire, buyer):
    from choeur.core.models import Blob

    invoice_id = deposit_invoice(wire, buyer, "F-1")
    invoice = Invoice.objects.get(pk=invoice_id)
    blob = Blob.objects.get(pk=invoice.main_file_sha256)
    with open(storages["blobs"].path(blob.storage_name), "wb") as fh:
        fh.write(b"%PDF-1.4 tampered")
    response = buyer_wire.post("factures/v1/telecharger/groupe", {
        "format": "PDF", "listeFacture": [{"idFacture": invoice_id}]})
    assert response.status_code == 500
    assert "CORE_BLOB_CORRUPTED" in response.json()["libelle"]
    assert not Invoice.objects.get(pk=invoice_id).downloaded_by_recipient


def test_a_corrupted_file_in_the_middle_of_a_zip_undoes_everything(wire, buyer_wire, buyer):
    from choeur.core.models import Blob

    ids = [deposit_invoice(wire, buyer, number) for number in ("F-1", "F-2")]
    second = Invoice.objects.get(pk=ids[1])
    blob = Blob.objects.get(pk=second.main_file_sha256)
    with open(storages["blobs"].path(blob.storage_name), "wb") as fh:
        fh.write(b"%PDF-1.4 tampered")
    response = buyer_wire.post("factures/v1/telecharger/groupe", {
        "format": "ZIP", "listeFacture": [{"idFacture": i} for i in ids]})
    assert response.status_code == 500
    assert "CORE_BLOB_CORRUPTED" in response.json()["libelle"]
    assert not Invoice.objects.filter(pk__in=ids, downloaded_by_recipient=True).exists()


def test_the_zip_members_are_dated_when_made(wire, buyer_wire, buyer, frozen_now):
    invoice_id = deposit_invoice(wire, buyer, "F-1")
    body = buyer_wire.post("factures/v1/telecharger/groupe", {
        "format": "ZIP", "listeFacture": [{"idFacture": invoice_id}]}).json()
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"])))
    assert [member.date_time for member in archive.infolist()] == [(2026, 3, 10, 10, 30, 0)]
