"""Files deposited ahead of their invoice through the API: `transverses/v1/ajouter/fichier`
exactly as facture-electronique ([PY-FE], reference §3.3) sends it, `deposer/pdf`, and their
ids in `factures/v1/soumettre` (the list-valued `pieceJointePrincipale` and unknown fields
that client sends). Every PDF is read as the flux channel reads it: a 9-byte `%PDF-1.7`, a
truncated and an encrypted PDF are refused with a code, nothing stored."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest

from choeur.core import clock, storage
from choeur.core.models import Blob
from choeur.invoicing import services
from choeur.invoicing.models import Invoice, UploadedFile
from tests.api.conftest import Wire
from tests.api.test_factures_scenario import deposer_pdf, soumettre_body
from tests.invoicing.conftest import pdf_bytes, unreadable_pdfs

pytestmark = pytest.mark.django_db

UNREADABLE = unreadable_pdfs()


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def ajouter(wire, content: bytes, name="facture.pdf", extension="PDF",
            mime="application/pdf"):
    """`ChorusProAPI.ajouter_fichier_dans_systeme` of facture-electronique: these four
    fields, no idUtilisateurCourant, the extension in capitals as its docstring lists them."""
    return wire.post("transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": b64(content), "pieceJointeNom": name,
        "pieceJointeTypeMime": mime, "pieceJointeExtension": extension})


def uploaded(wire, content: bytes, **kwargs) -> int:
    response = ajouter(wire, content, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["pieceJointeId"]


def nothing_stored() -> bool:
    return not (UploadedFile.objects.exists() or Blob.objects.exists()
                or Invoice.objects.exists())


def refused(response, status: int, code_retour: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["codeRetour"] == code_retour, body
    assert code in body["libelle"], body


# --- ajouter/fichier ----------------------------------------------------------------------------


def test_ajouter_fichier_answers_the_id_facture_electronique_reads(wire, supplier):
    content = pdf_bytes("Facture F-2026-001")
    response = ajouter(wire, content)
    assert response.status_code == 200, response.content
    upload = UploadedFile.objects.get()
    assert response.json() == {"codeRetour": 0, "libelle": "TRA_MSG_00.000",
                                "pieceJointeId": upload.pk}
    assert upload.structure == supplier.structure
    assert upload.technical_account == supplier.account and upload.user is None
    assert (upload.source, upload.name, upload.extension, upload.content_type) == (
        "AJOUTER_FICHIER", "facture.pdf", "pdf", "application/pdf")
    assert upload.size == len(content) and upload.is_pdf
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert storage.read(upload.sha256) == content
    assert upload.expires_at == upload.created_at + timedelta(hours=24)
    assert upload.used_at is None and upload.invoice is None


def test_a_name_without_its_extension_gets_it(wire):
    pk = uploaded(wire, b"<bordereau/>", name="bordereau", extension=".XML",
                  mime="application/xml")
    assert UploadedFile.objects.get(pk=pk).name == "bordereau.xml"


@pytest.mark.parametrize("name, extension, why", [
    ("programme.exe", "exe", "n'est pas admise"),
    ("scan.jpg", "PDF", "contredit l'extension déclarée"),
    ("n" * 51 + ".txt", "txt", "dépasse 50 caractères"),
    ("", "txt", "le nom du fichier est vide"),
])
def test_what_chorus_pro_refuses_as_an_attachment_is_refused(wire, name, extension, why):
    response = ajouter(wire, b"contenu", name=name, extension=extension, mime="text/plain")
    refused(response, 400, 20002, "INV_ATTACHMENT_REFUSED")
    assert why in response.json()["libelle"]
    assert nothing_stored()


def test_a_file_over_10_mb_is_20003(wire):
    response = ajouter(wire, b"x" * (services.MAX_ATTACHMENT + 1), name="gros.txt",
                       extension="txt", mime="text/plain")
    refused(response, 413, 20003, "CORE_FILE_TOO_LARGE")
    assert nothing_stored()


def test_invalid_base64_is_a_coded_error(wire):
    response = wire.post("transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": "pas du base64 !", "pieceJointeNom": "a.txt",
        "pieceJointeExtension": "txt"})
    refused(response, 400, 20002, "API_INVALID_FIELD")
    assert nothing_stored()


# --- Unreadable PDFs, on every API channel --------------------------------------------------


@pytest.mark.parametrize("case", sorted(UNREADABLE))
@pytest.mark.parametrize("operation", ["deposer/pdf", "ajouter/fichier"])
def test_an_unreadable_pdf_is_refused_before_anything_is_stored(wire, case, operation):
    content, finding = UNREADABLE[case]
    if operation == "deposer/pdf":
        response = wire.post("factures/v1/deposer/pdf", {
            "idUtilisateurCourant": 0, "fichierFacture": b64(content),
            "nomFichier": "facture.pdf", "formatDepot": "PDF_NON_SIGNE"})
    else:
        response = ajouter(wire, content)
    refused(response, 400, 20002, "INV_DOCUMENT_UNREADABLE")
    assert f"({finding})" in response.json()["libelle"]
    assert nothing_stored()


def test_the_refusal_speaks_english_when_asked(wire):
    content, _finding = UNREADABLE["encrypted"]
    response = wire.post("transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": b64(content), "pieceJointeNom": "f.pdf",
        "pieceJointeExtension": "pdf"}, headers={"Accept-Language": "en"})
    assert response.json()["libelle"].startswith(
        "INV_DOCUMENT_UNREADABLE - PDF “f.pdf” is refused (PDF_ENCRYPTED): The PDF is "
        "encrypted or password-protected")


@pytest.mark.parametrize("operation", ["deposer/pdf", "ajouter/fichier"])
def test_a_valid_pdf_is_still_accepted(wire, operation):
    pk = (deposer_pdf(wire) if operation == "deposer/pdf"
          else uploaded(wire, pdf_bytes("Facture F-2026-001")))
    upload = UploadedFile.objects.get(pk=pk)
    assert upload.is_pdf
    assert upload.source == ("DEPOSER_PDF" if operation == "deposer/pdf" else "AJOUTER_FICHIER")


def test_an_uploaded_pdf_that_became_unreadable_in_store_is_refused_by_soumettre(
        wire, supplier, buyer, monkeypatch):
    """save_draft reads the main document again (every channel goes through it): a PDF the
    reading refuses never reaches a recipient, whichever way it came."""
    pk = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    from choeur.formats import pdf as pdf_reader
    from choeur.formats.findings import Severity

    def broken(data):
        result = pdf_reader.PdfResult()
        result.findings.append(pdf_reader._finding(
            "PDF_UNREADABLE", Severity.FATAL, "illisible", "unreadable"))
        return result

    monkeypatch.setattr(pdf_reader, "extract_invoice", broken)
    response = wire.post("factures/v1/soumettre", soumettre_body(supplier, buyer, pk))
    refused(response, 400, 20002, "INV_DOCUMENT_UNREADABLE")
    assert not Invoice.objects.exists()
    assert UploadedFile.objects.get(pk=pk).used_at is None


# --- soumettre with uploads -----------------------------------------------------------------


def test_soumettre_takes_uploads_as_facture_electronique_names_them(wire, supplier, buyer):
    main = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    piece = uploaded(wire, b"<bordereau/>", name="bordereau.xml", extension="XML",
                     mime="application/xml")
    body = soumettre_body(supplier, buyer, main, pieceJointeComplementaire=[{
        "pieceJointeComplementaireDesignation": "bordereau.xml",
        "pieceJointeComplementaireType": "AUTRE", "pieceJointeComplementaireId": str(piece),
        "pieceJointeComplementaireNumeroLigneFacture": 0, "extra": "ignored"}],
        adressePostale={"codePostal": "75002"})
    assert isinstance(body["pieceJointePrincipale"], list)  # as the client sends it
    response = wire.post("factures/v1/soumettre", body)
    assert response.status_code == 200, response.content
    invoice = Invoice.objects.get(pk=response.json()["identifiantFactureCPP"])
    main_upload, piece_upload = UploadedFile.objects.get(pk=main), UploadedFile.objects.get(
        pk=piece)
    assert invoice.main_file_sha256 == main_upload.sha256
    assert [(a.name, a.sha256) for a in invoice.attachments.all()] == [
        ("bordereau.xml", piece_upload.sha256)]
    assert main_upload.invoice == invoice and main_upload.used_at is not None
    assert piece_upload.invoice is None and piece_upload.used_at is not None


def test_pieceJointePrincipale_as_the_swagger_object(wire, supplier, buyer):  # noqa: N802
    pk = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    body = soumettre_body(supplier, buyer, pk, pieceJointePrincipale={
        "pieceJointePrincipaleDesignation": "facture.pdf", "pieceJointePrincipaleId": pk})
    response = wire.post("factures/v1/soumettre", body)
    assert response.status_code == 200, response.content
    assert UploadedFile.objects.get(pk=pk).invoice_id == response.json()[
        "identifiantFactureCPP"]


def test_a_main_piece_serves_once_an_attachment_again(wire, supplier, buyer):
    main = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    contract = uploaded(wire, b"contrat", name="contrat.txt", extension="txt",
                        mime="text/plain")
    pieces = [{"pieceJointeComplementaireDesignation": "contrat.txt",
               "pieceJointeComplementaireId": contract}]
    first = wire.post("factures/v1/soumettre", soumettre_body(
        supplier, buyer, main, pieceJointeComplementaire=pieces))
    assert first.status_code == 200, first.content

    again = wire.post("factures/v1/soumettre", soumettre_body(
        supplier, buyer, main, number="F-2026-002", pieceJointeComplementaire=pieces))
    refused(again, 409, 20004, "INV_UPLOAD_ALREADY_USED")
    assert Invoice.objects.count() == 1

    # The contract goes with a second invoice, whose PDF is a new upload.
    other = uploaded(wire, pdf_bytes("Facture F-2026-002"))
    second = wire.post("factures/v1/soumettre", soumettre_body(
        supplier, buyer, other, number="F-2026-002", pieceJointeComplementaire=pieces))
    assert second.status_code == 200, second.content
    assert [a.name for a in Invoice.objects.get(
        pk=second.json()["identifiantFactureCPP"]).attachments.all()] == ["contrat.txt"]


def test_another_structures_upload_is_not_found_and_stays_untouched(client, wire, supplier,
                                                                    buyer, victim):
    theirs = uploaded(Wire(client, victim), pdf_bytes("Facture secrète"))
    mine = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    as_main = wire.post("factures/v1/soumettre", soumettre_body(supplier, buyer, theirs))
    refused(as_main, 404, 20001, "CORE_NOT_FOUND")
    as_piece = wire.post("factures/v1/soumettre", soumettre_body(
        supplier, buyer, mine, pieceJointeComplementaire=[{
            "pieceJointeComplementaireDesignation": "x.pdf",
            "pieceJointeComplementaireId": theirs}]))
    refused(as_piece, 404, 20001, "CORE_NOT_FOUND")
    unknown = wire.post("factures/v1/soumettre", soumettre_body(supplier, buyer, 99999999))
    assert unknown.json() == {**as_main.json()}  # an unknown id and another's: one answer
    assert not Invoice.objects.exists()
    victim_upload = UploadedFile.objects.get(pk=theirs)
    assert victim_upload.used_at is None and victim_upload.invoice is None
    assert UploadedFile.objects.get(pk=mine).used_at is None


def test_a_file_that_is_not_a_pdf_is_no_main_piece(wire, supplier, buyer):
    pk = uploaded(wire, b"bon de livraison", name="bl.txt", extension="txt",
                  mime="text/plain")
    response = wire.post("factures/v1/soumettre", soumettre_body(supplier, buyer, pk))
    refused(response, 400, 20002, "INV_DOCUMENT_NOT_PDF")
    assert not Invoice.objects.exists()
    assert UploadedFile.objects.get(pk=pk).used_at is None


def test_an_expired_upload_is_refused_then_swept(wire, supplier, buyer):
    pk = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    with clock.shifted(services.UPLOAD_LIFETIME + timedelta(minutes=1)):
        wire.token = None  # the morning's token has expired too
        response = wire.post("factures/v1/soumettre", soumettre_body(supplier, buyer, pk))
        refused(response, 400, 20002, "INV_UPLOAD_EXPIRED")
        assert not Invoice.objects.exists()
        assert services.sweep_uploads() == 1
    assert nothing_stored()


def test_completer_takes_an_uploaded_attachment(wire, buyer_wire, supplier, buyer):
    from choeur.core.worker import run_ready

    main = uploaded(wire, pdf_bytes("Facture F-2026-001"))
    invoice_id = wire.post("factures/v1/soumettre", soumettre_body(
        supplier, buyer, main)).json()["identifiantFactureCPP"]
    run_ready()
    response = buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "SUSPENDUE", "motif": "BL manquant"})
    assert response.status_code == 200, response.content
    piece = uploaded(wire, b"<bl/>", name="bl.xml", extension="xml", mime="application/xml")
    response = wire.post("factures/v1/completer", {
        "identifiantFactureCPP": invoice_id, "pieceJointeComplementaire": [{
            "pieceJointeComplementaireDesignation": "bl.xml",
            "pieceJointeComplementaireId": piece}]})
    assert response.status_code == 200, response.content
    assert [a.name for a in Invoice.objects.get(pk=invoice_id).attachments.all()] == [
        "bl.xml"]
    assert UploadedFile.objects.get(pk=piece).used_at is not None
    assert UploadedFile.objects.get(pk=main).invoice_id == invoice_id
