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


def test_answering_the_first_modules_quiz(page):
    page.goto("/formation/cadre-juridique/")
    page.get_by_test_id("formation-quiz-link").click()
    form = page.get_by_test_id("quiz-form")
    form.locator("fieldset[data-question='portail-exclusif']").get_by_label(
        "Oui, si le PDF est signé").check()
    form.locator("fieldset[data-question='echeancier-micro']").get_by_label(
        "1er janvier 2020").check()
    shoot(page, "formation-3-quiz")
    page.get_by_role("button", name="Valider mes réponses").click()
    expect(page.get_by_test_id("quiz-score")).to_contain_text("Votre score : 1 sur 6.")
    corrections = page.get_by_test_id("quiz-corrections")
    expect(corrections.locator("li.quiz-wrong[data-question='portail-exclusif']")).to_contain_text(
        "Décret n° 2016-1478 du 2 novembre 2016, art. 4")
    expect(corrections.locator("li.quiz-right")).to_have_count(1)
    shoot(page, "formation-4-quiz-corrections")
    page.get_by_role("link", name="Recommencer").click()
    expect(page.get_by_test_id("quiz-form")).to_be_visible()
