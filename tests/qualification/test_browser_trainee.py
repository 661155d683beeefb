"""Issue 15, done when — as a new trainee would, in a real chromium on a qualification
instance: register → activate → generate the matelas → deposit an invoice to each recipient
case (seeing the right error where a service code or an engagement is missing) → switch to
the recipient, process an invoice → the clock moves forward → mise en paiement.

The sample files are the ones the trainee downloads from « Mon matelas » (the ZIP); the
workers' part runs in the test's thread (`run_ready`). A failing step leaves a screenshot."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from choeur.core.worker import run_ready
from choeur.invoicing.models import Invoice, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from tests.accounts.helpers import STRONG
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out, register_and_activate
from tests.web.screens import shoot

#: The trainee's own invoices (the matelas holds its works dossiers' pieces besides).
ORDINARY = {"type_demande_paiement": TypeDemandePaiement.FACTURE}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _work():
    for _ in range(5):
        if not run_ready():
            return


def _deposit(page, supplier_name: str, name: str, content: bytes):
    page.goto("/factures/deposer/")
    page.get_by_role("link", name=f"Déposer un fichier structuré (Factur-X, UBL, CII) — "
                                  f"{supplier_name}").click()
    page.get_by_label("Fichier de la facture").set_input_files({
        "name": name, "mimeType": "application/octet-stream", "buffer": content})
    page.get_by_role("button", name="Déposer la facture").click()


def _switch_to(page, name: str):
    """The header's structure switcher."""
    value = page.locator("#structure-select option", has_text=name).first.get_attribute("value")
    page.get_by_label("Structure", exact=True).select_option(value)
    page.get_by_role("button", name="Choisir").click()


def test_a_trainee_alone_rehearses_the_whole_circuit(qualification, page, run_tasks, admin):
    # 1. Register, activate, log in; the banner says where the data set is.
    register_and_activate(page, run_tasks, "stagiaire@exemple.fr", "Sam", "Stagiaire")
    log_in(page, "stagiaire@exemple.fr", STRONG)
    page.get_by_role("note").get_by_role("link", name="Mon matelas de données").click()

    # 2. Generate the matelas: the secrets once, the structures, each case.
    page.get_by_role("button", name="Générer mon matelas de données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Matelas de données généré")
    expect(page.get_by_test_id("client-secret")).not_to_be_empty()
    shoot(page, "matelas-generated")
    page.get_by_role("link", name="Voir mon matelas").click()
    table = page.get_by_test_id("matelas-structures")
    expect(table.locator("tr[data-role]")).to_have_count(10)
    supplier_name = table.locator("tr[data-role=fournisseur] td a").inner_text()
    recipients = {row.get_attribute("data-variante"): row.locator("td a").inner_text()
                  for row in table.locator("tr[data-role=destinataire]").all()}
    assert set(recipients) == {"sans_exigence", "code_service", "engagement",
                               "code_service_et_engagement", "etat"}
    shoot(page, "matelas-page")

    # 3. Download the sample invoices and their index.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les factures d'exemple (ZIP)").click()
    archive = zipfile.ZipFile(download.value.path())
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))

    # 4. Deposit: first without the service code, then without the engagement: refused with
    # the code that says why; then a valid Factur-X to each case.
    for fichier, code in (("rejet_code_service_absent.xml", "INV_SERVICE_REQUIRED"),
                          ("rejet_engagement_absent.xml", "INV_ENGAGEMENT_REQUIRED")):
        _deposit(page, supplier_name, fichier, archive.read(fichier))
        expect(page.get_by_role("alert")).to_contain_text(code)
    shoot(page, "matelas-refused")
    assert not Invoice.objects.filter(**ORDINARY).exists()
    valid = [r for r in index if r["attendu"] == "IN_INTEGRE" and r["format"] == "facturx"
             and r["variante"] != "travaux"]  # works pieces go to the MOE, not a recipient
    assert len(valid) == 5
    for row in valid:
        _deposit(page, supplier_name, row["fichier"], archive.read(row["fichier"]))
        expect(page.get_by_role("status")).to_contain_text("en cours de transmission")
    _work()  # the routing: each invoice reaches its recipient
    assert set(Invoice.objects.filter(**ORDINARY).values_list("status", flat=True)) == {
        Status.MISE_A_DISPOSITION}

    # 5. Switch to the recipient that wants a service code and process its invoice by hand.
    _switch_to(page, recipients["code_service"])
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures reçues")).click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)  # that recipient's invoice only
    rows.first.get_by_role("link").first.click()
    page.get_by_label("Nouveau statut").select_option(label="Service fait")
    page.get_by_role("button", name="Enregistrer le traitement").click()
    expect(page.get_by_role("status")).to_be_visible()
    shoot(page, "matelas-processed")
    processed = Invoice.objects.get(recipient__company_name=recipients["code_service"])
    assert processed.status == Status.SERVICE_FAIT
    log_out(page)

    # 6. The platform administrator moves the instance's date 30 days forward.
    log_in(page, admin.email, PASSWORD)
    page.goto("/qualification/horloge/")
    page.get_by_label("Avancer de (jours)").fill("30")
    page.get_by_role("button", name="Avancer", exact=True).click()
    expect(page.get_by_test_id("simulated-date")).to_be_visible()
    _work()  # the timers the move queued: the simulated recipients act
    log_out(page)

    # 7. Back as the trainee, supplier side: every invoice is mise en paiement.
    log_in(page, "stagiaire@exemple.fr", STRONG)
    _switch_to(page, supplier_name)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures émises")).click()
    numbers = list(Invoice.objects.filter(**ORDINARY).values_list("number", flat=True))
    assert len(numbers) == 5  # (the list holds the works dossiers' pieces too)
    for number in numbers:
        expect(page.locator("table tbody tr", has_text=number)).to_contain_text(
            "Mise en paiement")
    shoot(page, "matelas-paid")
    assert set(Invoice.objects.filter(**ORDINARY).values_list("status", flat=True)) == {
        Status.MISE_EN_PAIEMENT}
