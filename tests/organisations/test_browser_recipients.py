"""Administration → Destinataires publics in a real chromium: the platform administrator
creates a public recipient that requires a service code, adds a service that requires an
engagement number; the annuaire shows them; a gestionnaire of a private structure is refused."""

import re

import pytest
from playwright.sync_api import expect

from choeur.organisations.models import Structure
from tests.conftest import PASSWORD
from tests.web.screens import shoot

from .conftest import make_user
from .test_browser_organisation import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_the_administrator_creates_a_public_recipient_and_its_services(page, gp, structure):
    make_user("admin@choeur.test", first_name="Adèle", last_name="Admin", is_superuser=True,
              is_staff=True)
    log_in(page, "admin@choeur.test", PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Administration").click()
    page.get_by_role("link", name="Destinataires publics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Destinataires publics")
    page.get_by_role("link", name="Créer un destinataire public").click()

    # A wrong SIRET first: a coded error, nothing created.
    page.get_by_label("SIRET").fill("11000201100045")
    page.get_by_label("Raison sociale").fill("DRFIP Gironde")
    page.get_by_role("button", name="Créer le destinataire").click()
    expect(page.get_by_role("alert")).to_contain_text("ORG_INVALID_IDENTIFIER")
    assert not Structure.objects.filter(kind="PUBLIQUE").exists()

    page.get_by_label("SIRET").fill("110 002 011 00044")
    page.get_by_label("Ville").fill("Bordeaux")
    page.get_by_label(re.compile("^Code service obligatoire")).check()
    shoot(page, "recipient-create")
    page.get_by_role("button", name="Créer le destinataire").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le destinataire public DRFIP Gironde est créé, avec son service FACTURES_PUBLIQUES")
    expect(page.get_by_role("heading", level=1)).to_have_text("DRFIP Gironde")

    # A service that requires an engagement number.
    page.get_by_role("link", name="Ajouter un service").click()
    page.get_by_label("Code service").fill("COMPTA")
    page.get_by_label("Nom du service").fill("Comptabilité")
    page.get_by_label("Numéro d'engagement obligatoire").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Le service COMPTA est enregistré")
    services = page.get_by_role("table", name="Services du destinataire")
    expect(services).to_contain_text("COMPTA")
    expect(services).to_contain_text("FACTURES_PUBLIQUES")

    # Its requirements changed: engagement or service code.
    page.get_by_label("Numéro d'engagement ou code service obligatoire").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Le destinataire public est enregistré")
    shoot(page, "recipient-detail")
    recipient = Structure.objects.get(kind="PUBLIQUE")
    assert recipient.service_code_required and recipient.engagement_or_service_required
    assert recipient.services.get(code="COMPTA").engagement_required

    # Suppliers see it in the annuaire, with its requirements.
    page.get_by_role("link", name="Voir sa fiche dans l'annuaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DRFIP Gironde")
    expect(page.locator("main")).to_contain_text("COMPTA")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Administration").click()
    page.get_by_role("link", name="Destinataires publics").click()
    shoot(page, "recipient-list")
    expect(page.get_by_role("link", name="DRFIP Gironde")).to_be_visible()
    log_out(page)

    # A gestionnaire of a private structure: no menu entry, and the pages refuse her.
    log_in(page, gp.email, PASSWORD)
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    response = page.goto(f"/administration/destinataires/{recipient.pk}/")
    assert response.status == 403
    response = page.goto("/administration/destinataires/creer/")
    assert response.status == 403
    expect(page.locator("main")).not_to_contain_text(re.compile("DRFIP"))


def test_the_administrator_designates_a_public_recipients_first_principal(page, settings):
    """Production: an agent asks to join a public recipient nobody manages; the request waits
    for a platform administrator, who designates the agent its gestionnaire principal."""
    from django.db import transaction

    from choeur.organisations import services
    from choeur.organisations.models import Rattachement

    settings.CHOEUR_ENVIRONMENT = "production"
    admin = make_user("admin@choeur.test", first_name="Adèle", last_name="Admin",
                      is_superuser=True, is_staff=True)
    with transaction.atomic():
        recipient = services.create_public_structure(admin, "11000201100044",
                                                     {"company_name": "DRFIP Gironde"})
    make_user("agent@drfip.gouv.fr", first_name="Anne", last_name="Agent")

    log_in(page, "agent@drfip.gouv.fr", PASSWORD)
    page.goto("/rattachements/demande/")
    page.get_by_label("SIRET (3 chiffres au moins) ou raison sociale exacte").fill("110002011")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_label(re.compile("DRFIP Gironde")).check()
    page.get_by_role("button", name="Choisir cette structure").click()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("status")).to_contain_text(
        "votre demande est envoyée aux administrateurs de la plateforme")
    assert Rattachement.objects.get(structure=recipient).status == "EN_COURS_DE_VALIDATION"
    log_out(page)

    log_in(page, "admin@choeur.test", PASSWORD)
    page.goto(f"/administration/destinataires/{recipient.pk}/")
    requests = page.get_by_test_id("first-principal-requests")
    expect(requests).to_contain_text("agent@drfip.gouv.fr")
    shoot(page, "recipient-first-principal")
    requests.get_by_role("button", name="Désigner gestionnaire principal").click()
    expect(page.get_by_role("status")).to_contain_text(
        "agent@drfip.gouv.fr est le gestionnaire principal de DRFIP Gironde")
    expect(page.get_by_test_id("first-principal-requests")).to_have_count(0)
    chosen = Rattachement.objects.get(structure=recipient)
    assert (chosen.status, chosen.role) == ("VALIDEE", "GESTIONNAIRE_PRINCIPAL")
