"""The OpenAPI description of Choeur's API, served at a stable URL, is well formed: every
operation named once, every reference resolvable, and it validates as JSON Schema itself."""

from __future__ import annotations

import jsonschema
import pytest

pytestmark = pytest.mark.django_db


def _refs(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.append(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_openapi_is_public_and_well_formed(client):
    response = client.get("/cpro/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/api/oauth/token", "/cpro/structures/v1/rechercher",
                 "/cpro/transverses/v1/health-check",
                 "/cpro/transverses/v1/recuperer/motifs/refus/Facture/AValider",
                 "/cpro/utilisateurs/v1/monCompte/recuperer/rattachements",
                 "/cpro/engagementsJuridiques/v1/rechercher",
                 "/cpro/facturesTravaux/v1/rechercher",
                 "/cpro/organisations/v1/structures/recherche",
                 "/cpro/organisations/v1/structures/{uuid}"):
        assert path in paths, path
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    schemas = document["components"]["schemas"]
    for ref in _refs(document, []):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema), name
    # The wire names survive (no snake_case renaming), the odd spellings included.
    consulter = schemas["WsRetourConsulterStructure"]["properties"]
    assert "informationGenerales" in consulter
    # Each search publishes its own paging object: the columns it sorts on.
    paging = schemas["PaginationFactures"]["properties"]
    assert paging["triSens"]["anyOf"][0]["enum"] == ["Ascendant", "Descendant"]
    assert "IdFacture" in paging["triColonne"]["anyOf"][0]["enum"]


def test_operations_declare_the_auth_headers(client):
    document = client.get("/cpro/openapi.json").json()
    operation = document["paths"]["/cpro/structures/v1/rechercher"]["post"]
    assert operation["responses"]["200"]
    assert "400" in operation["responses"] and "401" in operation["responses"]
