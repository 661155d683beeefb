"""Account pages through Django's test client: forms, coded errors, links from the outbox."""

import re
from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse

from choeur.accounts import botcheck, services
from choeur.accounts.models import User
from choeur.core import clock
from choeur.core.models import AuditEvent, OutgoingEmail
from tests.accounts.helpers import ANSWERS, STRONG, code_in, entry, link_path, mails
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def bot_fields(html: str, *, right=True) -> dict:
    question = re.search(r"Combien font (\S+) plus (\S+) \?", html)
    token = re.search(r'name="bot_token" value="([^"]+)"', html).group(1)
    answer = botcheck.NUMBERS_FR.index(question.group(1)) + botcheck.NUMBERS_FR.index(
        question.group(2))
    return {"bot_token": token, "bot_answer": str(answer if right else answer + 1),
            "website": ""}


def registration(client, **overrides):
    html = client.get(reverse("register")).content.decode()
    data = {"email": "jean.dupont@example.fr", "contact_email": "", "first_name": "Jean",
            "last_name": "Dupont", "phone": "", "accept_terms": "on", **bot_fields(html)}
    data.update(overrides)
    return client.post(reverse("register"), data)


def test_register_page_is_accessible(client):
    html = client.get(reverse("register")).content.decode()
    assert '<label for="id_email">Adresse électronique de connexion</label>' in html
    assert 'aria-describedby="id_email_helptext"' in html
    assert "Combien font " in html and 'name="bot_token"' in html
    assert 'aria-hidden="true"' in html and 'name="website"' in html
    assert reverse("terms") in html
    assert "Conditions générales" in client.get(reverse("terms")).content.decode()


def test_register_activate_login(client, run_tasks, frozen_now):
    response = registration(client)
    assert response.status_code == 302 and response.url == reverse("register-done")
    done = client.get(response.url).content.decode()
    assert "Vérifiez votre messagerie" in done and "jean.dupont@example.fr" in done
    user = User.objects.get(email="jean.dupont@example.fr")
    assert not user.is_active
    [message] = mails(run_tasks)
    path = link_path(message)
    page = client.get(path).content.decode()
    assert "Au moins 12 caractères" in page and "3 de ces 4 types" in page
    assert "Quel est le nom de votre premier animal de compagnie ?" in page
    response = client.post(path, {"password": STRONG, "password_confirmation": STRONG,
                                  **ANSWERS})
    assert response.status_code == 302 and response.url == reverse("login")
    response = client.post(reverse("login"), {"username": user.email, "password": STRONG})
    assert response.status_code == 302
    html = client.get(reverse("account")).content.decode()
    assert "Mon compte" in html and "jean.dupont@example.fr" in html


@pytest.mark.parametrize(("overrides", "code"), [
    ({"bot_answer": "999"}, "ACCOUNTS_BOT_CHECK_FAILED"),
    ({"website": "http://spam.example"}, "ACCOUNTS_BOT_CHECK_FAILED"),
    ({"bot_token": "forged"}, "ACCOUNTS_BOT_CHECK_EXPIRED"),
    ({"accept_terms": ""}, "ACCOUNTS_TERMS_NOT_ACCEPTED"),
    ({"email": "pas-une-adresse"}, "ACCOUNTS_INVALID_EMAIL"),
    ({"phone": "abc"}, "ACCOUNTS_INVALID_PHONE"),
])
def test_register_refuses_with_a_code_and_changes_nothing(client, run_tasks, overrides, code):
    response = registration(client, **overrides)
    html = response.content.decode()
    assert response.status_code == 200
    assert code in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert not User.objects.exists() and not OutgoingEmail.objects.exists()
    assert mails(run_tasks) == []


def test_bot_question_expires_after_30_minutes(client, frozen_now):
    html = client.get(reverse("register")).content.decode()
    clock.advance(timedelta(minutes=31))
    data = {"email": "a@example.fr", "first_name": "A", "last_name": "B", "accept_terms": "on",
            **bot_fields(html)}
    assert "ACCOUNTS_BOT_CHECK_EXPIRED" in client.post(reverse("register"), data).content.decode()
    assert not User.objects.exists()


def test_register_duplicate_address(client, user, run_tasks):
    """The page answers as for a new account; the owner of the address is told by e-mail."""
    response = registration(client, email="Marie.Curie@example.fr")
    assert response.status_code == 302 and response.url == reverse("register-done")
    done = client.get(response.url).content.decode()
    assert "Vérifiez votre messagerie" in done and "marie.curie@example.fr" in done
    assert "ACCOUNTS_EMAIL_ALREADY_USED" not in done
    assert User.objects.count() == 1
    [notice] = mails(run_tasks)
    assert notice.to == "marie.curie@example.fr" and "Tentative" in notice.subject
    assert reverse("login") in notice.text and reverse("password-forgotten") in notice.text


def test_the_same_bot_check_answers_once(client):
    html = client.get(reverse("register")).content.decode()
    fields = bot_fields(html)
    data = {"email": "a@example.fr", "first_name": "A", "last_name": "B", "accept_terms": "on",
            **fields}
    assert client.post(reverse("register"), data).status_code == 302
    data["email"] = "b@example.fr"
    html = client.post(reverse("register"), data).content.decode()
    assert "ACCOUNTS_BOT_CHECK_USED" in html
    assert not User.objects.filter(email="b@example.fr").exists()


def test_activation_link_errors(client, run_tasks, frozen_now):
    registration(client)
    path = link_path(mails(run_tasks)[0])
    uidb64, token = path.split("/")[2:4]
    forged = client.get(reverse("activate", args=["MTIzNA", token]))
    assert forged.status_code == 400
    assert "ACCOUNTS_ACTIVATION_LINK_INVALID" in forged.content.decode()
    assert reverse("activation-resend") in forged.content.decode()
    clock.advance(timedelta(minutes=61))
    expired = client.get(path)
    assert expired.status_code == 400
    assert "ACCOUNTS_ACTIVATION_LINK_EXPIRED" in expired.content.decode()
    response = client.post(path, {"password": STRONG, "password_confirmation": STRONG,
                                  **ANSWERS})
    assert response.status_code == 400
    assert not User.objects.get().is_active


def test_activation_form_errors_are_coded(client, run_tasks, frozen_now):
    registration(client)
    path = link_path(mails(run_tasks)[0])
    response = client.post(path, {"password": "court", "password_confirmation": "court",
                                  **ANSWERS})
    html = response.content.decode()
    assert "ACCOUNTS_WEAK_PASSWORD" in html
    assert 'aria-describedby="id_password_helptext id_password_error"' in html
    assert not User.objects.get().is_active
    response = client.post(path, {"password": STRONG, "password_confirmation": STRONG,
                                  **ANSWERS, "question_2": ANSWERS["question_1"]})
    assert "ACCOUNTS_SECRET_QUESTIONS_SAME" in response.content.decode()


def test_resend_page_is_neutral(client, run_tasks, user):
    for email in ("personne@example.fr", user.email):
        response = client.post(reverse("activation-resend"), {"email": email}, follow=True)
        assert "Si cette adresse correspond à un compte en attente" in response.content.decode()
    assert mails(run_tasks) == []


def test_login_lock_out_message(client, user, frozen_now):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": user.email, "password": "x"})
    html = response.content.decode()
    assert ("Votre compte est verrouillé jusqu'au 10/03/2026 à 11:30 après 5 échecs de "
            "connexion.") in html.replace("&#x27;", "'")
    assert "ACCOUNTS_LOCKED_OUT" in html
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "ACCOUNTS_LOCKED_OUT" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_of_an_account_awaiting_activation(client, run_tasks):
    """Not disclosed: the same answer as for an unknown address (the page still links to a
    new activation link)."""
    registration(client)
    answers = []
    for email in ("jean.dupont@example.fr", "personne@example.fr"):
        response = client.post(reverse("login"), {"username": email,
                                                  "password": "peu importe"})
        html = response.content.decode()
        assert "ACCOUNTS_BAD_CREDENTIALS" in html and "ACCOUNTS_NOT_ACTIVATED" not in html
        assert reverse("activation-resend") in html
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "",
                              html.replace(email, "EMAIL")))
    assert answers[0] == answers[1]


def test_login_keeps_a_safe_next(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD,
                                              "next": "/mon-compte/"})
    assert response.url == "/mon-compte/"
    client.logout()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD,
                                              "next": "https://evil.example/"})
    assert response.url == reverse("home")


def test_logout_needs_post(client, user):
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_two_step_login_with_totp(client, user):
    with_secret = entry(services.start_totp, user)
    totp = pyotp.TOTP(with_secret.secret)
    entry(services.confirm_totp, user, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.url == reverse("login-code")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("login-code")).content.decode()
    assert "application d'authentification" in page
    wrong = client.post(reverse("login-code"), {"action": "verify", "code": "000000"})
    assert "ACCOUNTS_LOGIN_CODE_WRONG" in wrong.content.decode()
    response = client.post(reverse("login-code"), {"action": "verify",
                                                   "code": totp.at(clock.now())})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


def test_two_step_login_with_an_emailed_code(client, user, run_tasks):
    entry(services.start_email_codes, user)
    entry(services.confirm_email_codes, user, code_in(mails(run_tasks)[0]))
    mails(run_tasks)
    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    [message] = mails(run_tasks, user.email, subject="code de connexion")
    response = client.post(reverse("login-code"), {"action": "verify",
                                                   "code": code_in(message)})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


def test_login_code_page_without_a_pending_login(client):
    response = client.get(reverse("login-code"))
    assert response.status_code == 302 and response.url == reverse("login")


def test_pending_login_expires(client, user, frozen_now):
    entry(services.start_email_codes, user)
    user.email_otp_enabled_at = clock.now()
    user.save()
    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    clock.advance(timedelta(minutes=11))
    response = client.get(reverse("login-code"))
    assert response.url == reverse("login")


def require_second_factor(monkeypatch, required=True):
    """Pretend every structure requires a second factor of its gestionnaires."""
    import sys
    import types

    fake = types.ModuleType("choeur.organisations.policy")
    fake.second_factor_required_by_structure = lambda u: required
    monkeypatch.setitem(sys.modules, "choeur.organisations.policy", fake)


def test_required_second_factor_sends_to_the_set_up_page(client, user, monkeypatch,
                                                         run_tasks):
    require_second_factor(monkeypatch)
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.url == reverse("login-setup")
    assert "_auth_user_id" not in client.session
    # The password alone does not let anyone enrol their own authenticator.
    html = client.post(reverse("login-setup"), {"action": "totp_start"}).content.decode()
    assert "ACCOUNTS_MAILBOX_NOT_PROVEN" in html
    assert not User.objects.get(pk=user.pk).totp_secret
    html = client.get(reverse("login-setup")).content.decode()
    assert "otpauth://" not in html and "mailbox_send" in html
    client.post(reverse("login-setup"), {"action": "mailbox_send"})
    [message] = mails(run_tasks, user.email)
    html = client.post(reverse("login-setup"), {"action": "mailbox_confirm",
                                                "code": "000000"}).content.decode()
    assert "ACCOUNTS_LOGIN_CODE_WRONG" in html
    client.post(reverse("login-setup"), {"action": "mailbox_confirm", "code": code_in(message)})
    client.post(reverse("login-setup"), {"action": "totp_start"})
    html = client.get(reverse("login-setup")).content.decode()
    assert "<svg" in html and "otpauth://totp/" in html
    secret = User.objects.get(pk=user.pk).totp_secret
    response = client.post(reverse("login-setup"), {"action": "totp_confirm",
                                                    "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert client.session["choeur_2fa_verified"] is True


def test_forced_set_up_with_emailed_codes_after_the_mailbox_proof(client, user, run_tasks,
                                                                 monkeypatch, frozen_now):
    require_second_factor(monkeypatch)
    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    html = client.post(reverse("login-setup"), {"action": "email_enable"}).content.decode()
    assert "ACCOUNTS_MAILBOX_NOT_PROVEN" in html
    assert User.objects.get(pk=user.pk).email_otp_enabled_at is None
    client.post(reverse("login-setup"), {"action": "mailbox_send"})
    [message] = mails(run_tasks, user.email)
    client.post(reverse("login-setup"), {"action": "mailbox_confirm", "code": code_in(message)})
    response = client.post(reverse("login-setup"), {"action": "email_enable"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert User.objects.get(pk=user.pk).email_otp_enabled_at == frozen_now


def test_password_forgotten_and_reset(client, run_tasks, frozen_now):
    registration(client)
    path = link_path(mails(run_tasks)[0])
    client.post(path, {"password": STRONG, "password_confirmation": STRONG, **ANSWERS})
    for email in ("personne@example.fr", "jean.dupont@example.fr"):
        response = client.post(reverse("password-forgotten"), {"email": email}, follow=True)
        assert "Si cette adresse correspond à un compte actif" in response.content.decode()
    [message] = mails(run_tasks)
    path = link_path(message)
    page = client.get(path).content.decode()
    assert "Quel est le nom de votre premier animal de compagnie ?" in page
    data = {"answer_1": "MEDOR", "answer_2": "faux", "password": "Nouveau-Secret-99",
            "password_confirmation": "Nouveau-Secret-99"}
    html = client.post(path, data).content.decode()
    assert "ACCOUNTS_SECRET_ANSWERS_WRONG" in html
    data["answer_2"] = "saint etienne"
    response = client.post(path, data)
    assert response.status_code == 302
    assert User.objects.get().check_password("Nouveau-Secret-99")
    assert client.get(path).status_code == 400  # used


def test_account_pages_send_anonymous_visitors_to_login(client):
    for name in ("account", "account-profile", "account-password", "account-email",
                 "account-second-factor", "account-deactivate"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.get(reverse("account-email-confirm", args=["x"]))
    assert response.status_code == 302


def test_account_page_and_profile(client, user):
    client.force_login(user)
    html = client.get(reverse("account")).content.decode()
    assert "Mes informations" in html and "marie.curie@example.fr" in html
    response = client.post(reverse("account-profile"), {
        "first_name": "Marie", "last_name": "Skłodowska-Curie", "phone": "01 02 03 04 05",
        "contact_email": "labo@example.fr"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_name == "Skłodowska-Curie" and user.contact_email == "labo@example.fr"
    html = client.post(reverse("account-profile"), {"first_name": "", "last_name": "X"}
                       ).content.decode()
    assert 'role="alert"' in html


def test_change_password_keeps_the_session(client, user):
    client.force_login(user)
    response = client.post(reverse("account-password"), {
        "current_password": "faux", "password": "Nouveau-Secret-99",
        "password_confirmation": "Nouveau-Secret-99"})
    assert "ACCOUNTS_WRONG_PASSWORD" in response.content.decode()
    response = client.post(reverse("account-password"), {
        "current_password": PASSWORD, "password": "Nouveau-Secret-99",
        "password_confirmation": "Nouveau-Secret-99"})
    assert response.status_code == 302
    assert client.get(reverse("account")).status_code == 200


def test_change_login_address_through_the_pages(client, user, run_tasks):
    client.force_login(user)
    client.post(reverse("account-email"), {"new_email": "marie@example.fr",
                                           "password": PASSWORD})
    assert User.objects.get(pk=user.pk).email == "marie.curie@example.fr"
    [message] = mails(run_tasks, "marie@example.fr")
    path = link_path(message)
    assert "marie@example.fr" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    assert User.objects.get(pk=user.pk).email == "marie@example.fr"
    assert client.get(reverse("account")).status_code == 200  # still logged in
    assert client.get(path).status_code == 400
    [notice] = mails(run_tasks, "marie.curie@example.fr")
    assert "marie@example.fr" in notice.text


def test_second_factor_page(client, user):
    client.force_login(user)
    client.post(reverse("account-second-factor"), {"action": "totp_start"})
    html = client.get(reverse("account-second-factor")).content.decode()
    assert "<svg" in html and "<title>" in html and "otpauth://totp/Choeur:" in html
    assert "<script" not in html
    secret = User.objects.get(pk=user.pk).totp_secret
    wrong = client.post(reverse("account-second-factor"), {"action": "totp_confirm",
                                                           "code": "000000"})
    assert "ACCOUNTS_SETUP_CODE_WRONG" in wrong.content.decode()
    client.post(reverse("account-second-factor"), {"action": "totp_confirm",
                                                   "code": pyotp.TOTP(secret).now()})
    assert User.objects.get(pk=user.pk).totp_enabled_at is not None
    html = client.post(reverse("account-second-factor"), {"action": "disable_totp",
                                                          "password": "faux"}).content.decode()
    assert "ACCOUNTS_WRONG_PASSWORD" in html
    client.post(reverse("account-second-factor"), {"action": "disable_totp",
                                                   "password": PASSWORD})
    assert User.objects.get(pk=user.pk).totp_enabled_at is None


def test_deactivate_my_access(client, user):
    client.force_login(user)
    html = client.post(reverse("account-deactivate"), {"password": "faux"}).content.decode()
    assert "ACCOUNTS_WRONG_PASSWORD" in html
    assert User.objects.get(pk=user.pk).is_active
    response = client.post(reverse("account-deactivate"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.get(pk=user.pk).is_active
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="accounts.deactivated").exists()
    html = client.post(reverse("login"), {"username": user.email, "password": PASSWORD}
                       ).content.decode()
    assert "ACCOUNTS_DEACTIVATED" in html


def test_admin_actions(client, admin_user, user, run_tasks):
    registration(client)
    mails(run_tasks)
    pending = User.objects.get(email="jean.dupont@example.fr")
    for _ in range(5):
        client.post(reverse("login"), {"username": user.email, "password": "x"})
    client.force_login(admin_user)
    changelist = reverse("admin:accounts_user_changelist")
    html = client.get(changelist + "?verrouillage=connexion").content.decode()
    assert user.email in html and pending.email not in html
    client.post(changelist, {"action": "unlock_accounts", "_selected_action": [user.pk]})
    assert not User.objects.get(pk=user.pk).is_locked()
    client.post(changelist, {"action": "resend_activation",
                             "_selected_action": [user.pk, pending.pk]})
    assert [m.to for m in mails(run_tasks)] == [pending.email]
    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200
    assert client.get(changelist + "?activation=attente&second_facteur=non").status_code == 200


def test_admin_login_refuses_accounts_with_a_second_factor(client, admin_user):
    entry(services.start_email_codes, admin_user)
    admin_user.email_otp_enabled_at = clock.now()
    admin_user.save()
    client.post(reverse("admin:login"), {"username": admin_user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
