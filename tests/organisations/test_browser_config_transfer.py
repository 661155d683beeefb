"""The configuration's way in a real chromium: the gestionnaire downloads it from the
structure's page, then uploads it on another structure, reads the preview, confirms, and is
shown the new secrets once."""

import pytest
from playwright.sync_api import expect

from choeur.organisations import raccordements, services
from choeur.organisations.models import Espace
from tests.conftest import PASSWORD

from .conftest import OTHER_SIRET, SIRET, make_user, run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_then_import_with_a_preview(page, tmp_path):
    owner = make_user("gp@acme.fr")
    source = run(services.create_private_structure, owner, "SIRET", SIRET,
                 {"company_name": "ACME Qualification"})
    run(services.create_service, owner, source, "COMPTA", {"name": "Comptabilité"})
    run(services.set_espace_open, owner, source, Espace.RACCORDEMENTS, True)
    run(raccordements.create_technical_account, owner, source)
    run(raccordements.create_api_client, owner, source, "ERP")
    target = run(services.create_private_structure, owner, "SIRET", OTHER_SIRET,
                 {"company_name": "ACME Production"})

    page.goto("/connexion/")
    page.get_by_label("Adresse électronique de connexion").fill(owner.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.goto(f"/structures/{source.pk}/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter la configuration").click()
    path = tmp_path / "configuration.json"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith(f"configuration-{SIRET}-")

    page.goto(f"/structures/{target.pk}/")
    page.get_by_role("link", name="Importer une configuration").click()
    page.get_by_label("Fichier de configuration").set_input_files(path)
    page.get_by_label("La configuration vient d'une structure d'un autre identifiant").check()
    page.get_by_role("button", name="Prévisualiser l'import").click()
    report = page.get_by_test_id("config-report")
    expect(report).to_contain_text("Prévisualisation")
    expect(report.get_by_role("row", name="Service COMPTA créé")).to_be_visible()
    assert not target.services.filter(code="COMPTA").exists()
    page.get_by_role("button", name="Importer cette configuration").click()
    expect(page.get_by_text("La configuration est importée.")).to_be_visible()
    secrets = page.get_by_test_id("config-secrets")
    account = target.technical_accounts.get()
    expect(secrets).to_contain_text(account.login)
    expect(secrets).to_contain_text(target.api_clients.get().client_id)
    assert target.services.filter(code="COMPTA").exists()
