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


def _answer_rightly(page, slug: str) -> int:
    """Tick the right answers of the module's quiz (read from its file) and send them."""
    from choeur.formation import quizzes

    found = quizzes.quiz(slug)
    form = page.get_by_test_id("quiz-form")
    for question in found.questions:
        fieldset = form.locator(f"fieldset[data-question='{question.id}']")
        for index in sorted(question.correct):
            fieldset.locator(f"input[value='{index}']").check()
    page.get_by_role("button", name="Valider mes réponses").click()
    total = len(found.questions)
    expect(page.get_by_test_id("quiz-score")).to_contain_text(
        f"Votre score : {total} sur {total}.")
    return total


def test_a_session_from_the_trainers_side_and_the_trainees(page, browser, live_server,
                                                           qualification, run_tasks):
    """The issue's « done when »: a trainer opens a session; a trainee registers, joins with
    the code, answers the module-1 quiz, generates the matelas and does three exercises in
    the portal, each check first failing (what is missing, a hint), then passing; the
    trainer's page shows it all, and exports it."""
    import io
    import re
    import zipfile

    from choeur.accounts.models import User
    from choeur.formation import exercises
    from choeur.qualification import matelas
    from tests.accounts.helpers import STRONG
    from tests.conftest import PASSWORD
    from tests.organisations.test_browser_organisation import log_in, register_and_activate
    from tests.qualification.test_browser_trainee import _deposit, _switch_to

    User.objects.create_user(email="formatrice@example.fr", password=PASSWORD,
                             first_name="Ada", last_name="Lovelace", is_trainer=True)
    room = browser.new_context(locale="fr-FR", base_url=live_server.url)
    room.set_default_timeout(10_000)
    trainer = room.new_page()
    log_in(trainer, "formatrice@example.fr", PASSWORD)
    trainer.goto("/formation/")
    trainer.get_by_test_id("formation-sessions-link").click()
    trainer.get_by_label("Intitulé").fill("Chorus Pro — prise en main")
    trainer.get_by_label("Date").fill("2026-12-08")
    trainer.get_by_label("Lieu").fill("Salle Condorcet")
    trainer.get_by_role("button", name="Ouvrir la session").click()
    code = trainer.get_by_test_id("session-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(trainer.get_by_test_id("session-empty")).to_be_visible()
    shoot(trainer, "formation-7-session-opened")

    # The trainee: an account of their own, then the session's code.
    register_and_activate(page, run_tasks, "lea.stagiaire@example.fr", "Léa", "Stagiaire")
    log_in(page, "lea.stagiaire@example.fr", STRONG)
    page.goto("/formation/")
    page.get_by_test_id("formation-join-link").click()
    page.get_by_label("Code de la session").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Rejoindre").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Vous avez rejoint la session « Chorus Pro — prise en main »")
    expect(page.get_by_test_id("formation-joined")).to_contain_text("Chorus Pro — prise en main")

    # Module 1's quiz.
    page.goto("/formation/cadre-juridique/quiz/")
    questions = _answer_rightly(page, "cadre-juridique")

    # The matelas, generated in the portal.
    page.goto("/qualification/matelas/")
    page.get_by_test_id("generate-matelas").click()
    expect(page.get_by_role("status")).to_be_visible()
    run_tasks()
    user = User.objects.get(email="lea.stagiaire@example.fr")
    data = matelas.latest(user)
    recipient = data.recipient("code_service").structure.company_name
    supplier = data.supplier.company_name

    page.goto("/formation/exercices/")
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
        run_tasks()
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

    # The trainer's page shows it all.
    trainer.reload()
    row = trainer.locator("tr[data-trainee='lea.stagiaire@example.fr']")
    expect(row).to_contain_text("Léa Stagiaire")
    expect(row.get_by_test_id("trainee-matelas")).to_contain_text("généré le")
    expect(row.locator("td[data-quiz='cadre-juridique']")).to_have_text(
        f"{questions}/{questions}")
    done = f"3/{len(exercises.all_exercises())}"
    expect(row.get_by_test_id("trainee-exercises")).to_have_text(done)
    shoot(trainer, "formation-8-session-results")
    row.get_by_role("link", name="Léa Stagiaire").click()
    expect(trainer.get_by_test_id("trainee-exercises").locator("td", has_text="réussi le")
           ).to_have_count(3)
    trainer.go_back()
    with trainer.expect_download() as download:
        trainer.get_by_test_id("session-csv").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "inscrit;Stagiaire;Léa;lea.stagiaire@example.fr;" in text
    assert f";{questions}/{questions};" in text and f";{done};" in text
    with trainer.expect_download() as download:
        trainer.get_by_test_id("session-pdf").click()
    assert open(download.value.path(), "rb").read().startswith(b"%PDF-")
    room.close()
