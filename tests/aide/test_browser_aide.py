"""In a real chromium: « Besoin d'aide ? » from the header, a search, an article, its page."""

import re

import pytest
from playwright.sync_api import expect

from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_searching_the_help_and_opening_an_article(page, articles):
    page.goto("/")
    page.locator("header").get_by_text("Besoin d'aide ?").click()  # opens the panel
    page.get_by_role("region", name="Assistant « Besoin d’aide ? »").get_by_role(
        "link", name="Centre d'aide").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centre d'aide")

    page.get_by_label("Rechercher dans l'aide").fill("deposer facture pdf")
    page.get_by_role("button", name="Rechercher").click()
    results = page.get_by_test_id("aide-results")
    expect(results.get_by_role("heading", level=2)).to_contain_text("résultat")
    first = results.get_by_role("listitem").first
    expect(first.get_by_role("link")).to_have_text("Déposer une facture PDF")
    expect(first.locator("mark").first).to_be_visible()
    shoot(page, "aide-1-results")

    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer une facture PDF")
    expect(page.get_by_test_id("aide-article")).to_contain_text("Pré-remplir depuis le Factur-X")
    shoot(page, "aide-2-article")

    # The article leads to its page (a login first for an anonymous visitor).
    page.get_by_test_id("aide-page-link").click()
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/factures/deposer/"))


def test_a_hostile_search_in_the_browser(page, articles):
    page.goto("/aide/")
    page.get_by_label("Rechercher dans l'aide").fill('NEAR("facture" *')
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("aide-results")).to_be_visible()
