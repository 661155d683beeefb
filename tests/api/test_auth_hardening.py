"""Issue 14, section A: no call without a bearer by default, the old Go client's tolerance
only where allowed, throttled guessing, fast hashes for platform secrets, revocation closing
every way in, the wire's 405."""

from __future__ import annotations

import base64
import logging
import threading
from datetime import timedelta

import pytest
from django.test import Client

from choeur.accounts import throttle
from choeur.accounts.models import FailedAttempts
from choeur.api.auth import TOKEN_LIFETIME
from choeur.core import clock
from choeur.organisations import credentials, errors, raccordements
from choeur.organisations.models import ApiClient, TechnicalAccount
from tests.api.conftest import CLIENT_SECRET, JSON, TECH_PASSWORD, Wire

pytestmark = pytest.mark.django_db

HEALTH = "/cpro/transverses/v1/health-check"
FORM = "application/x-www-form-urlencoded"


def _call(client, headers):
    return client.post("/cpro/transverses/v1/recuperer/formatflux", data="{}",
                       content_type=JSON, headers=headers)


# --- No bearer, no call -------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz",
                                           "Token abc"])
def test_a_call_without_a_usable_bearer_is_401_even_right_after_a_valid_one(
        wire, supplier, authorization):
    """The default is Chorus Pro's gateway: the missing-bearer tolerance is off."""
    assert wire.get("transverses/v1/health-check").status_code == 200  # a valid call first
    headers = {"cpro-account": supplier.cpro_account}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = _call(wire.client, headers)
    assert response.status_code == 401
    body = response.json()
    assert body["codeRetour"] == 20010 and body["error"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith('Bearer realm="PISTE"')


def test_an_expired_token_or_another_accounts_forged_one_is_401(wire, supplier, victim):
    wire.get_token()
    with clock.shifted(timedelta(seconds=TOKEN_LIFETIME + 1)):
        assert wire.get("transverses/v1/health-check").status_code == 401
    forged = wire.token[:-2] + ("AA" if not wire.token.endswith("AA") else "BB")
    headers = {"cpro-account": victim.cpro_account, "Authorization": f"Bearer {forged}"}
    assert _call(wire.client, headers).json()["error"] == "invalid_token"


def test_the_tolerance_is_refused_in_production(supplier, gestionnaire_of_supplier, settings):
    settings.CHOEUR_ENVIRONMENT = "production"
    with pytest.raises(errors.LenientBearerQualificationOnly):
        raccordements.set_lenient_bearer(gestionnaire_of_supplier, supplier.structure,
                                         supplier.account.pk, True)
    supplier.account.refresh_from_db()
    assert supplier.account.lenient_bearer is False


def test_a_tolerant_account_in_production_is_refused_all_the_same(wire, supplier, settings):
    """An account switched on in qualification, data copied to production: refused there."""
    TechnicalAccount.objects.filter(pk=supplier.account.pk).update(lenient_bearer=True)
    settings.CHOEUR_ENVIRONMENT = "production"
    assert wire.get("transverses/v1/health-check").status_code == 200
    assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401


@pytest.fixture
def qualification(settings):
    settings.CHOEUR_ENVIRONMENT = "qualification"


@pytest.fixture
def gestionnaire_of_supplier(supplier):
    from choeur.accounts.models import User
    from choeur.organisations.models import Rattachement

    user = User.objects.create_user("gest@fournisseur.example.fr", "Correct-Horse-Battery-42")
    Rattachement.objects.create(user=user, structure=supplier.structure,
                                status=Rattachement.Status.VALIDEE,
                                role=Rattachement.Role.GESTIONNAIRE_PRINCIPAL)
    return user


def test_opt_in_tolerance_in_qualification_for_a_tokens_lifetime(
        wire, supplier, qualification, gestionnaire_of_supplier, frozen_now, caplog):
    raccordements.set_lenient_bearer(gestionnaire_of_supplier, supplier.structure,
                                     supplier.account.pk, True)
    # Before any call with a bearer: refused.
    assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401
    assert wire.get("transverses/v1/health-check").status_code == 200
    with clock.shifted(timedelta(minutes=30)), caplog.at_level(logging.WARNING):
        assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "without a bearer" in r.getMessage()]
    assert len(warnings) == 1 and supplier.account.login in warnings[0].getMessage()
    assert TECH_PASSWORD not in warnings[0].getMessage()
    with clock.shifted(timedelta(seconds=TOKEN_LIFETIME + 120)):
        assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401
    # Switched off: refused at once.
    raccordements.set_lenient_bearer(gestionnaire_of_supplier, supplier.structure,
                                     supplier.account.pk, False)
    assert wire.get("transverses/v1/health-check").status_code == 200
    assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401


def test_the_tolerance_needs_the_right_password_and_is_per_account(
        client, wire, supplier, victim, qualification):
    TechnicalAccount.objects.filter(pk=supplier.account.pk).update(lenient_bearer=True)
    assert wire.get("transverses/v1/health-check").status_code == 200
    wrong = base64.b64encode(f"{supplier.account.login}:wrong".encode()).decode()
    assert _call(client, {"cpro-account": wrong}).status_code == 401
    other = Wire(client, victim)  # a call of another account opens nothing for it
    assert other.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401


def test_revoking_the_client_closes_every_way_in_at_once(
        wire, supplier, qualification, gestionnaire_of_supplier):
    TechnicalAccount.objects.filter(pk=supplier.account.pk).update(lenient_bearer=True)
    assert wire.get("transverses/v1/health-check").status_code == 200
    assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 200
    raccordements.revoke_api_client(gestionnaire_of_supplier, supplier.structure,
                                    supplier.client.pk)
    assert wire.get("transverses/v1/health-check").status_code == 401  # its token
    assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401
    response = wire.client.post("/api/oauth/token", content_type=FORM, data=(
        f"grant_type=client_credentials&client_id={supplier.client.client_id}"
        f"&client_secret={CLIENT_SECRET}"))
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_deactivating_the_technical_account_closes_every_way_in_at_once(
        wire, supplier, qualification, gestionnaire_of_supplier):
    TechnicalAccount.objects.filter(pk=supplier.account.pk).update(lenient_bearer=True)
    assert wire.get("transverses/v1/health-check").status_code == 200
    raccordements.deactivate_technical_account(gestionnaire_of_supplier, supplier.structure,
                                               supplier.account.pk)
    assert wire.get("transverses/v1/health-check").status_code == 401
    assert wire.post("transverses/v1/recuperer/formatflux", bearer=False).status_code == 401


# --- Throttling ---------------------------------------------------------------------------------


def _token(client, client_id, secret, address="10.0.0.1"):
    return client.post("/api/oauth/token", content_type=FORM, REMOTE_ADDR=address, data=(
        f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        "&scope=openid"))


def test_thirty_wrong_secrets_then_the_right_one_is_throttled(client, supplier, frozen_now):
    answers = [_token(client, supplier.client.client_id, f"wrong-{i}").status_code
               for i in range(30)]
    assert answers[:throttle.CLIENT_LIMIT] == [400] * throttle.CLIENT_LIMIT
    assert set(answers[throttle.CLIENT_LIMIT:]) == {429}
    response = _token(client, supplier.client.client_id, CLIENT_SECRET)
    assert response.status_code == 429
    assert response.json() == {"error": "too_many_requests",
                               "error_description": "too many failed attempts, retry later"}
    assert 0 < int(response["Retry-After"]) <= throttle.WINDOW.total_seconds()
    # Once the window has passed, the right secret works again.
    with clock.shifted(throttle.WINDOW + timedelta(seconds=1)):
        assert _token(client, supplier.client.client_id, CLIENT_SECRET).status_code == 200


def test_one_address_guessing_many_client_ids_is_throttled(client, supplier):
    for i in range(throttle.ADDRESS_LIMIT):
        assert _token(client, f"nobody-{i}", "wrong", address="10.9.9.9").status_code == 400
    assert _token(client, supplier.client.client_id, CLIENT_SECRET,
                  address="10.9.9.9").status_code == 429
    # Another address is not concerned.
    assert _token(client, supplier.client.client_id, CLIENT_SECRET,
                  address="10.1.1.1").status_code == 200


def test_wrong_technical_passwords_are_throttled_with_the_wire_body(wire, supplier, frozen_now):
    wire.get_token()
    wrong = base64.b64encode(f"{supplier.account.login}:wrong".encode()).decode()
    headers = {**wire.headers(), "cpro-account": wrong}
    answers = [_call(wire.client, headers).status_code for _ in range(throttle.LOGIN_LIMIT + 3)]
    assert answers == [401] * throttle.LOGIN_LIMIT + [429] * 3
    response = _call(wire.client, wire.headers())  # the right password, now
    assert response.status_code == 429
    body = response.json()
    assert body["codeRetour"] == 20011
    assert body["libelle"].startswith("API_TOO_MANY_ATTEMPTS - ")
    assert int(response["Retry-After"]) > 0
    with clock.shifted(throttle.WINDOW + timedelta(seconds=1)):
        wire.get_token()
        assert _call(wire.client, wire.headers()).status_code == 200


def test_a_throttled_caller_costs_no_password_check(wire, supplier, monkeypatch):
    wire.get_token()
    wrong = base64.b64encode(f"{supplier.account.login}:wrong".encode()).decode()
    headers = {**wire.headers(), "cpro-account": wrong}
    for _ in range(throttle.LOGIN_LIMIT):
        _call(wire.client, headers)

    def forbidden(*args):
        raise AssertionError("a password was checked")

    monkeypatch.setattr(raccordements, "check_secret", forbidden)
    assert _call(wire.client, headers).status_code == 429
    assert _call(wire.client, wire.headers()).status_code == 429


def test_unknown_logins_are_counted_like_wrong_passwords(wire, supplier):
    wire.get_token()
    for i in range(throttle.ADDRESS_LIMIT):
        unknown = base64.b64encode(f"TECH_NOBODY_{i}:x".encode()).decode()
        assert _call(wire.client, {**wire.headers(), "cpro-account": unknown}).status_code == 401
    assert _call(wire.client, wire.headers()).status_code == 429  # same address
    assert FailedAttempts.objects.count() == throttle.ADDRESS_LIMIT + 1
    # Nothing in the table names a login or an address.
    keys = "".join(FailedAttempts.objects.values_list("key", flat=True))
    assert "TECH" not in keys and "127.0.0.1" not in keys


def test_concurrent_failures_all_count(transactional_db, supplier):
    """Many web processes failing at once: the conditional UPDATE loses none."""
    key = throttle.login_key(supplier.account.login)
    failures = []

    def fail():
        from django.db import connection
        try:
            throttle.fail(key)
            failures.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert FailedAttempts.objects.get(key=key.digest).failures == len(failures) == 8


def test_the_worker_prunes_old_counts(supplier):
    throttle.fail(throttle.login_key("a"), throttle.address_key("10.0.0.1"))
    with clock.shifted(throttle.WINDOW + timedelta(seconds=1)):
        assert throttle.prune() == 0
    with clock.shifted(throttle.KEPT + timedelta(seconds=1)):
        assert throttle.prune() == 2
    assert not FailedAttempts.objects.exists()


# --- Platform secrets: a fast keyed hash, older hashes upgraded --------------------------------


def test_platform_secrets_use_a_keyed_sha256(gestionnaire_of_supplier, supplier):
    account, password = raccordements.create_technical_account(gestionnaire_of_supplier,
                                                               supplier.structure)
    client, secret = raccordements.create_api_client(gestionnaire_of_supplier,
                                                     supplier.structure, "ERP")
    for stored, plain in ((account.password, password), (client.secret, secret)):
        assert stored.startswith("choeur_hmac_sha256$")
        assert plain not in stored
        assert credentials.check_secret(plain, stored)
        assert not credentials.check_secret(plain + "x", stored)
    assert len(password) >= 24 and len(secret) >= 43  # >= 144 random bits each


def test_an_argon2_secret_is_upgraded_when_it_matches(client, supplier, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    ApiClient.objects.filter(pk=supplier.client.pk).update(secret=make_password(CLIENT_SECRET))
    TechnicalAccount.objects.filter(pk=supplier.account.pk).update(
        password=make_password(TECH_PASSWORD))
    assert _token(client, supplier.client.client_id, "wrong").status_code == 400
    assert ApiClient.objects.get(pk=supplier.client.pk).secret.startswith("argon2")
    wire = Wire(client, supplier)
    assert wire.get("transverses/v1/health-check").status_code == 200
    assert ApiClient.objects.get(pk=supplier.client.pk).secret.startswith("choeur_hmac_sha256$")
    account = TechnicalAccount.objects.get(pk=supplier.account.pk)
    assert account.password.startswith("choeur_hmac_sha256$")
    assert wire.get("transverses/v1/health-check").status_code == 200


def test_wrong_secrets_do_not_slow_a_legitimate_call(client, supplier, monkeypatch):
    """No Argon2 on the way: a wrong secret costs a keyed SHA-256, not a slow hash."""
    import django.contrib.auth.hashers as hashers

    def forbidden(*args, **kwargs):
        raise AssertionError("a slow hash was computed")

    monkeypatch.setattr(hashers.Argon2PasswordHasher, "verify", forbidden)
    monkeypatch.setattr(hashers.Argon2PasswordHasher, "encode", forbidden)
    for i in range(5):
        assert _token(client, supplier.client.client_id, f"wrong{i}").status_code == 400
        assert _token(client, "unknown-client", "wrong").status_code == 400
    wire = Wire(client, supplier)
    assert wire.get("transverses/v1/health-check").status_code == 200


# --- The wire's 405 -----------------------------------------------------------------------------


def test_a_wrong_http_method_gets_the_wire_envelope(wire):
    response = wire.client.get("/cpro/factures/v1/rechercher/fournisseur",
                               headers=wire.headers())
    assert response.status_code == 405
    body = response.json()
    assert body["codeRetour"] == 20006
    assert body["libelle"].startswith("API_METHOD_NOT_ALLOWED - ")
    assert "POST" in response["Allow"]
    response = Client().put(HEALTH, headers=wire.headers())
    assert response.status_code == 405 and response.json()["codeRetour"] == 20006


def test_without_credentials_a_wrong_method_is_401_first(client):
    """As the gateway: who brings no credentials learns nothing, not even the methods."""
    for response in (client.get("/cpro/factures/v1/rechercher/fournisseur"),
                     client.put(HEALTH)):
        assert response.status_code == 401
        assert response.json()["codeRetour"] == 20010 and "Allow" not in response


def test_a_bad_host_on_the_api_gets_the_wire_envelope(client):
    response = client.post("/cpro/factures/v1/rechercher/fournisseur", data="{}",
                           content_type=JSON, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["codeRetour"] == 20002
    assert response.json()["libelle"].startswith("API_BAD_REQUEST - ")
    page = client.get("/", HTTP_HOST="evil.example")  # the portal: Django's page
    assert page.status_code == 400 and "codeRetour" not in page.content.decode()


def test_a_throttled_key_is_logged_once_and_refusals_are_not_logged(client, supplier, caplog):
    with caplog.at_level(logging.INFO):
        for i in range(throttle.CLIENT_LIMIT + 10):
            _token(client, supplier.client.client_id, f"wrong-{i}")
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in lines] == ["choeur.accounts.throttle"]
    assert "api.client reached 10 failures" in lines[0].getMessage()
    assert supplier.client.client_id not in lines[0].getMessage()


# --- The tolerance on the portal --------------------------------------------------------------


def test_the_portal_shows_and_sets_the_tolerance_in_qualification_only(
        client, supplier, gestionnaire_of_supplier, settings):
    client.force_login(gestionnaire_of_supplier)
    url = f"/structures/{supplier.structure.pk}/raccordements/"
    settings.CHOEUR_ENVIRONMENT = "production"
    page = client.get(url).content.decode()
    assert 'value="lenient_on"' not in page
    refused = client.post(url, {"action": "lenient_on", "id": supplier.account.pk})
    assert "ORG_LENIENT_BEARER_QUALIFICATION_ONLY" in refused.content.decode()
    assert not TechnicalAccount.objects.get(pk=supplier.account.pk).lenient_bearer

    settings.CHOEUR_ENVIRONMENT = "qualification"
    assert 'value="lenient_on"' in client.get(url).content.decode()
    client.post(url, {"action": "lenient_on", "id": supplier.account.pk})
    assert TechnicalAccount.objects.get(pk=supplier.account.pk).lenient_bearer
    page = client.get(url).content.decode()
    assert f'data-testid="lenient-{supplier.account.pk}"' in page
    assert "Appels sans jeton tolérés" in page

    settings.CHOEUR_ENVIRONMENT = "production"  # shown as ignored, and can be switched off
    page = client.get(url).content.decode()
    assert "ignorée (production)" in page and 'value="lenient_off"' in page
    client.post(url, {"action": "lenient_off", "id": supplier.account.pk})
    assert not TechnicalAccount.objects.get(pk=supplier.account.pk).lenient_bearer


def test_an_outsider_cannot_set_the_tolerance_of_another_structures_account(
        client, supplier, victim, qualification):
    from choeur.accounts.models import User
    from choeur.organisations.models import Rattachement

    intruder = User.objects.create_user("intrus@victime.example.fr", "Correct-Horse-Battery-42")
    Rattachement.objects.create(user=intruder, structure=victim.structure,
                                status=Rattachement.Status.VALIDEE,
                                role=Rattachement.Role.GESTIONNAIRE_PRINCIPAL)
    client.force_login(intruder)
    # Its own structure's page, the supplier's account id: not found, nothing changed.
    response = client.post(f"/structures/{victim.structure.pk}/raccordements/",
                           {"action": "lenient_on", "id": supplier.account.pk})
    assert response.status_code == 404
    response = client.post(f"/structures/{supplier.structure.pk}/raccordements/",
                           {"action": "lenient_on", "id": supplier.account.pk})
    assert response.status_code in (403, 404)
    assert not TechnicalAccount.objects.get(pk=supplier.account.pk).lenient_bearer


# --- The client's address behind a proxy ------------------------------------------------------


@pytest.mark.parametrize("remote, forwarded, expected", [
    ("203.0.113.5", "", "203.0.113.5"),                       # no proxy
    ("203.0.113.5", "10.0.0.9", "203.0.113.5"),               # an untrusted peer's header: ignored
    ("127.0.0.1", "", "127.0.0.1"),                           # the proxy itself
    ("127.0.0.1", "198.51.100.7", "198.51.100.7"),            # a local proxy's client
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),   # a forged first hop: not believed
    ("127.0.0.1", "198.51.100.7, 127.0.0.1", "198.51.100.7"),  # two proxies
    ("127.0.0.1", "not-an-address", "not-an-address"),
])
def test_the_client_address_behind_a_trusted_proxy(rf, remote, forwarded, expected):
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == expected


def test_one_client_behind_the_proxy_does_not_lock_the_others_out(client, supplier):
    for i in range(throttle.ADDRESS_LIMIT + 5):
        _token(client, f"nobody-{i}", "wrong", address="127.0.0.1")  # with its own XFF below
    # (those came from the proxy itself: its own address is now throttled)
    answers = []
    for i in range(throttle.ADDRESS_LIMIT + 1):
        answers.append(client.post("/api/oauth/token", content_type=FORM, REMOTE_ADDR="127.0.0.1",
                                   HTTP_X_FORWARDED_FOR="198.51.100.66", data=(
                                       f"grant_type=client_credentials&client_id=x{i}"
                                       "&client_secret=wrong")).status_code)
    assert answers[-1] == 429
    legit = client.post("/api/oauth/token", content_type=FORM, REMOTE_ADDR="127.0.0.1",
                        HTTP_X_FORWARDED_FOR="198.51.100.1", data=(
                            f"grant_type=client_credentials&client_id={supplier.client.client_id}"
                            f"&client_secret={CLIENT_SECRET}"))
    assert legit.status_code == 200


@pytest.mark.parametrize("content_type", ["multipart/form-data",
                                          "multipart/form-data; boundary="])
def test_a_multipart_token_request_without_a_boundary_is_a_clear_400(db, content_type):
    """Found by schemathesis: Django cannot read such a body; the answer is OAuth2's
    invalid_request, never a 500."""
    answer = Client().generic("POST", "/api/oauth/token",
                              b"grant_type=client_credentials&client_id=x&client_secret=y",
                              content_type=content_type)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
