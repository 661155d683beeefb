"""What a trainee reads, in a real chromium: French amounts (12 345,67 €) on the invoice page
and in the lists, units by name with their code (« mètre carré (MTK) »), a long designation
kept whole; in English, « Last name » only where it is a person's."""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from choeur.invoicing import services
from choeur.invoicing.data import LineData
from choeur.invoicing.models import ModeDepot
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

from .conftest import invoice_data, run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"
LONG = ("Pose de carrelage grès cérame dans les salles de réunion du deuxième étage, "
        "plinthes et joints compris ; ") * 6


@pytest.fixture
def invoice(supplier_user, supplier, bank_account, recipient):
    data = invoice_data(bank_account_id=bank_account.pk, lines=[
        LineData(designation=LONG.strip(), quantity=D("412.5"), unit_price=D("30.6"),
                 vat_rate=D("20"), unit="MTK"),
        LineData(designation="Déplacement", quantity=D("1"), unit_price=D("85"),
                 vat_rate=D("20"), unit="LS")])
    return run(services.deposit, supplier_user, supplier, data,
               mode_depot=ModeDepot.SAISIE_PORTAIL)


def test_amounts_units_and_designations_read_as_words(page, supplier_user, invoice):
    log_in(page, supplier_user.email, PASSWORD)
    page.goto(f"/factures/emises/{invoice.pk}/")
    lines = page.get_by_role("table", name="Lignes de la facture")
    expect(lines).to_contain_text("mètre carré (MTK)")
    expect(lines).to_contain_text("forfait (LS)")
    expect(lines).to_contain_text(f"12{NBSP}622,50{NBSP}€")  # 412,5 × 30,60
    expect(lines).to_contain_text(LONG.strip())  # whole, not cut at 255 characters
    main = page.locator("main")
    expect(main).to_contain_text(f"15{NBSP}249,00{NBSP}€")  # TTC: (12 622,50 + 85) × 1,2
    shoot(page, "invoice-detail-fr")
    page.goto("/factures/emises/")
    expect(page.locator("main table")).to_contain_text(f"15{NBSP}249,00{NBSP}€")
    shoot(page, "invoice-list-fr")

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("main table")).to_contain_text("€15,249.00")
    page.goto(f"/factures/emises/{invoice.pk}/")
    expect(page.get_by_role("table", name=re.compile("lines", re.I))).to_contain_text(
        "square metre (MTK)")
    shoot(page, "invoice-detail-en")
    page.goto("/mon-compte/")
    expect(page.locator("main dl")).to_contain_text("Last name")
