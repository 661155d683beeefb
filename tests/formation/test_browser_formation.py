# ruff: noqa: F811 - the qualification fixture, used by name
"""In a real chromium: « Formation » from the page's footer, the legal frame's guide with its
timeline, the next module with the statuses drawn from the transition table."""

import pytest
from playwright.sync_api import expect

from choeur.invoicing.statuses import INVOICE_STATUSES
from tests.qualification.conftest import qualification  # noqa: F401 (fixture)
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


def _check(page, ident: str):
    card = page.locator(f"li[data-exercise='{ident}']")
    card.get_by_role("button", name="Vérifier").click()
    return page.locator(f"li[data-exercise='{ident}']")


def test_three_exercises_each_failing_then_passing_in_the_portal(page, qualification, user):
    """A trainee with their matelas does three exercises in the portal itself: each check first
    fails (what is missing, a hint), then passes once the trainee did it."""
    import io
    import re
    import zipfile

    from django.db import transaction

    from choeur.core.worker import run_ready
    from choeur.qualification import matelas
    from tests.conftest import PASSWORD
    from tests.organisations.test_browser_organisation import log_in
    from tests.qualification.test_browser_trainee import _deposit, _switch_to

    with transaction.atomic():
        data = matelas.generate(user, seed=7)
    recipient = data.recipient("code_service").structure.company_name
    supplier = data.supplier.company_name
    log_in(page, user.email, PASSWORD)
    page.goto("/formation/")
    page.get_by_test_id("formation-exercises-link").click()
    for ident in ("facture-code-service", "suspendre-piece-manquante",
                  "completer-facture-suspendue"):
        page.locator(f"li[data-exercise='{ident}']").get_by_role("button",
                                                                 name="Commencer").click()

    # 1. Deposit to the recipient that requires a service code.
    card = _check(page, "facture-code-service")
    expect(card.get_by_test_id("exercise-hint")).to_contain_text(
        "ce destinataire exige un code service")
    shoot(page, "formation-5-exercise-hint")
    with page.expect_download() as download:
        page.goto("/qualification/matelas/")
        page.get_by_role("link", name="Télécharger les factures d'exemple (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    index = archive.read("index.csv").decode().splitlines()
    name = next(line.split(",")[0] for line in index
                if ",code_service," in line and "IN_INTEGRE" in line and "facturx" in line)
    _deposit(page, supplier, name, archive.read(name))
    expect(page.get_by_role("status")).to_contain_text("en cours de transmission")
    for _ in range(3):
        run_ready()
    page.goto("/formation/exercices/")
    expect(_check(page, "facture-code-service").get_by_test_id("exercise-done")).to_be_visible()

    # 2. Suspend it as the recipient.
    expect(_check(page, "suspendre-piece-manquante").get_by_test_id(
        "exercise-hint")).to_contain_text("aucune suspension faite par vous")
    _switch_to(page, recipient)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures reçues")).click()
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    page.get_by_label("Nouveau statut").select_option(label="Suspendue")
    page.get_by_label("Commentaire ou motif").fill("Pièce manquante : bon de livraison")
    page.get_by_role("button", name="Enregistrer le traitement").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto("/formation/exercices/")
    expect(_check(page, "suspendre-piece-manquante").get_by_test_id(
        "exercise-done")).to_be_visible()

    # 3. Complete it as the supplier.
    expect(_check(page, "completer-facture-suspendue").get_by_test_id(
        "exercise-hint")).to_contain_text("pas encore complétée")
    _switch_to(page, supplier)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures émises")).click()
    page.locator("table tbody tr", has_text="Suspendue").first.get_by_role("link").first.click()
    page.get_by_label("Votre réponse").fill("Bon de livraison joint")
    page.get_by_role("button", name="Compléter la facture").click()
    page.goto("/formation/exercices/")
    expect(_check(page, "completer-facture-suspendue").get_by_test_id(
        "exercise-done")).to_be_visible()
    expect(page.get_by_test_id("exercise-done")).to_have_count(3)
    shoot(page, "formation-6-exercises-done")
