from datetime import timedelta

import pytest

from choeur.core import clock
from choeur.core.errors import PermissionRefused
from choeur.organisations import errors, raccordements
from choeur.organisations.models import ApiClient, TechnicalAccount

from .conftest import run

pytestmark = pytest.mark.django_db


def test_technical_account_lifecycle(structure, gp, member, outsider):
    account, password = run(raccordements.create_technical_account, gp, structure)
    assert account.login.startswith(f"TECH_{structure.identifier}_1_")
    assert password not in account.password and account.password.startswith("choeur_hmac_sha256$")
    assert (account.password_expires_at - clock.now()).days in (423, 424)
    assert raccordements.authenticate_technical_account(account.login, password) == account
    assert raccordements.authenticate_technical_account(account.login.lower(), password)
    assert raccordements.authenticate_technical_account(account.login, "wrong") is None
    assert raccordements.authenticate_technical_account("TECH_NOBODY", password) is None
    with clock.shifted(timedelta(days=425)):  # 14 months later, the password has expired
        assert raccordements.authenticate_technical_account(account.login, password) is None
        with pytest.raises(PermissionRefused):  # only the principal resets it
            run(raccordements.reset_technical_password, member, structure, account.pk)
        _, new_password = run(raccordements.reset_technical_password, gp, structure,
                              account.pk)
        assert raccordements.authenticate_technical_account(account.login, new_password)
    other_structure = outsider.rattachements.get().structure
    with pytest.raises(errors.TechnicalAccountNotFound):  # forged id of another structure
        run(raccordements.reset_technical_password, outsider, other_structure, account.pk)
    run(raccordements.deactivate_technical_account, gp, structure, account.pk)
    assert raccordements.authenticate_technical_account(account.login, new_password) is None


def test_the_api_caller_costs_one_read_and_one_hash_whatever_the_failure(
        structure, gp, outsider, monkeypatch, django_assert_num_queries):
    """authenticate_api_caller: the answers of authenticate_technical_account and the
    client's state, in one statement; an unknown login, a wrong password and an expired
    account each cost that statement and one hash (no timing tells them apart); a revoked
    client is refused before any hash."""
    account, password = run(raccordements.create_technical_account, gp, structure)
    client, _ = run(raccordements.create_api_client, gp, structure, "Mon ERP")
    hashes = []
    real = raccordements.check_secret
    monkeypatch.setattr(raccordements, "check_secret",
                        lambda *args: hashes.append(args) or real(*args))

    def caller(login, secret, client_id=client.pk, hashed=1):
        hashes.clear()
        with django_assert_num_queries(1):
            found = raccordements.authenticate_api_caller(login, secret, client_id)
        assert len(hashes) == hashed, (login, secret)
        return found.account, found.client_valid

    found, valid = caller(account.login, password)
    assert found == account and valid and found.structure == structure
    assert caller(f" {account.login.lower()} ", password)[0] == account
    assert caller(account.login, password, client_id=None) == (account, True)
    assert caller(account.login, "wrong") == (None, True)
    assert caller("TECH_NOBODY", password) == (None, True)
    with clock.shifted(timedelta(days=425)):
        assert caller(account.login, password) == (None, True)
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert caller(account.login, password, hashed=0) == (None, False)
    assert caller("TECH_NOBODY", "x", hashed=0) == (None, False)
    ApiClient.objects.filter(pk=client.pk).update(is_active=True)
    structure.is_active = False
    structure.save()
    assert caller(account.login, password, hashed=0) == (None, False)  # the client's too
    other = outsider.rattachements.get().structure
    ApiClient.objects.filter(pk=client.pk).update(structure=other)  # an active client
    assert caller(account.login, password) == (None, True)


def test_the_api_callers_structure_knows_its_open_espaces(structure, gp,
                                                           django_assert_num_queries):
    from choeur.organisations import permissions
    from choeur.organisations.models import OpenEspace

    account, password = run(raccordements.create_technical_account, gp, structure)
    found = raccordements.authenticate_api_caller(account.login, password, None).account
    expected = set(OpenEspace.objects.filter(structure=structure)
                   .values_list("espace", flat=True))
    with django_assert_num_queries(0):
        assert permissions.open_espaces(found.structure) == expected


def test_api_clients(structure, gp, member):
    client, secret = run(raccordements.create_api_client, gp, structure, "Mon ERP")
    assert raccordements.authenticate_api_client(client.client_id, secret) == client
    assert raccordements.authenticate_api_client(client.client_id, secret + "x") is None
    with pytest.raises(PermissionRefused):
        run(raccordements.create_api_client, member, structure, "Moi aussi")
    run(raccordements.revoke_api_client, gp, structure, client.pk)
    assert raccordements.authenticate_api_client(client.client_id, secret) is None


def test_secrets_shown_once_on_the_page(client, structure, gp):
    client.force_login(gp)
    url = f"/structures/{structure.pk}/raccordements/"
    created = client.post(url, {"action": "create_client", "label": "Mon ERP"})
    body = created.content.decode()
    api_client = ApiClient.objects.get()
    assert api_client.client_id in body and "ne sera plus jamais affiché" in body
    assert created["Cache-Control"] == "no-store"
    again = client.get(url).content.decode()
    assert api_client.client_id in again and "ne sera plus jamais affiché" not in again
    client.post(url, {"action": "create_account"})
    assert TechnicalAccount.objects.filter(structure=structure).count() == 1
    assert client.post(url, {"action": "bogus"}).status_code == 404
