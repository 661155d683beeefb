"""The structured deposit in a real chromium: a supplier checks a Factur-X (valid) and
deposits it without choosing the file again, to a recipient that requires a service code the
file lacks, sees the coded error naming BT-10, keys the service code in and deposits again,
still without choosing the file: the invoice is DEPOSEE, made of exactly the bytes checked.
A failing step leaves a screenshot (see tests/conftest.py)."""

import hashlib
import re

import pytest
from playwright.sync_api import expect

from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.organisations.models import Structure
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

from .test_deposit_pages import written

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_file(page, content: bytes):
    page.get_by_label("Fichier de la facture").set_input_files({
        "name": "FA-2026-0117.pdf", "mimeType": "application/pdf", "buffer": content})


def test_structured_deposit_fixed_after_the_service_code_error(
        page, supplier_user, supplier, bank_account, recipient):
    Structure.objects.filter(pk=recipient.pk).update(service_code_required=True)
    content = written(supplier_user, supplier, bank_account, recipient_service_code="")

    # 1. The supplier opens the structured deposit and checks her file: it is valid.
    log_in(page, supplier_user.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures émises")).click()
    page.get_by_role("link", name="Déposer une facture").click()
    page.get_by_role("link", name=re.compile(
        r"^Déposer un fichier structuré \(Factur-X, UBL, CII\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer un fichier structuré")
    choose_file(page, content)
    page.get_by_role("button", name="Vérifier sans envoyer").click()
    expect(page.get_by_role("status")).to_contain_text("rien n'a été enregistré ni envoyé")
    expect(page.get_by_role("region", name="Rapport de validation")).to_contain_text(
        "Fichier conforme")
    assert not Invoice.objects.exists()

    # The checked file is kept: no need to choose it again.
    expect(page.locator("#kept-file")).to_contain_text(
        "« FA-2026-0117.pdf » sera déposé tel qu'il a été vérifié")
    shoot(page, "structured-checked")

    # 2. She deposits it without choosing it again: the recipient requires a service code
    # (BT-10) that the file lacks.
    page.get_by_role("button", name="Déposer la facture").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("INV_SERVICE_REQUIRED")
    expect(alert).to_contain_text("BT-10")
    expect(alert).to_contain_text("exige un code service")
    assert not Invoice.objects.exists()

    # 3. She keys the service code in (the file says nothing of it) and deposits again, the
    # checked file still kept.
    expect(page.locator("#kept-file")).to_be_visible()
    page.get_by_label("Code service du destinataire").fill("COMPTA")
    page.get_by_role("button", name="Déposer la facture").click()
    expect(page.get_by_role("status")).to_contain_text(
        "La facture n° FA-2026-0117 est validée, elle est en cours de transmission")
    expect(page.get_by_role("link", name="Télécharger le certificat de dépôt")).to_be_visible()
    invoice = Invoice.objects.get()
    assert invoice.status == Status.DEPOSEE and invoice.recipient_service.code == "COMPTA"
    assert invoice.deposited_sha256 == hashlib.sha256(content).hexdigest()
