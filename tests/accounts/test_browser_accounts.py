"""Self-registration to Mon compte in a real chromium (Debian's), driven by Playwright."""

import re

import pytest
from playwright.sync_api import expect

from choeur.accounts import botcheck
from tests.accounts.helpers import STRONG, link_path, mails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_activate_login_and_see_my_account(page, run_tasks):
    page.goto("/connexion/")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    page.get_by_label("Adresse électronique de connexion").fill("Jeanne.Martin@Example.fr")
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Téléphone (facultatif)").fill("01 23 45 67 89")
    page.get_by_label("J'accepte les conditions générales d'utilisation").check()
    question = page.locator("label[for=id_bot_answer]").inner_text()
    a, b = re.fullmatch(r"Combien font (\S+) plus (\S+) \?", question).groups()
    page.get_by_label(question).fill(
        str(botcheck.NUMBERS_FR.index(a) + botcheck.NUMBERS_FR.index(b)))
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    expect(page.get_by_text("jeanne.martin@example.fr")).to_be_visible()

    [message] = mails(run_tasks, "jeanne.martin@example.fr")
    page.goto(link_path(message))
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer mon compte")
    expect(page.get_by_text("Au moins 12 caractères")).to_be_visible()
    page.get_by_label("Mot de passe", exact=True).fill(STRONG)
    page.get_by_label("Confirmation du mot de passe").fill(STRONG)
    page.get_by_label("Première question secrète").select_option("PET")
    page.get_by_label("Réponse à la première question").fill("Médor")
    page.get_by_label("Seconde question secrète").select_option("BIRTH_CITY")
    page.get_by_label("Réponse à la seconde question").fill("Saint-Étienne")
    page.get_by_role("button", name="Soumettre").click()

    expect(page).to_have_url(re.compile("/connexion/"))
    expect(page.get_by_text("Votre compte est activé")).to_be_visible()
    page.get_by_label("Adresse électronique de connexion").fill("jeanne.martin@example.fr")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Vous êtes connecté en tant que Jeanne Martin.")).to_be_visible()

    page.goto("/mon-compte/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_text("jeanne.martin@example.fr").first).to_be_visible()
    expect(page.get_by_text("01 23 45 67 89")).to_be_visible()
