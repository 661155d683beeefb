"""« Tester un fichier » in a real chromium, as a trainee uses it: from the qualification
banner, a file whose recipient requires an engagement the file lacks; the report names the
failed check, its code and what to do; with the engagement keyed beside the file, a deposit
would be accepted. Nothing is deposited."""
# ruff: noqa: F811

import pytest
from playwright.sync_api import expect

from choeur.invoicing.models import Invoice
from choeur.organisations.models import Structure
from tests.conftest import PASSWORD
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    platform_admin,
    recipient,
    recipient_user,
    supplier,
    supplier_user,
)
from tests.invoicing.test_deposit_pages import written
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_trainee_tests_a_file_then_fixes_its_routing(
        qualification, page, supplier_user, supplier, bank_account, recipient):
    Structure.objects.filter(pk=recipient.pk).update(engagement_required=True)
    content = written(supplier_user, supplier, bank_account, "cii", engagement_number="")

    log_in(page, supplier_user.email, PASSWORD)
    page.get_by_role("note").get_by_role("link", name="Tester un fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tester un fichier")
    page.get_by_label("Fichier à tester").set_input_files({
        "name": "FA-2026-0117.xml", "mimeType": "application/xml", "buffer": content})
    page.get_by_role("button", name="Tester le fichier").click()

    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Dépôt refusé")
    expect(verdict).to_contain_text("Un dépôt serait refusé avec le code INV_ENGAGEMENT_REQUIRED")
    row = page.locator('tr[data-check="engagement_required"]')
    expect(row).to_contain_text("Échec")
    expect(row).to_contain_text("BT-13")
    expect(row).to_contain_text("À faire : Ajoutez le numéro du bon de commande")
    expect(page.locator('tr[data-check="duplicate"]')).to_contain_text("Réussi")
    expect(page.get_by_role("region", name="Rapport de validation")).to_contain_text(
        "Fichier conforme")
    shoot(page, "file-test-refused")

    page.get_by_label("Fichier à tester").set_input_files({
        "name": "FA-2026-0117.xml", "mimeType": "application/xml", "buffer": content})
    page.get_by_label("Numéro d'engagement (bon de commande)").fill("EJ-2026-0042")
    page.get_by_role("button", name="Tester le fichier").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("Un dépôt serait accepté")
    shoot(page, "file-test-accepted")
    assert not Invoice.objects.exists()
