"""« Activités du gestionnaire » in a real chromium: sentences, in French and in English,
never the audit log's internal codes."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.web.screens import shoot

from .test_browser_organisation import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_gestionnaire_activities_are_sentences(page, gp, member, structure):
    log_in(page, gp.email, PASSWORD)
    page.goto(f"/structures/{structure.pk}/historique/")
    table = page.locator("main table")
    expect(table).to_contain_text(
        "gp@acme.fr a rattaché membre@acme.fr à la structure (rôle : Utilisateur).")
    expect(table).to_contain_text("gp@acme.fr a créé le service COMPTA — Comptabilité.")
    expect(table).not_to_contain_text("organisations.")
    shoot(page, "activities-fr")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("main table")).to_contain_text(
        "gp@acme.fr attached membre@acme.fr to the structure (role: User).")
