"""In a real chromium: « Formation » from the page's footer, the legal frame's guide with its
timeline, the next module with the statuses drawn from the transition table."""

import pytest
from playwright.sync_api import expect

from choeur.invoicing.statuses import INVOICE_STATUSES
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reading_the_first_two_modules(page):
    page.goto("/")
    page.locator("footer").get_by_role("link", name="Formation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Formation")
    page.get_by_role("link", name="Module 1 — Cerner le cadre juridique de la facturation "
                                   "électronique").click()
    timeline = page.get_by_test_id("formation-echeancier")
    expect(timeline).to_be_visible()
    expect(timeline.locator("circle")).to_have_count(6)
    expect(page.get_by_test_id("formation-guide")).to_contain_text("1er janvier 2020")
    shoot(page, "formation-1-cadre-juridique")

    page.get_by_role("link", name="Découvrir Chorus Pro →").click()
    statuses = page.get_by_test_id("formation-statuts")
    expect(statuses.locator("tbody tr")).to_have_count(len(INVOICE_STATUSES))
    expect(statuses).to_contain_text("Mise à disposition du destinataire")
    statuses.scroll_into_view_if_needed()
    shoot(page, "formation-2-statuts")
