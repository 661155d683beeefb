"""The organisation issue's acceptance path in a real chromium, as a new user would go:
register → activation mail → activate → log in → create a private structure (SIRET) → be its
gestionnaire → create two services → a second user asks to be attached to one service → the
gestionnaire approves → the second user sees the structure, and only what the espaces allow.
A failing step leaves a screenshot (see tests/conftest.py)."""

import re

import pytest
from playwright.sync_api import expect

from choeur.accounts import botcheck
from choeur.accounts.models import User
from tests.accounts.helpers import STRONG, link_path, mails
from tests.conftest import PASSWORD

from .conftest import SIRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def register_and_activate(page, run_tasks, email, first, last):
    page.goto("/inscription/")
    page.get_by_label("Adresse électronique de connexion").fill(email)
    page.get_by_label("Prénom").fill(first)
    page.get_by_label("Nom", exact=True).fill(last)
    page.get_by_label("J'accepte les conditions générales d'utilisation").check()
    question = page.locator("label[for=id_bot_answer]").inner_text()
    a, b = re.fullmatch(r"Combien font (\S+) plus (\S+) \?", question).groups()
    page.get_by_label(question).fill(
        str(botcheck.NUMBERS_FR.index(a) + botcheck.NUMBERS_FR.index(b)))
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    [message] = mails(run_tasks, email)
    page.goto(link_path(message))
    page.get_by_label("Mot de passe", exact=True).fill(STRONG)
    page.get_by_label("Confirmation du mot de passe").fill(STRONG)
    page.get_by_label("Première question secrète").select_option("PET")
    page.get_by_label("Réponse à la première question").fill("Médor")
    page.get_by_label("Seconde question secrète").select_option("BIRTH_CITY")
    page.get_by_label("Réponse à la seconde question").fill("Lyon")
    page.get_by_role("button", name="Soumettre").click()
    expect(page.get_by_text("Votre compte est activé")).to_be_visible()


def log_in(page, email, password):
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique de connexion").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("header").get_by_role("link", name="Se connecter")).to_be_visible()


def test_from_registration_to_an_approved_rattachement(page, run_tasks):
    # 1. A new user registers, activates the account and logs in.
    register_and_activate(page, run_tasks, "gerante@acme.fr", "Gisèle", "Gérante")
    log_in(page, "gerante@acme.fr", STRONG)

    # 2. She creates her company's structure: a wrong SIRET first, then the right one.
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes structures").click()
    page.get_by_role("link", name="Créer une structure").click()
    page.get_by_label("Type d'identifiant").select_option("SIRET")
    page.get_by_role("textbox", name=re.compile("^Identifiant")).fill("73282932000075")
    page.get_by_label("Raison sociale").fill("ACME Fournitures")
    page.get_by_role("button", name="Créer la structure").click()
    expect(page.get_by_role("alert")).to_contain_text("ORG_INVALID_IDENTIFIER")
    page.get_by_role("textbox", name=re.compile("^Identifiant")).fill(SIRET)
    page.get_by_role("button", name="Créer la structure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ACME Fournitures")
    expect(page.get_by_text("Gestionnaire principal", exact=True)).to_be_visible()

    # 3. Two services.
    for code, name in (("COMPTA", "Comptabilité"), ("ACHATS", "Achats")):
        page.get_by_role("link", name="Créer un service").click()
        page.get_by_label("Code service").fill(code)
        page.get_by_label("Nom du service").fill(name)
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_role("cell", name=code, exact=True)).to_be_visible()
    log_out(page)

    # 4. A second user asks to be attached to one service.
    User.objects.create_user("comptable@acme.fr", PASSWORD, first_name="Claude",
                             last_name="Comptable")
    log_in(page, "comptable@acme.fr", PASSWORD)
    page.goto("/rattachements/demande/")
    page.get_by_label("SIRET (3 chiffres au moins) ou raison sociale exacte").fill(SIRET[:6])
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_label(re.compile("ACME Fournitures")).check()
    page.get_by_role("button", name="Choisir cette structure").click()
    page.get_by_label("COMPTA — Comptabilité").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Votre demande est envoyée")).to_be_visible()
    expect(page.get_by_text("En cours de validation")).to_be_visible()
    log_out(page)

    # 5. The gestionnaire is told by e-mail, and approves.
    [notice] = mails(run_tasks, "gerante@acme.fr", "Demande de rattachement")
    log_in(page, "gerante@acme.fr", STRONG)
    page.goto(link_path(notice))
    page.get_by_label("Claude Comptable (comptable@acme.fr)").check()
    page.get_by_role("button", name="Valider la sélection").click()
    expect(page.get_by_text("1 demande(s) validée(s).")).to_be_visible()
    log_out(page)

    # 6. The second user sees the structure, and only what the espaces allow.
    [validated] = mails(run_tasks, "comptable@acme.fr")
    assert "validé" in validated.subject
    log_in(page, "comptable@acme.fr", PASSWORD)
    page.goto("/structures/")
    page.get_by_role("link", name="ACME Fournitures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ACME Fournitures")
    espaces = page.get_by_role("region", name="Vos espaces")
    expect(espaces.get_by_role("row", name=re.compile("^Factures émises"))).to_contain_text(
        "modification")
    expect(espaces.get_by_role("row", name=re.compile("^Coordonnées bancaires"))).to_contain_text(
        "pas d'accès")
    expect(page.get_by_role("link", name="Utilisateurs")).to_have_count(0)
    expect(page.get_by_role("link", name="Créer un service")).to_have_count(0)
    response = page.goto(page.url + "coordonnees-bancaires/")
    assert response.status == 403
    response = page.goto(page.url.replace("coordonnees-bancaires/", "utilisateurs/"))
    assert response.status == 403
