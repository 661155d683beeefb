"""Issue 18's acceptance for the dashboards, in a real chromium: the recipient's gestionnaire
opens « Tableau de bord » from « Factures reçues », narrows it to the first quarter and to a
service, downloads a table as CSV; the supplier opens its own from « Factures émises ».
Screenshots with shoot()."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recipient_and_supplier_dashboards(page, world, recipient_user, supplier_user):
    log_in(page, recipient_user.email, PASSWORD)
    page.goto("/factures/recues/")
    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tableau de bord — factures reçues")
    page.get_by_label("Déposées du").fill("2026-01-01")
    page.get_by_label("au", exact=True).fill("2026-03-31")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("dashboard-summary")).to_contain_text("5 factures déposées")
    expect(page.get_by_role("img", name="Factures reçues par mois")).to_be_visible()
    rates = page.get_by_role("img", name="Taux de rejet et de suspension par motif (%)")
    expect(rates).to_contain_text("40,0 %")
    expect(rates).to_contain_text("Numéro d'engagement absent")
    expect(page.get_by_role("table", name="Délais de traitement (médianes)")).to_contain_text(
        "2,5")
    expect(page.locator("main")).not_to_contain_text("Motif secret")
    shoot(page, "reporting-1-destinataire")

    page.get_by_label("Service").select_option(label="COMPTA — Comptabilité")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("dashboard-summary")).to_contain_text("3 factures déposées")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger « Factures reçues par mois » (CSV)").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.splitlines() == ["Mois;Factures reçues;Montant TTC (EUR)",
                                    "2026-01;1;100,00", "2026-02;1;300,00", "2026-03;1;400,00"]
    shoot(page, "reporting-2-destinataire-service")

    page.get_by_label("Déposées du").fill("2026-04-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("alert")).to_contain_text("REPORT_PERIOD_INVERTED")
    log_out(page)

    log_in(page, supplier_user.email, PASSWORD)
    page.goto("/factures/emises/")
    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tableau de bord — factures émises")
    page.get_by_label("Déposées du").fill("2026-01-01")
    page.get_by_label("au", exact=True).fill("2026-04-30")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("img", name="Factures par statut")).to_contain_text("Rejetée")
    expect(page.get_by_role("table", name="Délai moyen de paiement par destinataire")
           ).to_contain_text(world.recipient.company_name)
    shoot(page, "reporting-3-fournisseur")
