"""Référentiel des organisations, `/cpro/organisations/v1/...` (reference §3.8): every
operation, every operator, `_sort` / `_desc` / `_fields`, the coded errors in this family's own
shape, who sees what, and the calls exactly as [PY-FE] and [PHP-Z] make them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from choeur.api import organisations
from choeur.core import clock
from choeur.organisations.models import Service, Structure
from tests.api.conftest import TECH_PASSWORD, Wire, make_party

pytestmark = pytest.mark.django_db

BASE = "organisations/v1"
# [PY-FE] utils/http_client.py: this content type, a Bearer, and `cpro-account`.
PY_FE_JSON = "application/json; charset=UTF-8"


def search(wire, operation: str, body) -> list[dict]:
    response = wire.post(f"{BASE}/{operation}", body)
    assert response.status_code == 200, response.content
    assert int(response["X-Total-Count"]) >= len(response.json())
    return response.json()


def refused(wire, operation: str, body, code: str, error: str, status: int = 400) -> dict:
    """A coded error in the referential's shape, and nothing else in the answer."""
    response = wire.post(f"{BASE}/{operation}", body)
    assert response.status_code == status, response.content
    [problem] = response.json()
    assert problem["code"] == code and problem["error"] == error
    assert problem["message"] and problem["detail"]
    return problem


@pytest.fixture
def world(buyer, supplier, victim):
    """Another public structure (a second hospital) and a closed service, to sort and find."""
    other = make_party("26750045200011", "Hôpital Public de Lyon", Structure.Kind.PUBLIQUE, [])
    other.structure.city = "Lyon"
    other.structure.postcode = "69003"
    other.structure.vat_number = "FR12267500452"
    other.structure.save()
    return {"buyer": buyer.structure, "supplier": supplier.structure,
            "victim": victim.structure, "other": other.structure}


def identifiers(rows) -> list[str]:
    return [row["identifiant"] for row in rows]


# --- The operations --------------------------------------------------------------------------


def test_healthcheck_answers_an_empty_200(wire):
    response = wire.get(f"{BASE}/healthcheck")
    assert response.status_code == 200 and response.content == b""


def test_structures_recherche_answers_a_plain_list_of_structures(wire, world):
    rows = search(wire, "structures/recherche",
                  {"identifiant": {"op": "=", "val": world["buyer"].identifier}})
    [row] = rows
    buyer = world["buyer"]
    assert row["uuid"] == buyer.public_id.hex and len(row["uuid"]) == 32
    assert row["idStructureCPP"] == buyer.pk
    assert row["raisonSociale"] == row["libelleOrganisation"] == "Ministère des Essais"
    assert row["typeIdentifiant"] == "SIRET" and row["typeOrganisation"] == "public"
    assert row["status"] == "active" and row["pays"] == "France"
    assert row["numeroEjDoitEtreRenseigne"] is True
    assert row["codeServiceDoitEtreRenseigne"] is False
    # [PHP-Z] FieldDefinition reads date-times as `Y-m-d\TH:i:s.vp`.
    assert row["derniereMaj"] == buyer.updated_at.astimezone(clock.PARIS).isoformat(
        timespec="milliseconds")
    assert "codeRetour" not in row and "adresseElectronique" not in row


def test_structure_by_uuid_dashed_uuid_and_siret(wire, world):
    buyer = world["buyer"]
    for reference in (buyer.public_id.hex, str(buyer.public_id), buyer.identifier):
        response = wire.get(f"{BASE}/structures/{reference}")
        assert response.status_code == 200, response.content
        assert response.json()["uuid"] == buyer.public_id.hex


def test_own_structure_shows_its_email_to_its_own_account_only(wire, buyer_wire, world):
    own = wire.get(f"{BASE}/structures/{world['supplier'].public_id.hex}").json()
    assert own["adresseElectronique"] == world["supplier"].email
    assert own["typeOrganisation"] == "private"
    other = wire.get(f"{BASE}/structures/{world['buyer'].public_id.hex}").json()
    assert "adresseElectronique" not in other
    # Searching on it finds one's own structure only: no oracle on others' addresses.
    assert search(wire, "structures/recherche", {
        "adresseElectronique": {"op": "CONTAINS", "val": "example.fr"}}) == [
        {**search(wire, "structures/recherche", {
            "uuid": {"op": "=", "val": world["supplier"].public_id.hex}})[0]}]
    assert search(buyer_wire, "structures/recherche", {
        "adresseElectronique": {"op": "=", "val": world["supplier"].email}}) == []


def test_services_of_a_structure_and_by_uuid(wire, world):
    buyer = world["buyer"]
    response = wire.get(f"{BASE}/structures/{buyer.public_id.hex}/services")
    assert response.status_code == 200
    rows = response.json()
    # The closed service of a public structure is not the supplier's to see.
    assert [r["codeService"] for r in rows] == ["FACTURES_PUBLIQUES", "SERV-ACHATS"]
    assert response["X-Total-Count"] == "2"
    achats = buyer.services.get(code="SERV-ACHATS")
    row = rows[1]
    assert row["uuid"] == achats.public_id.hex and row["libelle"] == "Achats"
    assert row["rattachementOrganisation"] == buyer.public_id.hex
    assert row["etatService"] == "ACTIF" and row["numeroEj"] is True
    one = wire.get(f"{BASE}/services/{achats.public_id.hex}")
    assert one.status_code == 200 and one.json() == row


def test_services_recherche_as_php_z_filters_them(wire, world):
    """[PHP-Z] `rechercherServiceOrganisation`: `rattachementOrganisation = <uuid>`,
    `_fields: ["uuid"]`, and the `_sort`/`_desc`/`_fields` keys always sent (empty)."""
    buyer = world["buyer"]
    rows = search(wire, "services/recherche", {
        "rattachementOrganisation": {"op": "=", "val": buyer.public_id.hex},
        "_sort": [], "_desc": [], "_fields": ["uuid"]})
    assert sorted(r["uuid"] for r in rows) == sorted(
        s.public_id.hex for s in buyer.services.filter(is_active=True))
    assert all(list(r) == ["uuid"] for r in rows)


def test_siren_recherche_gives_each_structure_its_siren(wire, world):
    rows = search(wire, "siren/recherche", {"siren": {"op": "=", "val": "110002011"}})
    assert [(r["siren"], r["identifiant"]) for r in rows] == [("110002011", "11000201100044")]
    rows = search(wire, "siren/recherche", {
        "siren": {"op": "IN", "val": ["110002011", "267500452"]},
        "_sort": ["siren"], "_fields": ["siren"]})
    assert rows == [{"siren": "110002011"}, {"siren": "267500452"}]
    refused(wire, "siren/recherche", {"siren": {"op": "=", "val": "1100"}},
            "API_ORG_INVALID_VALUE", "ParamsInvalidValue")


# --- Each operator -------------------------------------------------------------------------------


@pytest.mark.parametrize(("criterion", "expected"), [
    ({"identifiant": {"op": "=", "val": "26750045200011"}}, ["26750045200011"]),
    ({"raisonSociale": {"op": "=", "val": "hôpital public de lyon"}}, ["26750045200011"]),
    ({"raisonSociale": {"op": "CONTAINS", "val": "ESSAIS"}}, ["11000201100044"]),
    ({"identifiant": {"op": "IN", "val": ["11000201100044", 26750045200011]}},
     ["11000201100044", "26750045200011"]),
    ({"identifiant": {"op": ">", "val": "20000000000000"}}, ["26750045200011"]),
    ({"identifiant": {"op": ">=", "val": "26750045200011"}}, ["26750045200011"]),
    ({"identifiant": {"op": "<", "val": "26750045200011"}}, ["11000201100044"]),
    ({"identifiant": {"op": "<=", "val": "26750045200011"}},
     ["11000201100044", "26750045200011"]),
    ({"codePostal": {"op": "CONTAINS", "val": "690"}}, ["26750045200011"]),
    ({"pays": {"op": "=", "val": "France"}}, ["11000201100044", "26750045200011"]),
    ({"pays": {"op": "IN", "val": ["FR", "BE"]}}, ["11000201100044", "26750045200011"]),
    ({"numeroEjDoitEtreRenseigne": {"op": "=", "val": True}}, ["11000201100044"]),
    ({"typeOrganisation": {"op": "=", "val": "PUBLIQUE"}}, ["11000201100044", "26750045200011"]),
    ({"status": {"op": "IN", "val": ["active"]}}, ["11000201100044", "26750045200011"]),
    ({"status": {"op": "=", "val": True}}, ["11000201100044", "26750045200011"]),
    ({"numeroTvaIntracommunautaire": {"op": "=", "val": "FR12267500452"}},
     ["26750045200011"]),
])
def test_each_operator(buyer_wire, world, criterion, expected):
    """As the buyer's account (a public structure): the private supplier and victim are not
    in its directory, whatever the criterion."""
    rows = search(buyer_wire, "structures/recherche", {**criterion, "_sort": ["identifiant"]})
    assert identifiers(rows) == expected


def test_date_criteria_take_a_day_or_a_date_time(wire, world):
    buyer = world["buyer"]
    today = clock.today()
    Structure.objects.filter(pk=world["other"].pk).update(
        updated_at=clock.now() - timedelta(days=3))
    public = {"typeOrganisation": {"op": "=", "val": "public"}, "_sort": ["identifiant"]}

    def found(criterion):
        return identifiers(search(wire, "structures/recherche",
                                  {**public, "derniereMaj": criterion}))

    assert found({"op": "=", "val": today.isoformat()}) == [buyer.identifier]
    assert found({"op": ">=", "val": today.isoformat()}) == [buyer.identifier]
    assert found({"op": "<", "val": today.isoformat()}) == ["26750045200011"]
    assert found({"op": "<=", "val": (today - timedelta(days=1)).isoformat()}) == [
        "26750045200011"]
    assert found({"op": ">", "val": (today - timedelta(days=1)).isoformat()}) == [
        buyer.identifier]
    instant = (clock.now() - timedelta(days=1)).astimezone(clock.PARIS)
    assert found({"op": ">", "val": instant.isoformat(timespec="milliseconds")}) == [
        buyer.identifier]
    assert found({"op": "<", "val": instant.strftime("%Y-%m-%dT%H:%M:%S%z")}) == [
        "26750045200011"]  # [PHP-Z] RechercheFieldDateTime: `Y-m-d\TH:i:sO`


@pytest.mark.parametrize("value", [
    "0025-09-02T05:06:17-18:47",  # an RFC 3339 offset beyond PostgreSQL's ±15:59 (fuzzing)
    "0001-01-01T00:00:00+01:00",  # before the first instant Python holds, in UTC
    "9999-12-31T23:59:59-05:00",  # after the last one
    "0001-01-01", "9999-12-31",   # whole days at the ends of the calendar
])
@pytest.mark.parametrize("op", ["=", ">", ">=", "<", "<="])
def test_dates_at_the_ends_of_the_calendar_are_searched_not_a_server_error(
        wire, world, value, op):
    """Every date-time the schema allows (`format: date-time`) is read, on both kinds of
    date criteria, on SQLite and PostgreSQL alike."""
    search(wire, "structures/recherche", {"derniereMaj": {"op": op, "val": value}})
    search(wire, "services/recherche", {"dateDebutActivation": {"op": op, "val": value}})


# --- _sort, _desc, _fields --------------------------------------------------------------------


def test_sort_desc_and_fields(buyer_wire, world):
    body = {"typeOrganisation": {"op": "=", "val": "public"}}
    ascending = search(buyer_wire, "structures/recherche",
                       {**body, "_sort": ["ville"], "_fields": ["ville", "identifiant"]})
    assert ascending == [{"ville": "Lyon", "identifiant": "26750045200011"},
                         {"ville": "Paris", "identifiant": "11000201100044"}]
    descending = search(buyer_wire, "structures/recherche",
                        {**body, "_sort": ["ville"], "_desc": ["ville"], "_fields": ["ville"]})
    assert descending == [{"ville": "Paris"}, {"ville": "Lyon"}]
    # A field only in `_desc` sorts too ([PY-FE]'s example: `'_desc': ['ville','pays']`).
    only_desc = search(buyer_wire, "structures/recherche",
                       {**body, "_desc": ["ville", "pays"], "_fields": ["ville"]})
    assert only_desc == descending
    # A field Choeur does not hold may be asked for: it is then absent.
    assert search(buyer_wire, "structures/recherche", {
        **body, "_fields": ["categorieJuridique"]}) == [{}, {}]


def test_pages_of_at_most_max_results(buyer_wire, world, monkeypatch):
    monkeypatch.setattr(organisations, "MAX_RESULTS", 1)
    body = {"typeOrganisation": {"op": "=", "val": "public"}, "_sort": ["identifiant"],
            "_fields": ["identifiant"]}
    first = buyer_wire.post(f"{BASE}/structures/recherche", body)
    assert first.json() == [{"identifiant": "11000201100044"}]
    assert first["X-Total-Count"] == "2"
    second = buyer_wire.post(f"{BASE}/structures/recherche", {**body, "_page": 2})
    assert second.json() == [{"identifiant": "26750045200011"}]
    assert second["X-Total-Count"] == "2"
    beyond = buyer_wire.post(f"{BASE}/structures/recherche", {**body, "_page": 3})
    assert beyond.json() == [] and beyond["X-Total-Count"] == "2"


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "code", "error"), [
    ({"inconnu": {"op": "=", "val": "x"}}, "API_ORG_UNKNOWN_FIELD", "ParamsInvalidField"),
    ({"_limit": {"op": "=", "val": 1}}, "API_ORG_UNKNOWN_FIELD", "ParamsInvalidField"),
    ({"contactPrincipal": {"op": "=", "val": "x"}}, "API_ORG_FIELD_NOT_SEARCHABLE",
     "ParamsInvalidField"),
    ({"ville": {"op": "LIKE", "val": "x"}}, "API_ORG_UNKNOWN_OPERATOR", "ParamsInvalidOperator"),
    ({"ville": {"op": 3, "val": "x"}}, "API_ORG_UNKNOWN_OPERATOR", "ParamsInvalidOperator"),
    ({"status": {"op": "CONTAINS", "val": "act"}}, "API_ORG_UNKNOWN_OPERATOR",
     "ParamsInvalidOperator"),
    ({"avecMOA": {"op": ">", "val": True}}, "API_ORG_UNKNOWN_OPERATOR", "ParamsInvalidOperator"),
    ({"ville": {"val": "x"}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"ville": "Paris"}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"ville": {"op": "=", "val": ["Paris"]}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"ville": {"op": "IN", "val": "Paris"}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"ville": {"op": "IN", "val": []}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"ville": {"op": "IN", "val": ["x"] * 101}}, "API_ORG_INVALID_VALUE",
     "ParamsInvalidValue"),
    ({"avecMOA": {"op": "=", "val": "oui"}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"structureOrigine": {"op": "=", "val": 1.5}}, "API_ORG_INVALID_VALUE",
     "ParamsInvalidValue"),
    ({"uuid": {"op": "=", "val": "pas-un-uuid"}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"status": {"op": "=", "val": "ouvert"}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"pays": {"op": "=", "val": "Atlantide"}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"derniereMaj": {"op": "=", "val": "2024-13-45"}}, "API_ORG_INVALID_VALUE",
     "ParamsInvalidValue"),
    ({"derniereMaj": {"op": "=", "val": 1705276800000}}, "API_ORG_INVALID_VALUE",
     "ParamsInvalidValue"),
    ({"ville": {"op": "=", "val": "x" * 1001}}, "API_ORG_INVALID_VALUE", "ParamsInvalidValue"),
    ({"ville": {"op": "=", "val": "Paris"}, "_sort": ["inconnu"]}, "API_ORG_UNKNOWN_FIELD",
     "ParamsInvalidField"),
    ({"ville": {"op": "=", "val": "Paris"}, "_desc": ["telephone"]},
     "API_ORG_FIELD_NOT_SEARCHABLE", "ParamsInvalidField"),
    ({"ville": {"op": "=", "val": "Paris"}, "_sort": ["adresseElectronique"]},
     "API_ORG_FIELD_NOT_SEARCHABLE", "ParamsInvalidField"),
    ({"ville": {"op": "=", "val": "Paris"}, "_fields": ["libelle"]}, "API_ORG_UNKNOWN_FIELD",
     "ParamsInvalidField"),
    ({"ville": {"op": "=", "val": "Paris"}, "_fields": "ville"}, "API_INVALID_FIELD",
     "ParamsInvalid"),
    ({"ville": {"op": "=", "val": "Paris"}, "_page": 0}, "API_ORG_INVALID_VALUE",
     "ParamsInvalidValue"),
    ({}, "API_ORG_NO_CRITERION", "ParamsMissingCriterion"),
    ({"_sort": ["ville"], "_fields": ["ville"]}, "API_ORG_NO_CRITERION",
     "ParamsMissingCriterion"),
])
def test_bad_searches_are_coded_400s_in_this_api_shape(wire, world, body, code, error):
    refused(wire, "structures/recherche", body, code, error)


def test_malformed_bodies_and_references(wire, world):
    response = wire.post(f"{BASE}/structures/recherche", raw="{pas du json")
    assert response.status_code == 400
    assert response.json()[0]["code"] == "API_MALFORMED_JSON"
    response = wire.post(f"{BASE}/structures/recherche", raw="[]")
    assert response.status_code == 400 and response.json()[0]["code"] == "API_BODY_NOT_OBJECT"
    # What the platform answers for a reference that is neither a uuid nor a SIRET.
    response = wire.get(f"{BASE}/structures/no_exist_uuid/services")
    assert response.status_code == 400
    assert response.json()[0]["error"] == "ParamsInvalidUuidStructures"
    # A reference that does not exist: HTTP 400 NotFoundReference, as the platform answers.
    for path in (f"structures/{'0' * 32}", f"services/{'0' * 32}", "services/not_exist_service",
                 "structures/00000000000000/services"):
        response = wire.get(f"{BASE}/{path}")
        assert response.status_code == 400, path
        assert response.json()[0]["error"] == "NotFoundReference"
        assert response.json()[0]["code"] == "CORE_NOT_FOUND"
    # An unknown operation of the family answers in the family's shape too.
    response = wire.get(f"{BASE}/structures/{world['buyer'].public_id.hex}/pieces_jointes/x/y")
    assert response.status_code == 400 and response.json()[0]["error"] == "NotFoundReference"


def test_messages_in_english_when_asked(wire, world):
    response = wire.post(f"{BASE}/structures/recherche", {"x": {"op": "=", "val": 1}},
                         headers={"Accept-Language": "en"})
    assert response.json()[0]["message"].startswith("There is no field “x” here.")


# --- Who sees what -------------------------------------------------------------------------------


def test_no_token_or_a_bad_account_gets_the_gateways_401(client, supplier, world):
    wire = Wire(client, supplier)
    calls = [("get", f"{BASE}/healthcheck", None),
             ("post", f"{BASE}/structures/recherche", {"ville": {"op": "=", "val": "Paris"}}),
             ("get", f"{BASE}/structures/{world['buyer'].public_id.hex}", None)]
    for method, path, body in calls:
        answers = [
            client.generic(method.upper(), f"/cpro/{path}", json.dumps(body or {}),
                           content_type=PY_FE_JSON),
            client.generic(method.upper(), f"/cpro/{path}", json.dumps(body or {}),
                           content_type=PY_FE_JSON, headers={
                               "Authorization": "Bearer forged",
                               "cpro-account": supplier.cpro_account}),
            client.generic(method.upper(), f"/cpro/{path}", json.dumps(body or {}),
                           content_type=PY_FE_JSON, headers={
                               **wire.headers(), "cpro-account": "YmFkOmJhZA=="}),
        ]
        for response in answers:
            assert response.status_code == 401, (path, response.content)
            assert response.json() == {"ErrorCode": "401", "Description": "[invalid field]"}
            assert response["WWW-Authenticate"].startswith('Bearer realm="PISTE"')
    assert TECH_PASSWORD  # the good password exists: the bad one above is refused, not absent


def test_another_structures_account_sees_only_the_directory(wire, world):
    """The supplier's technical account (an outsider to the victim) neither finds nor reads
    the victim, a private structure, nor its services, whatever it forges."""
    victim = world["victim"]
    secret = victim.services.get(code="SECRET")
    for criterion in ({"uuid": {"op": "=", "val": victim.public_id.hex}},
                      {"identifiant": {"op": "=", "val": victim.identifier}},
                      {"raisonSociale": {"op": "CONTAINS", "val": "Secr"}},
                      {"typeOrganisation": {"op": "=", "val": "private"}},
                      {"idStructureCPP": {"op": "=", "val": victim.pk}}):
        rows = search(wire, "structures/recherche", criterion)
        assert victim.identifier not in identifiers(rows)
        assert victim.identifier not in identifiers(search(wire, "siren/recherche", criterion))
    assert identifiers(search(wire, "structures/recherche", {
        "typeOrganisation": {"op": "=", "val": "private"}})) == [world["supplier"].identifier]
    for path in (f"structures/{victim.public_id.hex}", f"structures/{victim.identifier}",
                 f"structures/{victim.public_id.hex}/services",
                 f"services/{secret.public_id.hex}"):
        response = wire.get(f"{BASE}/{path}")
        assert response.status_code == 400 and response.json()[0]["error"] == "NotFoundReference"
    assert search(wire, "services/recherche", {
        "codeService": {"op": "=", "val": "SECRET"}}) == []
    assert search(wire, "services/recherche", {
        "idStructureCPP": {"op": "=", "val": victim.pk}}) == []


def test_own_structure_shows_all_its_services_others_only_current_ones(client, wire, world):
    buyer = world["buyer"]
    closed = buyer.services.get(code="SERV-FERME")
    future = Service.objects.create(structure=buyer, code="SERV-FUTUR", name="Futur",
                                    valid_from=clock.today() + timedelta(days=10))
    hidden = {closed.public_id.hex, future.public_id.hex}
    seen = {r["uuid"] for r in search(wire, "services/recherche", {
        "rattachementOrganisation": {"op": "=", "val": buyer.public_id.hex}})}
    assert not seen & hidden
    own = Wire(client, _party_of(buyer))
    seen = {r["uuid"] for r in search(own, "services/recherche", {
        "rattachementOrganisation": {"op": "=", "val": buyer.public_id.hex}})}
    assert hidden <= seen
    row = own.get(f"{BASE}/services/{future.public_id.hex}").json()
    assert row["dateDebutActivation"].startswith(future.valid_from.isoformat())
    assert search(own, "services/recherche", {
        "dateDebutActivation": {"op": ">", "val": clock.today().isoformat()},
        "_fields": ["codeService"]}) == [{"codeService": "SERV-FUTUR"}]
    assert search(own, "services/recherche", {
        "etatService": {"op": "=", "val": "INACTIF"}, "_fields": ["codeService"]}) == [
        {"codeService": "SERV-FERME"}]


def _party_of(structure):
    from tests.api.conftest import Party

    account = structure.technical_accounts.get()
    return Party(structure, account, structure.api_clients.get())


# --- The real clients' calls ---------------------------------------------------------------------


def test_facture_electronique_searches_exactly_as_it_sends_them(client, supplier, world):
    """[PY-FE] `rechercher_organisation_siren(payload)` and
    `rechercher_structure_via_organisation(payload)` post the caller's payload as it is, with
    `application/json; charset=UTF-8`; the payloads are those of their docstrings: `_fields`
    naming the fields wanted, `_sort` / `_desc` arrays, one attribute at least."""
    wire = Wire(client, supplier, content_type=PY_FE_JSON)
    rows = search(wire, "siren/recherche", {
        "raisonSociale": {"op": "CONTAINS", "val": "Ministère"},
        "_fields": ["libelleOrganisation", "raisonSociale", "adresseElectronique"],
        "_sort": ["libelleOrganisation", "adresse", "identifiant"],
        "_desc": ["ville", "pays"]})
    assert rows == [{"libelleOrganisation": "Ministère des Essais",
                     "raisonSociale": "Ministère des Essais"}]
    rows = search(wire, "structures/recherche", {
        "identifiant": {"op": "=", "val": world["buyer"].identifier},
        "_fields": ["typeOrganisation", "raisonSociale", "numeroEjDoitEtreRenseigne"]})
    assert rows == [{"typeOrganisation": "public", "raisonSociale": "Ministère des Essais",
                     "numeroEjDoitEtreRenseigne": True}]


def test_php_z_structure_search_and_reads(client, supplier, world):
    """[PHP-Z] `rechercherStructures`: `pays = France`, `_fields: [uuid]`, with its
    `application/json;charset=utf-8`; then `consulterStructure` and
    `rechercherServicesStructure` by the uuid found."""
    wire = Wire(client, supplier)
    rows = search(wire, "structures/recherche", {
        "pays": {"op": "=", "val": "France"}, "_sort": [], "_desc": [], "_fields": ["uuid"]})
    assert world["buyer"].public_id.hex in [r["uuid"] for r in rows]
    one = wire.get(f"{BASE}/structures/{world['buyer'].public_id.hex}").json()
    assert one["status"] in ("active", "inactive", "activation in progress")
    assert one["typeOrganisation"] in ("public", "private")
    services = wire.get(f"{BASE}/structures/{one['uuid']}/services").json()
    assert {s["etatService"] for s in services} <= {"ACTIF", "INACTIF", "SUPPRIME"}


def test_structures_v1_search_still_gives_the_total_py_fe_reads(client, supplier, world):
    """[PY-FE] `obtenir_identifiant_cpro_depuis_siret`: `restreindreStructuresPrivees: False`,
    then `parametresRetour.total == 1` and `listeStructures[0].idStructureCPP`."""
    wire = Wire(client, supplier, content_type=PY_FE_JSON)
    body = wire.post("structures/v1/rechercher", {
        "restreindreStructuresPrivees": False,
        "structure": {"identifiantStructure": world["buyer"].identifier,
                      "typeIdentifiantStructure": "SIRET"}}).json()
    assert body["parametresRetour"]["total"] == 1
    assert body["listeStructures"][0]["idStructureCPP"] == world["buyer"].pk


def test_every_structure_and_service_has_its_own_uuid(world):
    uuids = list(Structure.objects.values_list("public_id", flat=True))
    uuids += list(Service.objects.values_list("public_id", flat=True))
    assert None not in uuids and len(uuids) == len(set(uuids))
