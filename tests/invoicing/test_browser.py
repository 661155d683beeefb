"""The invoicing acceptance path in a real chromium: a supplier deposits a PDF invoice to a
recipient that requires a service code, sees the error, fixes it and sends; the invoice is
routed; the recipient suspends it with a reason; the supplier completes it; the recipient
takes it to service fait, mandatée and mise en paiement; the supplier follows it all in the
timeline and the notifications. A failing step leaves a screenshot (see tests/conftest.py)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from choeur.core import clock
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.organisations.models import Structure
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out

from .conftest import RECIPIENT_SIRET, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nav(page, name):
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile(f"^{name}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def attach_pdf(page):
    page.get_by_label("Facture (PDF)").set_input_files({
        "name": "facture-FA-2026-0117.pdf", "mimeType": "application/pdf",
        "buffer": pdf_bytes("Facture FA-2026-0117")})


def process(page, status, comment="", mandate=""):
    """The recipient sets a processing status from the invoice page."""
    page.get_by_label("Nouveau statut").select_option(label=status)
    if comment:
        page.get_by_label("Commentaire ou motif").fill(comment)
    if mandate:
        page.get_by_label("Numéro de mandat").fill(mandate)
    page.get_by_role("button", name="Enregistrer le traitement").click()
    expect(page.get_by_role("status")).to_contain_text(f"est passée au statut « {status} »")


def test_deposit_suspend_complete_and_pay(page, run_tasks, supplier_user, supplier,
                                          bank_account, recipient, recipient_user):
    Structure.objects.filter(pk=recipient.pk).update(service_code_required=True)

    # 1. The supplier deposits a PDF invoice, without the service code the recipient requires.
    log_in(page, supplier_user.email, PASSWORD)
    nav(page, "Factures émises")
    page.get_by_role("link", name="Déposer une facture").click()
    page.get_by_role("link", name=re.compile("^Déposer un PDF")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer une facture PDF")
    attach_pdf(page)
    page.get_by_label("SIRET du destinataire").fill(RECIPIENT_SIRET)
    page.get_by_label("Numéro de facture").fill("FA-2026-0117")
    page.get_by_label("Date de facture").fill(clock.today().isoformat())
    page.get_by_label("Numéro d'engagement (bon de commande)").fill("EJ-2026-0042")
    page.get_by_label("Coordonnées bancaires").select_option(index=1)  # Compte principal
    page.get_by_label("Désignation, ligne 1").fill("Ramettes de papier A4")
    page.get_by_label("Quantité, ligne 1").fill("40")
    page.get_by_label("Prix unitaire HT, ligne 1").fill("4,35")
    page.get_by_role("button", name="Ajouter une ligne").click()
    page.get_by_label("Désignation, ligne 2").fill("Ouvrages de référence")
    page.get_by_label("Quantité, ligne 2").fill("3")
    page.get_by_label("Prix unitaire HT, ligne 2").fill("42,10")
    page.get_by_label("Taux de TVA (%), ligne 2").fill("5,5")
    attach_pdf(page)  # files are chosen again after "Ajouter une ligne"
    page.get_by_role("button", name="Valider et envoyer").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("INV_SERVICE_REQUIRED")
    expect(alert).to_contain_text("exige un code service")
    assert not Invoice.objects.exists()

    # 2. She fixes it and sends: the success message and the deposit certificate.
    page.get_by_label("Code service du destinataire").fill("COMPTA")
    attach_pdf(page)
    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "La facture n° FA-2026-0117 est validée, elle est en cours de transmission")
    expect(page.get_by_role("link", name="Télécharger le certificat de dépôt")).to_be_visible()
    invoice = Invoice.objects.get()
    assert invoice.total_ttc == Decimal("342.05")  # 174 + 34.80 + 126.30 + 6.95
    log_out(page)

    # 3. Routing (the worker's task), then the recipient suspends it with a reason.
    run_tasks()
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
    log_in(page, recipient_user.email, PASSWORD)
    nav(page, "Factures reçues")
    page.get_by_role("link", name="À traiter").click()
    page.get_by_role("link", name="FA-2026-0117").click()
    page.get_by_label("Nouveau statut").select_option(label="Suspendue")
    page.get_by_role("button", name="Enregistrer le traitement").click()
    expect(page.get_by_role("alert")).to_contain_text("INV_REASON_REQUIRED")
    process(page, "Suspendue", comment="Il manque le bon de livraison signé.")
    log_out(page)

    # 4. The supplier is shown the suspension at login (the pop-up), puts it off, finds it
    # on the list and completes the invoice.
    log_in(page, supplier_user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Rejets et suspensions à prendre en compte")
    expect(page.get_by_role("alertdialog")).to_contain_text("Il manque le bon de livraison signé.")
    page.get_by_role("button", name="Plus tard").click()
    nav(page, "Factures émises")
    expect(page.get_by_role("region", name="Rejets et suspensions à prendre en compte")
           ).to_contain_text("Il manque le bon de livraison signé.")
    page.get_by_role("table").get_by_role("link", name="FA-2026-0117").click()
    page.get_by_label("Votre réponse").fill("Voici le bon de livraison signé.")
    page.get_by_label("Pièces jointes").set_input_files({
        "name": "bon-de-livraison.pdf", "mimeType": "application/pdf",
        "buffer": pdf_bytes("Bon de livraison")})
    page.get_by_role("button", name="Compléter la facture").click()
    expect(page.get_by_role("status")).to_contain_text("La facture est complétée")
    expect(page.get_by_role("link", name="bon-de-livraison.pdf")).to_be_visible()
    log_out(page)

    # 5. The recipient takes it to payment.
    log_in(page, recipient_user.email, PASSWORD)
    nav(page, "Factures reçues")
    page.get_by_role("link", name="FA-2026-0117").click()
    expect(page.get_by_text("Voici le bon de livraison signé.").first).to_be_visible()
    process(page, "Service fait")
    page.get_by_label("Nouveau statut").select_option(label="Mandatée")
    page.get_by_role("button", name="Enregistrer le traitement").click()
    expect(page.get_by_role("alert")).to_contain_text("INV_MANDATE_NUMBER_REQUIRED")
    process(page, "Mandatée", mandate="M-2026-000451")
    process(page, "Mise en paiement")
    expect(page.get_by_role("heading", name="Traiter la facture")).to_have_count(0)
    log_out(page)

    # 6. The supplier follows it in the timeline and the notifications.
    log_in(page, supplier_user.email, PASSWORD)
    nav(page, "Factures émises")
    page.get_by_role("link", name="FA-2026-0117").click()
    timeline = page.get_by_role("list", name="Historique des statuts")
    for status in ("Déposée", "Mise à disposition du destinataire", "Suspendue", "Complétée",
                   "Service fait", "Mandatée", "Mise en paiement"):
        expect(timeline).to_contain_text(status)
    expect(timeline).to_contain_text("Il manque le bon de livraison signé.")
    expect(page.get_by_text("M-2026-000451")).to_be_visible()
    nav(page, "Notifications")
    notifications = page.get_by_role("main")
    expect(notifications).to_contain_text(
        "La facture FA-2026-0117 de Papeterie Lumière à Direction régionale des finances "
        "publiques est passée au statut « Mise en paiement ».")
    expect(notifications).to_contain_text("« Suspendue »")
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.get_by_role("status")).to_contain_text("marquées comme lues")
    expect(page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Notifications", exact=True)).to_be_visible()
