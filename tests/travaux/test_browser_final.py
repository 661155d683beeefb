"""Issue 16's acceptance, the final circuit in a real chromium with three users in three
structures: the titulaire deposits its projet de décompte final (A7), choosing it among the
first pieces; the maître d'œuvre finds it « à traiter » and deposits its projet de décompte
général (A17) admitting less than claimed; the maître d'ouvrage notifies its décompte général
(A20); the titulaire, through « Déposer la pièce de facturation suivante », signs it within
its 30 days (A8); the paying service (the MOA's gestionnaire) finds the décompte général et
définitif in « Factures reçues ». A failing step leaves a screenshot (see tests/conftest.py).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from choeur.core import clock
from choeur.invoicing.models import TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.travaux.models import Dossier
from tests.conftest import PASSWORD
from tests.invoicing.conftest import RECIPIENT_SIRET, TITULAIRE_SIRET
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

from .test_browser_monthly import travaux

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_final_cycle_through_the_dgd(page, run_tasks, works, supplier_user, titulaire_user,
                                       recipient_user, bank_account):
    # 1. The titulaire chooses the projet de décompte final among the first pieces.
    log_in(page, supplier_user.email, PASSWORD)
    travaux(page)
    page.get_by_role("link", name="Déposer une facture de travaux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer une facture de travaux")
    page.get_by_label("Projet de décompte final — titulaire (A7)").check()
    expect(page.get_by_text("vous avez alors 30 jours pour le signer")).to_be_visible()
    page.get_by_label("Numéro de la pièce").fill("PDF-2026-01")
    page.get_by_label("SIRET du maître d'ouvrage").fill(RECIPIENT_SIRET)
    page.get_by_label("Code service du maître d'ouvrage").fill("COMPTA")
    page.get_by_label("SIRET du maître d'œuvre").fill(TITULAIRE_SIRET)
    page.get_by_label("Numéro de marché").fill("M-2026-017")
    page.get_by_label("Désignation, ligne 1").fill("Solde du marché de gros œuvre")
    page.get_by_label("Quantité, ligne 1").fill("1")
    page.get_by_label("Prix unitaire HT, ligne 1").fill("50000")
    shoot(page, "travaux-final-1-projet-form")
    page.get_by_role("button", name="Déposer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le projet de décompte final n° PDF-2026-01 est déposé")
    dossier = Dossier.objects.get()
    assert dossier.kind == Dossier.Kind.FINAL
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {dossier.number}")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text(
        "Maître d'œuvre — Bâtiments Titulaire SA")
    # It waits for the MOE; the titulaire is told from when the tacit procedure opens.
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text(
        "vous pourrez engager la procédure tacite")
    expect(page.get_by_role("link", name="Déposer la pièce de facturation suivante")
           ).to_have_count(0)
    shoot(page, "travaux-final-1-dossier-supplier")
    log_out(page)

    # 2. The MOE finds it « à traiter », and admits 48 000 € of the 50 000 € claimed.
    log_in(page, titulaire_user.email, PASSWORD)
    travaux(page, tab="À traiter")
    row = page.get_by_role("row").filter(has_text=dossier.number)
    expect(row).to_contain_text("Décompte final")
    row.get_by_role("link", name=dossier.number).click()
    page.get_by_role("link", name="Déposer la pièce de facturation suivante").click()
    section = page.get_by_role("region", name="Déposer le projet de décompte général")
    expect(section.get_by_label("Désignation, ligne 1")).to_have_value(
        "Solde du marché de gros œuvre")
    expect(section).to_contain_text("le décompte général est attendu avant le")
    section.get_by_label("Montant admis HT, ligne 1").fill("48000")
    section.get_by_label("Commentaire").fill("Pénalités de retard, lot 3.")
    shoot(page, "travaux-final-2-moe-projet-general")
    section.get_by_role("button", name="Déposer le projet de décompte général").click()
    expect(page.get_by_role("status")).to_contain_text("mis à disposition du maître d'ouvrage")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text("Maître d'ouvrage")
    expect(page.get_by_role("table", name="Pièces du dossier, dans l'ordre")).to_contain_text(
        "Projet de décompte général")
    log_out(page)

    # 3. The MOA notifies its décompte général, prefilled with the sums the MOE admitted.
    log_in(page, recipient_user.email, PASSWORD)
    travaux(page, tab="À traiter")
    page.get_by_role("link", name=dossier.number).click()
    section = page.get_by_role("region", name="Notifier le décompte général")
    expect(section.get_by_label("Montant admis HT, ligne 1")).to_have_value("48000,00")
    expect(section).to_contain_text("le titulaire a 30 jours pour signer")
    shoot(page, "travaux-final-3-moa-decompte-general")
    section.get_by_role("button", name="Déposer le décompte général").click()
    expect(page.get_by_role("status")).to_contain_text("le titulaire a 30 jours pour le signer")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text(
        "Fournisseur — Papeterie")
    log_out(page)

    # 4. The titulaire: « Déposer la pièce de facturation suivante », the signed DGD.
    general = dossier.pieces.get(position=3)
    due = f"{general.due_at.astimezone(clock.PARIS):%d/%m/%Y}"
    log_in(page, supplier_user.email, PASSWORD)
    travaux(page, tab="À traiter")
    page.get_by_role("link", name=dossier.number).click()
    page.get_by_role("link", name="Déposer la pièce de facturation suivante").click()
    section = page.get_by_role("region", name="Signer le décompte général")
    expect(section).to_contain_text(f"vous avez jusqu'au {due}")
    expect(section.get_by_role("table", name="Lignes du décompte général")).to_contain_text(
        "48\u00a0000,00\u00a0€")
    expect(section.get_by_role("button", name="Refuser le décompte général")).to_be_visible()
    section.get_by_label("Votre numéro de pièce").fill("DGD-2026-01")
    shoot(page, "travaux-final-4-titulaire-dgd")
    section.get_by_role("button", name="Signer et déposer le décompte général et définitif"
                        ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le décompte général et définitif n° DGD-2026-01 est déposé")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text("Service payeur")
    dgd = dossier.pieces.get(position=4).invoice
    assert dgd.cadre == TravauxCadre.A8 and dgd.total_ht == Decimal("48000")
    assert dgd.status == Status.DEPOSEE
    shoot(page, "travaux-final-4-dossier-dgd")
    log_out(page)

    # 5. Routed (the worker's task), the paying service finds it in « Factures reçues ».
    run_tasks()
    log_in(page, recipient_user.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures reçues")).click()
    page.get_by_role("link", name="À traiter").click()
    expect(page.get_by_role("link", name="DGD-2026-01")).to_be_visible()
    shoot(page, "travaux-final-5-factures-recues")
    page.get_by_role("link", name="DGD-2026-01").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DGD-2026-01")
    dgd.refresh_from_db()
    assert dgd.status == Status.MISE_A_DISPOSITION
