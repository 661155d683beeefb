"""Fixes of the accounts security review: second factor on every request, forced set-up after
a mailbox proof, factor validation, principal's deactivation, recovery link and login,
throttled e-mails, safe `next`."""

from datetime import timedelta
from urllib.parse import quote

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from choeur.accounts import policy, services
from choeur.accounts.models import EmailThrottle, User
from choeur.core import clock
from choeur.core.models import AuditEvent
from tests.accounts.helpers import code_in, entry, link_path, mails
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ANON = AnonymousUser()


def require_second_factor(monkeypatch, required=True):
    """Pretend the user's structures require a second factor (organisations' policy)."""
    import sys
    import types

    fake = types.ModuleType("choeur.organisations.policy")
    fake.second_factor_required_by_structure = lambda u: required
    monkeypatch.setitem(sys.modules, "choeur.organisations.policy", fake)


def enable_totp(user) -> pyotp.TOTP:
    setup = entry(services.start_totp, user)
    totp = pyotp.TOTP(setup.secret)
    entry(services.confirm_totp, user, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))  # the next code is a new one
    return totp


def login(client, user, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": user.email, "password": password,
                                          **extra})


# --- 3. The second factor is checked on every request ---------------------------------------


def test_the_session_records_how_the_login_went(client, user, frozen_now):
    login(client, user)
    assert client.session[policy.SESSION_KEY] is False
    client.post(reverse("logout"))
    totp = enable_totp(user)
    login(client, user)
    client.post(reverse("login-code"), {"action": "verify", "code": totp.at(clock.now())})
    assert client.session[policy.SESSION_KEY] is True


def test_a_second_factor_required_after_login_stops_the_session(client, user, monkeypatch,
                                                                 run_tasks, frozen_now):
    login(client, user)
    assert client.get(reverse("account")).status_code == 200
    require_second_factor(monkeypatch)  # the structure now requires it
    response = client.get(reverse("account"))
    setup_url = reverse("login-setup") + "?next=" + quote("/mon-compte/", safe="")
    assert response.status_code == 302 and response.url == setup_url
    for name in ("home", "account-profile", "account-deactivate", "register"):
        assert client.get(reverse(name)).url.startswith(reverse("login-setup"))
    response = client.post(reverse("account-profile"), {"first_name": "X", "last_name": "Y"})
    assert response.status_code == 302 and response.url == reverse("login-setup")
    assert User.objects.get(pk=user.pk).first_name == "Marie"
    assert client.get("/admin/").url.startswith(reverse("login-setup"))
    # The pages that let the user pass the factor or leave stay open.
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get(reverse("account-second-factor")).url == reverse("login-setup")
    language = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert language.status_code == 302 and language.url == "/"
    # Setting it up needs the mailbox first, as after the password step.
    html = client.get(setup_url).content.decode()
    assert "Second facteur obligatoire" in html and "otpauth://" not in html
    html = client.post(reverse("login-setup"), {"action": "totp_start"}).content.decode()
    assert "ACCOUNTS_MAILBOX_NOT_PROVEN" in html
    client.post(reverse("login-setup"), {"action": "mailbox_send"})
    [message] = mails(run_tasks, user.email)
    client.post(reverse("login-setup"), {"action": "mailbox_confirm", "code": code_in(message)})
    client.post(reverse("login-setup"), {"action": "totp_start"})
    secret = User.objects.get(pk=user.pk).totp_secret
    response = client.post(reverse("login-setup"), {"action": "totp_confirm",
                                                    "code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302 and response.url == "/mon-compte/"
    assert client.session[policy.SESSION_KEY] is True
    assert client.get(reverse("account")).status_code == 200


def test_logout_stays_open(client, user, monkeypatch):
    login(client, user)
    require_second_factor(monkeypatch)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_session_without_the_code_must_give_it(client, user, frozen_now):
    totp = enable_totp(user)
    client.force_login(user)  # e.g. logged in before the factor was enabled elsewhere
    response = client.get(reverse("account"))
    assert response.url == reverse("login-code") + "?next=" + quote("/mon-compte/", safe="")
    html = client.get(response.url).content.decode()
    assert "confirmez votre identité" in html
    wrong = client.post(reverse("login-code"), {"action": "verify", "code": "000000"})
    assert "ACCOUNTS_LOGIN_CODE_WRONG" in wrong.content.decode()
    response = client.post(reverse("login-code"), {"action": "verify",
                                                   "code": totp.at(clock.now())})
    assert response.url == "/mon-compte/"
    assert client.get(reverse("account")).status_code == 200


def test_step_up_with_emailed_codes(client, user, run_tasks, frozen_now):
    entry(services.start_email_codes, user)
    entry(services.confirm_email_codes, user, code_in(mails(run_tasks)[0]))
    mails(run_tasks)
    client.force_login(user)
    url = client.get(reverse("account")).url
    assert url.startswith(reverse("login-code"))
    assert "Demandez un code" in client.get(url).content.decode()
    client.post(reverse("login-code"), {"action": "send"})
    [message] = mails(run_tasks, user.email)
    response = client.post(reverse("login-code"), {"action": "verify",
                                                   "code": code_in(message)})
    assert response.url == "/mon-compte/"


def test_enabling_a_factor_in_my_account_verifies_the_session(client, user):
    client.force_login(user)
    client.post(reverse("account-second-factor"), {"action": "totp_start"})
    secret = User.objects.get(pk=user.pk).totp_secret
    client.post(reverse("account-second-factor"), {"action": "totp_confirm",
                                                   "code": pyotp.TOTP(secret).now()})
    assert client.session[policy.SESSION_KEY] is True
    assert client.get(reverse("account")).status_code == 200


def test_a_structure_requiring_it_with_the_real_policy(client, run_tasks):
    from django.db import transaction

    from choeur.organisations import services as organisations

    gp = User.objects.create_user(email="gp@acme.fr", password=PASSWORD, first_name="G",
                                  last_name="P")
    with transaction.atomic():
        structure = organisations.create_private_structure(
            gp, "SIRET", "73282932000074", {"company_name": "ACME", "city": "Lyon",
                                              "postcode": "69001"})
    login(client, gp)
    assert client.get(reverse("account")).status_code == 200
    with transaction.atomic():
        organisations.update_structure(gp, structure, {"second_factor_for_gestionnaires": True})
    assert client.get(reverse("account")).url.startswith(reverse("login-setup"))


# --- 4. Disabling a second factor -------------------------------------------------------------


def test_only_known_factors_may_be_disabled(client, user, monkeypatch):
    totp = enable_totp(user)
    with pytest.raises(services.SecondFactorUnknown) as caught:
        entry(services.disable_second_factor, user, factor="x", password=PASSWORD)
    assert caught.value.code == "ACCOUNTS_SECOND_FACTOR_UNKNOWN"
    with pytest.raises(services.SecondFactorNotEnabled) as caught:
        entry(services.disable_second_factor, user, factor="email", password=PASSWORD)
    assert caught.value.code == "ACCOUNTS_SECOND_FACTOR_NOT_ENABLED"
    login(client, user)
    client.post(reverse("login-code"), {"action": "verify", "code": totp.at(clock.now())})
    require_second_factor(monkeypatch)
    html = client.post(reverse("account-second-factor"), {"action": "disable_x",
                                                          "password": PASSWORD}
                       ).content.decode()
    assert "ACCOUNTS_SECOND_FACTOR_UNKNOWN" in html
    html = client.post(reverse("account-second-factor"), {"action": "disable_totp",
                                                          "password": PASSWORD}
                       ).content.decode()
    assert "ACCOUNTS_SECOND_FACTOR_REQUIRED" in html
    assert User.objects.get(pk=user.pk).totp_enabled_at is not None


def test_a_required_factor_may_go_when_another_stays(user, run_tasks, monkeypatch):
    enable_totp(user)
    entry(services.start_email_codes, user)
    entry(services.confirm_email_codes, user, code_in(mails(run_tasks)[0]))
    require_second_factor(monkeypatch)
    entry(services.disable_second_factor, user, factor="totp", password=PASSWORD)
    with pytest.raises(services.SecondFactorRequired):
        entry(services.disable_second_factor, user, factor="email", password=PASSWORD)
    user.refresh_from_db()
    assert user.totp_enabled_at is None and user.email_otp_enabled_at is not None


# --- 5. A gestionnaire principal cannot leave the structure unmanaged --------------------------


def test_the_principal_must_transfer_before_deactivating(client):
    from django.db import transaction

    from choeur.organisations import services as organisations

    gp = User.objects.create_user(email="gp@acme.fr", password=PASSWORD)
    member = User.objects.create_user(email="membre@acme.fr", password=PASSWORD)
    with transaction.atomic():
        structure = organisations.create_private_structure(
            gp, "SIRET", "73282932000074", {"company_name": "ACME", "city": "Lyon",
                                              "postcode": "69001"})
        organisations.attach_user(gp, structure, member.email)
    with pytest.raises(services.PrincipalMustTransfer) as caught:
        entry(services.deactivate, gp, password=PASSWORD)
    assert caught.value.code == "ACCOUNTS_PRINCIPAL_MUST_TRANSFER"
    assert User.objects.get(pk=gp.pk).is_active
    login(client, gp)
    html = client.post(reverse("account-deactivate"), {"password": PASSWORD}).content.decode()
    assert "ACCOUNTS_PRINCIPAL_MUST_TRANSFER" in html
    assert User.objects.get(pk=gp.pk).is_active
    entry(services.deactivate, member, password=PASSWORD)  # a plain user may go
    assert not User.objects.get(pk=member.pk).is_active


# --- 6. The recovery link dies at the next login ----------------------------------------------


def test_a_login_kills_the_recovery_link(client, user, run_tasks):
    entry(services.request_password_reset, ANON, user.email)
    path = link_path(mails(run_tasks, user.email)[0])
    assert client.get(path).status_code == 200
    login(client, user)
    client.post(reverse("logout"))
    response = client.get(path)
    assert response.status_code == 400
    assert "ACCOUNTS_RECOVERY_LINK_INVALID" in response.content.decode()


# --- 7. E-mails anyone may trigger are throttled ----------------------------------------------


def test_recovery_e_mails_are_throttled(client, user, run_tasks, frozen_now):
    for _ in range(5):
        response = client.post(reverse("password-forgotten"), {"email": user.email},
                               follow=True)
        assert "Si cette adresse correspond à un compte actif" in response.content.decode()
    assert len(mails(run_tasks, user.email)) == 3
    throttled = AuditEvent.objects.filter(action="accounts.email_throttled")
    assert throttled.count() == 2
    assert throttled.first().details == {"kind": "recovery", "address": user.email}
    clock.advance(timedelta(minutes=15, seconds=1))
    entry(services.request_password_reset, ANON, user.email)
    assert len(mails(run_tasks, user.email)) == 1
    assert EmailThrottle.objects.count() == 1  # the old rows were pruned


def test_activation_e_mails_are_throttled(run_tasks, frozen_now):
    entry(services.register, ANON, email="jean@example.fr", first_name="J", last_name="D",
          accept_terms=True)
    for _ in range(4):
        entry(services.resend_activation, ANON, "jean@example.fr")
    assert len(mails(run_tasks, "jean@example.fr")) == 3  # the first link and two more


def test_login_codes_are_throttled(user, run_tasks, frozen_now):
    entry(services.start_email_codes, user)
    entry(services.confirm_email_codes, user, code_in(mails(run_tasks)[0]))
    for _ in range(4):  # the set-up code was the first of three
        entry(services.send_login_code, ANON, user)
    assert len(mails(run_tasks, user.email, subject="code de connexion")) == 2
    assert AuditEvent.objects.filter(action="accounts.email_throttled",
                                     details__kind="login_code").count() == 2


def test_registration_notices_are_throttled(user, run_tasks, frozen_now):
    for _ in range(5):
        entry(services.register, ANON, email=user.email, first_name="M", last_name="C",
              accept_terms=True)
    assert len(mails(run_tasks, user.email)) == 3


# --- 8. `next` stays on this site -------------------------------------------------------------

EVIL = ["//evil.example", "/\\evil.example", "https://evil.example", "https://evil.example/",
        "http://testserver@evil.example/", "/\t/evil.example", " //evil.example",
        "\\\\evil.example", "///evil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("next_url", EVIL)
def test_login_never_leaves_the_site(client, user, next_url):
    response = login(client, user, next=next_url)
    assert response.status_code == 302 and response.url == reverse("home")
    client.post(reverse("logout"))
    response = client.post(reverse("login") + "?next=" + quote(next_url, safe=""),
                           {"username": user.email, "password": PASSWORD})
    assert response.url == reverse("home")


@pytest.mark.parametrize("next_url", EVIL)
def test_the_two_step_login_never_leaves_the_site(client, user, next_url, frozen_now):
    totp = enable_totp(user)
    response = login(client, user, next=next_url)
    assert response.url == reverse("login-code")
    session = client.session  # even a next stored unchecked in the pending login stays local
    session["accounts_pending_login"]["next"] = next_url
    session.save()
    response = client.post(reverse("login-code"), {"action": "verify",
                                                   "code": totp.at(clock.now())})
    assert response.status_code == 302 and response.url == reverse("home")


def test_a_local_next_is_kept_through_both_steps(client, user, frozen_now):
    totp = enable_totp(user)
    login(client, user, next="/mon-compte/profil/?a=1")
    response = client.post(reverse("login-code"), {"action": "verify",
                                                   "code": totp.at(clock.now())})
    assert response.url == "/mon-compte/profil/?a=1"
