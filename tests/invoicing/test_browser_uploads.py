"""In a real chromium: the PDF deposit form offers the PDF the supplier's software uploaded
(`ajouter/fichier`), and the invoice is sent with it, no file chosen in the browser."""

import re

import pytest
from playwright.sync_api import expect

from choeur.core import clock
from choeur.invoicing.models import Invoice, UploadedFile
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in

from .conftest import RECIPIENT_SIRET, pdf_bytes
from .test_browser import nav
from .test_uploads import api_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pdf_uploaded_by_the_api_is_sent_from_the_portal(page, supplier_user, supplier,
                                                            bank_account, recipient):
    upload = api_upload(supplier, pdf_bytes("Facture FA-2026-0117"), "FA-2026-0117.pdf")
    log_in(page, supplier_user.email, PASSWORD)
    nav(page, "Factures émises")
    page.get_by_role("link", name="Déposer une facture").click()
    page.get_by_role("link", name=re.compile("^Déposer un PDF")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer une facture PDF")
    chosen = page.get_by_label("Ou un PDF déjà déposé")
    expect(chosen).to_contain_text("FA-2026-0117.pdf")
    chosen.select_option(value=str(upload.pk))
    page.get_by_label("SIRET du destinataire").fill(RECIPIENT_SIRET)
    page.get_by_label("Code service du destinataire").fill("COMPTA")
    page.get_by_label("Numéro de facture").fill("FA-2026-0117")
    page.get_by_label("Date de facture").fill(clock.today().isoformat())
    page.get_by_label("Numéro d'engagement (bon de commande)").fill("EJ-2026-0042")
    page.get_by_label("Coordonnées bancaires").select_option(index=1)
    page.get_by_label("Désignation, ligne 1").fill("Ramettes de papier A4")
    page.get_by_label("Quantité, ligne 1").fill("40")
    page.get_by_label("Prix unitaire HT, ligne 1").fill("4,35")
    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "La facture n° FA-2026-0117 est validée, elle est en cours de transmission")
    invoice = Invoice.objects.get()
    assert invoice.main_file_sha256 == upload.sha256
    assert UploadedFile.objects.get().invoice == invoice
