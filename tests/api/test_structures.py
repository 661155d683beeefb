"""Structures: the 6 operations of swagger/structures.json, checked against its definitions,
with requests shaped as the clients send them (reference §3.2, §5, §7.4, §7.7)."""

from __future__ import annotations

import pytest

from choeur.organisations.models import Rattachement, Service
from tests.api.swagger import conforms, response_definition

pytestmark = pytest.mark.django_db

OPERATIONS = ["rechercher", "consulter", "rechercher/services", "consulter/service",
              "lister/rattachementsutilisateur", "rechercher/espaces"]


def test_every_swagger_operation_is_served(wire, buyer):
    for operation in OPERATIONS:
        response = wire.post(f"structures/v1/{operation}", {})
        assert response.status_code != 404 or response.json()["libelle"].startswith(
            "CORE_NOT_FOUND"), operation
        assert "codeRetour" in response.json(), operation


def test_rechercher_by_siret_as_odoo_does(wire, buyer):
    response = wire.post("structures/v1/rechercher", {"structure": {
        "identifiantStructure": buyer.structure.identifier, "typeIdentifiantStructure": "SIRET"}})
    body = conforms(response.json(), response_definition("/v1/rechercher"))
    assert response.status_code == 200 and body["codeRetour"] == 0
    assert body["libelle"] == "TRA_MSG_00.000"
    assert len(body["listeStructures"]) == 1  # OCA requires exactly one
    assert body["listeStructures"][0]["idStructureCPP"] == buyer.structure.pk
    assert body["parametresRetour"]["total"] == 1  # facture-electronique reads this


def test_rechercher_with_pastell_strings_and_pagination(wire, buyer):
    response = wire.post("structures/v1/rechercher", {
        "restreindreStructuresPrivees": "", "structure": {"typeStructure": "PUBLIQUE",
                                                          "raisonSocialeStructure": "essais"},
        "parametres": {"nbResultatsParPage": "5", "pageResultatDemandee": "1",
                       "triColonne": "DesignationStructure", "triSense": "Ascendant "}})
    body = conforms(response.json(), "WsRetourRechercherStructure")
    assert [s["idStructureCPP"] for s in body["listeStructures"]] == [buyer.structure.pk]
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 1,
                                        "nbResultatsParPage": 5, "total": 1}


def test_rechercher_never_lists_another_private_structure(wire, buyer, supplier, victim):
    for criteria in ({}, {"identifiantStructure": victim.structure.identifier},
                     {"typeStructure": "PRIVEE"}, {"raisonSocialeStructure": "Secrète"}):
        for restrict in (True, False, None):
            body = wire.post("structures/v1/rechercher", {
                "structure": criteria, "restreindreStructuresPrivees": restrict}).json()
            ids = {s["idStructureCPP"] for s in body["listeStructures"]}
            assert victim.structure.pk not in ids, (criteria, restrict)
    own = wire.post("structures/v1/rechercher", {"structure": {"typeStructure": "PRIVEE"}})
    assert [s["idStructureCPP"] for s in own.json()["listeStructures"]] == [
        supplier.structure.pk]


def test_consulter_a_public_recipient_reads_its_parameters(wire, buyer):
    response = wire.post("structures/v1/consulter", {"codeLangue": "fr",
                                                     "idStructureCPP": buyer.structure.pk})
    body = conforms(response.json(), response_definition("/v1/consulter"))
    assert body["parametres"]["numeroEJDoitEtreRenseigne"] is True
    assert body["informationGenerales"]["structurePriveePublique"] == "PUBLIQUE"
    # Another structure's contact data and the account's password expiry are not given.
    assert "emailStructure" not in body["informationGenerales"]
    assert "dateExpirationMotPasseCompteTech" not in body["informationGenerales"]


def test_consulter_its_own_structure_with_the_go_client_key(wire, supplier):
    response = wire.post("structures/v1/consulter", {"idStructure": str(supplier.structure.pk)})
    body = conforms(response.json(), "WsRetourConsulterStructureTVAIntraCom")
    informations = body["informationGenerales"]
    assert informations["emailStructure"] == supplier.structure.email
    assert informations["dateExpirationMotPasseCompteTech"].startswith(
        str(supplier.account.password_expires_at.year))


@pytest.mark.parametrize("operation, body", [
    ("consulter", {"idStructureCPP": "{victim}"}),
    ("rechercher/services", {"idStructure": "{victim}"}),
    ("consulter/service", {"idStructure": "{victim}", "idService": "{victim_service}"}),
    ("lister/rattachementsutilisateur", {"idStructure": "{victim}", "idUtilisateur": 1}),
    ("rechercher/espaces", {"structure": {"idStructure": "{victim}"}}),
    ("rechercher/espaces", {"structure": {"identifiantStructure": "{victim_siret}"}}),
    ("consulter", {"idStructureCPP": 999999999}),
])
def test_a_forged_structure_id_is_not_found_and_leaks_nothing(wire, victim, operation, body):
    values = {"victim": victim.structure.pk,
              "victim_service": victim.structure.services.get(code="SECRET").pk,
              "victim_siret": victim.structure.identifier}

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, str) and value.startswith("{"):
            return values[value.strip("{}")]
        return value

    response = wire.post(f"structures/v1/{operation}", fill(body))
    assert response.status_code == 404
    payload = response.json()
    assert payload["codeRetour"] == 20001
    assert payload["libelle"].startswith("CORE_NOT_FOUND")
    text = response.content.decode()
    for secret in ("Victime", "SECRET", "secret", victim.structure.identifier):
        assert secret not in text


def test_a_public_structure_shows_only_its_current_services(wire, buyer):
    response = wire.post("structures/v1/rechercher/services", {
        "idStructure": buyer.structure.pk,
        "parametresRechercherServicesStructure": {"nbResultatsParPage": 10000}})
    body = conforms(response.json(), response_definition("/v1/rechercher/services"))
    codes = [s["codeService"] for s in body["listeServices"]]
    assert codes == ["FACTURES_PUBLIQUES", "SERV-ACHATS"]  # clients skip the first one
    assert body["parametresRetour"]["nbResultatsParPage"] == 10000
    assert all(len(s["dateDbtService"]) == len("2026-03-10 09:30") for s in body["listeServices"])


def test_own_services_include_inactive_ones_sorted_as_asked(buyer_wire, buyer):
    response = buyer_wire.post("structures/v1/rechercher/services", {
        "idStructure": buyer.structure.pk, "parametresRechercherServicesStructure": {
            "triColonne": "CodeService", "triSens": "Descendant", "nbResultatsParPage": 2,
            "pageResultatDemandee": 2}})
    body = conforms(response.json(), "WsRetourRechercherServicesStructure")
    assert [s["codeService"] for s in body["listeServices"]] == ["FACTURES_PUBLIQUES"]
    assert body["parametresRetour"] == {"pageCourante": 2, "pages": 2, "nbResultatsParPage": 2,
                                        "total": 3}


def test_consulter_service_says_whether_an_engagement_is_required(wire, buyer):
    service = buyer.structure.services.get(code="SERV-ACHATS")
    response = wire.post("structures/v1/consulter/service", {
        "idStructure": buyer.structure.pk, "idService": service.pk, "codeLangue": "FR"})
    body = conforms(response.json(), response_definition("/v1/consulter/service"))
    assert body["parametres"]["numeroEngagement"] is True
    assert body["informationsGenerales"]["codeService"] == "SERV-ACHATS"
    closed = buyer.structure.services.get(code="SERV-FERME")
    response = wire.post("structures/v1/consulter/service", {
        "idStructure": buyer.structure.pk, "idService": closed.pk})
    assert response.status_code == 404


def test_lister_rattachements_of_a_user_of_its_own_structure(wire, supplier, user):
    service = Service.objects.create(structure=supplier.structure, code="COMPTA", name="Compta")
    rattachement = Rattachement.objects.create(user=user, structure=supplier.structure,
                                               status=Rattachement.Status.VALIDEE)
    rattachement.services.add(service)
    response = wire.post("structures/v1/lister/rattachementsutilisateur", {
        "idStructure": supplier.structure.pk,
        "adresseEmailConnexionUtilisateur": user.email.upper()})
    body = conforms(response.json(),
                    response_definition("/v1/lister/rattachementsutilisateur"))
    assert [s["codeService"] for s in body["listeServices"]] == ["COMPTA"]
    assert body["listeServices"][0]["statutRattachement"] == "VALIDEE"
    unknown = wire.post("structures/v1/lister/rattachementsutilisateur", {
        "idStructure": supplier.structure.pk, "adresseEmailConnexionUtilisateur": "x@y.fr"})
    assert unknown.status_code == 404


def test_rechercher_espaces_of_its_own_structure(wire, supplier):
    response = wire.post("structures/v1/rechercher/espaces", {
        "structure": {"identifiantStructure": supplier.structure.identifier,
                      "typeIdentifiantStructure": "SIRET"}})
    body = conforms(response.json(), response_definition("/v1/rechercher/espaces"))
    assert [(e["codeEspace"], e["typeHabilitation"]) for e in body["listeEspace"]] == [
        (1, "MODIFICATION")]


@pytest.mark.parametrize("body, field", [
    ({"idStructureCPP": "abc"}, "idStructureCPP"),
    ({"idStructureCPP": 2**70}, "idStructureCPP"),
    ({"idStructureCPP": -1}, "idStructureCPP"),
    ({"idStructureCPP": [1]}, "idStructureCPP"),
    ({}, "idStructureCPP"),
])
def test_bad_ids_are_coded_400s(wire, body, field):
    response = wire.post("structures/v1/consulter", body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["codeRetour"] == 20002
    assert payload["libelle"].startswith("API_INVALID_FIELD") and field in payload["libelle"]


@pytest.mark.parametrize("parametres, code", [
    ({"nbResultatsParPage": 10001}, "API_PAGE_TOO_LARGE"),
    ({"nbResultatsParPage": 2**40}, "API_INVALID_FIELD"),
    ({"pageResultatDemandee": 10**9}, "API_INVALID_FIELD"),
    ({"pageResultatDemandee": -3}, "API_INVALID_FIELD"),
    ({"triColonne": "DROP TABLE"}, "API_INVALID_FIELD"),
    ({"triSens": "Sideways"}, "API_INVALID_FIELD"),
    ({"nbResultatsParPage": "dix"}, "API_INVALID_FIELD"),
])
def test_bad_pages_are_coded_400s(wire, parametres, code):
    response = wire.post("structures/v1/rechercher", {"parametres": parametres})
    assert response.status_code == 400
    assert response.json()["libelle"].startswith(code)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", "\xff\xfe",
                                 '{"structure": "SIRET"}', '{"structure": {"estMOA": "peut-être"}}',
                                 '{"structure": {"typeIdentifiantStructure": "PASSEPORT"}}'])
def test_malformed_bodies_are_coded_400s_never_500(wire, raw):
    response = wire.post("structures/v1/rechercher", raw=raw)
    assert response.status_code == 400
    body = response.json()
    assert body["codeRetour"] == 20002 and " - " in body["libelle"]


def test_unknown_fields_and_content_type_variants_are_accepted(client, supplier, buyer):
    from tests.api.conftest import Wire

    for content_type in ("application/json", "application/json; charset=UTF-8",
                         "application/json;charset=utf-8", "text/plain"):
        wire = Wire(client, supplier, content_type=content_type)
        response = wire.post("structures/v1/rechercher", {
            "idUtilisateurCourant": 0, "inconnu": {"a": 1},
            "structure": {"identifiantStructure": buyer.structure.identifier, "extra": True}})
        assert response.status_code == 200, content_type
        assert response.json()["parametresRetour"]["total"] == 1


def test_an_empty_body_reads_as_an_empty_object(wire):
    response = wire.post("structures/v1/rechercher", raw="")
    assert response.status_code == 200
    assert response.json()["codeRetour"] == 0


def test_errors_speak_english_when_asked(wire, victim):
    response = wire.post("structures/v1/consulter", {"idStructureCPP": victim.structure.pk},
                         headers={"Accept-Language": "en"})
    assert response.json()["libelle"] == (
        "CORE_NOT_FOUND - Structure not found, or you have no access to it.")
