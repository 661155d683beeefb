"""The session of facture-electronique ([PY-FE], reference §5: `api/chorus_pro.py`,
`utils/http_client.py`), replayed call after call exactly as that client sends them, only the
URLs changed: the token as a form with `scope=openid`; then every call with its headers
(`Authorization: Bearer`, `Content-Type: application/json; charset=UTF-8`, `cpro-account`)
and its bodies — `restreindreStructuresPrivees: false`, `parametresRetour.total` read back,
the file added through `ajouter/fichier`, `soumettre` without `dateFacture` with a list-valued
`pieceJointePrincipale` and fields Chorus Pro does not know, the referential's searches.
Every call must answer 200 (the client calls `raise_for_status()`) with what it reads."""

from __future__ import annotations

import base64

import pytest

from choeur.invoicing.models import Invoice
from tests.api.conftest import CLIENT_SECRET, TECH_PASSWORD
from tests.api.test_uploads import pdf_bytes
from tests.api.test_wire_dates import facture_electronique_payload

pytestmark = pytest.mark.django_db

CONTENT_TYPE = "application/json; charset=UTF-8"


class ChorusProAPI:
    """The client's requests, byte for byte in what matters: same paths (its base URL ends in
    `/cpro`), same headers, same bodies."""

    def __init__(self, client, party):
        self.client = client
        response = client.post("/api/oauth/token", data={
            "grant_type": "client_credentials", "client_id": party.client.client_id,
            "client_secret": CLIENT_SECRET, "scope": "openid"})
        response_ok(response)
        self.headers = {
            "Authorization": f"Bearer {response.json()['access_token']}",
            "cpro-account": base64.b64encode(
                bytes(f"{party.account.login}:{TECH_PASSWORD}", "utf-8")).decode("utf-8"),
        }
        self.calls = 1

    def post(self, endpoint: str, json_body) -> dict:
        import json

        response = self.client.post(f"/cpro{endpoint}", data=json.dumps(json_body),
                                    content_type=CONTENT_TYPE, headers=self.headers)
        response_ok(response)
        self.calls += 1
        return response.json()


def response_ok(response) -> None:
    """requests' raise_for_status(): any 4xx or 5xx stops the client."""
    assert response.status_code < 400, (response.status_code, response.content[:500])


def test_the_whole_facture_electronique_session(client, supplier, buyer, engagements):
    api = ChorusProAPI(client, supplier)

    # obtenir_identifiant_cpro_depuis_siret → rechercher_structure
    found = api.post("/structures/v1/rechercher", {
        "restreindreStructuresPrivees": False,
        "structure": {"identifiantStructure": buyer.structure.identifier,
                      "typeIdentifiantStructure": "SIRET"}})
    assert found["parametresRetour"]["total"] == 1
    id_structure = found["listeStructures"][0]["idStructureCPP"]
    assert id_structure == buyer.structure.pk

    # consulter_structure, rechercher_services_structure, consulter_service_structure
    structure = api.post("/structures/v1/consulter",
                         {"codeLangue": "fr", "idStructureCPP": id_structure})
    assert structure["codeRetour"] == 0
    assert "numeroEJDoitEtreRenseigne" in structure["parametres"]
    services = api.post("/structures/v1/rechercher/services", {"idStructure": id_structure})
    assert services["codeRetour"] == 0
    service = next(s for s in services["listeServices"] if s["codeService"] == "SERV-ACHATS")
    detail = api.post("/structures/v1/consulter/service",
                      {"idStructure": id_structure, "idService": service["idService"]})
    assert detail["codeRetour"] == 0 and detail["parametres"]["numeroEngagement"] is True

    # ajouter_fichier_dans_systeme: the invoice PDF, its id for soumettre
    added = api.post("/transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": base64.b64encode(pdf_bytes("Facture FE-2026-001")).decode(),
        "pieceJointeNom": "facture.pdf", "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF"})
    assert added["codeRetour"] == 0
    piece_id = added["pieceJointeId"]

    # envoyer_facture: no dateFacture, a list-valued pieceJointePrincipale, unknown fields
    payload = facture_electronique_payload(supplier, buyer, piece_id)
    assert "dateFacture" not in payload
    assert isinstance(payload["pieceJointePrincipale"], list)
    sent = api.post("/factures/v1/soumettre", payload)
    assert sent["codeRetour"] == 0
    invoice = Invoice.objects.get(pk=sent["identifiantFactureCPP"])
    assert invoice.number == "FE-2026-001" and invoice.recipient == buyer.structure

    # obtenir_statut_facture
    status = api.post("/factures/v1/consulter/fournisseur",
                      {"identifiantFactureCPP": sent["identifiantFactureCPP"]})
    assert status["codeRetour"] == 0
    assert status["facture"]["numeroFacture"] == "FE-2026-001"

    # rechercher_organisation_siren, rechercher_structure_via_organisation
    siren = buyer.structure.identifier[:9]
    by_siren = api.post("/organisations/v1/siren/recherche",
                        {"siren": {"op": "=", "val": siren}})
    assert [row["siren"] for row in by_siren] == [siren]
    by_name = api.post("/organisations/v1/structures/recherche", {
        "raisonSociale": {"op": "CONTAINS", "val": "Essais"},
        "_fields": ["typeOrganisation", "raisonSociale", "numeroEjDoitEtreRenseigne"]})
    # Only the fields asked for (the value spellings are the sandbox's, api/organisations.py).
    assert [set(row) for row in by_name] == [
        {"typeOrganisation", "raisonSociale", "numeroEjDoitEtreRenseigne"}]
    assert by_name[0]["raisonSociale"] == "Ministère des Essais"
    assert by_name[0]["numeroEjDoitEtreRenseigne"] is True
    assert api.calls == 10  # the token, then nine operations


def test_consulter_fournisseur_names_the_main_piece_it_was_given(client, supplier, buyer,
                                                                 engagements):
    api = ChorusProAPI(client, supplier)
    piece_id = api.post("/transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": base64.b64encode(pdf_bytes("Facture FE-2026-001")).decode(),
        "pieceJointeNom": "facture.pdf", "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": "PDF"})["pieceJointeId"]
    sent = api.post("/factures/v1/soumettre",
                    facture_electronique_payload(supplier, buyer, piece_id))
    facture = api.post("/factures/v1/consulter/fournisseur",
                       {"identifiantFactureCPP": sent["identifiantFactureCPP"]})["facture"]
    assert facture["pieceJointePrincipale"] == {
        "idLiaisonPieceJointePrincipale": sent["identifiantFactureCPP"],
        "idPieceJointePrincipale": piece_id}
