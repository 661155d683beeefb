"""The MOE (or the MOA) gives its own PDF as its piece's document instead of the one Choeur
writes: the issue's « ou téléverse son propre document ». The amounts stay those keyed; Choeur's
document (dossier, place, amounts) is kept beside it; a file that is no readable PDF refuses
the piece, nothing saved."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from choeur.core import storage
from choeur.invoicing.models import ModeDepot
from choeur.invoicing.statuses import Status
from choeur.travaux.models import Piece
from tests.invoicing.conftest import pdf_bytes

from .test_portal import _admitting, _as, _detail, text

pytestmark = pytest.mark.django_db


def _post(client, user, dossier, document, admitted="9000,00"):
    return _as(client, user).post(
        reverse("travaux:etat_acompte", args=[dossier.pk]),
        {"etat-comment": "", "etat-document": document, **_admitting("etat", admitted)})


def test_the_moe_gives_its_own_pdf(client, works, deposited, titulaire_user, supplier_user):
    dossier = deposited.dossier
    own = pdf_bytes("État d'acompte n° 3 du maître d'œuvre")
    page = text(_as(client, titulaire_user).get(_detail(dossier)))
    assert 'enctype="multipart/form-data"' in page and "Votre propre document" in page

    response = _post(client, titulaire_user, dossier,
                     SimpleUploadedFile("etat-3.pdf", own, "application/pdf"))
    assert response.status_code == 302
    etat = Piece.objects.get(dossier=dossier, position=2)
    invoice = etat.invoice
    assert invoice.status == Status.MISE_A_DISPOSITION_MOA
    assert invoice.total_ht == D("9000")  # the keyed sums admitted, not the file's
    assert invoice.mode_depot == ModeDepot.DEPOT_PDF_PORTAIL
    assert invoice.main_file_name == "etat-3.pdf"
    assert storage.read(invoice.main_file_sha256) == own
    [generated] = invoice.attachments.all()
    assert generated.name.startswith("choeur-") and invoice.xml_sha256
    assert storage.read(generated.sha256).startswith(b"%PDF")
    # The other parties open that PDF as the piece's document.
    response = _as(client, supplier_user).get(
        reverse("travaux:piece_document", args=[dossier.pk, etat.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]) \
        == own


@pytest.mark.parametrize("content, code", [
    (b"PK\x03\x04 not a pdf", "Ce fichier n'est pas un PDF"),
    (b"%PDF-1.7\n% truncated, no object, no page", "INV_DOCUMENT_UNREADABLE"),
])
def test_a_file_that_is_no_readable_pdf_refuses_the_piece(client, works, deposited,
                                                          titulaire_user, content, code):
    dossier = deposited.dossier
    response = _post(client, titulaire_user, dossier,
                     SimpleUploadedFile("etat.pdf", content, "application/pdf"))
    assert response.status_code == 400
    assert code in text(response)
    assert dossier.pieces.count() == 1
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == Status.MISE_A_DISPOSITION_MOE
