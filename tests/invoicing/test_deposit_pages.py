"""The structured deposit page (Factur-X, UBL, CII as a unit deposit: the full validation
report before anything is sent, the platform checks with their codes, "Vérifier sans
envoyer") and the pre-fill of the PDF deposit form from a Factur-X, through the Django test
client. Every refusal is checked to leave nothing behind: no invoice, no stored file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from choeur import formats
from choeur.core import clock, storage
from choeur.core.models import Blob
from choeur.core.worker import run_ready
from choeur.formats import writers
from choeur.invoicing import documents, services
from choeur.invoicing.models import Cadre, Invoice, ModeDepot, UploadedFile
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.organisations.models import Structure
from tests.organisations.conftest import make_user

from .conftest import RECIPIENT_SIRET, TITULAIRE_SIRET, invoice_data, pdf_bytes

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
#: An FNFE sample that today's rules refuse for eight BR-FR rules (corpus expected.tsv).
INVALID_FACTURX = CORPUS / "zugferd/ZUGFeRDv2/fail/FNFE-factur-x-examples/Facture_FR_EN16931.pdf"
CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"


def written(supplier_user, supplier, bank_account, kind="facturx", **overrides) -> bytes:
    """The invoice of `invoice_data()` as a supplier's software would write it (Factur-X PDF,
    CII or UBL), from a draft that is rolled back: the database is left as it was."""
    with transaction.atomic():
        draft = services.save_draft(
            supplier_user, supplier,
            invoice_data(**{"bank_account_id": bank_account.pk, **overrides}),
            mode_depot=ModeDepot.SAISIE_PORTAIL)
        if kind == "facturx":
            content = documents.render_facturx(draft)
        else:
            model = documents.to_model(draft)
            content = writers.to_cii(model) if kind == "cii" else writers.to_ubl(model)
        transaction.set_rollback(True)
    return content


def upload(content: bytes, name="FA-2026-0117.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def url(supplier, name="deposit_structured"):
    return reverse(f"invoicing:{name}", args=[supplier.pk])


def post(client, supplier, content, name="FA-2026-0117.pdf", action="deposit", **fields):
    data = {"cadre": Cadre.A1, "validator_identifier": "", "validator_service_code": "",
            "recipient_identifier": "", "recipient_service_code": "", "engagement_number": "",
            "bank_account": "", "comment": "", "action": action,
            "document": upload(content, name), **fields}
    return client.post(url(supplier), data)


def text(response) -> str:
    return response.content.decode()


def nothing_saved(blobs_before: int = 0) -> bool:
    return (not Invoice.objects.exists() and Blob.objects.count() == blobs_before
            and not Notification.objects.exists())


@pytest.fixture
def logged_in(client, supplier_user, supplier, bank_account, recipient):
    client.force_login(supplier_user)
    return client


# --- The page ---------------------------------------------------------------------------------


def test_the_deposit_start_page_leads_to_the_structured_deposit(logged_in, supplier):
    start = text(logged_in.get(reverse("invoicing:deposit_start")))
    assert url(supplier) in start
    assert "Déposer un fichier structuré (Factur-X, UBL, CII)" in start
    page = logged_in.get(url(supplier))
    assert page.status_code == 200
    body = text(page)
    for label in ("Fichier de la facture", "Cadre de facturation", "SIRET du valideur",
                  "Coordonnées bancaires", "Pièces jointes complémentaires",
                  "Vérifier sans envoyer", "Déposer la facture"):
        assert escape(label) in body
    for cadre in Cadre:
        assert cadre.value in body


def test_outsiders_cannot_reach_the_page(client, supplier, bank_account, recipient,
                                         supplier_user):
    stranger = make_user("curieux@ailleurs.fr")
    client.force_login(stranger)
    content = written(supplier_user, supplier, bank_account)
    assert client.get(url(supplier)).status_code == 404
    assert post(client, supplier, content).status_code == 404
    assert nothing_saved()


# --- Deposit -----------------------------------------------------------------------------------


def test_a_valid_facturx_is_deposited_then_routed(logged_in, supplier_user, supplier,
                                                  bank_account, recipient, run_tasks):
    content = written(supplier_user, supplier, bank_account)
    response = post(logged_in, supplier, content, attachments=[
        SimpleUploadedFile("bon-de-livraison.txt", "Livré le 3 mars.".encode())])
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("invoicing:issued_detail", args=[invoice.pk])
    assert invoice.status == Status.DEPOSEE and invoice.mode_depot == ModeDepot.UPLOAD_PORTAIL
    assert invoice.number == "FA-2026-0117" and invoice.recipient == recipient
    assert invoice.recipient_service.code == "COMPTA" and invoice.bank_account == bank_account
    assert invoice.syntax == "CII" and invoice.profile and len(invoice.xml_sha256) == 64
    assert invoice.main_file_name == "FA-2026-0117.pdf"
    assert invoice.attachments.get().name == "bon-de-livraison.txt"
    assert str(invoice.total_ttc) == "342.050000"
    detail = text(logged_in.get(response.url))
    assert "La facture n° FA-2026-0117 est validée, elle est en cours de transmission" in detail

    run_tasks()
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION


@pytest.mark.skipif(not INVALID_FACTURX.is_file(), reason="shared corpus not present")
def test_an_invalid_file_shows_its_whole_report_and_nothing_is_saved(logged_in, supplier):
    content = INVALID_FACTURX.read_bytes()
    report = formats.validate(content)
    blocking = [f for f in report.findings if f.blocking]
    assert len(blocking) >= 8  # what the corpus manifest says today's rules refuse

    response = post(logged_in, supplier, content, name=INVALID_FACTURX.name)
    assert response.status_code == 400
    body = text(response)
    assert "INV_FILE_INVALID" in body and 'role="alert"' in body
    assert "Rapport de validation" in body and "Fichier non conforme" in body
    assert f"{len(blocking)} anomalies bloquantes" in body
    for finding in report.findings:  # every finding, all at once
        assert finding.rule in body
        assert escape(finding.message_fr) in body
        if finding.bt:
            assert finding.bt in body
        if finding.location:
            assert escape(finding.location) in body
        if finding.hint_fr:
            assert escape(finding.hint_fr) in body
    assert "BR-FR-10_BT-30" in body and "Erreur" in body
    assert nothing_saved()


def test_the_check_only_button_reports_and_saves_nothing(logged_in, supplier_user, supplier,
                                                         bank_account):
    content = written(supplier_user, supplier, bank_account)
    blobs = Blob.objects.count()
    response = post(logged_in, supplier, content, action="check")
    assert response.status_code == 200
    body = text(response)
    assert "Vérification seulement : rien n'a été enregistré ni envoyé." in body
    assert "Fichier conforme" in body and "Aucune anomalie bloquante" in body
    assert "Données lues dans le fichier" in body
    for value in ("FA-2026-0117", RECIPIENT_SIRET, "COMPTA", "EJ-2026-0042", "342,05\u00a0€"):
        assert value in body
    assert nothing_saved(blobs)

    bad = post(logged_in, supplier, b"<Invoice/>", name="f.xml", action="check")
    assert bad.status_code == 200  # the check went well; its verdict is in the page
    assert "Fichier non conforme" in text(bad) or "Fichier illisible" in text(bad)
    assert "INPUT_NOT_AN_INVOICE" in text(bad)
    assert nothing_saved(blobs)


def test_the_check_only_button_runs_the_platform_checks_too(logged_in, supplier_user,
                                                            supplier, bank_account, recipient):
    Structure.objects.filter(pk=recipient.pk).update(service_code_required=True)
    content = written(supplier_user, supplier, bank_account, recipient_service_code="")
    blobs = Blob.objects.count()
    response = post(logged_in, supplier, content, action="check")
    body = text(response)
    assert response.status_code == 200 and "INV_SERVICE_REQUIRED" in body
    assert "la plateforme refuserait son envoi" in body
    assert nothing_saved(blobs)
    fixed = text(post(logged_in, supplier, content, action="check",
                      recipient_service_code="COMPTA"))
    assert "la plateforme l'accepterait" in fixed and "INV_" not in fixed
    assert nothing_saved(blobs)


def test_a_recipient_requiring_a_service_code_gets_the_coded_error(
        logged_in, supplier_user, supplier, bank_account, recipient, run_tasks):
    Structure.objects.filter(pk=recipient.pk).update(service_code_required=True)
    content = written(supplier_user, supplier, bank_account, recipient_service_code="")
    assert formats.validate(content).valid  # the file is fine: the platform refuses it

    refused = post(logged_in, supplier, content)
    assert refused.status_code == 400
    body = text(refused)
    assert "INV_SERVICE_REQUIRED" in body and "BT-10" in body
    assert "exige un code service" in body and 'role="alert"' in body
    assert not Invoice.objects.exists()

    # The routing data a file lacks may be keyed in: the deposit then goes through.
    fixed = post(logged_in, supplier, content, recipient_service_code="COMPTA")
    assert fixed.status_code == 302, text(fixed)
    invoice = Invoice.objects.get()
    assert invoice.status == Status.DEPOSEE and invoice.recipient_service.code == "COMPTA"


def test_keyed_routing_data_must_agree_with_the_file(logged_in, supplier_user, supplier,
                                                     bank_account):
    content = written(supplier_user, supplier, bank_account)
    response = post(logged_in, supplier, content, recipient_service_code="ACHATS")
    assert response.status_code == 400
    body = text(response)
    assert "INV_DATA_MISMATCH" in body and "ACHATS" in body and "COMPTA" in body
    assert not Invoice.objects.exists()


def test_cadre_a9_needs_its_validator(logged_in, supplier_user, supplier, bank_account,
                                      titulaire):
    content = written(supplier_user, supplier, bank_account)
    missing = post(logged_in, supplier, content, cadre=Cadre.A9)
    assert missing.status_code == 400 and "INV_VALIDATOR_REQUIRED" in text(missing)
    assert not Invoice.objects.exists()
    sent = post(logged_in, supplier, content, cadre=Cadre.A9,
                validator_identifier=TITULAIRE_SIRET)
    assert sent.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.status == Status.A_VALIDER_1 and invoice.validator == titulaire


XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<rsm:CrossIndustryInvoice xmlns:rsm="' + CII_NS.encode() + b'">&xxe;'
       b"</rsm:CrossIndustryInvoice>")
BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1
                                                else b"&lol;" * 10) for i in range(1, 10))
        + b"]>\n<lolz>&lol9;</lolz>")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("facture.xml", "<Invoice/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "name", "rule"), [
    (b"", "vide.xml", "INPUT_EMPTY"),
    (b'<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="x"><a>', "coupe.xml",
     "XML_MALFORMED"),
    (XXE, "xxe.xml", "XML_FORBIDDEN_DTD"),
    (BOMB, "bombe.xml", "XML_FORBIDDEN_DTD"),
    (b"Bonjour, voici ma facture.", "facture.txt", "INPUT_UNKNOWN_FORMAT"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "facture.png", "INPUT_UNKNOWN_FORMAT"),
    (_zip(), "lot.zip", "INPUT_BATCH"),
], ids=["empty", "malformed", "xxe", "entity-bomb", "text", "image", "archive"])
def test_bad_files_get_a_coded_error_and_nothing_is_saved(logged_in, supplier, content, name,
                                                          rule):
    response = post(logged_in, supplier, content, name=name)
    assert response.status_code == 400
    body = text(response)
    assert "INV_FILE_INVALID" in body and rule in body and "Fichier illisible" in body
    assert "root:" not in body  # no entity was ever resolved
    assert nothing_saved()


def test_the_xml_parser_findings_come_with_advice(logged_in, supplier):
    body = text(post(logged_in, supplier, XXE, name="xxe.xml"))
    assert "Retirez le DOCTYPE et les entités" in body  # the catalogue's hint


def test_an_oversized_file_is_refused_before_it_is_read(logged_in, supplier):
    from choeur.invoicing.forms import MAX_STRUCTURED_FILE

    assert MAX_STRUCTURED_FILE == 20 * 1024 * 1024  # what choeur.formats parses at most
    response = post(logged_in, supplier, b"<" + b" " * MAX_STRUCTURED_FILE, name="gros.xml")
    assert response.status_code == 400
    assert "CORE_FILE_TOO_LARGE" in text(response)
    assert nothing_saved()


def test_a_second_submission_gets_number_already_used(logged_in, supplier_user, supplier,
                                                      bank_account):
    content = written(supplier_user, supplier, bank_account)
    assert post(logged_in, supplier, content).status_code == 302
    again = post(logged_in, supplier, content)
    assert again.status_code == 400
    body = text(again)
    assert "INV_NUMBER_ALREADY_USED" in body and "FA-2026-0117" in body
    assert Invoice.objects.count() == 1


def test_form_errors_without_a_file_or_an_action(logged_in, supplier, supplier_user,
                                                 bank_account):
    no_file = logged_in.post(url(supplier), {"cadre": Cadre.A1, "action": "deposit"})
    assert no_file.status_code == 400 and "Corrigez les champs signalés." in text(no_file)
    content = written(supplier_user, supplier, bank_account)
    no_action = post(logged_in, supplier, content, action="")
    assert no_action.status_code == 400
    assert "Vérifier sans envoyer" in text(no_action)
    assert not Invoice.objects.exists()


def test_ubl_and_cii_files_pass_the_check(logged_in, supplier_user, supplier, bank_account):
    for kind, syntax in (("cii", "CII"), ("ubl", "UBL")):
        content = written(supplier_user, supplier, bank_account, kind=kind)
        body = text(post(logged_in, supplier, content, name=f"f.{kind}.xml", action="check"))
        assert "Fichier conforme" in body and syntax in body
        assert "FA-2026-0117" in body
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("kind", ["cii", "ubl"])
def test_ubl_and_cii_files_are_deposited(logged_in, supplier_user, supplier, bank_account, kind):
    content = written(supplier_user, supplier, bank_account, kind=kind)
    response = post(logged_in, supplier, content, name=f"f.{kind}.xml")
    assert response.status_code == 302, text(response)
    invoice = Invoice.objects.get()
    assert invoice.status == Status.DEPOSEE and invoice.syntax == kind.upper()
    # The recipient reads a PDF rendering, made after the deposit (by the routing task, or
    # at first need); the file itself is kept as the structured data.
    assert invoice.rendering_pending and invoice.main_file_name == "f.pdf"
    assert invoice.certificate_sha256 == ""
    assert storage.read(invoice.xml_sha256) == content
    # The supplier asks for them before the routing: they are made then.
    document = logged_in.get(reverse("invoicing:issued_document", args=[invoice.pk]))
    assert document.status_code == 200
    rendering = b"".join(document.streaming_content)
    assert rendering.startswith(b"%PDF-")
    certificate = logged_in.get(reverse("invoicing:issued_certificate", args=[invoice.pk]))
    certificate_bytes = b"".join(certificate.streaming_content)
    invoice.refresh_from_db()
    assert storage.read(invoice.main_file_sha256) == rendering
    assert storage.read(invoice.certificate_sha256) == certificate_bytes


@pytest.mark.parametrize("kind", ["cii", "ubl"])
def test_the_routing_makes_the_certificate_the_rendering_waits(logged_in, supplier_user,
                                                               supplier, bank_account, kind):
    from choeur.invoicing import deposit_documents

    content = written(supplier_user, supplier, bank_account, kind=kind)
    assert post(logged_in, supplier, content, name=f"f.{kind}.xml").status_code == 302
    run_ready()
    invoice = Invoice.objects.get()
    # The routing made the certificate; the rendering waits for its first reader.
    assert invoice.status == Status.MISE_A_DISPOSITION and invoice.rendering_pending
    certificate = storage.read(invoice.certificate_sha256)
    assert invoice.deposited_sha256 == invoice.xml_sha256  # it names the file deposited
    rendering = storage.read(deposit_documents.ensure_readable(invoice))
    assert rendering.startswith(b"%PDF-")
    invoice.refresh_from_db()
    assert invoice.main_file_rendered and invoice.deposited_sha256 == invoice.xml_sha256
    # Deterministic: made again, the same bytes (whoever makes them first, the same blob),
    # and the certificate does not change once the rendering exists.
    # (the page names the cadre as the portal does)
    cadre = "A1 — Dépôt par un fournisseur d'une facture"
    assert writers.render_pdf(formats.read(content), cadre=cadre) == rendering
    assert documents.render_certificate(invoice) == certificate
    assert deposit_documents.ensure_certificate(invoice) == invoice.certificate_sha256


# --- Pre-fill of the PDF form from a Factur-X --------------------------------------------------


def pdf_form(bank_account="", action="prefill", document=None, **overrides) -> dict:
    """What the PDF deposit form posts when the user has only chosen the file."""
    data = {
        "cadre": Cadre.A1, "recipient_identifier": "", "recipient_service_code": "",
        "validator_identifier": "", "validator_service_code": "", "type_facture": "FACTURE",
        "number": "", "invoice_date": "", "currency": "EUR", "type_tva": "TVA_SUR_DEBIT",
        "vat_exemption_reason": "", "engagement_number": "", "marche_number": "",
        "original_invoice_number": "", "payment_mode": "VIREMENT",
        "bank_account": str(bank_account), "comment": "", "action": action,
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500", "lines-0-designation": "", "lines-0-quantity": "1",
        "lines-0-unit": "C62", "lines-0-unit_price": "", "lines-0-discount": "",
        "lines-0-vat_rate": "20",
    }
    if document is not None:
        data["document"] = document
    data.update(overrides)
    return data


def test_prefill_from_a_facturx_fills_the_form(logged_in, supplier_user, supplier,
                                               bank_account, recipient):
    content = written(supplier_user, supplier, bank_account, number="FX-PRE-1")
    response = logged_in.post(url(supplier, "deposit_pdf"), pdf_form(
        document=upload(content, "FX-PRE-1.pdf"), comment="Livraison de mars"))
    assert response.status_code == 200
    body = text(response)
    assert "Formulaire pré-rempli depuis le Factur-X « FX-PRE-1.pdf »" in body
    # The PDF is kept as an upload of the structure and comes back chosen.
    kept = UploadedFile.objects.get()
    assert (kept.structure, kept.source, kept.user) == (supplier, "PORTAIL", supplier_user)
    assert "le PDF est conservé et choisi ci-dessous" in body
    assert f'<option value="{kept.pk}" selected>FX-PRE-1.pdf' in body
    assert 'name="number" value="FX-PRE-1"' in body
    assert f'name="recipient_identifier" value="{RECIPIENT_SIRET}"' in body
    assert 'name="recipient_service_code" value="COMPTA"' in body
    assert 'name="engagement_number" value="EJ-2026-0042"' in body
    assert 'name="lines-0-designation" value="Ramettes de papier A4"' in body
    assert 'name="lines-1-designation" value="Ouvrages de référence"' in body
    assert 'name="lines-1-unit_price" value="42,1' in body  # French decimals
    assert 'name="lines-TOTAL_FORMS" value="3"' in body  # two lines read, one empty
    assert f'<option value="{bank_account.pk}" selected>' in body  # the file's IBAN
    assert "Livraison de mars" in body  # what the file does not say keeps what was keyed
    assert not Invoice.objects.exists()

    # "Ajouter une ligne" (also what Enter in a field does) keeps the lines and adds a quiet one.
    more = logged_in.post(url(supplier, "deposit_pdf"), pdf_form(
        bank_account.pk, action="add_line", number="FX-PRE-1", **{
            "lines-0-designation": "Ramettes de papier A4", "lines-0-quantity": "40",
            "lines-0-unit_price": "4,35"}))
    assert more.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="2"' in text(more)
    assert 'name="lines-1-designation"' in text(more)
    assert "obligatoire" not in text(more)

    # The user reviews and sends, without choosing the file again.
    sent = logged_in.post(url(supplier, "deposit_pdf"), pdf_form(
        bank_account.pk, action="send", uploaded_document=str(kept.pk),
        number="FX-PRE-1", recipient_identifier=RECIPIENT_SIRET,
        recipient_service_code="COMPTA", engagement_number="EJ-2026-0042",
        invoice_date=clock.today().isoformat(),
        **{"lines-TOTAL_FORMS": "2", "lines-0-designation": "Ramettes de papier A4",
           "lines-0-quantity": "40", "lines-0-unit_price": "4,35",
           "lines-1-designation": "Ouvrages de référence", "lines-1-quantity": "3",
           "lines-1-unit": "C62", "lines-1-unit_price": "42,10", "lines-1-discount": "",
           "lines-1-vat_rate": "5,5"}))
    assert sent.status_code == 302, text(sent)
    invoice = Invoice.objects.get()
    assert invoice.status == Status.DEPOSEE and invoice.main_file_sha256 == kept.sha256
    kept.refresh_from_db()
    assert kept.invoice == invoice and kept.used_at is not None


def test_prefill_from_a_plain_pdf_changes_nothing(logged_in, supplier):
    response = logged_in.post(url(supplier, "deposit_pdf"), pdf_form(
        document=upload(pdf_bytes("Facture FA-9"), "facture.pdf"), number="FA-9"))
    assert response.status_code == 200
    body = text(response)
    assert "Ce PDF ne contient pas de données Factur-X" in body
    assert "PDF_NO_INVOICE_XML" in body
    assert 'name="number" value="FA-9"' in body  # what was keyed stays
    assert "Formulaire pré-rempli" not in body
    assert not Invoice.objects.exists()


def test_prefill_needs_a_pdf(logged_in, supplier):
    none = text(logged_in.post(url(supplier, "deposit_pdf"), pdf_form()))
    assert "Choisissez d&#x27;abord le PDF de la facture" in none
    xml = text(logged_in.post(url(supplier, "deposit_pdf"), pdf_form(
        document=upload(b"<Invoice/>", "f.xml", "application/xml"))))
    assert "Ce fichier n&#x27;est pas un PDF." in xml
    assert not Invoice.objects.exists()


def test_a_rendering_failure_does_not_hold_the_invoice(logged_in, supplier_user, supplier,
                                                       bank_account, monkeypatch):
    content = written(supplier_user, supplier, bank_account, kind="cii")
    assert post(logged_in, supplier, content, name="f.cii.xml").status_code == 302

    def broken(_model, language="fr"):
        raise RuntimeError("a layout reportlab cannot make")

    monkeypatch.setattr(writers, "render_pdf", broken)
    run_ready()  # routed all the same: the certificate names the XML, not the rendering
    invoice = Invoice.objects.get()
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.rendering_pending and invoice.certificate_sha256
    response = logged_in.get(reverse("invoicing:issued_document", args=[invoice.pk]))
    assert response.status_code == 500 and "INV_RENDERING_FAILED" in text(response)
    monkeypatch.undo()  # mended: made at the next need
    response = logged_in.get(reverse("invoicing:issued_document", args=[invoice.pk]))
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert not invoice.rendering_pending
