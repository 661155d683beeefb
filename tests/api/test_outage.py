"""The wire API while the database cannot be reached: every call answers 503 with
`Retry-After` and the wire's envelope (`codeRetour` 29998, `CORE_DATABASE_UNAVAILABLE`), the
referential family its own list, the health-check too — no 500 `API_INTERNAL_ERROR`, no stack
trace; and SQLite's « database is locked » is not taken for an outage."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.test import Client

from tests.api.conftest import Wire

pytestmark = pytest.mark.django_db

LOST = "consuming input failed: server closed the connection unexpectedly"


@pytest.fixture
def fail_with(monkeypatch):
    """`fail_with(error)`: from now on every new cursor raises `error`."""
    wrapper = connections["default"]

    def install(error):
        def cursor(*args, **kwargs):
            raise error

        monkeypatch.setattr(wrapper, "cursor", cursor)

    return install


@pytest.fixture
def wire(supplier):
    # Exceptions Django would re-raise in tests are answered as on the wire.
    return Wire(Client(raise_request_exception=False), supplier)


@pytest.mark.parametrize("path", ["transverses/v1/recuperer/devises",
                                  "structures/v1/rechercher"])
def test_an_api_call_is_a_503_with_retry_after_and_the_envelope(wire, fail_with, path):
    wire.get_token()
    fail_with(OperationalError(LOST))
    response = wire.post(path, {})
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["codeRetour"] == 29998
    assert body["libelle"].startswith("CORE_DATABASE_UNAVAILABLE - Service momentanément "
                                      "indisponible")
    assert "réessayez dans 5 secondes" in body["libelle"]


def test_the_health_check_says_unavailable_too(wire, fail_with):
    wire.get_token()
    fail_with(OperationalError(LOST))
    response = wire.get("transverses/v1/health-check")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["codeRetour"] == 29998


def test_in_english_when_asked(wire, fail_with):
    wire.get_token()
    fail_with(OperationalError(LOST))
    response = wire.post("transverses/v1/recuperer/devises", {},
                         headers={"Accept-Language": "en"})
    assert response.json()["libelle"] == (
        "CORE_DATABASE_UNAVAILABLE - Service temporarily unavailable (database unreachable): "
        "try again in 5 seconds.")


def test_the_token_endpoint_is_unavailable_not_broken(wire, fail_with):
    fail_with(OperationalError(LOST))
    response = wire.client.post(
        "/api/oauth/token", content_type="application/x-www-form-urlencoded",
        data=f"grant_type=client_credentials&client_id={wire.party.client.client_id}"
             "&client_secret=x&scope=openid")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["codeRetour"] == 29998


def test_the_referential_answers_its_own_shape(wire, fail_with):
    wire.get_token()
    fail_with(OperationalError(LOST))
    response = wire.get("organisations/v1/healthcheck")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    [error] = response.json()
    assert error["error"] == "ServiceUnavailable" and error["code"] == "CORE_DATABASE_UNAVAILABLE"


def test_a_locked_sqlite_database_is_not_an_outage(wire, fail_with):
    wire.get_token()
    fail_with(OperationalError("database is locked"))
    response = wire.post("transverses/v1/recuperer/devises", {})
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert response.json()["libelle"].startswith("API_INTERNAL_ERROR")


def test_an_outage_met_by_a_middleware_on_an_api_path_is_the_envelope(rf):
    from choeur.api.errors import server_error

    request = rf.post("/cpro/transverses/v1/recuperer/devises")
    try:
        raise OperationalError(LOST)
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    import json

    assert json.loads(response.content)["codeRetour"] == 29998
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content)["libelle"].startswith("API_INTERNAL_ERROR")
