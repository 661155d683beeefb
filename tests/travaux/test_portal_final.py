"""Issue 16, the final circuit and the monthly variants through the portal (Django client):
the supplier's deposit page offers each first piece (A4/A13, A7/A14, A5, A6) with what it is
for; a final dossier's page offers each role only its action now — the MOE's projet de
décompte général (A17) or décompte général on mandate (A18), the MOA's décompte général
(A20), the titulaire's signed DGD (A8) or refusal, the tacit procedure (A22, then A23 / A24 /
A25) once open —; the MOE's A16 and the MOA's validation of an A5; « Déposer la pièce de
facturation suivante ». Bad input and the wrong role get the coded error, the dossier
unchanged; a structure outside the dossier gets 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from choeur.core import clock
from choeur.invoicing import queries as invoicing_queries
from choeur.invoicing.models import Invoice, TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.travaux import final, services, variants
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux
from tests.invoicing.conftest import RECIPIENT_SIRET

from .test_final import _own as _own_data
from .test_monthly import _claim, _in_tx
from .test_portal import _admitting, _as, _detail, _lines, text

pytestmark = pytest.mark.django_db
S = Status
K = TypeFactureTravaux
DAY = timedelta(days=1)


@pytest.fixture
def outsider(other_recipient):
    return other_recipient.rattachements.get().user


def _fixed(prefix: str, amount: str, designation="Gros œuvre, situation de mars (admis)"):
    """The hidden lines a DGD posts back: those of the piece it makes definitive."""
    return _lines(f"{prefix}-lines", {"designation": designation, "quantity": "1",
                                      "unit": "C62", "unit_price": amount, "discount": "",
                                      "vat_rate": "20"})


def _own(prefix: str, number: str, **extra) -> dict:
    return {f"{prefix}-number": number, f"{prefix}-invoice_date": "",
            f"{prefix}-bank_account": "", f"{prefix}-comment": "", **extra}


def _snapshot(dossier: Dossier):
    dossier.refresh_from_db()
    return (Invoice.objects.count(), Piece.objects.count(),
            [p.invoice.status for p in dossier.pieces.select_related("invoice")],
            dossier.next_actor, dossier.due_at)


def _url(name, dossier):
    return reverse(f"travaux:{name}", args=[dossier.pk])


# --- The supplier's first piece -----------------------------------------------------------------


def _deposit_data(bank_account, cadre, number, moe=""):
    return {"cadre": cadre, "number": number, "invoice_date": "",
            "moa_identifier": RECIPIENT_SIRET, "moa_service_code": "COMPTA",
            "moe_identifier": moe, "marche_number": "M-2026-7", "engagement_number": "",
            "bank_account": str(bank_account.pk), "comment": "", "action": "deposit",
            **_lines("lines", {"designation": "Solde du marché", "quantity": "1",
                               "unit": "C62", "unit_price": "5000", "discount": "",
                               "vat_rate": "20"})}


def test_the_deposit_page_explains_each_first_piece(client, works, supplier_user):
    supplier, _moe, _moa = works
    page = text(_as(client, supplier_user).get(reverse("travaux:deposit",
                                                       args=[supplier.pk])))
    for label in ("Projet de décompte mensuel — titulaire (A4)",
                  "Projet de décompte mensuel — co-traitant (A13)",
                  "Projet de décompte final — titulaire (A7)",
                  "Projet de décompte final — co-traitant (A14)",
                  "État d'acompte — marché sans maître d'œuvre (A5)",
                  "État d'acompte validé (A6)"):
        assert label in page
    # What follows each, for a trainee.
    assert "vous avez alors 30 jours pour le signer" in page
    assert "votre état d'acompte va directement au maître d'ouvrage" in page
    assert "il va directement au service payeur" in page
    response = client.get(reverse("travaux:deposit", args=[supplier.pk]))
    assert response.context["form"]["cadre"].value() == TravauxCadre.A4


@pytest.mark.parametrize(("cadre", "moe", "kind", "status", "next_actor", "piece_kind"), [
    (TravauxCadre.A7, True, Dossier.Kind.FINAL, S.MISE_A_DISPOSITION_MOE, Actor.MOE,
     K.PROJET_DECOMPTE_FINAL),
    (TravauxCadre.A14, True, Dossier.Kind.FINAL, S.MISE_A_DISPOSITION_MOE, Actor.MOE,
     K.PROJET_DECOMPTE_FINAL),
    (TravauxCadre.A13, True, Dossier.Kind.MENSUEL, S.MISE_A_DISPOSITION_MOE, Actor.MOE,
     K.PROJET_DECOMPTE_MENSUEL),
    (TravauxCadre.A5, False, Dossier.Kind.MENSUEL, S.MISE_A_DISPOSITION_MOA, Actor.MOA,
     K.ETAT_ACOMPTE),
    (TravauxCadre.A6, False, Dossier.Kind.MENSUEL, S.DEPOSEE, Actor.DESTINATAIRE,
     K.ETAT_ACOMPTE_VALIDE),
])
def test_the_supplier_deposits_each_first_piece(client, works, supplier_user, bank_account,
                                                cadre, moe, kind, status, next_actor,
                                                piece_kind):
    supplier, moe_structure, _moa = works
    url = reverse("travaux:deposit", args=[supplier.pk])
    client = _as(client, supplier_user)
    data = _deposit_data(bank_account, cadre, "PIECE-2026-1",
                         moe=moe_structure.identifier if moe else "")
    # The MOE left out of a projet, or named for an état d'acompte: said on its field.
    wrong = {**data, "moe_identifier": "" if moe else moe_structure.identifier}
    response = client.post(url, wrong)
    assert response.status_code == 400
    assert ("indiquez son SIRET" if moe else "se dépose sans maître d'œuvre") in text(response)
    assert not Invoice.objects.exists() and not Dossier.objects.exists()
    response = client.post(url, data)
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(dossier)
    piece = dossier.pieces.get()
    assert (dossier.kind, piece.kind, piece.invoice.cadre) == (kind, piece_kind, cadre)
    assert piece.invoice.status == status and dossier.next_actor == next_actor
    assert (dossier.moe == moe_structure) is moe and dossier.marche_number == "M-2026-7"
    assert "PIECE-2026-1" in text(client.get(_detail(dossier)))


def test_a_deposit_s_coded_error_changes_nothing(client, works, supplier_user, bank_account):
    supplier, moe, _moa = works
    url = reverse("travaux:deposit", args=[supplier.pk])
    client = _as(client, supplier_user)
    data = _deposit_data(bank_account, TravauxCadre.A7, "PDF-2026-1", moe=moe.identifier)
    response = client.post(url, {**data, "moa_identifier": supplier.identifier})
    assert response.status_code == 400 and "INV_RECIPIENT_UNKNOWN" in text(response)
    response = client.post(url, {**data, "cadre": TravauxCadre.A8})  # not a first piece
    assert response.status_code == 400 and "Sélectionnez un choix valide" in text(response)
    assert not Invoice.objects.exists() and not Dossier.objects.exists()


# --- The final circuit on the dossier's page ------------------------------------------------------


def test_each_role_sees_only_its_final_action(client, works, projet_final, supplier_user,
                                              titulaire_user, recipient_user):
    dossier = projet_final.dossier
    url = _detail(dossier)
    # The MOE: its projet de décompte général, prefilled from the projet de décompte final.
    response = _as(client, titulaire_user).get(url)
    page = text(response)
    assert "Déposer le projet de décompte général" in page
    assert "Déposer le décompte général (A18, sur mandat du maître d'ouvrage)" in page
    form = response.context["general_lines"].forms[0]
    assert form.initial["designation"] == "Gros œuvre, situation de mars"
    assert form.initial["admitted"] == D("10000")
    due = f"{projet_final.due_at.astimezone(clock.PARIS):%d/%m/%Y}"
    assert f"le décompte général est attendu avant le {due}" in page
    assert response.context["next_piece"][0] == "#action-general"
    # The titulaire waits, told from when the tacit procedure opens; the MOA waits too.
    response = _as(client, supplier_user).get(url)
    page = text(response)
    assert "Déposer le projet de décompte général" not in page
    assert f"procédure tacite (projet de décompte général, A22) à partir du {due}" in page
    assert "Engager la procédure tacite" not in page and response.context["next_piece"] is None
    response = _as(client, recipient_user).get(url)
    page = text(response)
    assert "Déposer le projet de décompte général" not in page and "(A18" not in page
    assert "Notifier le décompte général" not in page and "à partir du" not in page
    assert response.context["next_piece"] is None


def test_a_whole_final_cycle_through_the_pages(client, works, projet_final, supplier_user,
                                               titulaire_user, recipient_user, run_tasks):
    dossier = projet_final.dossier
    # The MOE admits 9 500 € of the 10 000 € claimed (more is refused, coded).
    client = _as(client, titulaire_user)
    before = _snapshot(dossier)
    response = client.post(_url("projet_general", dossier),
                           {"general-comment": "", **_admitting("general", "10000,01")})
    assert response.status_code == 400 and "TRAV_AMOUNTS_INCONSISTENT" in text(response)
    assert _snapshot(dossier) == before
    response = client.post(_url("projet_general", dossier),
                           {"general-comment": "Pénalités", **_admitting("general", "9500")})
    assert response.status_code == 302
    pdg = dossier.pieces.get(position=2)
    assert (pdg.kind, pdg.invoice.cadre, pdg.invoice.status) == (
        K.PROJET_DECOMPTE_GENERAL, TravauxCadre.A17, S.MISE_A_DISPOSITION_MOA)
    assert pdg.invoice.total_ht == D("9500") and pdg.claimed_ht == D("10000")
    assert "Déposer le projet de décompte général" not in text(client.get(_detail(dossier)))

    # The MOA: its décompte général, prefilled from the projet de décompte général.
    client = _as(client, recipient_user)
    response = client.get(_detail(dossier))
    assert "Notifier le décompte général" in text(response)
    assert response.context["dg_lines"].forms[0].initial["admitted"] == D("9500")
    response = client.post(_url("general", dossier),
                           {"dg-comment": "", **_admitting("dg", "9400")})
    assert response.status_code == 302
    dg = dossier.pieces.get(position=3)
    assert (dg.kind, dg.invoice.cadre, dg.invoice.status) == (
        K.DECOMPTE_GENERAL, TravauxCadre.A20, S.A_ASSOCIER_FOURNISSEUR)
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.FOURNISSEUR and dossier.due_at == dg.due_at

    # The titulaire: the décompte général's amounts read-only, its 30 days, the refusal.
    client = _as(client, supplier_user)
    response = client.get(_detail(dossier))
    page = text(response)
    due = f"{dg.due_at.astimezone(clock.PARIS):%d/%m/%Y}"
    assert "Signer le décompte général" in page and f"vous avez jusqu'au {due}" in page
    assert "Refuser le décompte général" in page and "9\xa0400,00\xa0€" in page
    assert response.context["next_piece"][0] == "#action-dgd"
    assert response.context["dgd_lines"].forms[0].initial["unit_price"] == D("9400")
    # Amounts that are not the décompte général's (a forged post): coded, nothing deposited.
    before = _snapshot(dossier)
    response = client.post(_url("sign", dossier), {**_own("dgd", "DGD-2026-01"),
                                                   **_fixed("dgd", "9500")})
    assert response.status_code == 400 and "TRAV_AMOUNTS_INCONSISTENT" in text(response)
    # Its number is its own: one already used is refused.
    response = client.post(_url("sign", dossier), {**_own("dgd", "PDF-2026-01"),
                                                   **_fixed("dgd", "9400")})
    assert response.status_code == 400 and "PDF-2026-01" in text(response)
    assert _snapshot(dossier) == before
    response = client.post(_url("sign", dossier), {**_own("dgd", "DGD-2026-01"),
                                                   **_fixed("dgd", "9400")})
    assert response.status_code == 302
    dgd = dossier.pieces.get(position=4)
    assert (dgd.kind, dgd.invoice.cadre, dgd.invoice.status) == (
        K.DECOMPTE_GENERAL_SIGNE, TravauxCadre.A8, S.DEPOSEE)
    assert dgd.invoice.number == "DGD-2026-01" and dgd.invoice.total_ht == D("9400")
    assert "Signer le décompte général" not in text(client.get(_detail(dossier)))
    # Routed, it reaches the paying service's « Factures reçues ».
    run_tasks()
    dgd.invoice.refresh_from_db()
    assert list(invoicing_queries.received_invoices(recipient_user)) == [dgd.invoice]


def test_the_titulaire_refuses_the_decompte_general(client, works, general, supplier_user,
                                                    titulaire_user, recipient_user):
    dossier = general.dossier
    client = _as(client, supplier_user)
    before = _snapshot(dossier)
    response = client.post(_url("refuse_general", dossier), {"refus-dg-reason": "  "})
    assert response.status_code == 400 and _snapshot(dossier) == before
    response = client.post(_url("refuse_general", dossier),
                           {"refus-dg-reason": "Pénalités de retard contestées"})
    assert response.status_code == 302
    general.invoice.refresh_from_db()
    assert general.invoice.status == S.REFUSEE_FOURNISSEUR
    assert general.invoice.status_comment == "Pénalités de retard contestées"
    for user in (supplier_user, titulaire_user, recipient_user):
        page = text(_as(client, user).get(_detail(dossier)))
        assert "Aucune action n'est attendue" in page and "Signer le décompte" not in page


def test_past_thirty_days_the_decompte_general_is_accepted(client, works, general,
                                                           supplier_user):
    dossier = general.dossier
    client = _as(client, supplier_user)
    with clock.shifted(30 * DAY + timedelta(minutes=1)):
        page = text(client.get(_detail(dossier)))
        assert "Signer le décompte général" in page and "réputé accepté" in page
        assert "Refuser le décompte général" not in page
        before = _snapshot(dossier)
        response = client.post(_url("refuse_general", dossier),
                               {"refus-dg-reason": "Trop tard"})
        assert response.status_code == 400 and "TRAV_DG_ACCEPTED" in text(response)
        assert _snapshot(dossier) == before
        response = client.post(_url("sign", dossier), {**_own("dgd", "DGD-2026-02"),
                                                       **_fixed("dgd", "9400")})
    assert response.status_code == 302
    assert dossier.pieces.get(position=4).invoice.status == S.DEPOSEE


def test_the_empowered_moe_gives_the_decompte_general(client, works, projet_final,
                                                      titulaire_user, supplier_user):
    dossier = projet_final.dossier
    response = _as(client, titulaire_user).post(
        _url("general_moe", dossier), {"general-comment": "", **_admitting("general", "9900")})
    assert response.status_code == 302
    a18 = dossier.pieces.get(position=2)
    assert (a18.kind, a18.invoice.cadre, a18.invoice.status, a18.depositor_role) == (
        K.DECOMPTE_GENERAL, TravauxCadre.A18, S.A_ASSOCIER_FOURNISSEUR, Actor.MOE)
    assert "Signer le décompte général" in text(_as(client, supplier_user).get(
        _detail(dossier)))


def test_a_dgd_before_the_decompte_general_and_too_early_a_tacit_projet(
        client, works, projet_general, supplier_user):
    dossier = projet_general.dossier
    client = _as(client, supplier_user)
    before = _snapshot(dossier)
    response = client.post(_url("sign", dossier), {**_own("dgd", "DGD-2026-09"),
                                                   **_fixed("dgd", "9500")})
    assert response.status_code == 400 and "TRAV_DGD_BEFORE_DG" in text(response)
    response = client.post(_url("dgd_tacite", dossier), {**_own("dgdt", "DGD-2026-09"),
                                                         **_fixed("dgdt", "9500")})
    assert response.status_code == 400 and "TRAV_DGD_BEFORE_DG" in text(response)
    response = client.post(_url("tacit", dossier), {**_own("tacite", "PDGT-2026-01"),
                                                    **_fixed("tacite", "9800")})
    assert response.status_code == 400 and "TRAV_TACIT_TOO_EARLY" in text(response)
    assert _snapshot(dossier) == before


def test_the_tacit_procedure_through_the_pages(client, works, projet_general, supplier_user,
                                               titulaire_user, recipient_user, run_tasks):
    dossier = projet_general.dossier
    with clock.shifted(30 * DAY + timedelta(minutes=1)):
        # The MOA silent past the décompte général's delay: the titulaire's tacit projet,
        # prefilled from its projet de décompte final.
        client = _as(client, supplier_user)
        response = client.get(_detail(dossier))
        assert "Engager la procédure tacite" in text(response)
        assert response.context["next_piece"][0] == "#action-tacite"
        assert response.context["tacite_lines"].forms[0].initial["unit_price"] == D("10000")
        # Without JavaScript, « Ajouter une ligne » gives one more line, nothing deposited.
        data = {**_own("tacite", "PDGT-2026-01"), **_fixed("tacite", "9800")}
        response = client.post(_url("tacit", dossier), {**data, "action": "add_line"})
        assert response.status_code == 200 and len(response.context["tacite_lines"]) == 2
        assert Piece.objects.count() == 2
        response = client.post(_url("tacit", dossier), {**data, "action": "deposit"})
        assert response.status_code == 302
        a22 = dossier.pieces.get(position=3)
        assert (a22.kind, a22.invoice.cadre, a22.invoice.number) == (
            K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE, TravauxCadre.A22, "PDGT-2026-01")
        assert a22.invoice.total_ht == D("9800")
        projet_general.invoice.refresh_from_db()
        assert projet_general.invoice.status == S.REMPLACEE_PAR_A22
        # The MOA may still answer for 10 days; everyone is told until when.
        until = f"{a22.due_at.astimezone(clock.PARIS):%d/%m/%Y}"
        response = _as(client, recipient_user).get(_detail(dossier))
        assert "Notifier le décompte général" in text(response)
        assert f"jusqu'au {until}" in text(response)
        assert response.context["dg_lines"].forms[0].initial["admitted"] == D("9800")
        page = text(_as(client, supplier_user).get(_detail(dossier)))
        assert f"jusqu'au {until}" in page and "Déposer le DGD tacite" not in page
        before = _snapshot(dossier)
        response = client.post(_url("dgd_tacite", dossier), {**_own("dgdt", "DGDT-2026-01"),
                                                             **_fixed("dgdt", "9800")})
        assert response.status_code == 400 and "TRAV_TACIT_TOO_EARLY" in text(response)
        assert _snapshot(dossier) == before
    with clock.shifted(41 * DAY):
        # Past them: the DGD tacite, for whoever may; the MOA's décompte général is too late.
        response = _as(client, recipient_user).get(_detail(dossier))
        page = text(response)
        assert "Notifier le décompte général" not in page
        assert "Déposer le DGD tacite (A25, maître d'ouvrage)" in page
        assert "(A23)" not in page and "(A24, maître d'œuvre)" not in page
        response = client.post(_url("general", dossier),
                               {"dg-comment": "", **_admitting("dg", "9000")})
        assert response.status_code == 400 and "TRAV_TACIT_DGD_REACHED" in text(response)
        page = text(_as(client, titulaire_user).get(_detail(dossier)))
        assert "Déposer le DGD tacite (A24, maître d'œuvre)" in page
        client = _as(client, supplier_user)
        response = client.get(_detail(dossier))
        assert "Déposer le DGD tacite (A23)" in text(response)
        assert response.context["next_piece"][0] == "#action-dgdt"
        before = _snapshot(dossier)
        response = client.post(_url("dgd_tacite", dossier), {**_own("dgdt", "DGDT-2026-01"),
                                                             **_fixed("dgdt", "9900")})
        assert response.status_code == 400 and "TRAV_AMOUNTS_INCONSISTENT" in text(response)
        assert _snapshot(dossier) == before
        response = client.post(_url("dgd_tacite", dossier), {**_own("dgdt", "DGDT-2026-01"),
                                                             **_fixed("dgdt", "9800")})
        assert response.status_code == 302
    a23 = dossier.pieces.get(position=4)
    assert (a23.kind, a23.invoice.cadre, a23.invoice.status) == (
        K.DECOMPTE_GENERAL_DEFINITIF_TACITE, TravauxCadre.A23, S.DEPOSEE)


@pytest.mark.parametrize(("who", "name", "cadre"), [
    ("moe", "dgd_tacite_moe", TravauxCadre.A24), ("moa", "dgd_tacite_moa", TravauxCadre.A25)])
def test_the_moe_or_the_moa_deposits_the_dgd_tacite(client, works, projet_final,
                                                    supplier_user, titulaire_user,
                                                    recipient_user, who, name, cadre):
    dossier = projet_final.dossier
    user = {"moe": titulaire_user, "moa": recipient_user}[who]
    prefix = name.replace("dgd_tacite", "dgdt").replace("_", "-")
    with clock.shifted(31 * DAY):
        _in_tx(final.deposit_projet_tacite, supplier_user, dossier.pk,
               _own_data("PDGT-2026-03", "9800"))
    with clock.shifted(42 * DAY):
        response = _as(client, user).post(
            _url(name, dossier), {f"{prefix}-comment": "", **_fixed(prefix, "9800")})
    assert response.status_code == 302
    piece = dossier.pieces.get(position=3)
    assert piece.invoice.cadre == cadre and piece.invoice.status == S.DEPOSEE
    assert piece.kind == K.DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE


# --- The variants ---------------------------------------------------------------------------------


def test_the_moe_s_etat_d_acompte_valide_a16(client, works, supplier_user, titulaire_user,
                                            bank_account):
    supplier, moe, _moa = works
    projet = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                    _claim(bank_account), moe_identifier=moe.identifier)
    dossier = projet.dossier
    client = _as(client, titulaire_user)
    page = text(client.get(_detail(dossier)))
    assert "Déposer un état d'acompte validé (A16, sur mandat du maître d'ouvrage)" in page
    response = client.post(_url("etat_acompte_valide", dossier),
                           {"etat-comment": "", **_admitting("etat", "10000,01")})
    assert response.status_code == 400 and "TRAV_AMOUNTS_INCONSISTENT" in text(response)
    assert Piece.objects.count() == 1
    response = client.post(_url("etat_acompte_valide", dossier),
                           {"etat-comment": "", **_admitting("etat", "9000")})
    assert response.status_code == 302
    a16 = dossier.pieces.get(position=2)
    assert (a16.invoice.cadre, a16.invoice.status, a16.invoice.total_ht) == (
        TravauxCadre.A16, S.DEPOSEE, D("9000"))
    # Past its 7 days, the MOE's A16 is refused like its A15 (and no longer offered).
    late = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                  _claim(bank_account, number="PDM-2026-05"), moe_identifier=moe.identifier)
    with clock.shifted(8 * DAY):
        services.apply_moe_deadlines()
        assert "(A16" not in text(client.get(_detail(late.dossier)))
        response = client.post(_url("etat_acompte_valide", late.dossier),
                               {"etat-comment": "", **_admitting("etat", "9000")})
    assert response.status_code == 400 and "TRAV_DEADLINE_PASSED" in text(response)
    assert late.dossier.pieces.count() == 1


def test_the_moa_validates_an_a5_through_its_page(client, works, supplier_user,
                                                  recipient_user, titulaire_user,
                                                  bank_account):
    supplier, _moe, _moa = works
    a5 = _in_tx(variants.deposit_etat_acompte_fournisseur, supplier_user, supplier,
                _claim(bank_account, number="EA-2026-03"))
    dossier = a5.dossier
    client = _as(client, recipient_user)
    response = client.get(_detail(dossier))
    assert "Ce marché n'a pas de maître d'œuvre" in text(response)
    assert response.context["valide_lines"].forms[0].initial["admitted"] == D("10000")
    # The other private structure is no party here: not found.
    assert _as(client, titulaire_user).get(_detail(dossier)).status_code == 404
    response = _as(client, recipient_user).post(
        _url("validate", dossier), {"valide-comment": "", **_admitting("valide", "9000")})
    assert response.status_code == 302
    valide = dossier.pieces.get(position=2)
    assert (valide.invoice.cadre, valide.invoice.status) == (TravauxCadre.A19, S.DEPOSEE)


# --- « Déposer la pièce de facturation suivante » -------------------------------------------------


def test_the_next_piece_of_a_finished_monthly_dossier(client, works, supplier_user,
                                                      recipient_user, titulaire_user,
                                                      outsider, bank_account):
    supplier, moe, moa = works
    a6 = _in_tx(variants.deposit_etat_acompte_valide_fournisseur, supplier_user, supplier,
                _claim(bank_account, number="EAV-2026-03", marche_number="M-2026-7"))
    client = _as(client, supplier_user)
    response = client.get(_detail(a6.dossier))
    href, what = response.context["next_piece"]
    deposit = reverse("travaux:deposit", args=[supplier.pk])
    assert href == f"{deposit}?depuis={a6.dossier.pk}" and "mois suivant" in what
    assert "Déposer la pièce de facturation suivante" in text(response)
    # The deposit page, prefilled from that dossier.
    form = client.get(href).context["form"]
    assert form.initial["cadre"] == TravauxCadre.A6
    assert form.initial["moa_identifier"] == moa.identifier
    assert form.initial["moa_service_code"] == "COMPTA"
    assert form.initial["marche_number"] == "M-2026-7"
    assert form.initial["bank_account"] == bank_account.pk
    # The MOA has nothing to deposit here; a forged or foreign dossier is not found.
    assert _as(client, recipient_user).get(_detail(a6.dossier)).context["next_piece"] is None
    client = _as(client, supplier_user)
    assert client.get(f"{deposit}?depuis=987654").status_code == 404
    assert _as(client, outsider).get(f"{deposit}?depuis={a6.dossier.pk}").status_code == 404
    # The MOE of a dossier, on its own deposit page, cannot prefill from the supplier's.
    other = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                   _claim(bank_account, number="PDM-2026-09"), moe_identifier=moe.identifier)
    own = reverse("travaux:deposit", args=[moe.pk])
    client = _as(client, titulaire_user)
    assert client.get(own).status_code == 200
    assert client.get(f"{own}?depuis={other.dossier.pk}").status_code == 404


def test_the_moe_s_next_piece_leads_to_its_form(client, works, supplier_user, titulaire_user,
                                                bank_account):
    supplier, moe, _moa = works
    projet = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                    _claim(bank_account), moe_identifier=moe.identifier)
    response = _as(client, titulaire_user).get(_detail(projet.dossier))
    assert response.context["next_piece"][0] == "#action-etat"
    assert 'id="action-etat"' in text(response)
    # The titulaire waits for the MOE: no next piece while the circuit runs.
    assert _as(client, supplier_user).get(_detail(projet.dossier)).context[
        "next_piece"] is None


# --- Permissions ----------------------------------------------------------------------------------

FINAL_POSTS = {
    "projet_general": lambda: _admitting("general", "9000"),
    "general_moe": lambda: _admitting("general", "9000"),
    "general": lambda: _admitting("dg", "9000"),
    "sign": lambda: {**_own("dgd", "DGD-X"), **_fixed("dgd", "9400")},
    "refuse_general": lambda: {"refus-dg-reason": "Non"},
    "tacit": lambda: {**_own("tacite", "PDGT-X"), **_fixed("tacite", "9400")},
    "dgd_tacite": lambda: {**_own("dgdt", "DGDT-X"), **_fixed("dgdt", "9400")},
    "dgd_tacite_moe": lambda: _fixed("dgdt-moe", "9400"),
    "dgd_tacite_moa": lambda: _fixed("dgdt-moa", "9400"),
    "etat_acompte_valide": lambda: _admitting("etat", "9000"),
}


def test_an_outsider_finds_nothing(client, works, general, outsider, supplier_user):
    supplier, _moe, _moa = works
    dossier = general.dossier
    before = _snapshot(dossier)
    client = _as(client, outsider)
    assert client.get(_detail(dossier)).status_code == 404
    for name, data in FINAL_POSTS.items():
        assert client.post(_url(name, dossier), data()).status_code == 404, name
        assert client.post(reverse(f"travaux:{name}", args=[dossier.pk + 1000]),
                           data()).status_code == 404, name
    assert _snapshot(dossier) == before


@pytest.mark.parametrize("who", ["moe", "moa"])
def test_a_party_in_another_role_neither_sees_nor_posts_the_titulaire_s_action(
        client, works, general, titulaire_user, recipient_user, who):
    dossier = general.dossier
    client = _as(client, {"moe": titulaire_user, "moa": recipient_user}[who])
    page = text(client.get(_detail(dossier)))
    assert "Signer le décompte général" not in page and "Refuser le décompte" not in page
    before = _snapshot(dossier)
    for name in ("sign", "refuse_general"):
        response = client.post(_url(name, dossier), FINAL_POSTS[name]())
        assert response.status_code == 400, name
        assert "TRAV_PIECE_NOT_EXPECTED" in text(response)
    assert _snapshot(dossier) == before


def test_the_titulaire_neither_sees_nor_posts_the_moe_s_and_moa_s_actions(
        client, works, projet_final, supplier_user, recipient_user):
    dossier = projet_final.dossier
    client = _as(client, supplier_user)
    before = _snapshot(dossier)
    for name in ("projet_general", "general_moe", "general", "dgd_tacite_moe",
                 "dgd_tacite_moa"):
        response = client.post(_url(name, dossier), FINAL_POSTS[name]())
        assert response.status_code == 400, name
        page = text(response)
        assert "TRAV_PIECE_NOT_EXPECTED" in page, name
    # The MOA before the MOE's projet de décompte général: not its turn, coded.
    response = _as(client, recipient_user).post(_url("general", dossier),
                                                FINAL_POSTS["general"]())
    assert response.status_code == 400 and "TRAV_PIECE_NOT_EXPECTED" in text(response)
    assert "Notifier le décompte général" not in text(response)
    assert _snapshot(dossier) == before
