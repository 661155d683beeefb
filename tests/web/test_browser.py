"""The portal in a real chromium (Debian's), driven by Playwright."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_with_its_stylesheet(page):
    page.goto("/")
    expect(page).to_have_title(re.compile("Accueil — Choeur"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Choeur")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Accueil")).to_have_attribute("aria-current", "page")
    # The app's own stylesheet is loaded (served by the app, no CDN).
    background = nav.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(29, 58, 138)"
    # Keyboard users get a skip link first.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()


def test_switch_to_english(page):
    page.goto("/")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Choeur")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_login_then_logout(page, user):
    page.goto("/")
    page.get_by_role("link", name="Se connecter").first.click()
    expect(page).to_have_url(re.compile("/connexion/"))
    page.get_by_label("Adresse électronique de connexion").fill(user.email)
    page.get_by_label("Mot de passe").fill("wrong password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Vous êtes connecté en tant que Marie Curie.")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()


def test_administrator_sees_the_outbox(page, admin_user):
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique de connexion").fill(admin_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    # The platform administrator's pages are under one menu entry.
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Administration").click()
    page.get_by_role("link", name="Courriels envoyés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Courriels envoyés")
    expect(page.get_by_text("Aucun courriel n'a encore été envoyé.")).to_be_visible()
