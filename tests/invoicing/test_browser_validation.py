"""Sous-traitance in a real chromium: a sous-traitant deposits an A9 invoice that its
titulaire must validate; the titulaire validates it from "Factures à valider" and it reaches
the recipient. A second one, left 15 days without an answer, is validated tacitly by the
worker's timer and reaches the recipient too; the supplier sees why in the timeline."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from choeur.core import clock
from choeur.core.worker import enqueue_timers
from choeur.invoicing import services
from choeur.invoicing.models import Cadre, Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out

from .conftest import RECIPIENT_SIRET, TITULAIRE_SIRET, invoice_data, pdf_bytes, run
from .test_browser import nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a9_validated_by_the_titulaire_then_one_validated_tacitly(
        page, run_tasks, supplier_user, supplier, bank_account, recipient, recipient_user,
        titulaire, titulaire_user):
    # 1. The sous-traitant keys in an A9 invoice; forgetting the titulaire is a coded error.
    log_in(page, supplier_user.email, PASSWORD)
    nav(page, "Factures émises")
    page.get_by_role("link", name="Déposer une facture").click()
    page.get_by_role("link", name=re.compile("^Saisir une facture")).click()
    page.get_by_label("Cadre de facturation").select_option(value=Cadre.A9)
    page.get_by_label("SIRET du destinataire").fill(RECIPIENT_SIRET)
    page.get_by_label("Code service du destinataire").fill("COMPTA")
    page.get_by_label("Numéro de facture").fill("ST-2026-0001")
    page.get_by_label("Date de facture").fill(clock.today().isoformat())
    page.get_by_label("Numéro d'engagement (bon de commande)").fill("EJ-2026-0042")
    page.get_by_label("Coordonnées bancaires").select_option(index=1)
    page.get_by_label("Désignation, ligne 1").fill("Pose de cloisons (sous-traitance)")
    page.get_by_label("Quantité, ligne 1").fill("12")
    page.get_by_label("Prix unitaire HT, ligne 1").fill("85")
    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_role("alert")).to_contain_text("INV_VALIDATOR_REQUIRED")
    assert not Invoice.objects.exclude(status=Status.BROUILLON).exists()
    page.get_by_label("SIRET du valideur").fill(TITULAIRE_SIRET)
    page.get_by_role("button", name="Valider et envoyer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "est envoyée à son valideur, Bâtiments Titulaire SA")
    invoice = Invoice.objects.get(number="ST-2026-0001")
    assert invoice.status == Status.A_VALIDER_1
    log_out(page)

    # 2. The recipient does not see it yet; the titulaire validates it.
    log_in(page, titulaire_user.email, PASSWORD)
    nav(page, "Factures à valider")
    page.get_by_role("link", name="À traiter").click()
    page.get_by_role("link", name="ST-2026-0001").click()
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("La facture n° ST-2026-0001 est validée")
    log_out(page)

    run_tasks()  # routing after the validation
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION

    # 3. A second A9 invoice gets no answer: 15 days later the timer validates it tacitly.
    silent = run(services.deposit, supplier_user, supplier, invoice_data(
        number="ST-2026-0002", cadre=Cadre.A9, validator_identifier=TITULAIRE_SIRET,
        bank_account_id=bank_account.pk), mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
        document=("st-2.pdf", pdf_bytes("ST-2026-0002")))
    assert silent.status == Status.A_VALIDER_1
    with clock.shifted(timedelta(days=15, minutes=5)):
        enqueue_timers()  # what the worker's heartbeat does every five minutes
        run_tasks()
        silent.refresh_from_db()
        assert silent.status == Status.MISE_A_DISPOSITION

        # 4. The recipient finds both; the supplier sees the tacit validation in the timeline.
        log_in(page, recipient_user.email, PASSWORD)
        nav(page, "Factures reçues")
        expect(page.get_by_role("link", name="ST-2026-0001")).to_be_visible()
        expect(page.get_by_role("link", name="ST-2026-0002")).to_be_visible()
        log_out(page)
        log_in(page, supplier_user.email, PASSWORD)
        nav(page, "Factures émises")
        page.get_by_role("link", name="ST-2026-0002").click()
        timeline = page.get_by_role("list", name="Historique des statuts")
        expect(timeline).to_contain_text("Validée tacitement (niveau 1, 15 jours)")
        expect(timeline).to_contain_text("Mise à disposition du destinataire")
