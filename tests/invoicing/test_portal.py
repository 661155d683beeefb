"""The invoicing pages through the Django test client: deposit (saisie and PDF), the errors
shown with their code and nothing saved, the supplier's, recipient's and validator's actions,
downloads, and the scoping of every page (forged ids are "not found")."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from choeur.core import storage
from choeur.invoicing import errors, services
from choeur.invoicing.models import Cadre, Invoice, InvoiceEvent, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.organisations.models import Structure
from tests.organisations.conftest import make_user

from .conftest import (
    RECIPIENT_SIRET,
    TITULAIRE_SIRET,
    invoice_data,
    pdf_bytes,
    run,
)

pytestmark = pytest.mark.django_db

LINES = [("Ramettes de papier A4", "40", "C62", "4,35", "", "20"),
         ("Ouvrages de référence", "3", "C62", "42.10", "", "5,5")]


def form_data(bank_account, action="send", lines=LINES, **overrides) -> dict:
    """What the deposit form posts, lines included (French decimal commas and points)."""
    from choeur.core import clock

    data = {
        "cadre": Cadre.A1, "recipient_identifier": RECIPIENT_SIRET,
        "recipient_service_code": "COMPTA", "validator_identifier": "",
        "validator_service_code": "", "type_facture": "FACTURE", "number": "FA-2026-0117",
        "invoice_date": clock.today().isoformat(), "currency": "EUR",
        "type_tva": "TVA_SUR_DEBIT", "vat_exemption_reason": "",
        "engagement_number": "EJ-2026-0042", "marche_number": "",
        "original_invoice_number": "", "payment_mode": "VIREMENT",
        "bank_account": str(bank_account.pk), "comment": "", "action": action,
        "lines-TOTAL_FORMS": str(len(lines) + 1), "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "500",
    }
    for index, line in enumerate([*lines, ("", "1", "C62", "", "", "20")]):
        for name, value in zip(("designation", "quantity", "unit", "unit_price", "discount",
                                "vat_rate"), line, strict=True):
            data[f"lines-{index}-{name}"] = value
    data.update(overrides)
    return data


def pdf_upload(name="facture-FA-2026-0117.pdf"):
    return SimpleUploadedFile(name, pdf_bytes("Facture FA-2026-0117"),
                              content_type="application/pdf")


def deposit_url(supplier, mode="pdf"):
    return reverse(f"invoicing:deposit_{mode}", args=[supplier.pk])


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def routed(supplier_user, supplier, bank_account, recipient, run_tasks):
    """An invoice deposited (PDF), routed, waiting for the recipient (MISE_A_DISPOSITION)."""
    invoice = run(services.deposit, supplier_user, supplier,
                  invoice_data(bank_account_id=bank_account.pk),
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                  document=("facture.pdf", pdf_bytes()))
    run_tasks()
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
    return invoice


# --- Deposit ---------------------------------------------------------------------------------


def test_pdf_deposit_sends_and_shows_the_certificate(client, supplier_user, supplier,
                                                     bank_account, recipient, run_tasks):
    client.force_login(supplier_user)
    page = client.get(deposit_url(supplier))
    assert page.status_code == 200
    assert "Compte principal" in text(page)  # the structure's bank details are offered
    data = form_data(bank_account, document=pdf_upload(),
                     attachments=[SimpleUploadedFile("bon-de-livraison.txt", b"Livre.")])
    response = client.post(deposit_url(supplier), data)
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("invoicing:issued_detail", args=[invoice.pk])
    assert invoice.status == Status.DEPOSEE and invoice.mode_depot == ModeDepot.DEPOT_PDF_PORTAIL
    assert invoice.recipient_service.code == "COMPTA" and invoice.bank_account == bank_account
    assert [line.designation for line in invoice.lines.all()] == [
        "Ramettes de papier A4", "Ouvrages de référence"]
    assert str(invoice.total_ht) == "300.300000"  # 40 × 4.35 + 3 × 42.10
    assert invoice.attachments.get().name == "bon-de-livraison.txt"

    detail = text(client.get(response.url))
    assert "La facture n° FA-2026-0117 est validée, elle est en cours de transmission" in detail
    certificate_url = reverse("invoicing:issued_certificate", args=[invoice.pk])
    assert certificate_url in detail
    certificate = client.get(certificate_url)
    assert certificate.status_code == 200
    assert certificate["Content-Disposition"].startswith("attachment")
    assert b"".join(certificate.streaming_content).startswith(b"%PDF-")
    document = client.get(reverse("invoicing:issued_document", args=[invoice.pk]))
    assert b"".join(document.streaming_content) == storage.read(invoice.main_file_sha256)
    attachment = client.get(reverse("invoicing:issued_attachment",
                                    args=[invoice.pk, invoice.attachments.get().pk]))
    assert attachment["Content-Type"] == "application/octet-stream"
    assert b"".join(attachment.streaming_content) == b"Livre."

    run_tasks()
    listing = text(client.get(reverse("invoicing:issued_list")))
    assert "FA-2026-0117" in listing and "Mise à disposition du destinataire" in listing


def test_saisie_deposit_generates_the_facturx(client, supplier_user, supplier, bank_account,
                                              recipient):
    client.force_login(supplier_user)
    response = client.post(deposit_url(supplier, "saisie"), form_data(bank_account))
    assert response.status_code == 302, text(response)
    invoice = Invoice.objects.get()
    assert invoice.mode_depot == ModeDepot.SAISIE_PORTAIL and invoice.status == Status.DEPOSEE
    assert invoice.syntax == "CII" and invoice.main_file_sha256
    assert storage.read(invoice.main_file_sha256).startswith(b"%PDF-")


def test_missing_service_code_is_shown_with_its_code_and_nothing_is_saved(
        client, supplier_user, supplier, bank_account, recipient):
    Structure.objects.filter(pk=recipient.pk).update(service_code_required=True)
    client.force_login(supplier_user)
    response = client.post(deposit_url(supplier), form_data(
        bank_account, recipient_service_code="", document=pdf_upload()))
    assert response.status_code == 400
    body = text(response)
    assert "INV_SERVICE_REQUIRED" in body and "exige un code service" in body
    assert 'role="alert"' in body
    assert "Ramettes de papier A4" in body  # the form comes back as keyed
    assert not Invoice.objects.exists()
    assert not Notification.objects.exists()

    fixed = client.post(deposit_url(supplier), form_data(bank_account, document=pdf_upload()))
    assert fixed.status_code == 302
    assert Invoice.objects.get().status == Status.DEPOSEE


def test_form_errors_and_the_add_line_button(client, supplier_user, supplier, bank_account,
                                             recipient):
    client.force_login(supplier_user)
    bad = client.post(deposit_url(supplier), form_data(
        bank_account, **{"lines-0-unit_price": "quatre"}, document=SimpleUploadedFile(
            "facture.pdf", b"not a pdf")))
    assert bad.status_code == 400
    assert "Ce fichier n&#x27;est pas un PDF" in text(bad)
    assert not Invoice.objects.exists()

    more = client.post(deposit_url(supplier, "saisie"), form_data(bank_account,
                                                                 action="add_line"))
    assert more.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="4"' in text(more)
    assert "lines-3-designation" in text(more)
    assert not Invoice.objects.exists()

    no_lines = client.post(deposit_url(supplier, "saisie"), form_data(bank_account, lines=[]))
    assert no_lines.status_code == 400 and "INV_LINES_MISSING" in text(no_lines)


def test_draft_saved_edited_sent_and_deleted(client, supplier_user, supplier, bank_account,
                                             recipient):
    Structure.objects.filter(pk=recipient.pk).update(service_code_required=True)
    client.force_login(supplier_user)
    unknown = client.post(deposit_url(supplier, "saisie"), form_data(
        bank_account, action="save", recipient_service_code="INCONNU"))
    assert unknown.status_code == 400 and "INV_SERVICE_UNKNOWN" in text(unknown)
    saved = client.post(deposit_url(supplier, "saisie"), form_data(
        bank_account, action="save", recipient_service_code=""))
    assert saved.status_code == 302, text(saved)
    draft = Invoice.objects.get()
    assert draft.status == Status.BROUILLON
    assert draft.created_by == supplier_user

    sent = client.post(reverse("invoicing:issued_send", args=[draft.pk]))
    assert sent.status_code == 400 and "INV_SERVICE_REQUIRED" in text(sent)
    draft.refresh_from_db()
    assert draft.status == Status.BROUILLON

    edit_url = reverse("invoicing:draft_edit", args=[draft.pk])
    form = text(client.get(edit_url))
    assert 'value="FA-2026-0117"' in form and "Ramettes de papier A4" in form
    data = form_data(bank_account, action="send", **{"lines-INITIAL_FORMS": "2"})
    response = client.post(edit_url, data)
    assert response.status_code == 302, text(response)
    draft.refresh_from_db()
    assert draft.status == Status.DEPOSEE and draft.recipient_service.code == "COMPTA"
    assert Invoice.objects.count() == 1
    assert client.get(edit_url).status_code == 302  # sent: no more a draft

    other = client.post(deposit_url(supplier, "saisie"), form_data(
        bank_account, action="save", number="FA-2026-0118"))
    second = Invoice.objects.get(number="FA-2026-0118")
    assert other.status_code == 302
    deleted = client.post(reverse("invoicing:issued_delete", args=[second.pk]))
    assert deleted.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.SUPPRIMEE
    assert client.get(reverse("invoicing:issued_detail", args=[second.pk])).status_code == 404


# --- Recipient ---------------------------------------------------------------------------------


def test_recipient_processing(client, routed, recipient_user, supplier_user):
    client.force_login(recipient_user)
    listing = text(client.get(reverse("invoicing:received_list") + "?onglet=a-traiter"))
    assert "FA-2026-0117" in listing
    url = reverse("invoicing:received_detail", args=[routed.pk])
    detail = text(client.get(url))
    assert "Suspendue" in detail and "Mandatée" in detail  # the statuses allowed from here
    process = reverse("invoicing:received_process", args=[routed.pk])

    refused = client.post(process, {"process-target": "SUSPENDUE", "process-comment": ""})
    assert refused.status_code == 400 and "INV_REASON_REQUIRED" in text(refused)
    routed.refresh_from_db()
    assert routed.status == Status.MISE_A_DISPOSITION

    forged = client.post(process, {"process-target": "BROUILLON"})
    assert forged.status_code == 400
    routed.refresh_from_db()
    assert routed.status == Status.MISE_A_DISPOSITION

    ok = client.post(process, {"process-target": "SUSPENDUE",
                               "process-comment": "Il manque le bon de livraison."})
    assert ok.status_code == 302
    routed.refresh_from_db()
    assert routed.status == Status.SUSPENDUE
    assert routed.status_comment == "Il manque le bon de livraison."

    # The supplier is shown it at login (the pop-up), then on the list, to acknowledge and
    # complete.
    client.force_login(supplier_user)
    prompt = client.get(reverse("invoicing:issued_list"), follow=True)
    assert prompt.redirect_chain[0][0].startswith(reverse("invoicing:acknowledgements"))
    assert "Il manque le bon de livraison." in text(prompt)
    issued = text(client.get(reverse("invoicing:issued_list")))
    assert "Rejets et suspensions à prendre en compte" in issued
    completed = client.post(reverse("invoicing:issued_complete", args=[routed.pk]), {
        "complete-comment": "Voici le bon de livraison.",
        "complete-attachments": [SimpleUploadedFile("bl.pdf", pdf_bytes("BL"))]})
    assert completed.status_code == 302
    routed.refresh_from_db()
    assert routed.status == Status.COMPLETEE and routed.attachments.count() == 1

    client.force_login(recipient_user)
    mandate = client.post(process, {"process-target": "MANDATEE"})
    assert mandate.status_code == 400 and "INV_MANDATE_NUMBER_REQUIRED" in text(mandate)
    client.post(process, {"process-target": "MANDATEE", "process-mandate_number": "M-42"})
    routed.refresh_from_db()
    assert routed.status == Status.MANDATEE and routed.mandate_number == "M-42"
    back = client.post(process, {"process-target": "SERVICE_FAIT"})  # never goes back
    assert back.status_code == 400


def test_recipient_download_is_recorded(client, routed, recipient_user):
    client.force_login(recipient_user)
    url = reverse("invoicing:received_document", args=[routed.pk])
    assert client.get(url).status_code == 405  # recorded: a POST
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    routed.refresh_from_db()
    assert routed.downloaded_by_recipient
    assert routed.events.get().code == InvoiceEvent.Code.TELECHARGEMENT_FACTURE


def test_bulk_zip_download(client, supplier_user, supplier, bank_account, recipient,
                           recipient_user, run_tasks):
    invoices = [run(services.deposit, supplier_user, supplier,
                    invoice_data(bank_account_id=bank_account.pk, number=f"FA-{n}"),
                    mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                    document=(f"facture-{n}.pdf", pdf_bytes(f"Facture {n}")))
                for n in range(3)]
    run_tasks()
    client.force_login(recipient_user)
    chosen = [invoices[0].pk, invoices[2].pk]
    response = client.post(reverse("invoicing:received_zip"), {"ids": chosen})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert len(names) == 2 and "FA-0" in names[0] and "FA-2" in names[1]
    assert archive.read(names[0]) == storage.read(invoices[0].main_file_sha256)
    assert set(Invoice.objects.filter(downloaded_by_recipient=True).values_list(
        "pk", flat=True)) == set(chosen)
    # A forged id among them: nothing is given, nothing is marked.
    forged = client.post(reverse("invoicing:received_zip"), {"ids": [invoices[1].pk, 999999]})
    assert forged.status_code == 404
    assert not Invoice.objects.get(pk=invoices[1].pk).downloaded_by_recipient
    too_many = client.post(reverse("invoicing:received_zip"),
                           {"ids": [str(n) for n in range(1, 60)]})
    assert too_many.status_code == 302


def test_a_draft_attachment_is_removed_from_its_page(client, supplier_user, supplier,
                                                     bank_account, recipient):
    draft = run(services.save_draft, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk),
                mode_depot=ModeDepot.SAISIE_PORTAIL, attachments=[("devis.pdf", pdf_bytes())])
    attachment = draft.attachments.get()
    client.force_login(supplier_user)
    page = text(client.get(reverse("invoicing:issued_detail", args=[draft.pk])))
    assert "Retirer" in page
    url = reverse("invoicing:issued_remove_attachment", args=[draft.pk, attachment.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not draft.attachments.exists()
    assert client.post(url).status_code == 404  # a double click: already gone


def test_structured_data_downloads(client, supplier_user, supplier, bank_account, recipient,
                                   recipient_user, run_tasks):
    keyed = run(services.deposit, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk, number="FA-SAISIE"),
                mode_depot=ModeDepot.SAISIE_PORTAIL)
    plain = run(services.deposit, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk, number="FA-PDF"),
                mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    run_tasks()
    assert keyed.xml_sha256 and not plain.xml_sha256  # the saisie's Factur-X carries CII
    client.force_login(supplier_user)
    mine = client.get(reverse("invoicing:issued_xml", args=[keyed.pk]))
    assert mine.status_code == 200 and mine["Content-Type"] == "application/xml"
    assert b"CrossIndustryInvoice" in b"".join(mine.streaming_content)
    assert "Télécharger les données structurées (XML)" in text(
        client.get(reverse("invoicing:issued_detail", args=[keyed.pk])))

    client.force_login(recipient_user)
    url = reverse("invoicing:received_xml", args=[keyed.pk])
    assert client.get(url).status_code == 405  # recorded: a POST
    assert client.post(url).status_code == 200
    assert Invoice.objects.get(pk=keyed.pk).downloaded_by_recipient
    assert client.post(reverse("invoicing:received_xml", args=[plain.pk])).status_code == 404
    both = client.post(reverse("invoicing:received_zip"),
                       {"ids": [keyed.pk, plain.pk], "contenu": "tout"})
    names = sorted(zipfile.ZipFile(io.BytesIO(b"".join(both.streaming_content))).namelist())
    assert len(names) == 3 and sum(name.endswith(".xml") for name in names) == 1
    xml_only = client.post(reverse("invoicing:received_zip"),
                           {"ids": [keyed.pk, plain.pk], "contenu": "xml"})
    assert zipfile.ZipFile(io.BytesIO(b"".join(xml_only.streaming_content))).namelist() == [
        f"{supplier.identifier}_FA-SAISIE_facture-FA-SAISIE.xml"]
    # Another structure's user cannot ask for it.
    client.force_login(supplier_user)
    assert client.post(url).status_code == 404


def test_review_fixes_on_downloads_and_bad_ids(client, supplier_user, supplier, bank_account,
                                               recipient, recipient_user, run_tasks):
    plain = run(services.deposit, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk, number="FA-PDF"),
                mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    run_tasks()
    client.force_login(recipient_user)
    zip_url = reverse("invoicing:received_zip")
    # XML asked of an invoice that has none: nothing given, nothing marked.
    nothing = client.post(zip_url, {"ids": [plain.pk], "contenu": "xml"})
    assert nothing.status_code == 302
    assert not Invoice.objects.get(pk=plain.pk).downloaded_by_recipient
    # Ids that are digits to Python but not to a database: ignored, never a 500.
    for forged in ("²", "9" * 30, "-1", " 1"):
        assert client.post(zip_url, {"ids": [forged]}).status_code == 302
    assert client.post(reverse("messaging:mark_read"), {"id": ["²", "9" * 30]}).status_code \
        in (200, 302)
    # A cursor past the calendar is ignored.
    for url in (reverse("invoicing:received_list"), reverse("invoicing:issued_list")):
        assert client.get(url, {"apres": "999999999999999999-1"}).status_code == 200


def test_draft_lines_removed_are_removed(client, supplier_user, supplier, bank_account,
                                         recipient):
    draft = run(services.save_draft, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk),
                mode_depot=ModeDepot.SAISIE_PORTAIL)
    assert draft.lines.count() == 2
    emptied = invoice_data(bank_account_id=bank_account.pk, lines=[])
    run(services.save_draft, supplier_user, supplier, emptied,
        mode_depot=ModeDepot.SAISIE_PORTAIL, invoice=draft)
    assert draft.lines.count() == 0 and draft.vat_lines.count() == 0


def test_a_user_limited_to_a_service_deposits_for_that_service(
        client, supplier_user, supplier, bank_account, recipient):
    from choeur.organisations import services as org
    from choeur.organisations.models import Service

    service = Service.objects.create(structure=supplier, code="AGENCE-NORD",
                                     name="Agence Nord")
    limited = make_user("nord@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, limited.email, [service.pk])
    client.force_login(limited)
    form = text(client.get(deposit_url(supplier)))
    assert "toute la structure" not in form and "AGENCE-NORD" in form
    with pytest.raises(errors.SupplierServiceRequired):
        run(services.deposit, limited, supplier, invoice_data(bank_account_id=bank_account.pk),
            mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    mine = run(services.deposit, limited, supplier, invoice_data(
        bank_account_id=bank_account.pk, supplier_service_id=service.pk),
        mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    assert client.get(reverse("invoicing:issued_detail", args=[mine.pk])).status_code == 200


def test_oversized_attachments_are_refused_before_reading(client, supplier_user, supplier,
                                                          bank_account, recipient):
    from choeur.invoicing import forms as invoicing_forms

    field = invoicing_forms.MultipleFileField(required=False)
    big = SimpleUploadedFile("gros.pdf", b"%PDF-")
    big.size = services.MAX_ATTACHMENT + 1  # as announced by the upload: never read
    with pytest.raises(ValidationError) as caught:
        field.clean([big])
    assert "INV_ATTACHMENT_REFUSED" in str(caught.value)


# --- Validators ------------------------------------------------------------------------------


def test_validator_pages(client, supplier_user, supplier, bank_account, recipient, titulaire,
                         titulaire_user, run_tasks):
    invoice = run(services.deposit, supplier_user, supplier,
                  invoice_data(bank_account_id=bank_account.pk, cadre=Cadre.A9,
                               validator_identifier=TITULAIRE_SIRET),
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                  document=("facture.pdf", pdf_bytes()))
    assert invoice.status == Status.A_VALIDER_1
    client.force_login(titulaire_user)
    assert "FA-2026-0117" in text(client.get(reverse("invoicing:to_validate_list")))
    url = reverse("invoicing:to_validate_detail", args=[invoice.pk])
    assert "Je ne suis pas le bon valideur" in text(client.get(url))
    refused = client.post(reverse("invoicing:to_validate_refuse", args=[invoice.pk]),
                          {"refuse-reason": ""})
    assert refused.status_code == 400 and "INV_REASON_REQUIRED" in text(refused)
    validated = client.post(reverse("invoicing:to_validate_validate", args=[invoice.pk]),
                            {"validate-comment": "Conforme."})
    assert validated.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Status.DEPOSEE and invoice.validated_at
    run_tasks()
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION


def test_wrong_validator_then_corrected(client, supplier_user, supplier, bank_account,
                                        recipient, titulaire, titulaire_user, other_recipient):
    invoice = run(services.deposit, supplier_user, supplier,
                  invoice_data(bank_account_id=bank_account.pk, cadre=Cadre.A12,
                               validator_identifier=TITULAIRE_SIRET),
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                  document=("facture.pdf", pdf_bytes()))
    client.force_login(titulaire_user)
    client.post(reverse("invoicing:to_validate_wrong", args=[invoice.pk]),
                {"wrong-comment": "Voyez le mandataire."})
    invoice.refresh_from_db()
    assert invoice.status == Status.ERREUR_FOURNISSEUR_SUR_VALIDEUR

    client.force_login(supplier_user)
    detail = text(client.get(reverse("invoicing:issued_detail", args=[invoice.pk])))
    assert "Corriger le valideur" in detail
    correct = reverse("invoicing:issued_correct_validator", args=[invoice.pk])
    same = client.post(correct, {"validator-validator_identifier": RECIPIENT_SIRET})
    assert same.status_code == 400 and "INV_VALIDATOR_NOT_ALLOWED" in text(same)
    client.post(correct, {"validator-validator_identifier": TITULAIRE_SIRET})
    invoice.refresh_from_db()
    assert invoice.status == Status.A_VALIDER_1


# --- Supplier answers --------------------------------------------------------------------------


def test_recycle_and_acknowledge(client, routed, supplier_user, recipient_user,
                                 other_recipient, run_tasks):
    client.force_login(recipient_user)
    client.post(reverse("invoicing:received_process", args=[routed.pk]),
                {"process-target": "A_RECYCLER", "process-comment": "Pas chez nous."})
    routed.refresh_from_db()
    assert routed.status == Status.A_RECYCLER

    client.force_login(supplier_user)
    recycle = reverse("invoicing:issued_recycle", args=[routed.pk])
    unknown = client.post(recycle, {"recycle-recipient_identifier": "12345678900000"})
    assert unknown.status_code == 400 and "INV_RECIPIENT_UNKNOWN" in text(unknown)
    done = client.post(recycle, {"recycle-recipient_identifier": other_recipient.identifier,
                                 "recycle-engagement_number": "EJ-1"})
    assert done.status_code == 302
    run_tasks()
    routed.refresh_from_db()
    assert routed.recipient == other_recipient and routed.status == Status.MISE_A_DISPOSITION

    other_user = other_recipient.rattachements.get().user
    client.force_login(other_user)
    process = reverse("invoicing:received_process", args=[routed.pk])
    client.post(process, {"process-target": "REJETEE", "process-comment": "Doublon."})
    client.force_login(supplier_user)
    ack = client.post(reverse("invoicing:issued_acknowledge", args=[routed.pk]),
                      {"retour": "liste"})
    assert ack.status_code == 302 and ack.url == reverse("invoicing:issued_list")
    routed.refresh_from_db()
    assert routed.acknowledged and routed.rejet_traite


# --- Scoping -----------------------------------------------------------------------------------


def test_forged_ids_and_outsiders_see_nothing(client, routed, supplier_user, recipient_user,
                                              other_recipient, supplier):
    attachment_id = 1
    supplier_pages = [
        reverse(name, args=[routed.pk]) for name in (
            "invoicing:issued_detail", "invoicing:issued_document",
            "invoicing:issued_certificate", "invoicing:draft_edit")]
    recipient_pages = [reverse("invoicing:received_detail", args=[routed.pk]),
                       reverse("invoicing:received_attachment",
                               args=[routed.pk, attachment_id])]
    validator_pages = [reverse("invoicing:to_validate_detail", args=[routed.pk])]
    posts = [reverse(name, args=[routed.pk]) for name in (
        "invoicing:issued_send", "invoicing:issued_delete", "invoicing:issued_recycle",
        "invoicing:issued_complete", "invoicing:issued_acknowledge",
        "invoicing:issued_correct_validator", "invoicing:received_process",
        "invoicing:received_document", "invoicing:to_validate_validate",
        "invoicing:to_validate_refuse", "invoicing:to_validate_wrong")]
    evil = {"process-target": "REJETEE", "process-comment": "x", "refuse-reason": "x",
            "recycle-recipient_identifier": RECIPIENT_SIRET,
            "validator-validator_identifier": TITULAIRE_SIRET, "complete-comment": "x"}

    outsider = make_user("pirate@example.fr")
    other_buyer = other_recipient.rattachements.get().user
    for user in (outsider, other_buyer):
        client.force_login(user)
        for url in supplier_pages + recipient_pages + validator_pages:
            assert client.get(url).status_code == 404, url
        for url in posts:
            assert client.post(url, evil).status_code == 404, url
        assert client.get(deposit_url(supplier)).status_code == 404
        assert client.post(reverse("invoicing:received_zip"),
                           {"ids": [routed.pk]}).status_code == 404
        for name in ("invoicing:issued_list", "invoicing:received_list",
                     "invoicing:to_validate_list"):
            assert "FA-2026-0117" not in text(client.get(reverse(name)))

    # The recipient does not reach the supplier's side, nor the supplier the recipient's.
    client.force_login(recipient_user)
    for url in supplier_pages:
        assert client.get(url).status_code == 404, url
    client.force_login(supplier_user)
    for url in recipient_pages:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("invoicing:issued_detail", args=["99999999"])).status_code == 404
    routed.refresh_from_db()
    assert routed.status == Status.MISE_A_DISPOSITION and not routed.downloaded_by_recipient


def test_navigation_and_notifications(client, routed, supplier_user, recipient_user):
    client.force_login(supplier_user)
    home = text(client.get("/"))
    assert "Factures émises" in home and "Factures reçues" not in home
    assert "Factures à valider" not in home
    unread = Notification.objects.filter(user=supplier_user, read_at__isnull=True).count()
    assert unread and f"Notifications ({unread})" in home
    page = text(client.get(reverse("messaging:list")))
    assert "Mise à disposition du destinataire" in page
    assert reverse("invoicing:issued_detail", args=[routed.pk]) in page
    one = Notification.objects.filter(user=supplier_user).first()
    client.post(reverse("messaging:mark_read"), {"id": one.pk})
    assert Notification.objects.filter(user=supplier_user, read_at__isnull=True).count() == \
        unread - 1
    client.post(reverse("messaging:mark_read"))
    assert not Notification.objects.filter(user=supplier_user, read_at__isnull=True).exists()
    assert "Notifications (" not in text(client.get("/"))

    client.force_login(recipient_user)
    home = text(client.get("/"))
    assert "Factures reçues" in home and "Factures émises" in home  # public: both espaces
    # Someone else's notification cannot be marked.
    theirs = Notification.objects.filter(user=recipient_user).first()
    client.force_login(supplier_user)
    client.post(reverse("messaging:mark_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_lists_search_tabs_and_pages(client, supplier_user, supplier, bank_account, recipient,
                                     other_recipient, monkeypatch):
    from choeur.invoicing.views import common

    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    for n in range(3):
        run(services.save_draft, supplier_user, supplier,
            invoice_data(number=f"BR-{n}"), mode_depot=ModeDepot.SAISIE_PORTAIL)
    run(services.save_draft, supplier_user, supplier,
        invoice_data(number="MAIRIE-1", recipient_identifier=other_recipient.identifier,
                     recipient_service_code=""), mode_depot=ModeDepot.SAISIE_PORTAIL)
    client.force_login(supplier_user)
    url = reverse("invoicing:issued_list")
    first = client.get(url)
    body = text(first)
    assert body.count("/factures/emises/") >= 2 and "Page suivante" in body
    cursor = first.context["next_query"]
    second = text(client.get(f"{url}?{cursor}"))
    shown = {n for n in ("BR-0", "BR-1", "BR-2", "MAIRIE-1") if n in body or n in second}
    assert shown == {"BR-0", "BR-1", "BR-2", "MAIRIE-1"}
    assert "Page suivante" not in second
    found = text(client.get(url, {"partenaire": "Mairie"}))
    assert "MAIRIE-1" in found and "BR-0" not in found
    found = text(client.get(url, {"partenaire": other_recipient.identifier[:6]}))
    assert "MAIRIE-1" in found and "BR-1" not in found
    found = text(client.get(url, {"numero": "br-2"}))
    assert "BR-2" in found and "BR-1" not in found
    assert "BR-0" in text(client.get(url, {"onglet": "a-traiter", "statut": "BROUILLON",
                                           "numero": "BR-0"}))
    assert "BR-0" not in text(client.get(url, {"statut": "DEPOSEE"}))
    assert client.get(url, {"apres": "n'importe quoi"}).status_code == 200


def test_consultation_user_sees_but_cannot_act(client, routed, supplier_user, supplier):
    from choeur.organisations import services as org
    from choeur.organisations.models import Espace

    reader = make_user("lecteur@lumiere.fr")
    rattachement = run(org.attach_user, supplier_user, supplier, reader.email)
    run(org.set_habilitation, supplier_user, supplier, rattachement.pk,
        Espace.FACTURES_EMISES, "CONSULTATION")
    draft = run(services.save_draft, supplier_user, supplier, invoice_data(number="BR-1"),
                mode_depot=ModeDepot.SAISIE_PORTAIL)
    client.force_login(reader)
    assert "Factures émises" in text(client.get("/"))
    listing = text(client.get(reverse("invoicing:issued_list")))
    assert "FA-2026-0117" in listing and "Déposer une facture" not in listing
    detail = text(client.get(reverse("invoicing:issued_detail", args=[draft.pk])))
    assert "BR-1" in detail and "Valider et envoyer" not in detail
    assert client.post(reverse("invoicing:issued_send", args=[draft.pk])).status_code == 403
    assert client.get(deposit_url(supplier)).status_code == 403
    assert client.get(reverse("invoicing:draft_edit", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Status.BROUILLON


def test_the_number_search_finds_what_icontains_finds(client, supplier_user, supplier,
                                                      bank_account, recipient):
    """queries.number_contains (the lists' and the API's number search): on PostgreSQL it asks
    the trigram index for the term's digits and checks the whole term after; the invoices
    found are exactly those whose number contains the term, whatever the case."""
    from choeur.invoicing import queries
    from choeur.invoicing.models import Invoice

    numbers = ["FA-2026-012345", "fb-2026-012345", "FA-2026-0123456", "FA-2025-012345-X",
               "AV_2026/00000", "2026-99999"]
    for number in numbers:
        run(services.save_draft, supplier_user, supplier, invoice_data(number=number),
            mode_depot=ModeDepot.SAISIE_PORTAIL)
    mine = Invoice.objects.filter(supplier=supplier)
    for term in ("012345", "fa-2026-012345", "A-2026-01234", "26-0123", "00000", "2026",
                 "2026-012345-x", "99999", "FA-2026-0123457", "/00000", "x"):
        found = set(mine.filter(queries.number_contains(term)).values_list("number", flat=True))
        assert found == {n for n in numbers if term.upper() in n.upper()}, term
    client.force_login(supplier_user)  # the lists search the same way
    shown = text(client.get(reverse("invoicing:issued_list"), {"numero": "A-2026-01234"}))
    assert "FA-2026-012345" in shown and "FA-2026-0123456" in shown
    assert "fb-2026-012345" not in shown and "FA-2025-012345-X" not in shown
