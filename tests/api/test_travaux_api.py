# ruff: noqa: F811 - the travaux world's fixtures, used by name
"""The factures de travaux on the wire (reference §3.6, §7; docs/TRAVAUX.md): `rechercher`
with real results for the supplier, the maître d'œuvre and the maître d'ouvrage, each through
its own technical account (OAuth2 bearer + cpro-account, as the clients of §5 call), paged
inside `parametresRetour` as Pastell loops on it, 20007 when empty; `consulter/dossierfacturation`;
and the security property: a structure outside a dossier never sees it, a forged id is not
found, bad criteria are coded 400s.

The world is the travaux tests' (tests/travaux/conftest.py): the invoicing world's supplier is
the titulaire, its « Bâtiments Titulaire SA » the MOE, its public recipient the MOA; dossiers
are built through the services, as tests/travaux/test_monthly.py does.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import transaction

from choeur.core import clock
from choeur.invoicing.data import LineData
from choeur.invoicing.models import Invoice, TravauxCadre
from choeur.organisations import services as org
from choeur.organisations.models import Espace, OpenEspace, Structure
from choeur.travaux import services
from choeur.travaux.models import Dossier, Piece
from tests.api.conftest import Wire, technical_party
from tests.invoicing.conftest import (
    RECIPIENT_SIRET,
    SUPPLIER_SIRET,
    TITULAIRE_SIRET,
    invoice_data,
)
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
SEARCH = "facturesTravaux/v1/rechercher"
CONSULT = "facturesTravaux/v1/consulter/dossierfacturation"


def _in_tx(function, *args, **kwargs):
    with transaction.atomic():
        return function(*args, **kwargs)


def _claim(bank_account, number: str, amount: str = "10000"):
    return invoice_data(number=number, bank_account_id=bank_account.pk,
                        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA",
                        marche_number="MARCHE-2026-7",
                        lines=[LineData(designation="Gros œuvre, situation", quantity=D(1),
                                        unit_price=D(amount), vat_rate=D(20), unit="C62")])


def _admitted(amount: str):
    return invoice_data(lines=[LineData(designation="Gros œuvre (admis)", quantity=D(1),
                                        unit_price=D(amount), vat_rate=D(20), unit="C62")])


def _projet(works, supplier_user, bank_account, number: str, amount: str = "10000") -> Piece:
    supplier, moe, _moa = works
    return _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                  _claim(bank_account, number, amount), moe_identifier=moe.identifier)


@pytest.fixture
def erps(works):
    """The three parties' software, each with its own technical account and OAuth2 client."""
    supplier, moe, moa = works
    return {"FOURNISSEUR": technical_party(supplier, "titulaire"),
            "MOE": technical_party(moe, "moe"), "MOA": technical_party(moa, "moa")}


@pytest.fixture
def wires(client, erps):
    return {role: Wire(client, party) for role, party in erps.items()}


@pytest.fixture
def outsider(client, works, other_recipient):
    """A public structure with its espace Factures de travaux open, in no dossier."""
    OpenEspace.objects.get_or_create(structure=other_recipient, espace=Espace.FACTURES_TRAVAUX)
    return Wire(client, technical_party(other_recipient, "mairie"))


@pytest.fixture
def cycle(works, supplier_user, titulaire_user, recipient_user, bank_account):
    """Two dossiers: the first through the whole monthly circuit (A4 → A15 → A19, three
    pieces), the second waiting for the MOE (its A4 alone)."""
    first = _projet(works, supplier_user, bank_account, "PDM-2026-03")
    _in_tx(services.deposit_etat_acompte, titulaire_user, first.dossier_id, _admitted("9000"))
    _in_tx(services.validate_etat_acompte, recipient_user, first.dossier_id, _admitted("8500"))
    second = _projet(works, supplier_user, bank_account, "PDM-2026-04", "12000")
    return first.dossier, second.dossier


def _ids(body) -> list[int]:
    return [row["idFactureTravaux"] for row in body.get("listeFacturesTravaux", [])]


def _all_piece_ids() -> set[int]:
    return set(Piece.objects.values_list("invoice_id", flat=True))


# --- Results per role ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["FOURNISSEUR", "MOE", "MOA"])
def test_each_party_finds_the_pieces_of_its_dossiers_in_its_role(wires, cycle, role):
    response = wires[role].post(SEARCH, {
        "roleUtilisateur": role,
        "rechercheFactureTravaux": {"nbResultatsParPage": 50, "pageResultatDemandee": 1,
                                    "triColonne": "NumeroDossierFacturation",
                                    "triSens": "Ascendant"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000"
    assert set(_ids(body)) == _all_piece_ids() and len(_ids(body)) == 4
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 1,
                                        "nbResultatsParPage": 50, "total": 4}
    first, second = cycle
    rows = body["listeFacturesTravaux"]
    assert [(r["numeroDossierFacturation"], r["rangPiece"]) for r in rows] == [
        (first.number, 1), (first.number, 2), (first.number, 3), (second.number, 1)]
    projet, etat, valide, _ = rows
    assert projet["typeFactureTravaux"] == "PROJET_DECOMPTE_MENSUEL"
    assert projet["cadreFacturation"] == TravauxCadre.A4
    assert projet["statut"] == projet["statutFactureTravaux"] == "ASSOCIEE"
    assert projet["typeDemandePaiement"] == "FACTURE_TRAVAUX"
    assert projet["numeroFactureTravaux"] == "PDM-2026-03"
    assert projet["codeFournisseur"] == SUPPLIER_SIRET
    assert projet["codeMoe"] == TITULAIRE_SIRET and projet["codeMoa"] == RECIPIENT_SIRET
    assert projet["codeDestinataire"] == RECIPIENT_SIRET
    assert projet["codeServiceMoa"] == projet["codeServiceExecutant"] == "COMPTA"
    assert projet["numeroMarche"] == "MARCHE-2026-7"
    assert projet["montantHT"] == 10000.0 and projet["montantTTC"] == 12000.0
    assert projet["dateDepot"] == clock.today().isoformat()
    assert projet["roleDeposant"] == "FOURNISSEUR"
    assert etat["typeFactureTravaux"] == "ETAT_ACOMPTE" and etat["cadreFacturation"] == (
        TravauxCadre.A15)
    assert etat["montantHT"] == 9000.0 and etat["montantHTDemande"] == 10000.0
    assert etat["idFactureTravauxPrecedente"] == projet["idFactureTravaux"]
    assert etat["roleDeposant"] == "MOE" and etat["statut"] == "ASSOCIEE"
    assert valide["typeFactureTravaux"] == "ETAT_ACOMPTE_VALIDE"
    assert valide["montantHT"] == 8500.0 and valide["roleDeposant"] == "MOA"
    assert valide["idDossierFacturation"] == first.pk
    for row in rows:  # the id is the piece's invoice: consulter/historique, telecharger...
        invoice = Invoice.objects.get(pk=row["idFactureTravaux"])
        assert invoice.number == row["numeroFactureTravaux"]
        assert row["statut"] == invoice.status


@pytest.mark.parametrize("role, other", [("FOURNISSEUR", "MOE"), ("FOURNISSEUR", "MOA"),
                                         ("MOE", "FOURNISSEUR"), ("MOE", "MOA"),
                                         ("MOA", "FOURNISSEUR"), ("MOA", "MOE")])
def test_a_role_the_structure_does_not_hold_finds_nothing(wires, cycle, role, other):
    body = wires[role].post(SEARCH, {"roleUtilisateur": other}).json()
    assert body["codeRetour"] == 20007 and body["listeFacturesTravaux"] == []


def test_without_a_role_every_role_counts(wires, cycle):
    body = wires["MOE"].post(SEARCH, {}).json()
    assert body["codeRetour"] == 0 and set(_ids(body)) == _all_piece_ids()


def test_pastell_as_the_moa_with_its_structure_and_service(wires, erps, cycle, recipient):
    """Pastell's request (CPPWrapper::rechercheFactureTravaux): its role, its structure as
    idDestinataire and its service as idServiceExecutant, the état courant's period with the
    day's end appended, flagTelecharge."""
    service = recipient.services.get(code="COMPTA")
    today = clock.today().isoformat()
    body = wires["MOA"].post(SEARCH, {
        "roleUtilisateur": "MOA",
        "rechercheFactureTravaux": {"nbResultatsParPage": 100, "pageResultatDemandee": 1},
        "idDestinataire": erps["MOA"].structure.pk, "idServiceExecutant": service.pk,
        "periodeDateHeureEtatCourantDu": today,
        "periodeDateHeureEtatCourantAu": today + "T23:59:59",
        "flagTelecharge": False}).json()
    assert body["codeRetour"] == 0 and set(_ids(body)) == _all_piece_ids()
    later = wires["MOA"].post(SEARCH, {
        "roleUtilisateur": "MOA", "periodeDateHeureEtatCourantDu": "2099-01-01"}).json()
    assert later["codeRetour"] == 20007
    downloaded = wires["MOA"].post(SEARCH, {"roleUtilisateur": "MOA",
                                            "flagTelecharge": True}).json()
    assert downloaded["codeRetour"] == 20007


def test_the_criteria_of_the_pre_piste_example(wires, cycle):
    first, second = cycle
    wire = wires["FOURNISSEUR"]

    def found(**criteria) -> set[int]:
        body = wire.post(SEARCH, {"roleUtilisateur": "FOURNISSEUR", **criteria}).json()
        assert body["codeRetour"] in (0, 20007), body
        return set(_ids(body))

    pieces = {p.kind: p.invoice_id for p in first.pieces.all()}
    waiting = second.pieces.get().invoice_id
    assert found(listeTypeFactureTravaux=["ETAT_ACOMPTE"]) == {pieces["ETAT_ACOMPTE"]}
    assert found(listeTypeFactureTravaux="PROJET_DECOMPTE_MENSUEL") == {
        pieces["PROJET_DECOMPTE_MENSUEL"], waiting}
    assert found(listeStatutCourant="MISE_A_DISPOSITION_MOE") == {waiting}
    assert found(cadreFacturation="A19_ETAT_ACOMPTE_VALIDE_MOA") == {
        pieces["ETAT_ACOMPTE_VALIDE"]}
    assert found(cadreFacturation="A4") == {pieces["PROJET_DECOMPTE_MENSUEL"], waiting}
    assert found(numeroDossierFacturation=second.number) == {waiting}
    assert found(idDossierFacturation=first.pk) == set(pieces.values())
    assert found(numeroFactureTravaux="2026-04") == {waiting}
    assert found(montantHTMin="11000") == {waiting}
    assert found(montantHTMax="9000") == {pieces["ETAT_ACOMPTE"],
                                          pieces["ETAT_ACOMPTE_VALIDE"]}
    assert found(uniquementSansPieceSuivante=True) == {pieces["ETAT_ACOMPTE_VALIDE"], waiting}
    assert found(idStructureMoe=first.moe_id) == _all_piece_ids()
    assert found(idStructureMoe=first.moa_id) == set()
    assert found(numeroMarche="MARCHE-2026", avecSansService="AVEC_ET_SANS_SERVICE") == (
        _all_piece_ids())
    assert found(avecSansService="SANS_SERVICE") == set()


# --- Paging, Pastell's loop, 20007 --------------------------------------------------------------


def _pastell_loop(wire, role: str, per_page: int) -> tuple[list[int], int]:
    """CPPWrapper::rechercheFactureTravaux: page 1, 2... until codeRetour 20007 or
    parametresRetour.pageCourante reaches parametresRetour.pages (both must be there)."""
    collected, calls, number = [], 0, 0
    while True:
        number += 1
        calls += 1
        response = wire.post(SEARCH, {"roleUtilisateur": role, "rechercheFactureTravaux": {
            "nbResultatsParPage": per_page, "pageResultatDemandee": number}})
        assert response.status_code == 200
        body = response.json()
        collected += [row["idFactureTravaux"] for row in body["listeFacturesTravaux"]]
        if body["codeRetour"] == 20007:
            break
        paging = body["parametresRetour"]
        assert {"pageCourante", "pages"} <= set(paging)
        if paging["pageCourante"] >= paging["pages"]:
            break
        assert calls < 20
    return collected, calls


def test_pastell_s_loop_reads_every_piece_once(wires, works, supplier_user, bank_account,
                                               cycle):
    for month in range(5, 8):
        _projet(works, supplier_user, bank_account, f"PDM-2026-{month:02d}")
    assert Piece.objects.count() == 7
    collected, calls = _pastell_loop(wires["MOE"], "MOE", 3)
    assert calls == 3
    assert len(collected) == 7 and set(collected) == _all_piece_ids()
    body = wires["MOE"].post(SEARCH, {"roleUtilisateur": "MOE", "rechercheFactureTravaux": {
        "nbResultatsParPage": 3, "pageResultatDemandee": 3}}).json()
    assert body["parametresRetour"] == {"pageCourante": 3, "pages": 3,
                                        "nbResultatsParPage": 3, "total": 7}
    assert len(body["listeFacturesTravaux"]) == 1


def test_sorting_is_stable_both_ways(wires, cycle):
    def order(sense: str) -> list[int]:
        return _ids(wires["MOA"].post(SEARCH, {"rechercheFactureTravaux": {
            "triColonne": "MontantHT", "triSens": sense, "nbResultatsParPage": 10}}).json())

    ascending = order("Ascendant")
    amounts = [Invoice.objects.get(pk=pk).total_ht for pk in ascending]
    assert amounts == sorted(amounts)
    assert order("Descendant ") == list(reversed(ascending))  # the Go client's trailing space


def test_a_page_past_the_end_and_an_empty_search_answer_20007(wires, cycle, outsider):
    past = wires["FOURNISSEUR"].post(SEARCH, {"rechercheFactureTravaux": {
        "nbResultatsParPage": 10, "pageResultatDemandee": 2}})
    assert past.status_code == 200
    assert past.json()["codeRetour"] == 20007
    assert past.json()["parametresRetour"]["total"] == 4
    empty = outsider.post(SEARCH, {"roleUtilisateur": "MOA", "idDestinataire": "",
                                   "rechercheFactureTravaux": {"nbResultatsParPage": "100",
                                                               "pageResultatDemandee": 1}})
    assert empty.status_code == 200
    assert empty.json() == {
        "codeRetour": 20007,
        "libelle": "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat",
        "listeFacturesTravaux": [],
        "parametresRetour": {"pageCourante": 1, "pages": 0, "nbResultatsParPage": 100,
                             "total": 0}}
    collected, calls = _pastell_loop(outsider, "MOA", 100)
    assert collected == [] and calls == 1


def test_the_search_costs_the_same_whatever_the_page_holds(wires, works, supplier_user,
                                                           bank_account, cycle):
    """The rows' structures, services and dossiers come with the page (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            body = wires["FOURNISSEUR"].post(SEARCH, {"roleUtilisateur": "FOURNISSEUR"}).json()
        assert body["codeRetour"] == 0
        return len(queries)

    cost()  # the token, and what a first call reads once
    before = cost()
    for month in range(5, 9):
        _projet(works, supplier_user, bank_account, f"PDM-2026-{month:02d}")
    assert cost() == before


# --- Consulter un dossier -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["FOURNISSEUR", "MOE", "MOA"])
def test_each_party_reads_its_dossier_with_its_pieces_in_order(wires, cycle, role):
    first, second = cycle
    body = wires[role].post(CONSULT, {"idDossierFacturation": first.pk}).json()
    assert body["codeRetour"] == 0, body
    dossier = body["dossierFacturation"]
    assert dossier["numeroDossierFacturation"] == first.number
    assert dossier["typeDossier"] == "MENSUEL"
    assert dossier["listeRolesUtilisateur"] == [role]
    assert (dossier["codeFournisseur"], dossier["codeMoe"], dossier["codeMoa"]) == (
        SUPPLIER_SIRET, TITULAIRE_SIRET, RECIPIENT_SIRET)
    assert dossier["codeServiceMoa"] == "COMPTA"
    assert [p["rangPiece"] for p in dossier["listePieces"]] == [1, 2, 3]
    assert [p["typeFactureTravaux"] for p in dossier["listePieces"]] == [
        "PROJET_DECOMPTE_MENSUEL", "ETAT_ACOMPTE", "ETAT_ACOMPTE_VALIDE"]
    # The last piece went to the paying service: it is the one to act now.
    assert dossier["acteurAttendu"] == "DESTINATAIRE"
    # The waiting dossier: the MOE must act, within its 7 days; asked by number.
    waiting = wires[role].post(CONSULT, {"numeroDossierFacturation": second.number}).json()
    assert waiting["codeRetour"] == 0
    waiting = waiting["dossierFacturation"]
    assert waiting["idDossierFacturation"] == second.pk
    assert waiting["acteurAttendu"] == "MOE"
    second.refresh_from_db()
    assert waiting["dateLimiteTraitement"] == second.due_at.astimezone(
        clock.PARIS).isoformat(timespec="milliseconds")
    [piece] = waiting["listePieces"]
    assert piece["statut"] == "MISE_A_DISPOSITION_MOE"
    assert piece["dateLimiteTraitement"] == waiting["dateLimiteTraitement"]


def _not_found(response) -> dict:
    assert response.status_code == 404, response.content
    body = response.json()
    assert body["codeRetour"] == 20001
    assert body["libelle"].startswith("TRAV_DOSSIER_NOT_FOUND")
    return body


def test_a_forged_or_foreign_dossier_is_not_found_alike(wires, cycle, outsider):
    first, _second = cycle
    forged = _not_found(wires["FOURNISSEUR"].post(
        CONSULT, {"idDossierFacturation": Dossier.objects.order_by("pk").last().pk + 1000}))
    foreign = _not_found(outsider.post(CONSULT, {"idDossierFacturation": first.pk}))
    by_number = _not_found(outsider.post(CONSULT, {"numeroDossierFacturation": first.number}))
    assert forged == foreign == by_number  # nothing tells an existing dossier apart
    _not_found(wires["MOA"].post(CONSULT, {"idDossierFacturation": str(first.pk),
                                           "numeroDossierFacturation": "DF1999000001"}))
    _not_found(wires["MOA"].post(CONSULT, {"numeroDossierFacturation": "DF2026999999"}))


def test_a_structure_outside_sees_nothing(outsider, cycle):
    first, _second = cycle
    for role in ("FOURNISSEUR", "MOE", "MOA", None):
        body = outsider.post(SEARCH, {"roleUtilisateur": role,
                                      "idDossierFacturation": first.pk}).json()
        assert body["codeRetour"] == 20007 and body["listeFacturesTravaux"] == []
        body = outsider.post(SEARCH, {"roleUtilisateur": role,
                                      "numeroDossierFacturation": first.number}).json()
        assert body["codeRetour"] == 20007


def test_an_account_whose_espace_is_closed_sees_nothing(wires, cycle, works, supplier_user):
    supplier, _moe, _moa = works
    run(org.set_espace_open, supplier_user, supplier, Espace.FACTURES_TRAVAUX, False)
    first, _second = cycle
    assert wires["FOURNISSEUR"].post(SEARCH, {}).json()["codeRetour"] == 20007
    _not_found(wires["FOURNISSEUR"].post(CONSULT, {"idDossierFacturation": first.pk}))
    # The MOE and the MOA still see the dossier.
    assert wires["MOE"].post(SEARCH, {}).json()["codeRetour"] == 0


def test_an_inactive_structure_s_account_sees_nothing(wires, cycle, works):
    _supplier, moe, _moa = works
    wires["MOE"].get_token()
    Structure.objects.filter(pk=moe.pk).update(is_active=False)
    response = wires["MOE"].post(SEARCH, {})
    assert response.status_code in (200, 401, 403)
    assert response.json().get("listeFacturesTravaux", []) == []
    assert wires["MOE"].post(CONSULT, {"idDossierFacturation": cycle[0].pk}).status_code in (
        401, 403, 404)


# --- Bad input: coded 400s, nothing read ---------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"rechercheFactureTravaux": {"triColonne": "password"}}, "triColonne"),
    ({"rechercheFactureTravaux": {"triColonne": "invoice__supplier__identifier"}},
     "triColonne"),
    ({"rechercheFactureTravaux": {"triSens": "Sideways"}}, "triSens"),
    ({"rechercheFactureTravaux": {"nbResultatsParPage": 100000}}, None),
    ({"roleUtilisateur": "DIRECTEUR"}, "roleUtilisateur"),
    ({"listeTypeFactureTravaux": ["FACTURE"]}, "listeTypeFactureTravaux"),
    ({"listeStatutCourant": ["INVENTE"]}, "listeStatutCourant"),
    ({"cadreFacturation": "A1_FACTURE_FOURNISSEUR"}, "cadreFacturation"),
    ({"modeDepot": "PIGEON"}, "modeDepot"),
    ({"avecSansService": "PEUT_ETRE"}, "avecSansService"),
    ({"idDossierFacturation": "abc"}, None),
    ({"periodeDateDepotDu": "hier"}, None),
])
def test_bad_criteria_are_coded_400s(wires, cycle, body, field):
    response = wires["FOURNISSEUR"].post(SEARCH, body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["codeRetour"] == 20002
    assert "listeFacturesTravaux" not in answer
    if field:
        assert answer["libelle"].startswith("API_INVALID_FIELD") and field in answer["libelle"]


def test_consulter_needs_an_id_or_a_number(wires, cycle):
    for body in ({}, {"idDossierFacturation": ""}, {"numeroDossierFacturation": "  "}):
        response = wires["MOE"].post(CONSULT, body)
        assert response.status_code == 400
        assert response.json()["codeRetour"] == 20002
    assert wires["MOE"].post(CONSULT, {"idDossierFacturation": -1}).status_code == 400


def test_reading_changes_nothing(wires, cycle):
    first, _second = cycle
    before = list(Invoice.objects.order_by("pk").values_list(
        "pk", "status", "status_changed_at", "downloaded_by_recipient"))
    dossiers = list(Dossier.objects.order_by("pk").values_list("pk", "next_actor", "due_at",
                                                               "updated_at"))
    for role, wire in wires.items():
        wire.post(SEARCH, {"roleUtilisateur": role})
        wire.post(CONSULT, {"idDossierFacturation": first.pk})
    assert list(Invoice.objects.order_by("pk").values_list(
        "pk", "status", "status_changed_at", "downloaded_by_recipient")) == before
    assert list(Dossier.objects.order_by("pk").values_list(
        "pk", "next_actor", "due_at", "updated_at")) == dossiers


def test_the_operations_are_documented(client):
    paths = client.get("/cpro/openapi.json").json()["paths"]
    for path, operation_id in (
            ("/cpro/facturesTravaux/v1/rechercher", "rechercherFactureTravaux"),
            ("/cpro/facturesTravaux/v1/consulter/dossierfacturation",
             "consulterDossierFacturation"),
            ("/cpro/transverses/v1/recuperer/typefacturetravaux",
             "recupererTypesFactureTravaux"),
            ("/cpro/transverses/v1/recuperer/structures/actives/facturetravaux",
             "recupererStructuresActivesFactureTravaux")):
        operation = paths[path]["post"]
        assert operation["operationId"] == operation_id
        assert operation["summary"] and operation["description"]
        assert {"200", "400", "401", "404"} <= set(operation["responses"])
