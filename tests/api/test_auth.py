"""OAuth2 token endpoint and the two headers of every call (reference §2, §7.2, §7.3)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from choeur.accounts.models import FailedAttempts
from choeur.api.auth import TOKEN_LIFETIME
from choeur.core import clock
from tests.api.conftest import CLIENT_SECRET, JSON, TECH_PASSWORD, Wire

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/oauth/token"
FORM = "application/x-www-form-urlencoded"
WWW = 'Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"'


def test_token_from_a_hand_built_form_body_as_chorus_api_sends_it(client, supplier):
    body = (f"grant_type=client_credentials&client_id={supplier.client.client_id}"
            f"&client_secret={CLIENT_SECRET}&scope=openid")
    response = client.post(TOKEN_URL, data=body, content_type=FORM)
    assert response.status_code == 200
    token = response.json()
    assert set(token) == {"access_token", "token_type", "expires_in", "scope"}
    assert token["token_type"] == "Bearer" and token["scope"] == "openid"
    assert token["expires_in"] == 3600 and isinstance(token["expires_in"], int)
    assert response["Cache-Control"] == "no-store"
    supplier.client.refresh_from_db()
    assert supplier.client.last_used_at is not None


def test_token_without_scope_as_the_go_client_asks(client, supplier):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials",
                                       "client_id": supplier.client.client_id,
                                       "client_secret": CLIENT_SECRET})
    assert response.status_code == 200


def test_token_with_http_basic_client_authentication(client, supplier):
    basic = base64.b64encode(f"{supplier.client.client_id}:{CLIENT_SECRET}".encode()).decode()
    response = client.post(TOKEN_URL, data="grant_type=client_credentials", content_type=FORM,
                           headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize("body, error", [
    ("grant_type=client_credentials&client_id={id}&client_secret=wrong", "invalid_client"),
    ("grant_type=client_credentials&client_id=nobody&client_secret=wrong", "invalid_client"),
    ("grant_type=password&client_id={id}&client_secret={secret}", "unsupported_grant_type"),
    ("client_id={id}&client_secret={secret}", "invalid_request"),
    ("grant_type=client_credentials&client_id={id}", "invalid_request"),
    ("grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=admin",
     "invalid_scope"),
])
def test_bad_token_requests_are_400_with_an_oauth2_error(client, supplier, body, error):
    body = body.format(id=supplier.client.client_id, secret=CLIENT_SECRET)
    response = client.post(TOKEN_URL, data=body, content_type=FORM)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_a_revoked_client_gets_no_token_and_its_tokens_stop_working(wire, supplier):
    wire.get_token()
    assert wire.get("transverses/v1/health-check").status_code == 200
    supplier.client.is_active = False
    supplier.client.save()
    response = wire.get("transverses/v1/health-check")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = wire.client.post(TOKEN_URL, data=f"grant_type=client_credentials&client_id="
                                f"{supplier.client.client_id}&client_secret={CLIENT_SECRET}",
                                content_type=FORM)
    assert response.status_code == 400


def test_a_revoked_clients_token_is_refused_before_any_password_is_checked(
        wire, supplier, monkeypatch):
    from choeur.organisations import raccordements

    wire.get_token()
    supplier.client.is_active = False
    supplier.client.save()

    def forbidden(*args):
        raise AssertionError("a password was checked")

    monkeypatch.setattr(raccordements, "check_secret", forbidden)
    for account in (f"{supplier.account.login}:{TECH_PASSWORD}", f"{supplier.account.login}:x",
                    "TECH_UNKNOWN:x"):
        headers = {**wire.headers(), "cpro-account": base64.b64encode(account.encode()).decode()}
        response = wire.client.get("/cpro/transverses/v1/health-check", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token", account
    headers = wire.headers()
    del headers["cpro-account"]
    response = wire.client.get("/cpro/transverses/v1/health-check", headers=headers)
    assert response.json()["error"] == "invalid_token"


def test_a_client_or_account_of_a_deactivated_structure_is_refused(wire, supplier):
    assert wire.get("transverses/v1/health-check").status_code == 200
    supplier.structure.is_active = False
    supplier.structure.save()
    response = wire.get("transverses/v1/health-check")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_a_call_reads_its_caller_in_one_statement(wire, django_assert_num_queries):
    """The technical account, its structure and open espaces, and the token's client: one
    read per call (the account's last use is written at most once a minute), which the
    permission checks of the operation then use."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert wire.get("transverses/v1/health-check").status_code == 200
    with django_assert_num_queries(1):
        assert wire.get("transverses/v1/health-check").status_code == 200
    with CaptureQueriesContext(connection) as captured:  # an operation of an open espace
        response = wire.post("factures/v1/rechercher/fournisseur", {})
    assert response.status_code == 200 and response.json()["codeRetour"] == 0
    for table in ("organisations_technicalaccount", "organisations_apiclient",
                  "organisations_openespace", "organisations_structure"):
        assert sum(table in query["sql"] for query in captured) == 1, table


def test_the_token_expires_after_3600_seconds(wire, frozen_now):
    wire.get_token()
    with clock.shifted(timedelta(seconds=TOKEN_LIFETIME - 1)):
        assert wire.get("transverses/v1/health-check").status_code == 200
    with clock.shifted(timedelta(seconds=TOKEN_LIFETIME + 1)):
        response = wire.get("transverses/v1/health-check")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"


def test_a_forged_token_is_refused(wire):
    wire.get_token()
    wire.token = wire.token[:-2] + ("AA" if not wire.token.endswith("AA") else "BB")
    response = wire.get("transverses/v1/health-check")
    assert response.status_code == 401


@pytest.mark.parametrize("account", [
    None, "", "not base64 !", base64.b64encode(b"no-colon").decode(),
    base64.b64encode(b"TECH_UNKNOWN:whatever").decode(),
])
def test_a_bad_technical_account_is_401_with_the_piste_header(client, supplier, account):
    wire = Wire(client, supplier)
    headers = wire.headers()
    if account is None:
        del headers["cpro-account"]
    else:
        headers["cpro-account"] = account
    response = client.get("/cpro/transverses/v1/health-check", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == WWW
    body = response.json()
    assert body["codeRetour"] != 0 and body["libelle"].startswith("API_UNAUTHORIZED")


def test_a_wrong_technical_password_is_401(client, supplier):
    wire = Wire(client, supplier)
    headers = wire.headers()
    headers["cpro-account"] = base64.b64encode(
        f"{supplier.account.login}:wrong".encode()).decode()
    response = client.post("/cpro/transverses/v1/recuperer/formatflux", data="{}",
                           content_type=JSON, headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == WWW


def test_an_expired_or_deactivated_technical_account_is_refused(wire, supplier):
    assert wire.get("transverses/v1/health-check").status_code == 200
    supplier.account.password_expires_at = clock.now() - timedelta(seconds=1)
    supplier.account.save()
    assert wire.get("transverses/v1/health-check").status_code == 401
    supplier.account.password_expires_at = clock.now() + timedelta(days=1)
    supplier.account.is_active = False
    supplier.account.save()
    assert wire.get("transverses/v1/health-check").status_code == 401


def test_the_account_header_sent_as_odoo_does_it(client, supplier):
    """OCA passes `base64.b64encode(...)` bytes; some send the value without padding."""
    wire = Wire(client, supplier)
    headers = wire.headers()
    headers["cpro-account"] = headers["cpro-account"].rstrip("=")
    response = client.get("/cpro/transverses/v1/health-check", headers=headers)
    assert response.status_code == 200


def test_missing_bearer_before_any_token_is_refused(wire, supplier):
    response = wire.get("transverses/v1/health-check", bearer=False)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith('Bearer realm="PISTE"')


def test_a_token_of_one_client_works_with_any_valid_technical_account(client, supplier, victim):
    """As on PISTE, the OAuth2 application and the technical account are independent: the
    technical account alone decides what the call may see."""
    wire = Wire(client, supplier)
    wire.get_token()
    other = Wire(client, victim)
    other.token = wire.token
    assert other.get("transverses/v1/health-check").status_code == 200


def test_anonymous_calls_get_401_before_the_body_is_read(client, supplier):
    for path in ("structures/v1/rechercher", "transverses/v1/recuperer/pays",
                 "engagementsJuridiques/v1/rechercher"):
        response = client.post(f"/cpro/{path}", data="{not json", content_type=JSON)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == WWW


def test_technical_password_is_checked_with_the_real_hash_after_a_reset(wire, supplier):
    """The verification cache never accepts an old password after a reset."""
    from choeur.organisations.credentials import hash_secret

    assert wire.get("transverses/v1/health-check").status_code == 200
    supplier.account.password = hash_secret("Another-Password-2026!")
    supplier.account.save()
    assert wire.get("transverses/v1/health-check").status_code == 401
    assert TECH_PASSWORD  # (the old one, still sent by the wire client)


def test_every_api_route_refuses_an_outsider(client, supplier, victim):
    """House rule 5 for the API: every /cpro/ route, called as real clients call it (POST, or
    GET for the health checks and the referential's reads), answers 401 without credentials
    and with another's token but a wrong technical password; only the token endpoint and the
    OpenAPI are public."""
    from django.urls import get_resolver

    from tests.web.test_access import _concrete, _walk

    routes = sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)
                     if _concrete(r).startswith(("/cpro/", "/api/"))
                     and "(?P<rest>" not in r})  # the unknown operations' coded 404
    assert len(routes) > 30
    wire = Wire(client, supplier)
    wire.get_token()
    wrong = base64.b64encode(f"{victim.account.login}:wrong".encode()).decode()
    for route in routes:
        if route in ("/api/oauth/token", "/cpro/openapi.json") or route.startswith("/cpro/."):
            continue
        for headers in ({}, {"Authorization": f"Bearer {wire.token}", "cpro-account": wrong}):
            if route.endswith(("health-check", "healthcheck")) or (
                    "/organisations/v1/" in route and not route.endswith("/recherche")):
                # The health checks and the referential's reads are GETs.
                response = client.get(route, headers=headers)
            else:
                response = client.post(route, data="{}", content_type=JSON, headers=headers)
            assert response.status_code == 401, route
            assert response["WWW-Authenticate"].startswith('Bearer realm="PISTE"'), route
        FailedAttempts.objects.all().delete()  # the throttle is not what this test is about
