"""Uploads (`UploadedFile`) on the portal and their sweep: the PDF deposit form reads every
PDF as the flux channel does (its document and its PDF attachments), keeps its document as an
upload, offers the structure's uploads (from the API too) and none of another structure's;
unused uploads and the blobs only they named are removed after 24 hours, by the worker's
timers."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from choeur.core import clock, storage
from choeur.core.models import Blob
from choeur.core.worker import enqueue_timers, run_ready
from choeur.flux.models import Flux
from choeur.invoicing import services
from choeur.invoicing.models import Attachment, Invoice, UploadedFile
from choeur.organisations.models import TechnicalAccount

from .conftest import RECIPIENT_SIRET, pdf_bytes, run, unreadable_pdfs
from .test_deposit_pages import logged_in, pdf_form, text, upload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

UNREADABLE = unreadable_pdfs()


def sendable(bank_account, **overrides) -> dict:
    """The PDF form of a complete invoice, sent."""
    return pdf_form(bank_account.pk, **{
        "action": "send", "number": "FA-2026-0117", "recipient_identifier": RECIPIENT_SIRET,
        "recipient_service_code": "COMPTA", "engagement_number": "EJ-2026-0042",
        "invoice_date": clock.today().isoformat(), "lines-0-designation": "Ramettes",
        "lines-0-quantity": "40", "lines-0-unit_price": "4,35", **overrides})


def deposit_url(structure) -> str:
    return reverse("invoicing:deposit_pdf", args=[structure.pk])


def technical_account(structure) -> TechnicalAccount:
    account, _created = TechnicalAccount.objects.get_or_create(
        structure=structure, login=f"TECH_{structure.identifier}", defaults={
            "password": "!", "password_expires_at": clock.now() + timedelta(days=424)})
    return account


def api_upload(structure, content: bytes, name="facture.pdf", extension="pdf"):
    """What `ajouter/fichier` stores for the structure's software."""
    return run(services.upload_file, technical_account(structure), structure, name, content,
               source=UploadedFile.Source.AJOUTER_FICHIER, extension=extension)


# --- The portal's PDF deposit ---------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_the_portal_refuses_an_unreadable_pdf_with_a_form_error(logged_in, supplier,  # noqa: F811
                                                                bank_account, case):
    content, finding = UNREADABLE[case]
    response = logged_in.post(deposit_url(supplier), sendable(
        bank_account, document=upload(content, "facture.pdf")))
    assert response.status_code == 400
    body = text(response)
    assert "INV_DOCUMENT_UNREADABLE" in body and f"({finding})" in body
    assert 'role="alert"' in body
    assert not (Invoice.objects.exists() or UploadedFile.objects.exists()
                or Blob.objects.exists())


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_the_portal_refuses_an_unreadable_pdf_attachment(logged_in, supplier,  # noqa: F811
                                                         bank_account, case):
    content, finding = UNREADABLE[case]
    response = logged_in.post(deposit_url(supplier), sendable(
        bank_account, document=upload(pdf_bytes("Facture"), "facture.pdf"),
        attachments=[upload(content, "devis.pdf")]))
    assert response.status_code == 400
    body = text(response)
    assert "INV_ATTACHMENT_REFUSED" in body and f"[{finding}]" in body
    assert not (Invoice.objects.exists() or UploadedFile.objects.exists())


def test_the_portal_deposit_keeps_its_pdf_as_an_upload(logged_in, supplier_user,  # noqa: F811
                                                       supplier, bank_account):
    content = pdf_bytes("Facture FA-2026-0117")
    response = logged_in.post(deposit_url(supplier), sendable(
        bank_account, document=upload(content, "facture.pdf"),
        attachments=[upload(pdf_bytes("Devis"), "devis.pdf")]))
    assert response.status_code == 302, text(response)
    invoice = Invoice.objects.get()
    kept = UploadedFile.objects.get()
    assert (kept.source, kept.user, kept.technical_account, kept.structure) == (
        "PORTAIL", supplier_user, None, supplier)
    assert kept.invoice == invoice and kept.used_at is not None
    assert invoice.main_file_sha256 == kept.sha256 == hashlib.sha256(content).hexdigest()


def test_the_form_offers_the_structures_uploads_and_uses_them(logged_in, supplier,  # noqa: F811
                                                              bank_account, titulaire):
    main = api_upload(supplier, pdf_bytes("Facture FA-2026-0117"))
    piece = api_upload(supplier, b"<bordereau/>", "bordereau.xml", "xml")
    theirs = api_upload(titulaire, pdf_bytes("Facture du titulaire"), "secret.pdf")
    page = text(logged_in.get(deposit_url(supplier)))
    assert "Ou un PDF déjà déposé" in page and "Pièces jointes déjà déposées" in page
    assert f'<option value="{main.pk}">facture.pdf' in page
    assert "bordereau.xml" in page  # offered as an attachment, not as the invoice
    assert f'<option value="{piece.pk}">' not in page
    assert "secret.pdf" not in page

    # Another structure's id, forged in the post: a form error, nothing changes.
    for forged_fields in ({"uploaded_document": str(theirs.pk)},
                          {"uploaded_document": str(main.pk),
                           "uploaded_attachments": [str(theirs.pk)]}):
        forged = logged_in.post(deposit_url(supplier), sendable(bank_account, **forged_fields))
        assert forged.status_code == 400
        assert not Invoice.objects.exists()
    theirs.refresh_from_db()
    assert theirs.used_at is None and theirs.invoice is None

    response = logged_in.post(deposit_url(supplier), sendable(
        bank_account, uploaded_document=str(main.pk), uploaded_attachments=[str(piece.pk)]))
    assert response.status_code == 302, text(response)
    invoice = Invoice.objects.get()
    assert invoice.main_file_sha256 == main.sha256
    assert [a.name for a in invoice.attachments.all()] == ["bordereau.xml"]
    main.refresh_from_db()
    piece.refresh_from_db()
    assert main.invoice == invoice and piece.used_at is not None
    # Used, they are offered no more.
    page = text(logged_in.get(deposit_url(supplier)))
    assert "facture.pdf (" not in page and "bordereau.xml" not in page


def test_a_file_and_an_upload_at_once_is_a_form_error(logged_in, supplier,  # noqa: F811
                                                      bank_account):
    main = api_upload(supplier, pdf_bytes("Facture FA-2026-0117"))
    response = logged_in.post(deposit_url(supplier), sendable(
        bank_account, uploaded_document=str(main.pk),
        document=upload(pdf_bytes("Autre"), "autre.pdf")))
    assert response.status_code == 400
    assert "pas les deux" in text(response)
    assert not Invoice.objects.exists() and UploadedFile.objects.count() == 1


def test_a_draft_whose_pdf_is_replaced_frees_the_first_upload(logged_in, supplier,  # noqa: F811
                                                              bank_account):
    first, second = (api_upload(supplier, pdf_bytes(text_), f"{name}.pdf")
                     for text_, name in (("Version 1", "v1"), ("Version 2", "v2")))
    saved = logged_in.post(deposit_url(supplier), sendable(
        bank_account, action="save", uploaded_document=str(first.pk)))
    assert saved.status_code == 302, text(saved)
    draft = Invoice.objects.get()
    edited = logged_in.post(reverse("invoicing:draft_edit", args=[draft.pk]), sendable(
        bank_account, action="save", uploaded_document=str(second.pk)))
    assert edited.status_code == 302, text(edited)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.invoice == draft and first.invoice is None and first.used_at is None
    assert Invoice.objects.get().main_file_sha256 == second.sha256


# --- The sweep ----------------------------------------------------------------------------------


def test_the_sweep_removes_unused_uploads_and_only_the_blobs_nothing_else_names(
        frozen_now, supplier, supplier_user, bank_account, recipient):
    lone = api_upload(supplier, b"seul", "seul.txt", "txt")
    shared_bytes = pdf_bytes("Facture FA-2026-0117")
    # The same bytes, deposited as an invoice by the portal, and uploaded again, unused.
    with transaction.atomic():
        invoice = services.deposit(
            supplier_user, supplier, _data(bank_account), mode_depot="DEPOT_PDF_PORTAIL",
            document=("facture.pdf", shared_bytes), attachments=[("note.txt", b"note")])
    again = api_upload(supplier, shared_bytes)
    as_attachment = api_upload(supplier, b"note", "note.txt", "txt")
    flux_bytes = b"<flux/>"
    storage_flux = run(storage.put, flux_bytes)
    as_flux = api_upload(supplier, flux_bytes, "flux.xml", "xml")
    Flux.objects.create(numero="CPP" + "0" * 22, structure=supplier,
                        technical_account=as_flux.technical_account, channel="API",
                        syntaxe="IN_DP_E1_CII_FACTURX", sha256=storage_flux.sha256,
                        filename="f.xml", size=len(flux_bytes), kind="xml", invoice_count=1)
    used = api_upload(supplier, b"used", "used.txt", "txt")
    run(services.mark_used, [used], invoice)
    clock.advance(timedelta(hours=20))
    young = api_upload(supplier, b"seul", "seul-bis.txt", "txt")  # lone's bytes, later

    clock.advance(timedelta(hours=4, seconds=1))  # 24 h after the first ones
    assert services.sweep_uploads() == 4
    assert set(UploadedFile.objects.values_list("pk", flat=True)) == {used.pk, young.pk}
    # Every blob still named by a row stays: the invoice's, its attachment's, the flux's,
    # the used upload's, and lone's (the young upload names the same bytes).
    for kept in (again, as_attachment, as_flux, used, lone):
        assert Blob.objects.filter(pk=kept.sha256).exists()
        assert storage.verify(kept.sha256)

    clock.advance(timedelta(hours=20))
    assert services.sweep_uploads() == 1
    assert not Blob.objects.filter(pk=lone.sha256).exists()
    assert not storage.verify(lone.sha256)  # the bytes are gone too
    assert Attachment.objects.get().sha256 == as_attachment.sha256


def _data(bank_account):
    from .conftest import invoice_data

    return invoice_data(bank_account_id=bank_account.pk)


def test_the_sweep_runs_from_the_worker_timers(frozen_now, supplier):
    upload_ = api_upload(supplier, b"oublie", "oublie.txt", "txt")
    clock.advance(services.UPLOAD_LIFETIME)
    with transaction.atomic():
        enqueue_timers()
    results = run_ready()
    assert any(r.task_path.endswith("sweep_uploads") and r.return_value == 1 for r in results)
    assert not UploadedFile.objects.exists()
    assert not Blob.objects.filter(pk=upload_.sha256).exists()


def test_every_model_that_names_a_blob_is_looked_at():
    fields = {(model._meta.label, name) for model, name in storage.referencing_fields()}
    assert fields >= {
        ("invoicing.Invoice", "main_file_sha256"), ("invoicing.Invoice", "xml_sha256"),
        ("invoicing.Invoice", "certificate_sha256"), ("invoicing.Attachment", "sha256"),
        ("invoicing.UploadedFile", "sha256"), ("flux.Flux", "sha256")}


def test_too_many_pending_uploads_are_refused(supplier, monkeypatch):
    from choeur.invoicing import errors

    monkeypatch.setattr(services, "MAX_PENDING_UPLOADS", 2)
    for index in range(2):
        api_upload(supplier, f"f{index}".encode(), f"f{index}.txt", "txt")
    with pytest.raises(errors.UploadsTooMany):
        api_upload(supplier, b"f3", "f3.txt", "txt")
    assert UploadedFile.objects.count() == 2
