"""The recipient simulator's page in a real chromium: a recipient's gestionnaire finds it from
the structure's page, is told what is wrong in a scenario, saves one, and sees it applied.
A failing step leaves a screenshot (see tests/conftest.py)."""

import os

import pytest
from django.db import transaction
from playwright.sync_api import expect

from choeur.organisations import services as org
from choeur.organisations.models import Rattachement
from choeur.qualification import simulator
from choeur.qualification.simulator import Step
from tests.conftest import PASSWORD
from tests.organisations.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_gestionnaire_edits_the_scenario(page, qualification):
    admin = make_user("admin@choeur.test", is_superuser=True, is_staff=True)
    gestionnaire = make_user("factures@mairie.fr", first_name="Gaëlle", last_name="Gestion")
    with transaction.atomic():
        structure = org.create_public_structure(admin, "21590350100017", {
            "company_name": "Commune de Lille", "postcode": "59000", "city": "Lille"})
        org._attach(None, structure, gestionnaire, Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
                    services=())
    page.goto("/connexion/")
    page.get_by_label("Adresse électronique de connexion").fill(gestionnaire.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"/structures/{structure.pk}/")
    page.get_by_role("link", name="Simulateur", exact=True).click()
    expect(page.get_by_test_id("scenario-current")).to_contain_text("Manuel")
    page.get_by_label("Automatique (scénario)").check()
    page.get_by_label("Statut, étape 1").select_option("SUSPENDUE")
    page.get_by_role("button", name="Enregistrer le scénario").click()
    expect(page.get_by_text("QUAL_SCENARIO_REASON_REQUIRED")).to_be_visible()
    page.get_by_label("Motif, étape 1").fill("Bon de commande manquant")
    page.get_by_role("button", name="Enregistrer le scénario").click()
    expect(page.get_by_text("Le scénario est enregistré.")).to_be_visible()
    expect(page.get_by_test_id("scenario-current")).to_contain_text("Bon de commande manquant")
    if os.environ.get("CHOEUR_SCREENSHOT"):
        page.screenshot(path=os.environ["CHOEUR_SCREENSHOT"], full_page=True)
    page.get_by_role("button", name="Rejet").click()
    expect(page.get_by_test_id("scenario-current")).to_contain_text("Rejetée")
    assert simulator.scenario_of(structure)["steps"] == [
        Step(2, "REJETEE", "Facture non conforme au bon de commande.")]
