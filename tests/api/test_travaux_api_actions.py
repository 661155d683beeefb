# ruff: noqa: F811 - the travaux world's fixtures, used by name
"""The facturesTravaux actions on the wire (reference §3.6, §7; docs/TRAVAUX.md): the pieces
waiting for a structure (`rechercher/atraiter`), the MOE's, MOA's and titulaire's deposits
(`soumettre`, factures/v1/soumettre's body plus `idDossierFacturation`), `refuser`,
`demander/recyclage`, `recycler`, and `transverses recuperer/structures/actives/
facturetravaux` — each party through its own technical account (OAuth2 bearer +
cpro-account), as the clients of §5 call. A structure outside a dossier gets the same answer
as for a dossier that does not exist; bad input is a coded error and changes nothing."""

from __future__ import annotations

import pytest

from choeur.invoicing.models import Invoice, StatusChange, TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.organisations import services as org
from choeur.organisations.models import Espace, Service, Structure
from choeur.travaux.models import Dossier, Piece
from tests.api.conftest import Wire, make_party
from tests.api.test_travaux_api import (  # noqa: F401 - fixtures
    _in_tx,
    _projet,
    cycle,
    erps,
    outsider,
    wires,
)
from tests.invoicing.conftest import RECIPIENT_SIRET
from tests.travaux.conftest import (  # noqa: F401 - fixtures
    bank_account,
    other_recipient,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
    titulaire,
    titulaire_user,
    works,
)

pytestmark = pytest.mark.django_db
S = Status
BASE = "facturesTravaux/v1/"
ATRAITER = BASE + "rechercher/atraiter"
SOUMETTRE = BASE + "soumettre"
REFUSER = BASE + "refuser"
DEMANDER = BASE + "demander/recyclage"
RECYCLER = BASE + "recycler"
CONSULT = BASE + "consulter/dossierfacturation"


def _body(cadre: str, amount: str, dossier_id: int | None = None, **extra) -> dict:
    """factures/v1/soumettre's body as the ERPs send it (one line, its VAT line and totals),
    plus the dossier the piece joins."""
    ht = float(amount)
    body = {
        "modeDepot": "SAISIE_API",
        "cadreDeFacturation": {"codeCadreFacturation": cadre},
        "references": {"deviseFacture": "EUR", "typeFacture": "FACTURE",
                       "typeTva": "TVA_SUR_DEBIT", "modePaiement": "VIREMENT"},
        "lignePoste": [{"lignePosteNumero": 1, "lignePosteDenomination": "Gros œuvre",
                        "lignePosteQuantite": 1, "lignePosteUnite": "C62",
                        "lignePosteMontantUnitaireHT": ht, "lignePosteTauxTva": "TVA2"}],
        "ligneTva": [{"ligneTvaTauxManuel": 20, "ligneTvaMontantBaseHtParTaux": ht,
                      "ligneTvaMontantTvaParTaux": round(ht * 0.2, 2)}],
        "montantTotal": {"montantHtTotal": ht, "montantTVA": round(ht * 0.2, 2),
                         "montantTtcTotal": round(ht * 1.2, 2),
                         "montantAPayer": round(ht * 1.2, 2)},
        **extra}
    if dossier_id is not None:
        body["idDossierFacturation"] = dossier_id
    return body


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000", body
    return body


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["libelle"].startswith(code), body
    return body


def _not_found(response) -> dict:
    body = _error(response, 404, "TRAV_DOSSIER_NOT_FOUND")
    assert body["codeRetour"] == 20001
    return body


def _snapshot():
    return (list(Invoice.objects.order_by("pk").values_list("pk", "status", "recipient_id",
                                                           "recipient_service_id")),
            list(Dossier.objects.order_by("pk").values_list(
                "pk", "next_actor", "due_at", "moe_id", "moe_service_id", "moa_id",
                "moa_service_id")),
            StatusChange.objects.count())


@pytest.fixture
def waiting(works, supplier_user, bank_account):
    """A monthly dossier whose A4 waits for the MOE."""
    return _projet(works, supplier_user, bank_account, "PDM-2026-05").dossier


@pytest.fixture
def second_moe(works):
    """Another private structure, its espace Factures de travaux open, with its own ERP."""
    return make_party("40483304800022", "Ingénierie Bis SARL", Structure.Kind.PRIVEE,
                      [Espace.FACTURES_TRAVAUX])


# --- rechercher/atraiter ------------------------------------------------------------------------


def test_each_party_finds_what_waits_for_it(wires, cycle, outsider):
    first, second = cycle
    body = _ok(wires["MOE"].post(ATRAITER, {"roleUtilisateur": "MOE"}))
    [row] = body["listeFacturesTravaux"]
    assert row["idDossierFacturation"] == second.pk and row["rangPiece"] == 1
    assert row["statut"] == "MISE_A_DISPOSITION_MOE" and row["acteurAttendu"] == "MOE"
    second.refresh_from_db()
    assert row["dateLimiteTraitement"] == _ok(wires["MOE"].post(CONSULT, {
        "idDossierFacturation": second.pk}))["dossierFacturation"]["dateLimiteTraitement"]
    assert row["dateLimiteTraitement"] is not None
    assert body["parametresRetour"]["total"] == 1
    assert body["parametresRetour"]["pageCourante"] == body["parametresRetour"]["pages"] == 1
    # Without a role: every role it holds; nothing waits for the others (the first dossier
    # is at the paying service, which is not a travaux role).
    assert [r["idDossierFacturation"] for r in _ok(wires["MOE"].post(
        ATRAITER, {}))["listeFacturesTravaux"]] == [second.pk]
    for role, wire in wires.items():
        if role != "MOE":
            empty = wire.post(ATRAITER, {"roleUtilisateur": role})
            assert empty.status_code == 200
            assert empty.json()["codeRetour"] == 20007
            assert empty.json()["listeFacturesTravaux"] == []
    # The MOE asked as a supplier: nothing. An outsider: nothing.
    assert wires["MOE"].post(ATRAITER, {"roleUtilisateur": "FOURNISSEUR"}).json()[
        "codeRetour"] == 20007
    assert outsider.post(ATRAITER, {}).json()["codeRetour"] == 20007


def test_atraiter_is_paged_and_checks_its_criteria(wires, works, supplier_user, bank_account):
    for month in range(5, 10):
        _projet(works, supplier_user, bank_account, f"PDM-2026-{month:02d}")
    seen = []
    for number in (1, 2, 3):
        body = wires["MOE"].post(ATRAITER, {"roleUtilisateur": "MOE", "rechercheFactureTravaux": {
            "nbResultatsParPage": 2, "pageResultatDemandee": number,
            "triColonne": "NumeroFactureTravaux", "triSens": "Ascendant"}}).json()
        assert body["parametresRetour"]["total"] == 5 and body["parametresRetour"]["pages"] == 3
        seen += [row["numeroFactureTravaux"] for row in body["listeFacturesTravaux"]]
    assert seen == [f"PDM-2026-{month:02d}" for month in range(5, 10)]
    past = wires["MOE"].post(ATRAITER, {"rechercheFactureTravaux": {
        "nbResultatsParPage": 2, "pageResultatDemandee": 4}}).json()
    assert past["codeRetour"] == 20007
    for bad in ({"roleUtilisateur": "DESTINATAIRE"},
                {"rechercheFactureTravaux": {"triColonne": "password"}},
                {"listeTypeFactureTravaux": ["FACTURE"]}):
        response = wires["MOE"].post(ATRAITER, bad)
        assert response.status_code == 400 and response.json()["codeRetour"] == 20002


# --- soumettre: the monthly circuit on the wire --------------------------------------------------


def test_the_moe_and_the_moa_deposit_their_pieces(wires, waiting):
    moe, moa = wires["MOE"], wires["MOA"]
    etat = _ok(moe.post(SOUMETTRE, _body("A15_ETAT_ACOMPTE_MOE", "9000", waiting.pk)))
    assert etat["statutFacture"] == "MISE_A_DISPOSITION_MOA"
    assert etat["typeFactureTravaux"] == "ETAT_ACOMPTE" and etat["rangPiece"] == 2
    assert etat["cadreFacturation"] == TravauxCadre.A15
    assert etat["numeroDossierFacturation"] == waiting.number
    piece = Piece.objects.get(invoice_id=etat["idFactureTravaux"])
    assert piece.invoice.total_ht == 9000 and piece.claimed_ht == 10000
    assert piece.dossier_id == waiting.pk and piece.depositor_role == "MOE"
    # Now it waits for the MOA, and its « à traiter » says so.
    [row] = _ok(moa.post(ATRAITER, {"roleUtilisateur": "MOA"}))["listeFacturesTravaux"]
    assert row["idFactureTravaux"] == etat["idFactureTravaux"]
    valide = _ok(moa.post(SOUMETTRE, _body("A19", "8800", waiting.pk)))
    assert valide["statutFacture"] == "DEPOSEE" and valide["rangPiece"] == 3
    assert valide["typeFactureTravaux"] == "ETAT_ACOMPTE_VALIDE"
    dossier = _ok(moa.post(CONSULT, {"idDossierFacturation": waiting.pk}))[
        "dossierFacturation"]
    assert dossier["acteurAttendu"] == "DESTINATAIRE"
    assert [p["statut"] for p in dossier["listePieces"]] == ["ASSOCIEE", "ASSOCIEE", "DEPOSEE"]


def test_the_final_circuit_on_the_wire(wires, works, bank_account):
    """A7 by the titulaire's ERP (a new dossier), A17 by the MOE, A20 by the MOA, A8 by the
    titulaire (its own number, the décompte général's amounts)."""
    _supplier, moe, _moa = works
    titulaire, moe_wire, moa_wire = wires["FOURNISSEUR"], wires["MOE"], wires["MOA"]
    projet = _ok(titulaire.post(SOUMETTRE, _body(
        "A7", "50000", numeroFactureSaisi="PDF-2026-01", codeStructureMoe=moe.identifier,
        destinataire={"codeDestinataire": RECIPIENT_SIRET, "codeServiceExecutant": "COMPTA"},
        fournisseur={"codeCoordonneesBancairesFournisseur": bank_account.pk})))
    assert projet["statutFacture"] == "MISE_A_DISPOSITION_MOE"
    assert projet["typeFactureTravaux"] == "PROJET_DECOMPTE_FINAL"
    dossier_id = projet["idDossierFacturation"]
    assert Dossier.objects.get(pk=dossier_id).kind == Dossier.Kind.FINAL
    pdg = _ok(moe_wire.post(SOUMETTRE, _body("A17_PROJET_DECOMPTE_GENERAL_MOE", "48000",
                                             dossier_id)))
    assert pdg["statutFacture"] == "MISE_A_DISPOSITION_MOA"
    dg = _ok(moa_wire.post(SOUMETTRE, _body("A20", "47000", dossier_id)))
    assert dg["statutFacture"] == "A_ASSOCIER_FOURNISSEUR"
    [row] = _ok(titulaire.post(ATRAITER, {"roleUtilisateur": "FOURNISSEUR"}))[
        "listeFacturesTravaux"]
    assert row["idFactureTravaux"] == dg["idFactureTravaux"] and row["dateLimiteTraitement"]
    # A DGD that does not repeat the décompte général's amounts: refused, nothing deposited.
    before = _snapshot()
    _error(titulaire.post(SOUMETTRE, _body("A8", "50000", dossier_id,
                                           numeroFactureSaisi="DGD-2026-01")),
           400, "TRAV_AMOUNTS_INCONSISTENT")
    assert _snapshot() == before
    dgd = _ok(titulaire.post(SOUMETTRE, _body("A8", "47000", dossier_id,
                                              numeroFactureSaisi="DGD-2026-01")))
    assert dgd["statutFacture"] == "DEPOSEE" and dgd["numeroFacture"] == "DGD-2026-01"
    assert dgd["typeFactureTravaux"] == "DECOMPTE_GENERAL_SIGNE" and dgd["rangPiece"] == 4


def test_soumettre_bad_input_is_coded_and_changes_nothing(wires, waiting, outsider):
    moe = wires["MOE"]
    before = _snapshot()
    cases = [
        (moe.post(SOUMETTRE, _body("A15", "12000", waiting.pk)), 400,
         "TRAV_AMOUNTS_INCONSISTENT"),  # more admitted than claimed
        (moe.post(SOUMETTRE, _body("A1_FACTURE_FOURNISSEUR", "9000", waiting.pk)), 400,
         "API_INVALID_FIELD"),
        (moe.post(SOUMETTRE, _body("A4", "9000", waiting.pk)), 400, "TRAV_CADRE_NOT_HERE"),
        (moe.post(SOUMETTRE, _body("A15", "9000")), 400, "API_INVALID_FIELD"),
        (moe.post(SOUMETTRE, {**_body("A15", "9000", waiting.pk), "cadreDeFacturation": {}}),
         400, "API_INVALID_FIELD"),
        (moe.post(SOUMETTRE, _body("A15", "9000", waiting.pk, modeDepot="DEPOT_PDF_API")), 400,
         "API_INVALID_FIELD"),
        # A VAT breakdown that is not the lines' (a 0 % line declared at 20 %).
        (moe.post(SOUMETTRE, {**_body("A15", "9000", waiting.pk), "lignePoste": [
            {**_body("A15", "9000")["lignePoste"][0], "lignePosteTauxTva": "TVA1"}]}), 400,
         "API_INVALID_FIELD"),
        # The MOA cannot deposit the MOE's piece, nor the A19 before the A15.
        (wires["MOA"].post(SOUMETTRE, _body("A15", "9000", waiting.pk)), 409,
         "TRAV_PIECE_NOT_EXPECTED"),
        (wires["MOA"].post(SOUMETTRE, _body("A19", "9000", waiting.pk)), 409,
         "TRAV_PIECE_NOT_EXPECTED"),
    ]
    for response, status, code in cases:
        _error(response, status, code)
    assert _snapshot() == before
    # Another structure's dossier and a forged one: the same answer.
    foreign = _not_found(outsider.post(SOUMETTRE, _body("A19", "9000", waiting.pk)))
    forged = _not_found(moe.post(SOUMETTRE, _body("A15", "9000", waiting.pk + 1000)))
    assert foreign == forged
    assert _snapshot() == before


# --- refuser -------------------------------------------------------------------------------------


def test_the_moe_refuses_a_projet_but_not_for_an_amount(wires, waiting, supplier_user):
    moe = wires["MOE"]
    before = _snapshot()
    _error(moe.post(REFUSER, {"idDossierFacturation": waiting.pk, "roleUtilisateur": "MOE",
                              "motif": "Erreur de montant sur le lot 2"}),
           400, "TRAV_AMOUNT_NOT_A_REASON")
    _error(moe.post(REFUSER, {"idDossierFacturation": waiting.pk, "motif": ""}), 400,
           "INV_REASON_REQUIRED")
    _error(moe.post(REFUSER, {"motif": "Travaux non réalisés"}), 400, "API_INVALID_FIELD")
    _error(moe.post(REFUSER, {"idDossierFacturation": waiting.pk, "roleUtilisateur": "CHEF",
                              "motif": "x"}), 400, "API_INVALID_FIELD")
    # The supplier has no décompte général to refuse in a monthly dossier.
    _error(wires["FOURNISSEUR"].post(REFUSER, {"idDossierFacturation": waiting.pk,
                                               "motif": "Non"}), 409, "TRAV_PIECE_NOT_EXPECTED")
    assert _snapshot() == before
    # The role is the only fitting one it holds: MOE.
    body = _ok(moe.post(REFUSER, {"idDossierFacturation": str(waiting.pk),
                                  "motif": "Travaux non réalisés ce mois-ci"}))
    assert body["statut"] == "REFUSEE_MOE" and "acteurAttendu" not in body
    piece = waiting.pieces.get()
    assert piece.invoice.status == S.REFUSEE_MOE
    assert piece.invoice.status_comment == "Travaux non réalisés ce mois-ci"


def test_the_titulaire_refuses_the_decompte_general(wires, works, bank_account):
    _supplier, moe, _moa = works
    titulaire = wires["FOURNISSEUR"]
    dossier_id = _ok(titulaire.post(SOUMETTRE, _body(
        "A7", "50000", numeroFactureSaisi="PDF-2026-02", codeStructureMoe=moe.identifier,
        destinataire={"codeDestinataire": RECIPIENT_SIRET, "codeServiceExecutant": "COMPTA"},
        fournisseur={"codeCoordonneesBancairesFournisseur": bank_account.pk})))[
        "idDossierFacturation"]
    _ok(wires["MOE"].post(SOUMETTRE, _body("A17", "48000", dossier_id)))
    dg = _ok(wires["MOA"].post(SOUMETTRE, _body("A20", "40000", dossier_id)))
    body = _ok(titulaire.post(REFUSER, {"idDossierFacturation": dossier_id,
                                        "roleUtilisateur": "FOURNISSEUR",
                                        "motifRefus": "Pénalités contestées"}))
    assert body["statut"] == "REFUSEE_FOURNISSEUR"
    assert body["idFactureTravaux"] == dg["idFactureTravaux"]
    assert Invoice.objects.get(pk=dg["idFactureTravaux"]).status == S.REFUSEE_FOURNISSEUR


def test_refuser_outside_the_dossier_is_not_found(wires, waiting, outsider):
    before = _snapshot()
    foreign = _not_found(outsider.post(REFUSER, {"idDossierFacturation": waiting.pk,
                                                 "motif": "Non"}))
    as_moe = _not_found(outsider.post(REFUSER, {"idDossierFacturation": waiting.pk,
                                                "roleUtilisateur": "MOE", "motif": "Non"}))
    forged = _not_found(wires["MOE"].post(REFUSER, {"idDossierFacturation": waiting.pk + 999,
                                                    "roleUtilisateur": "MOE", "motif": "Non"}))
    assert foreign == as_moe == forged
    assert _snapshot() == before


# --- Recycling -----------------------------------------------------------------------------------


def test_the_moe_is_not_the_right_one_the_supplier_recycles(wires, waiting, second_moe,
                                                           client, works):
    _supplier, moe, _moa = works
    moe_wire, titulaire = wires["MOE"], wires["FOURNISSEUR"]
    _error(moe_wire.post(DEMANDER, {"idDossierFacturation": waiting.pk, "motif": " "}), 400,
           "INV_REASON_REQUIRED")
    body = _ok(moe_wire.post(DEMANDER, {"idDossierFacturation": waiting.pk,
                                        "motif": "Nous ne sommes pas le maître d'œuvre."}))
    assert body["statut"] == "EN_ATTENTE_RECYCLAGE_FOURNISSEUR"
    assert body["acteurAttendu"] == "FOURNISSEUR"
    piece = waiting.pieces.get()
    assert [c.status for c in piece.invoice.history.all()][-2:] == [
        S.ERREUR_DE_MOE, S.EN_ATTENTE_RECYCLAGE_FOURNISSEUR]
    # The MOE's « à traiter » no longer has it; the titulaire's has.
    assert moe_wire.post(ATRAITER, {}).json()["codeRetour"] == 20007
    [row] = _ok(titulaire.post(ATRAITER, {}))["listeFacturesTravaux"]
    assert row["statut"] == "EN_ATTENTE_RECYCLAGE_FOURNISSEUR"
    # Bad recyclings change nothing: the same MOE, an unknown one, none.
    before = _snapshot()
    _error(titulaire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                     "codeStructure": moe.identifier}),
           409, "TRAV_RECYCLING_UNCHANGED")
    _error(titulaire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                     "codeStructure": "99999999999999"}),
           400, "TRAV_MOE_UNKNOWN")
    _error(titulaire.post(RECYCLER, {"idDossierFacturation": waiting.pk}), 400,
           "API_INVALID_FIELD")
    _error(titulaire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                     "codeStructure": RECIPIENT_SIRET}),
           409, "TRAV_PIECE_NOT_EXPECTED")  # the MOA cannot be the MOE
    assert _snapshot() == before
    body = _ok(titulaire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                         "roleUtilisateur": "FOURNISSEUR",
                                         "codeMoe": second_moe.structure.identifier,
                                         "commentaire": "Le bon maître d'œuvre."}))
    assert body["statut"] == "MISE_A_DISPOSITION_MOE" and body["acteurAttendu"] == "MOE"
    assert body["dateLimiteTraitement"]
    waiting.refresh_from_db()
    assert waiting.moe_id == second_moe.structure.pk
    # The new MOE sees it waiting and acts; the one that declined no longer sees the dossier.
    new = Wire(client, second_moe)
    [row] = _ok(new.post(ATRAITER, {"roleUtilisateur": "MOE"}))["listeFacturesTravaux"]
    assert row["idDossierFacturation"] == waiting.pk
    _not_found(moe_wire.post(CONSULT, {"idDossierFacturation": waiting.pk}))
    _not_found(moe_wire.post(SOUMETTRE, _body("A15", "9000", waiting.pk)))
    assert _ok(new.post(SOUMETTRE, _body("A15", "9000", waiting.pk)))["statutFacture"] == (
        "MISE_A_DISPOSITION_MOA")


def test_the_moa_is_not_the_right_one_the_supplier_recycles(wires, waiting, other_recipient,
                                                           client):
    Structure.objects.filter(pk=other_recipient.pk).update(moa=True)
    _ok(wires["MOE"].post(SOUMETTRE, _body("A15", "9000", waiting.pk)))
    body = _ok(wires["MOA"].post(DEMANDER, {"idDossierFacturation": waiting.pk,
                                            "roleUtilisateur": "MOA",
                                            "motif": "Marché d'une autre collectivité."}))
    assert body["statut"] == "EN_ATTENTE_RECYCLAGE_FOURNISSEUR"
    etat = Invoice.objects.get(pk=body["idFactureTravaux"])
    assert etat.history.order_by("-at", "-pk")[1].status == S.ERREUR_DE_MOA
    body = _ok(wires["FOURNISSEUR"].post(RECYCLER, {
        "idDossierFacturation": waiting.pk, "codeStructure": other_recipient.identifier}))
    assert body["statut"] == "MISE_A_DISPOSITION_MOA" and body["acteurAttendu"] == "MOA"
    waiting.refresh_from_db()
    etat.refresh_from_db()
    assert waiting.moa_id == other_recipient.pk and etat.recipient_id == other_recipient.pk
    # The MOA that declined no longer sees the dossier.
    _not_found(wires["MOA"].post(CONSULT, {"idDossierFacturation": waiting.pk}))


def test_a_piece_at_the_wrong_service_goes_to_another_of_the_same_structure(
        wires, waiting, works):
    _supplier, moe, moa = works
    Service.objects.create(structure=moe, code="ETUDES", name="Bureau d'études")
    Service.objects.create(structure=moa, code="TRAVAUX", name="Direction des travaux")
    Service.objects.create(structure=moa, code="FERME", name="Fermé", is_active=False)
    moe_wire, moa_wire = wires["MOE"], wires["MOA"]
    body = _ok(moe_wire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                        "codeService": "ETUDES"}))
    assert body["statut"] == "MISE_A_DISPOSITION_MOE" and body["acteurAttendu"] == "MOE"
    waiting.refresh_from_db()
    assert waiting.moe_service.code == "ETUDES"
    projet = waiting.pieces.get().invoice
    assert projet.history.order_by("-at", "-pk").first().comment.startswith(
        "Recyclée vers le service ETUDES")
    _error(moe_wire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                    "codeService": "ETUDES"}), 409, "TRAV_RECYCLING_UNCHANGED")
    # The MOA has nothing waiting for it yet.
    _error(moa_wire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                    "codeService": "TRAVAUX"}), 409, "TRAV_PIECE_NOT_EXPECTED")
    etat = _ok(moe_wire.post(SOUMETTRE, _body("A15", "9000", waiting.pk)))
    before = _snapshot()
    for code, status, error in (("INCONNU", 400, "INV_SERVICE_UNKNOWN"),
                                ("FERME", 400, "INV_SERVICE_UNKNOWN"),
                                ("COMPTA", 409, "TRAV_RECYCLING_UNCHANGED")):
        _error(moa_wire.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                        "codeService": code}), status, error)
    _error(moa_wire.post(RECYCLER, {"idDossierFacturation": waiting.pk}), 400,
           "API_INVALID_FIELD")
    assert _snapshot() == before
    _ok(moa_wire.post(RECYCLER, {"idDossierFacturation": waiting.pk, "roleUtilisateur": "MOA",
                                 "codeServiceMoa": "TRAVAUX"}))
    waiting.refresh_from_db()
    invoice = Invoice.objects.get(pk=etat["idFactureTravaux"])
    assert waiting.moa_service.code == "TRAVAUX" and invoice.recipient_service.code == (
        "TRAVAUX")
    assert invoice.status == S.MISE_A_DISPOSITION_MOA
    # The next piece goes to that paying service.
    valide = _ok(moa_wire.post(SOUMETTRE, _body("A19", "9000", waiting.pk)))
    assert Invoice.objects.get(pk=valide["idFactureTravaux"]).recipient_service.code == (
        "TRAVAUX")


def test_recycling_outside_the_dossier_is_not_found(wires, waiting, outsider):
    before = _snapshot()
    answers = [
        _not_found(outsider.post(DEMANDER, {"idDossierFacturation": waiting.pk,
                                            "motif": "Pas nous"})),
        _not_found(outsider.post(DEMANDER, {"idDossierFacturation": waiting.pk,
                                            "roleUtilisateur": "MOE", "motif": "Pas nous"})),
        _not_found(outsider.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                            "roleUtilisateur": "MOA", "codeService": "X"})),
        _not_found(outsider.post(RECYCLER, {"idDossierFacturation": waiting.pk,
                                            "roleUtilisateur": "FOURNISSEUR",
                                            "codeStructure": RECIPIENT_SIRET})),
        _not_found(wires["MOE"].post(DEMANDER, {"idDossierFacturation": waiting.pk + 500,
                                                "roleUtilisateur": "MOE", "motif": "x"})),
    ]
    assert all(answer == answers[0] for answer in answers)
    # A party in another role: told the dossier does not expect it, nothing changes.
    _error(wires["FOURNISSEUR"].post(DEMANDER, {"idDossierFacturation": waiting.pk,
                                                "roleUtilisateur": "MOE", "motif": "x"}),
           409, "TRAV_PIECE_NOT_EXPECTED")
    _error(wires["MOE"].post(DEMANDER, {"idDossierFacturation": waiting.pk,
                                        "motif": "Erreur de montant"}),
           400, "TRAV_AMOUNT_NOT_A_REASON")
    assert _snapshot() == before


# --- transverses, and the operations documented --------------------------------------------------


def test_structures_actives_facturetravaux(wires, erps, works, supplier_user, outsider):
    for role, wire in wires.items():
        body = _ok(wire.post("transverses/v1/recuperer/structures/actives/facturetravaux", {}))
        assert [s["idStructureCPP"] for s in body["listeStructures"]] == [
            erps[role].structure.pk]
        assert body["listeStructures"][0]["identifiant"] == erps[role].structure.identifier
    supplier, _moe, _moa = works
    run(org.set_espace_open, supplier_user, supplier, Espace.FACTURES_TRAVAUX, False)
    closed = _ok(wires["FOURNISSEUR"].post(
        "transverses/v1/recuperer/structures/actives/facturetravaux", {}))
    assert closed["listeStructures"] == []


def test_the_actions_are_documented(client):
    paths = client.get("/cpro/openapi.json").json()["paths"]
    for path, operation_id in (
            ("rechercher/atraiter", "rechercherFactureTravauxATraiter"),
            ("soumettre", "soumettreFactureTravaux"),
            ("refuser", "refuserFactureTravaux"),
            ("demander/recyclage", "demanderRecyclageFactureTravaux"),
            ("recycler", "recyclerFactureTravaux")):
        operation = paths[f"/cpro/facturesTravaux/v1/{path}"]["post"]
        assert operation["operationId"] == operation_id
        assert operation["summary"] and operation["description"]
        assert {"200", "400", "401", "404"} <= set(operation["responses"])
