"""Issue 16's acceptance, the monthly circuit in a real chromium with three users in three
structures: the titulaire deposits its projet de décompte mensuel (A4); the maître d'œuvre
finds it « à traiter » and deposits its état d'acompte admitting less than claimed; the maître
d'ouvrage validates it; its paying service (the MOA's gestionnaire) finds the état d'acompte
validé in « Factures reçues » and takes it to « Mise en paiement ». A failing step leaves a
screenshot (see tests/conftest.py)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from choeur.invoicing.statuses import Status
from choeur.travaux.models import Dossier
from tests.conftest import PASSWORD
from tests.invoicing.conftest import RECIPIENT_SIRET, TITULAIRE_SIRET
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def travaux(page, tab=None):
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Travaux", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factures de travaux")
    if tab:
        page.get_by_role("navigation", name="Onglets de la liste").get_by_role(
            "link", name=tab).click()


def process(page, status, mandate=""):
    page.get_by_label("Nouveau statut").select_option(label=status)
    if mandate:
        page.get_by_label("Numéro de mandat").fill(mandate)
    page.get_by_role("button", name="Enregistrer le traitement").click()
    expect(page.get_by_role("status")).to_contain_text(f"est passée au statut « {status} »")


def test_a_monthly_cycle_to_mise_en_paiement(page, run_tasks, works, supplier_user,
                                             titulaire_user, recipient_user, bank_account):
    # 1. The titulaire deposits its projet de décompte mensuel for the MOE.
    log_in(page, supplier_user.email, PASSWORD)
    travaux(page)
    page.get_by_role("link", name="Déposer une facture de travaux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déposer une facture de travaux")
    expect(page.get_by_label("Projet de décompte mensuel — titulaire (A4)")).to_be_checked()
    page.get_by_label("Numéro de la pièce").fill("PDM-2026-03")
    page.get_by_label("SIRET du maître d'ouvrage").fill(RECIPIENT_SIRET)
    page.get_by_label("Code service du maître d'ouvrage").fill("COMPTA")
    page.get_by_label("SIRET du maître d'œuvre").fill(TITULAIRE_SIRET)
    page.get_by_label("Numéro de marché").fill("M-2026-017")
    page.get_by_label("Désignation, ligne 1").fill("Gros œuvre, situation de mars")
    page.get_by_label("Quantité, ligne 1").fill("1")
    page.get_by_label("Prix unitaire HT, ligne 1").fill("10000")
    shoot(page, "travaux-1-projet-form")
    page.get_by_role("button", name="Déposer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le projet de décompte n° PDM-2026-03 est déposé")
    dossier = Dossier.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {dossier.number}")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text(
        "Maître d'œuvre — Bâtiments Titulaire SA")
    # The supplier has nothing to do but follow.
    expect(page.get_by_role("button", name="Déposer l'état d'acompte")).to_have_count(0)
    shoot(page, "travaux-1-dossier-supplier")
    log_out(page)

    # 2. The MOE finds it « à traiter » and admits 9 000 € of the 10 000 € claimed.
    log_in(page, titulaire_user.email, PASSWORD)
    travaux(page, tab="À traiter")
    row = page.get_by_role("row").filter(has_text=dossier.number)
    expect(row).to_contain_text("Maître d'œuvre")
    expect(row).to_contain_text("Mise à disposition de la MOE")
    shoot(page, "travaux-2-moe-a-traiter")
    row.get_by_role("link", name=dossier.number).click()
    expect(page.get_by_label("Désignation, ligne 1")).to_have_value(
        "Gros œuvre, situation de mars")
    page.get_by_label("Montant admis HT, ligne 1").fill("9000")
    page.get_by_label("Commentaire").first.fill("Lot 2 non achevé.")
    shoot(page, "travaux-2-moe-etat-acompte")
    page.get_by_role("button", name="Déposer l'état d'acompte").click()
    expect(page.get_by_role("status")).to_contain_text("mis à disposition du maître d'ouvrage")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text("Maître d'ouvrage")
    pieces = page.get_by_role("table", name="Pièces du dossier, dans l'ordre")
    expect(pieces).to_contain_text("État d'acompte")
    expect(pieces).to_contain_text("9\u00a0000,00\u00a0€")
    log_out(page)

    # 3. The MOA validates the état d'acompte, prefilled with the sums the MOE admitted.
    log_in(page, recipient_user.email, PASSWORD)
    travaux(page, tab="À traiter")
    page.get_by_role("link", name=dossier.number).click()
    expect(page.get_by_label("Montant admis HT, ligne 1")).to_have_value("9000,00")
    expect(page.get_by_role("button", name="Refuser")).to_have_count(0)
    shoot(page, "travaux-3-moa-validation")
    page.get_by_role("button", name="Valider l'état d'acompte").click()
    expect(page.get_by_role("status")).to_contain_text("transmis au service payeur")
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text("Service payeur")
    valide = dossier.pieces.get(position=3).invoice
    assert valide.total_ht == Decimal("9000") and valide.status == Status.DEPOSEE

    # 4. Routed (the worker's task), it reaches the paying service, who takes it to payment.
    run_tasks()
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Factures reçues")).click()
    page.get_by_role("link", name="À traiter").click()
    page.get_by_role("link", name=valide.number).click()
    process(page, "Service fait")
    process(page, "Mandatée", mandate="M-2026-000777")
    process(page, "Mise en paiement")
    shoot(page, "travaux-4-mise-en-paiement")
    log_out(page)
    valide.refresh_from_db()
    assert valide.status == Status.MISE_EN_PAIEMENT

    # 5. The titulaire follows it in its dossier: the last piece is mise en paiement.
    log_in(page, supplier_user.email, PASSWORD)
    travaux(page)
    row = page.get_by_role("row").filter(has_text=dossier.number)
    expect(row).to_contain_text("Mise en paiement")
    expect(row).not_to_contain_text("Service payeur")  # nobody has anything left to do
    row.get_by_role("link", name=dossier.number).click()
    expect(page.get_by_role("region", name="Qui doit agir")).to_contain_text(
        "Aucune action n'est attendue sur ce dossier. Dernière pièce : Mise en paiement")
    expect(page.get_by_role("table", name="Pièces du dossier, dans l'ordre")).to_contain_text(
        "État d'acompte validé")
    shoot(page, "travaux-5-dossier-paid")
