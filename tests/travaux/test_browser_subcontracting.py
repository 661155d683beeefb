# ruff: noqa: F811 - fixtures used by name
"""Issue 16, sous-traitance in a real chromium: the sous-traitant deposits its projet de
décompte mensuel (A10) naming its titulaire; the titulaire finds it in its list of
sous-traitants' pieces, waiting for it, and accepts it; the maître d'œuvre then finds it « à
traiter ». A failing step leaves a screenshot (see tests/conftest.py)."""

import pytest
from playwright.sync_api import expect

from choeur.invoicing.statuses import Status
from choeur.travaux.models import Actor, Dossier
from tests.conftest import PASSWORD
from tests.invoicing.conftest import RECIPIENT_SIRET, SUPPLIER_SIRET, TITULAIRE_SIRET
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

from .test_browser_monthly import travaux
from .test_subcontracting import soustraitant, soustraitant_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def subcontractors(page):
    travaux(page)
    page.get_by_role("link", name="Sous-traitance et co-traitance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sous-traitance et co-traitance")


def test_a_sous_traitant_s_projet_through_its_titulaire_to_the_moe(
        page, works, soustraitant, soustraitant_user, supplier_user, titulaire_user):
    # 1. The sous-traitant deposits its projet, naming the titulaire (the works' supplier).
    log_in(page, soustraitant_user.email, PASSWORD)
    subcontractors(page)
    expect(page.get_by_text("Aucune pièce de sous-traitant ou de co-traitant.")).to_be_visible()
    page.get_by_role("link", name="Pour Électricité du Sud SARL").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("sous-traitant")
    page.get_by_label("Numéro de la pièce").fill("ST-2026-03")
    page.get_by_label("SIRET du titulaire du marché (ou du mandataire)").fill(SUPPLIER_SIRET)
    page.get_by_label("SIRET du maître d'ouvrage").fill(RECIPIENT_SIRET)
    page.get_by_label("Code service du maître d'ouvrage").fill("COMPTA")
    page.get_by_label("SIRET du maître d'œuvre").fill(TITULAIRE_SIRET)
    page.get_by_label("Numéro de marché").fill("M-2026-012")
    page.get_by_label("Désignation, ligne 1").fill("Électricité, situation de mars")
    page.get_by_label("Quantité, ligne 1").fill("1")
    page.get_by_label("Prix unitaire HT, ligne 1").fill("4000")
    shoot(page, "soustraitance-1-deposit-form")
    page.get_by_role("button", name="Déposer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le projet de décompte n° ST-2026-03 est déposé")
    dossier = Dossier.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {dossier.number}")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text(
        "Titulaire (valideur)")
    shoot(page, "soustraitance-1-dossier")
    log_out(page)

    # 2. The titulaire finds it waiting in its list, and accepts it.
    log_in(page, supplier_user.email, PASSWORD)
    subcontractors(page)
    row = page.get_by_role("row").filter(has_text=dossier.number)
    expect(row).to_contain_text("Électricité du Sud SARL")
    expect(row).to_contain_text("ST-2026-03")
    expect(row).to_contain_text("Titulaire (valideur)")
    shoot(page, "soustraitance-2-titulaire-list")
    row.get_by_role("button", name="Accepter le projet ST-2026-03").click()
    expect(page.get_by_role("status")).to_contain_text("mis à disposition du maître d'œuvre")
    row = page.get_by_role("row").filter(has_text=dossier.number)
    expect(row).to_contain_text("Maître d'œuvre")
    expect(row.get_by_role("button", name="Accepter le projet ST-2026-03")).to_have_count(0)
    shoot(page, "soustraitance-2-accepted")
    log_out(page)
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.MOE
    assert dossier.pieces.get().invoice.status == Status.MISE_A_DISPOSITION_MOE

    # 3. The MOE finds it « à traiter », with its état d'acompte to deposit.
    log_in(page, titulaire_user.email, PASSWORD)
    travaux(page, tab="À traiter")
    row = page.get_by_role("row").filter(has_text=dossier.number)
    expect(row).to_contain_text("Électricité du Sud SARL")
    expect(row).to_contain_text("Mise à disposition de la MOE")
    row.get_by_role("link", name=dossier.number).click()
    expect(page.get_by_label("Désignation, ligne 1")).to_have_value(
        "Électricité, situation de mars")
    expect(page.get_by_role("button", name="Déposer l'état d'acompte")).to_be_visible()
    shoot(page, "soustraitance-3-moe")
