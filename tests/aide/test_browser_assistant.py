# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""In a real chromium: a supplier asks the assistant of the header's « Besoin d'aide ? » for
its invoice's status and reads it in the panel, without leaving the page; the same question
with JavaScript off is answered by the assistant's page."""

import re

import pytest
from playwright.sync_api import expect

from tests.aide.test_assistant import invoice  # noqa: F401 - fixture
from tests.conftest import PASSWORD
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    platform_admin,
    recipient,
    recipient_user,
    supplier,
    supplier_user,
)
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL = "Assistant « Besoin d’aide ? »"


def test_a_supplier_asks_for_its_invoice_status_in_the_panel(page, invoice, supplier_user):
    log_in(page, supplier_user.email, PASSWORD)
    page.goto("/factures/emises/")
    page.locator("header").get_by_text("Besoin d'aide ?").click()
    panel = page.get_by_role("region", name=PANEL)
    expect(panel).to_be_visible()
    panel.get_by_label("Votre question").fill("Où est ma facture FA-2026-0117 ?")
    panel.get_by_role("button", name="Demander").click()

    answer = panel.get_by_test_id("assistant-answer")
    expect(answer).to_contain_text("La facture FA-2026-0117 est au statut « Mise à disposition "
                                   "du destinataire »")
    expect(answer).to_contain_text("Direction régionale des finances publiques (COMPTA)")
    expect(page).to_have_url(re.compile(r"/factures/emises/$"))  # answered in place
    expect(panel.get_by_label("Votre question")).to_have_value("")
    shoot(page, "assistant-1-invoice-status")

    # The answer is rated, then its link leads to the invoice.
    answer.get_by_role("button", name="Utile", exact=True).click()
    expect(panel.get_by_test_id("assistant-notice")).to_have_text("Merci pour votre avis.")
    answer.get_by_role("link", name=re.compile("^Voir la facture FA-2026-0117")).click()
    expect(page).to_have_url(re.compile(rf"/factures/emises/{invoice.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("FA-2026-0117")


def test_without_javascript_the_assistant_page_answers(browser, live_server, invoice,
                                                       supplier_user):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, supplier_user.email, PASSWORD)
        page.locator("header").get_by_text("Besoin d'aide ?").click()
        panel = page.get_by_role("region", name=PANEL)
        panel.get_by_label("Votre question").fill("Où est ma facture FA-2026-0117 ?")
        panel.get_by_role("button", name="Demander").click()
        expect(page).to_have_url(re.compile(r"/aide/assistant/$"))
        expect(page.get_by_test_id("assistant-page-replies")).to_contain_text(
            "est au statut « Mise à disposition du destinataire »")
        shoot(page, "assistant-2-without-javascript")
    finally:
        context.close()
