"""Issue 17, notifications in a real chromium: a platform administrator writes an actualité
in Administration › Actualités; a user finds it on the home page and in « Notifications »,
then sets their preferences in « Mon compte » (no e-mail for invoices, a daily digest)."""

import pytest
from playwright.sync_api import expect

from choeur.messaging.models import Digest, NotificationPreference
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_news_and_preferences(page, make_user):
    admin = make_user("admin@choeur.test", first_name="Adèle", last_name="Admin",
                      is_superuser=True, is_staff=True)
    alice = make_user("alice@example.fr", first_name="Alice", last_name="Martin")

    log_in(page, admin.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Administration").click()
    page.get_by_role("link", name="Actualités").click()
    page.get_by_role("link", name="Nouvelle actualité").click()
    page.get_by_label("Titre").fill("Maintenance samedi")
    page.get_by_label("Texte").fill("Le portail sera fermé samedi de 8 h à 12 h.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("L'actualité est enregistrée.")
    expect(page.get_by_role("link", name="Maintenance samedi")).to_be_visible()
    shoot(page, "actualites-1-list")
    log_out(page)

    log_in(page, alice.email, PASSWORD)
    page.goto("/")
    news = page.get_by_test_id("actualites")
    expect(news.get_by_role("heading", name="Maintenance samedi")).to_be_visible()
    expect(news).to_contain_text("Le portail sera fermé samedi")
    shoot(page, "actualites-2-home")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Notifications (1)").click()
    expect(page.locator("main")).to_contain_text("Actualité de la plateforme : Maintenance samedi")

    page.locator("header").get_by_role("link", name="Alice Martin").click()
    page.get_by_role("link", name="Mes préférences de notification").click()
    factures_email = page.get_by_label("Factures — Par courriel")
    expect(factures_email).to_be_checked()
    factures_email.uncheck()
    page.get_by_label("Quotidien").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Vos préférences de notification sont")
    expect(page.get_by_label("Factures — Par courriel")).not_to_be_checked()
    expect(page.get_by_label("Factures — Dans le portail")).to_be_checked()
    expect(page.get_by_label("Quotidien")).to_be_checked()
    shoot(page, "preferences-notifications")
    preference = NotificationPreference.objects.get(user=alice)
    assert preference.factures_email is False and preference.digest == Digest.DAILY
