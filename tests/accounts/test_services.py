"""Account use cases, called as the portal calls them (tests/accounts/helpers.entry)."""

from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser

from choeur.accounts import botcheck, policy, services, tokens
from choeur.accounts.models import User
from choeur.accounts.validators import CharacterClassesValidator
from choeur.core import clock
from choeur.core.models import AuditEvent, OutgoingEmail
from tests.accounts.helpers import ANSWERS, STRONG, code_in, entry, link_path, mails
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ANON = AnonymousUser()


def register(**overrides):
    data = {"email": " Jean.Dupont@Example.FR ", "first_name": "Jean", "last_name": "Dupont",
            "phone": "+33 1 23 45 67 89", "contact_email": "", "accept_terms": True}
    data.update(overrides)
    return entry(services.register, ANON, **data)


def activation_parts(run_tasks, email="jean.dupont@example.fr"):
    path = link_path(mails(run_tasks, email)[0])
    _, _, uidb64, token, _ = path.split("/")
    return uidb64, token


def activate(uidb64, token, **overrides):
    data = {"password": STRONG, "password_confirmation": STRONG, **ANSWERS, **overrides}
    return entry(services.activate, ANON, uidb64, token, **data)


@pytest.fixture
def active(frozen_now, run_tasks):
    """A self-registered, activated account with its secret questions."""
    register()
    activate(*activation_parts(run_tasks))
    return User.objects.get(email="jean.dupont@example.fr")


def snapshot():
    return (list(User.objects.order_by("pk").values()), OutgoingEmail.objects.count())


# --- Registration ------------------------------------------------------------------------------


def test_registration_creates_an_inactive_account_and_mails_the_login_address(
        frozen_now, run_tasks):
    user = register(contact_email="")
    assert user.email == "jean.dupont@example.fr"
    assert user.contact_email == "jean.dupont@example.fr"  # defaults to the login address
    assert not user.is_active and user.activated_at is None
    assert not user.has_usable_password()
    assert user.terms_accepted_at == frozen_now
    [message] = mails(run_tasks)
    assert message.to == "jean.dupont@example.fr"
    assert "60 minutes" in message.text
    assert link_path(message).startswith("/activation/")
    assert AuditEvent.objects.filter(action="accounts.registered").count() == 1


def test_registration_keeps_a_separate_contact_address(frozen_now, run_tasks):
    user = register(contact_email="Compta@Example.FR")
    assert user.contact_email == "compta@example.fr"
    assert [m.to for m in mails(run_tasks)] == ["jean.dupont@example.fr"]


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"email": "pas-une-adresse"}, services.InvalidEmail, "email"),
        ({"contact_email": "nope@"}, services.InvalidEmail, "contact_email"),
        ({"first_name": "  "}, services.NameRequired, "first_name"),
        ({"last_name": ""}, services.NameRequired, "last_name"),
        ({"phone": "appelez-moi"}, services.InvalidPhone, "phone"),
        ({"accept_terms": False}, services.TermsNotAccepted, "accept_terms"),
    ],
)
def test_registration_refuses_bad_input_and_changes_nothing(overrides, error, field, run_tasks):
    before = snapshot()
    with pytest.raises(error) as caught:
        register(**overrides)
    assert caught.value.field == field
    assert caught.value.code.startswith("ACCOUNTS_")
    assert snapshot() == before
    assert mails(run_tasks) == []


def test_duplicate_address_is_not_disclosed_but_its_owner_is_told(user, run_tasks):
    """Registering an address that has an account answers as a new registration does (the
    page cannot tell), creates nothing, and e-mails the owner the links to log in and to
    reset the password."""
    users = list(User.objects.order_by("pk").values())
    returned = register(email="MARIE.CURIE@example.fr")
    assert returned.email == "marie.curie@example.fr"
    assert list(User.objects.order_by("pk").values()) == users
    [notice] = mails(run_tasks)
    assert notice.to == "marie.curie@example.fr"
    assert "essayer de créer un compte" in notice.text
    assert "/connexion/" in notice.text and "/mot-de-passe/oublie/" in notice.text
    assert "/activation/" not in notice.text
    assert AuditEvent.objects.filter(action="accounts.registration_of_existing_address",
                                     object_id=str(user.pk)).exists()


# --- Activation --------------------------------------------------------------------------------


def test_activation_sets_password_and_hashed_secret_answers(frozen_now, run_tasks):
    register()
    user = activate(*activation_parts(run_tasks))
    assert user.is_active and user.activated_at == frozen_now
    assert user.check_password(STRONG)
    assert user.secret_question_1 == "PET" and user.secret_question_2 == "BIRTH_CITY"
    assert "Médor".lower() not in user.secret_answer_1.lower()
    assert user.secret_answer_1.startswith("argon2")
    assert AuditEvent.objects.filter(action="accounts.activated").count() == 1


def test_activation_link_expires_after_60_minutes(frozen_now, run_tasks):
    register()
    parts = activation_parts(run_tasks)
    clock.advance(timedelta(minutes=61))
    before = snapshot()
    with pytest.raises(services.ActivationLinkExpired) as caught:
        activate(*parts)
    assert caught.value.code == "ACCOUNTS_ACTIVATION_LINK_EXPIRED"
    assert snapshot() == before


def test_activation_link_still_valid_at_59_minutes(frozen_now, run_tasks):
    register()
    parts = activation_parts(run_tasks)
    clock.advance(timedelta(minutes=59))
    assert activate(*parts).is_active


def test_activation_link_works_once(frozen_now, run_tasks):
    register()
    parts = activation_parts(run_tasks)
    activate(*parts)
    before = snapshot()
    with pytest.raises(services.ActivationLinkInvalid) as caught:
        activate(*parts, password="Autre-Mot2Passe-Solide")
    assert caught.value.code == "ACCOUNTS_ACTIVATION_LINK_INVALID"
    assert snapshot() == before


def test_forged_activation_links(frozen_now, run_tasks, user):
    register()
    uidb64, token = activation_parts(run_tasks)
    for forged_uid, forged_token in [
        (tokens.encode_uid(user), token),  # another account's id
        ("MTIzNDU2", token),  # no such account
        ("!!", token),  # not base64
        (uidb64, token[:-1] + ("0" if token[-1] != "0" else "1")),
        (uidb64, "nonsense"),
    ]:
        before = snapshot()
        with pytest.raises(services.ActivationLinkInvalid):
            activate(forged_uid, forged_token)
        assert snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"password_confirmation": "Autre-Chose-2024!"}, services.PasswordsDiffer,
         "password_confirmation"),
        ({"password": "court-A1", "password_confirmation": "court-A1"}, services.WeakPassword,
         "password"),
        ({"password": "toutenminusculesmaislong", "password_confirmation":
          "toutenminusculesmaislong"}, services.WeakPassword, "password"),
        ({"password": "Jean.Dupont@Example", "password_confirmation": "Jean.Dupont@Example"},
         services.WeakPassword, "password"),
        ({"question_2": "PET"}, services.SecretQuestionsSame, "question_2"),
        ({"question_1": "NOPE"}, services.SecretQuestionUnknown, "question_1"),
        ({"answer_2": " é "}, services.SecretAnswerTooShort, "answer_2"),
    ],
)
def test_activation_refuses_bad_input_and_changes_nothing(overrides, error, field, frozen_now,
                                                          run_tasks):
    register()
    parts = activation_parts(run_tasks)
    before = snapshot()
    with pytest.raises(error) as caught:
        activate(*parts, **overrides)
    assert caught.value.field == field
    assert snapshot() == before
    assert activate(*parts).is_active  # the link is still good


def test_resend_activation_is_neutral(frozen_now, run_tasks, user):
    register()
    mails(run_tasks)
    entry(services.resend_activation, ANON, "JEAN.DUPONT@example.fr")
    entry(services.resend_activation, ANON, "personne@example.fr")
    entry(services.resend_activation, ANON, user.email)  # already active: nothing
    sent = mails(run_tasks)
    assert [m.to for m in sent] == ["jean.dupont@example.fr"]


def test_new_activation_link_after_expiry(frozen_now, run_tasks):
    register()
    mails(run_tasks)
    clock.advance(timedelta(hours=2))
    entry(services.resend_activation, ANON, "jean.dupont@example.fr")
    newest = mails(run_tasks)[0]
    _, _, uidb64, token, _ = link_path(newest).split("/")
    assert activate(uidb64, token).is_active


# --- Login -------------------------------------------------------------------------------------


def login(email, password):
    return entry(services.authenticate, ANON, email, password)


def test_login_resets_the_failure_count(active):
    for _ in range(4):
        with pytest.raises(services.BadCredentials):
            login(active.email, "mauvais")
    active.refresh_from_db()
    assert active.failed_login_count == 4
    step = login(" JEAN.DUPONT@example.fr", STRONG)
    assert step.complete and step.user == active
    active.refresh_from_db()
    assert active.failed_login_count == 0


def test_five_failures_lock_the_account_for_an_hour(active, frozen_now):
    for _ in range(4):
        with pytest.raises(services.BadCredentials) as caught:
            login(active.email, "mauvais")
        assert caught.value.code == "ACCOUNTS_BAD_CREDENTIALS"
    with pytest.raises(services.LockedOut) as caught:
        login(active.email, "mauvais")
    # 09:30 UTC is 10:30 in Paris in March.
    assert caught.value.message("fr") == (
        "Votre compte est verrouillé jusqu'au 10/03/2026 à 11:30 après 5 échecs de connexion.")
    active.refresh_from_db()
    assert active.locked_until == frozen_now + timedelta(hours=1)
    # The 6th attempt, even with the right password, is refused and changes nothing.
    before = snapshot()
    with pytest.raises(services.LockedOut) as caught:
        login(active.email, STRONG)
    assert caught.value.code == "ACCOUNTS_LOCKED_OUT"
    assert "11:30" in caught.value.message("fr")
    assert snapshot() == before
    actions = list(AuditEvent.objects.filter(object_id=str(active.pk))
                   .values_list("action", flat=True))
    assert actions.count("accounts.login_failed") == 4
    assert "accounts.locked_out" in actions and "accounts.login_refused_locked" in actions
    for event in AuditEvent.objects.all():
        assert "mauvais" not in str(event.details) and STRONG not in str(event.details)
    # An hour later the lock is gone.
    clock.advance(timedelta(hours=1, seconds=1))
    assert login(active.email, STRONG).complete


def test_unknown_address_gets_the_same_error(db):
    with pytest.raises(services.BadCredentials):
        login("personne@example.fr", "x")
    event = AuditEvent.objects.get(action="accounts.login_failed")
    assert event.details == {"reason": "unknown_account", "email": "personne@example.fr"}
    with pytest.raises(services.BadCredentials):
        login("Correct-Horse", "x")  # a password typed in the address box is not kept
    assert "Correct" not in str(AuditEvent.objects.latest("id").details)


def test_not_activated_and_deactivated_accounts(frozen_now, run_tasks, active):
    """Their state is told only to whoever gives the password: an account awaiting
    activation (no password yet) answers as an unknown address does."""
    register(email="new@example.fr")
    with pytest.raises(services.BadCredentials) as caught:
        login("new@example.fr", "whatever")
    assert caught.value.code == "ACCOUNTS_BAD_CREDENTIALS"
    pending = User.objects.get(email="new@example.fr")
    assert pending.failed_login_count == 1  # counted, as an unknown address's would be
    pending.set_password(STRONG)  # an administrator gave it a password
    pending.save()
    with pytest.raises(services.NotActivated):
        login("new@example.fr", STRONG)
    entry(services.deactivate, active, password=STRONG)
    with pytest.raises(services.Deactivated):
        login(active.email, STRONG)
    with pytest.raises(services.BadCredentials):
        login(active.email, "mauvais")


@pytest.mark.parametrize("email", ["personne@example.fr", "new@example.fr",
                                   "jean.dupont@example.fr"])
def test_the_password_is_always_hashed(active, run_tasks, monkeypatch, email):
    """Unknown, awaiting activation, active or locked: one password hash each time, so the
    answer's timing tells nothing."""
    from django.contrib.auth import hashers

    register(email="new@example.fr")
    calls = []
    original_make, original_check = hashers.make_password, hashers.check_password
    monkeypatch.setattr(services, "make_password",
                        lambda *a, **k: calls.append("make") or original_make(*a, **k))
    monkeypatch.setattr("django.contrib.auth.base_user.check_password",
                        lambda *a, **k: calls.append("check") or original_check(*a, **k))
    with pytest.raises(services.BadCredentials):
        login(email, "mauvais")
    assert len(calls) == 1


def test_during_a_lock_every_answer_is_the_same(active, frozen_now):
    """Right password or wrong, the answer during a lock is the same LockedOut, and changes
    nothing: the lock tells an attacker nothing of the password."""
    for _ in range(4):
        with pytest.raises(services.BadCredentials):
            login(active.email, "mauvais")
    with pytest.raises(services.LockedOut):  # the failure that locks says so, and until when
        login(active.email, "mauvais")
    answers = []
    for password in ("encore-faux", STRONG, "", "mauvais"):
        before = snapshot()
        with pytest.raises(services.LockedOut) as caught:
            login(active.email, password)
        answers.append((caught.value.code, caught.value.message("fr"),
                        caught.value.message("en"), caught.value.http_status))
        assert snapshot() == before
    assert len(set(answers)) == 1
    assert "11:30" in answers[0][1]
    active.refresh_from_db()
    assert active.failed_login_count == 5
    assert active.locked_until == frozen_now + timedelta(hours=1)


def _answers_for(email, passwords):
    answers = []
    for password in passwords:
        try:
            login(email, password)
        except services.AccountsError as error:
            answers.append((error.code, error.message("fr"), error.http_status))
        else:
            answers.append("logged in")
    return answers


@pytest.mark.parametrize("state", ["unknown", "pending", "deactivated"])
def test_an_unknown_address_behaves_like_a_known_one(active, frozen_now, run_tasks, state):
    """Five wrong passwords lock any address for an hour, with the same answers as an active
    account's: whether an address has an account, or which state it is in, is not told."""
    email = {"unknown": "personne@example.fr", "pending": "new@example.fr",
             "deactivated": active.email}[state]
    if state == "pending":
        register(email="new@example.fr")
    if state == "deactivated":
        entry(services.deactivate, active, password=STRONG)
        known = "jean.autre@example.fr"
    else:
        known = active.email
    if known != active.email:
        User.objects.create_user(known, STRONG)
    passwords = ["faux1", "faux2", "faux3", "faux4", "faux5", "faux6", STRONG]
    theirs = _answers_for(email, passwords)
    reference = _answers_for(known, passwords[:-1]) + _answers_for(known, [STRONG])
    assert theirs == reference
    assert theirs[:4] == [("ACCOUNTS_BAD_CREDENTIALS", "Adresse électronique ou mot de passe "
                           "incorrect.", 401)] * 4
    assert {answer[0] for answer in theirs[4:]} == {"ACCOUNTS_LOCKED_OUT"}
    # An hour later the address is free again, known or not.
    clock.advance(timedelta(hours=1, seconds=1))
    assert _answers_for(email, ["faux"])[0][0] == "ACCOUNTS_BAD_CREDENTIALS"


def test_an_unknown_address_is_never_stored_in_clear(db, frozen_now):
    from choeur.accounts.models import FailedAttempts

    for _ in range(5):
        with pytest.raises((services.BadCredentials, services.LockedOut)):
            login("personne@example.fr", "x")
    row = FailedAttempts.objects.get()
    assert "personne" not in row.key and row.failures == 5


def test_the_backend_applies_the_lock_out_too(active, rf):
    from django.contrib.auth import authenticate

    for _ in range(5):
        assert authenticate(rf.post("/admin/login/"), username=active.email,
                            password="mauvais") is None
    active.refresh_from_db()
    assert active.is_locked()
    assert authenticate(rf.post("/admin/login/"), username=active.email,
                        password=STRONG) is None


# --- Password recovery -------------------------------------------------------------------------


def recovery_parts(run_tasks, email):
    path = link_path(mails(run_tasks, email)[0])
    _, _, _, uidb64, token, _ = path.split("/")
    return uidb64, token


def reset(parts, **overrides):
    data = {"answer_1": "medor", "answer_2": "SAINT ETIENNE", "password": "Nouveau-Secret-99",
            "password_confirmation": "Nouveau-Secret-99", **overrides}
    return entry(services.reset_password, ANON, *parts, **data)


def test_recovery_with_answers_ignoring_case_and_accents(active, run_tasks):
    mails(run_tasks)
    entry(services.request_password_reset, ANON, "Jean.Dupont@example.fr")
    parts = recovery_parts(run_tasks, active.email)
    user = reset(parts)
    assert user.check_password("Nouveau-Secret-99")
    with pytest.raises(services.RecoveryLinkInvalid):  # used
        reset(parts)


def test_recovery_request_is_neutral(active, run_tasks, user):
    mails(run_tasks)
    entry(services.request_password_reset, ANON, "personne@example.fr")
    register(email="pas.active@example.fr")
    mails(run_tasks)
    entry(services.request_password_reset, ANON, "pas.active@example.fr")
    assert mails(run_tasks) == []


def test_recovery_link_expires(active, run_tasks):
    entry(services.request_password_reset, ANON, active.email)
    parts = recovery_parts(run_tasks, active.email)
    clock.advance(timedelta(minutes=61))
    with pytest.raises(services.RecoveryLinkExpired):
        reset(parts)


def test_five_wrong_answers_lock_the_recovery(active, run_tasks, frozen_now):
    entry(services.request_password_reset, ANON, active.email)
    parts = recovery_parts(run_tasks, active.email)
    password_before = User.objects.get(pk=active.pk).password
    for remaining in (4, 3, 2, 1):
        with pytest.raises(services.SecretAnswersWrong) as caught:
            reset(parts, answer_2="Lyon")
        assert caught.value.code == "ACCOUNTS_SECRET_ANSWERS_WRONG"
        assert f"{remaining} essai" in caught.value.message("fr")
    with pytest.raises(services.RecoveryLocked) as caught:
        reset(parts, answer_2="Lyon")
    assert "jusqu'au 10/03/2026 à 11:30" in caught.value.message("fr")
    before = snapshot()
    with pytest.raises(services.RecoveryLocked):  # right answers, still locked
        reset(parts)
    assert snapshot() == before
    assert User.objects.get(pk=active.pk).password == password_before


def test_weak_new_password_changes_nothing(active, run_tasks):
    entry(services.request_password_reset, ANON, active.email)
    parts = recovery_parts(run_tasks, active.email)
    before = snapshot()
    with pytest.raises(services.WeakPassword):
        reset(parts, password="azertyuiopqsdf", password_confirmation="azertyuiopqsdf")
    assert snapshot() == before


# --- Second factor -----------------------------------------------------------------------------


def test_totp_set_up_then_required_at_login(active, run_tasks):
    setup = entry(services.start_totp, active)
    assert setup.uri.startswith("otpauth://totp/Choeur:jean.dupont%40example.fr?secret=")
    with pytest.raises(services.SetupCodeWrong):
        entry(services.confirm_totp, active, "000000")
    assert not policy.requires_second_factor(User.objects.get(pk=active.pk))
    totp = pyotp.TOTP(setup.secret)
    entry(services.confirm_totp, active, totp.at(clock.now()))
    active.refresh_from_db()
    assert active.totp_enabled_at and policy.requires_second_factor(active)
    step = login(active.email, STRONG)
    assert step.needs_code and not step.complete
    # The code used to confirm cannot be replayed; the next one works.
    with pytest.raises(services.LoginCodeWrong):
        entry(services.verify_login_code, ANON, active, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    entry(services.verify_login_code, ANON, active, totp.at(clock.now()))
    assert AuditEvent.objects.filter(action="accounts.login",
                                     details__factor="totp").exists()


def test_wrong_codes_count_towards_the_lock_out(active):
    setup = entry(services.start_totp, active)
    entry(services.confirm_totp, active, pyotp.TOTP(setup.secret).at(clock.now()))
    login(active.email, STRONG)
    for _ in range(4):
        with pytest.raises(services.LoginCodeWrong):
            entry(services.verify_login_code, ANON, active, "123456")
    with pytest.raises(services.LockedOut):
        entry(services.verify_login_code, ANON, active, "123456")


def test_email_codes_single_use_and_ten_minutes(active, run_tasks):
    entry(services.start_email_codes, active)
    entry(services.confirm_email_codes, active, code_in(mails(run_tasks)[0]))
    active.refresh_from_db()
    assert active.email_otp_enabled_at is not None
    step = login(active.email, STRONG)  # sends a code by itself
    assert step.needs_code
    [message] = mails(run_tasks, active.email, subject="code de connexion")
    code = code_in(message)
    entry(services.verify_login_code, ANON, active, code)
    with pytest.raises(services.LoginCodeWrong):  # single use
        entry(services.verify_login_code, ANON, active, code)
    entry(services.send_login_code, ANON, active)
    [message] = mails(run_tasks, active.email, subject="code de connexion")
    code = code_in(message)
    clock.advance(timedelta(minutes=11))
    with pytest.raises(services.LoginCodeExpired):
        entry(services.verify_login_code, ANON, active, code)


def test_structures_may_require_a_second_factor(active, monkeypatch):
    import sys
    import types

    fake = types.ModuleType("choeur.organisations.policy")
    fake.second_factor_required_by_structure = lambda user: user.email.startswith("jean")
    monkeypatch.setitem(sys.modules, "choeur.organisations.policy", fake)
    assert policy.requires_second_factor(active)
    step = login(active.email, STRONG)
    assert step.needs_setup
    setup = entry(services.start_totp, active)
    entry(services.confirm_totp, active, pyotp.TOTP(setup.secret).at(clock.now()))
    with pytest.raises(services.SecondFactorRequired):
        entry(services.disable_second_factor, active, factor="totp", password=STRONG)


def test_without_the_organisations_policy_nothing_is_required(active, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "choeur.organisations.policy", None)  # ImportError
    assert not policy.requires_second_factor(active)


def test_disable_second_factor_needs_the_password(active):
    setup = entry(services.start_totp, active)
    entry(services.confirm_totp, active, pyotp.TOTP(setup.secret).at(clock.now()))
    with pytest.raises(services.WrongPassword):
        entry(services.disable_second_factor, active, factor="totp", password="mauvais")
    entry(services.disable_second_factor, active, factor="totp", password=STRONG)
    active.refresh_from_db()
    assert not policy.has_second_factor(active) and active.totp_secret == ""


# --- Mon compte --------------------------------------------------------------------------------


def test_profile_update(active):
    entry(services.update_profile, active, first_name="Jeanne", last_name="Dupont",
          phone="", contact_email="")
    active.refresh_from_db()
    assert active.first_name == "Jeanne" and active.contact_email == active.email
    with pytest.raises(services.InvalidPhone):
        entry(services.update_profile, active, first_name="J", last_name="D", phone="abc")


def test_change_password(active, run_tasks):
    with pytest.raises(services.WrongPassword):
        entry(services.change_password, active, current_password="mauvais",
              password="Nouveau-Secret-99", password_confirmation="Nouveau-Secret-99")
    entry(services.change_password, active, current_password=STRONG,
          password="Nouveau-Secret-99", password_confirmation="Nouveau-Secret-99")
    assert User.objects.get(pk=active.pk).check_password("Nouveau-Secret-99")
    assert any("changé" in m.subject for m in mails(run_tasks, active.email))


def test_change_login_address(active, run_tasks, user):
    with pytest.raises(services.EmailAlreadyUsed):
        entry(services.request_email_change, active, new_email=user.email, password=STRONG)
    with pytest.raises(services.EmailUnchanged):
        entry(services.request_email_change, active, new_email=active.email, password=STRONG)
    with pytest.raises(services.WrongPassword):
        entry(services.request_email_change, active, new_email="j@example.fr", password="x")
    entry(services.request_email_change, active, new_email="J@Example.fr", password=STRONG)
    active.refresh_from_db()
    assert active.email == "jean.dupont@example.fr" and active.pending_email == "j@example.fr"
    [confirmation] = mails(run_tasks, "j@example.fr")
    token = link_path(confirmation).split("/")[-2]
    with pytest.raises(services.EmailChangeLinkInvalid):  # another account's link
        entry(services.confirm_email_change, user, token)
    entry(services.confirm_email_change, active, token)
    active.refresh_from_db()
    assert active.email == "j@example.fr" and active.contact_email == "j@example.fr"
    assert active.pending_email == ""
    notice = mails(run_tasks, "jean.dupont@example.fr")[0]
    assert "j@example.fr" in notice.text
    with pytest.raises(services.EmailChangeLinkInvalid):  # used
        entry(services.confirm_email_change, active, token)


def test_email_change_link_expires(active, run_tasks):
    entry(services.request_email_change, active, new_email="j@example.fr", password=STRONG)
    token = link_path(mails(run_tasks, "j@example.fr")[0]).split("/")[-2]
    clock.advance(timedelta(minutes=61))
    with pytest.raises(services.EmailChangeLinkExpired):
        entry(services.confirm_email_change, active, token)
    assert User.objects.get(pk=active.pk).email == "jean.dupont@example.fr"


def test_deactivate(active):
    with pytest.raises(services.WrongPassword):
        entry(services.deactivate, active, password="mauvais")
    assert User.objects.get(pk=active.pk).is_active
    entry(services.deactivate, active, password=STRONG)
    assert not User.objects.get(pk=active.pk).is_active
    assert AuditEvent.objects.filter(action="accounts.deactivated").exists()


def test_admin_unlock(active, admin_user):
    for _ in range(5):
        with pytest.raises((services.BadCredentials, services.LockedOut)):
            login(active.email, "mauvais")
    entry(services.unlock, admin_user, active)
    assert login(active.email, STRONG).complete


def test_create_user_is_active_for_code_and_fixtures(user):
    assert user.is_active and User().is_active is False
    assert login(user.email, PASSWORD).complete


def test_generated_admin_passwords_always_meet_the_policy():
    for _ in range(50):
        CharacterClassesValidator().validate(services._generate_password())


# --- Password policy and bot check -------------------------------------------------------------


@pytest.mark.parametrize(("password", "ok"), [
    ("abcdefghijkl", False), ("abcdefGHIJKL", False), ("abcdefGHIJ12", True),
    ("abcdef-hij12", True), ("ABCDEF-HIJ12", True), ("ABCDEF-HIJKL", False),
])
def test_character_classes(password, ok):
    from django.core.exceptions import ValidationError

    validator = CharacterClassesValidator()
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError):
            validator.validate(password)


def test_bot_check(frozen_now):
    challenge = botcheck.new_challenge()
    assert challenge.question.startswith("Combien font ")
    words = challenge.question.removeprefix("Combien font ").removesuffix(" ?").split(" plus ")
    answer = sum(botcheck.NUMBERS_FR.index(w) for w in words)
    botcheck.verify(challenge.token, botcheck.NUMBERS_FR[answer].upper())
    for wrong in (str(answer + 1), "", "beaucoup", "9" * 50):
        with pytest.raises(botcheck.BotCheckFailed):
            botcheck.verify(botcheck_token_for(answer), wrong)
    with pytest.raises(botcheck.BotCheckFailed):
        botcheck.verify(botcheck_token_for(answer), str(answer), honeypot="http://spam")
    with pytest.raises(botcheck.BotCheckExpired):
        botcheck.verify(challenge.token + "x", str(answer))
    late = botcheck.new_challenge()
    clock.advance(timedelta(minutes=31))
    with pytest.raises(botcheck.BotCheckExpired):
        botcheck.verify(late.token, str(answer_of(late)))


def answer_of(challenge) -> int:
    words = challenge.question.removeprefix("Combien font ").removesuffix(" ?").split(" plus ")
    return sum(botcheck.NUMBERS_FR.index(w) for w in words)


def botcheck_token_for(answer: int) -> str:
    while True:
        challenge = botcheck.new_challenge()
        if answer_of(challenge) == answer:
            return challenge.token


def test_bot_check_token_does_not_carry_the_answer(frozen_now, settings):
    import base64

    challenge = botcheck.new_challenge()
    answer = answer_of(challenge)
    nonce, issued, digest = challenge.token.split(".")
    assert int(issued) == int(frozen_now.timestamp())
    assert len(digest) == 64 and len(nonce) >= 16
    readable = challenge.token
    for part in (nonce, digest):
        try:
            readable += base64.urlsafe_b64decode(part + "==").decode("latin-1")
        except ValueError:
            pass
    assert f'"a":{answer}' not in readable and '"a"' not in readable
    # Keyed with the secret key: another key, another hash; a changed time, a refusal.
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(botcheck.BotCheckExpired):
        botcheck.verify(challenge.token, str(answer))
    settings.SECRET_KEY = settings.SECRET_KEY.replace("another", "original")
    challenge = botcheck.new_challenge()
    nonce, issued, digest = challenge.token.split(".")
    later = f"{nonce}.{int(issued) + 3600}.{digest}"
    with pytest.raises(botcheck.BotCheckExpired):
        botcheck.verify(later, str(answer_of(challenge)))


def test_bot_check_token_is_accepted_once(frozen_now):
    from choeur.accounts.models import UsedBotCheckNonce

    challenge = botcheck.new_challenge()
    answer = answer_of(challenge)
    botcheck.verify(challenge.token, str(answer))
    with pytest.raises(botcheck.BotCheckUsed) as caught:
        botcheck.verify(challenge.token, str(answer))
    assert caught.value.code == "ACCOUNTS_BOT_CHECK_USED"
    # A wrong answer uses the token too: no trying every sum with one token.
    other = botcheck.new_challenge()
    with pytest.raises(botcheck.BotCheckFailed):
        botcheck.verify(other.token, str(answer_of(other) + 1))
    with pytest.raises(botcheck.BotCheckUsed):
        botcheck.verify(other.token, str(answer_of(other)))
    # Forged tokens are not recorded; old nonces are pruned.
    with pytest.raises(botcheck.BotCheckExpired):
        botcheck.verify("A" * 22 + ".1." + "0" * 64, "3")
    assert UsedBotCheckNonce.objects.count() == 2
    clock.advance(timedelta(minutes=40))
    botcheck.verify((third := botcheck.new_challenge()).token, str(answer_of(third)))
    assert UsedBotCheckNonce.objects.count() == 1


def test_choeur_unlock_lifts_a_lock_out(active, frozen_now, capsys):
    from choeur.accounts.models import FailedAttempts
    from choeur.cli import main

    for email in (active.email, "personne@example.fr"):
        for _ in range(5):
            with pytest.raises((services.BadCredentials, services.LockedOut)):
                login(email, "mauvais")
    with pytest.raises(services.LockedOut):
        login(active.email, STRONG)
    assert main(["unlock", active.email.upper()]) == 0
    assert "lock-out lifted" in capsys.readouterr().out
    assert login(active.email, STRONG).complete
    assert main(["unlock", "personne@example.fr"]) == 0
    assert not FailedAttempts.objects.exists()
    with pytest.raises(services.BadCredentials):  # counted from zero again
        login("personne@example.fr", "x")
    assert main(["unlock", "nobody@example.fr"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="accounts.unlocked").count() == 2
