"""/cpro/reporting/v1/...: the dashboards' figures for the technical account's own structure,
with the wire's authentication and envelope; another structure's id, a forged service or
partner are not found, bad dates coded REPORT_* errors."""

import pytest

from tests.api.conftest import Wire, technical_party

pytestmark = pytest.mark.django_db

BODY = {"dateDebut": "2026-01-01", "dateFin": "2026-03-31"}


@pytest.fixture
def recipient_wire(client, world):
    return Wire(client, technical_party(world.recipient, "recette"))


@pytest.fixture
def supplier_wire(client, world):
    return Wire(client, technical_party(world.supplier, "lumiere"))


def test_recipient_figures(recipient_wire, world):
    response = recipient_wire.post("reporting/v1/destinataire", BODY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["idStructure"] == world.recipient.pk
    assert body["nombreFacturesRecues"] == 5
    assert body["volumesParMois"] == [
        {"mois": "2026-01", "nombreFactures": 2, "montantTtc": 300.0},
        {"mois": "2026-02", "nombreFactures": 1, "montantTtc": 300.0},
        {"mois": "2026-03", "nombreFactures": 2, "montantTtc": 900.0}]
    assert [(d["etape"], d["medianeJours"]) for d in body["delaisTraitement"]] == [
        ("MISE_A_DISPOSITION", 1.0), ("PREMIERE_ACTION", 2.5), ("MISE_EN_PAIEMENT", 15.0)]
    rejets = {r["statut"]: r for r in body["rejetsSuspensions"]}
    assert rejets["REJETEE"]["tauxPourcent"] == 40.0
    assert rejets["REJETEE"]["motifs"] == [
        {"motif": "Numéro d'engagement absent", "nombreFactures": 2, "tauxPourcent": 40.0}]
    assert "Motif secret" not in response.content.decode()


def test_supplier_figures(supplier_wire, world):
    body = supplier_wire.post("reporting/v1/fournisseur",
                              {"dateDebut": "2026-01-01", "dateFin": "2026-04-30"}).json()
    assert body["codeRetour"] == 0
    assert {s["statut"]: s["nombreFactures"] for s in body["facturesParStatut"]} == {
        "REJETEE": 2, "DEPOSEE": 1, "MISE_A_DISPOSITION": 1, "MISE_EN_PAIEMENT": 1}
    assert body["delaisPaiementParDestinataire"] == [
        {"identifiantDestinataire": world.recipient.identifier,
         "nomDestinataire": world.recipient.company_name, "nombreFacturesPayees": 1,
         "delaiMoyenJours": 10.0}]


def test_another_structure_is_not_found(recipient_wire, supplier_wire, world):
    for wire, path, structure in (
            (recipient_wire, "destinataire", world.other_recipient.pk),
            (supplier_wire, "fournisseur", world.supplier2.pk),
            (supplier_wire, "destinataire", world.recipient.pk)):
        response = wire.post(f"reporting/v1/{path}", {**BODY, "idStructure": structure})
        assert response.status_code == 404
        assert response.json()["codeRetour"] == 20001
        assert response.json()["libelle"].startswith("REPORT_FILTER_NOT_FOUND")


def test_a_supplier_without_the_received_espace_has_no_recipient_figures(supplier_wire):
    response = supplier_wire.post("reporting/v1/destinataire", BODY)
    assert response.status_code == 404 and "REPORT_FILTER_NOT_FOUND" in response.json()["libelle"]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"dateDebut": "2026-04-01", "dateFin": "2026-03-01"}, 400, "REPORT_PERIOD_INVERTED"),
    ({"dateDebut": "31/12/2025"}, 400, "REPORT_DATE_INVALID"),
    ({**BODY, "idService": 999999}, 404, "REPORT_FILTER_NOT_FOUND"),
    ({**BODY, "identifiantFournisseur": "54205118000066"}, 404, "REPORT_FILTER_NOT_FOUND"),
])
def test_bad_filters(recipient_wire, body, status, code):
    response = recipient_wire.post("reporting/v1/destinataire", body)
    assert response.status_code == status
    assert response.json()["libelle"].startswith(code)


def test_without_credentials(client, world):
    response = client.post("/cpro/reporting/v1/destinataire", data="{}",
                           content_type="application/json")
    assert response.status_code == 401
