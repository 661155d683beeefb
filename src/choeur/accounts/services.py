"""Use cases of the accounts feature (the portal, the CLI, the admin and the tests call these).

Every function takes the acting user first, never commits (the entry point owns the
transaction), raises typed errors with a stable code, writes the audit log and queues its
e-mails in the caller's transaction.

Counted failures (a wrong password at login, a wrong second-factor code, wrong secret
answers) are written *before* their error is raised, and those errors say so with
`keeps_changes = True`: the entry point commits them (the count and the lock-out must
survive the refusal), while any other error rolls the transaction back so that bad input
changes nothing.
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pyotp
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from choeur.accounts import policy, throttle, tokens
from choeur.accounts.models import (
    EmailThrottle,
    FailedAttempts,
    SecretQuestion,
    User,
    normalise_email,
)
from choeur.core import audit, clock, mail
from choeur.core.errors import ChoeurError

MAX_LOGIN_FAILURES = 5
LOCK_DURATION = timedelta(hours=1)
MAX_RECOVERY_FAILURES = 5
RECOVERY_LOCK_DURATION = timedelta(hours=1)
LOGIN_CODE_VALIDITY = timedelta(minutes=10)
MAILBOX_PROOF_VALIDITY = timedelta(minutes=10)
# E-mails anyone may trigger (activation, recovery, login codes, registration notices):
# at most EMAIL_THROTTLE_COUNT per address and per action in EMAIL_THROTTLE_WINDOW.
EMAIL_THROTTLE_COUNT = 3
EMAIL_THROTTLE_WINDOW = timedelta(minutes=15)
TOTP_ISSUER = "Choeur"
PHONE_RE = re.compile(r"^\+?[0-9 .()\-]{6,25}$")


# --- Errors ------------------------------------------------------------------------------------


class AccountsError(ChoeurError):
    """The family of account errors (no code: not raised as such)."""

    field: ClassVar[str | None] = None  # the form field the error is about, if any
    keeps_changes: ClassVar[bool] = False  # a counted failure: the entry point commits it


class InvalidEmail(AccountsError):
    code = "ACCOUNTS_INVALID_EMAIL"
    message_fr = "L'adresse électronique « {email} » n'est pas valide."
    message_en = "The e-mail address “{email}” is not valid."
    field = "email"


InvalidAdminEmail = InvalidEmail  # its first name, kept for the CLI's callers


class WeakPassword(AccountsError):
    code = "ACCOUNTS_WEAK_PASSWORD"
    message_fr = "Mot de passe refusé : {reasons}"
    message_en = "Password refused: {reasons}"
    field = "password"


class EmailAlreadyUsed(AccountsError):
    code = "ACCOUNTS_EMAIL_ALREADY_USED"
    http_status = 409
    message_fr = "Un compte existe déjà pour l'adresse {email}."
    message_en = "An account already exists for {email}."
    field = "email"


class NameRequired(AccountsError):
    code = "ACCOUNTS_NAME_REQUIRED"
    message_fr = "Indiquez votre prénom et votre nom."
    message_en = "Give your first name and your last name."
    field = "last_name"


class InvalidPhone(AccountsError):
    code = "ACCOUNTS_INVALID_PHONE"
    message_fr = ("Le numéro de téléphone « {phone} » n'est pas valide (chiffres, espaces, "
                  "points, tirets et un + initial).")
    message_en = ("The phone number “{phone}” is not valid (digits, spaces, dots, dashes "
                  "and a leading +).")
    field = "phone"


class TermsNotAccepted(AccountsError):
    code = "ACCOUNTS_TERMS_NOT_ACCEPTED"
    message_fr = "Vous devez accepter les conditions générales d'utilisation pour créer un compte."
    message_en = "You must accept the terms of use to create an account."
    field = "accept_terms"


class ActivationLinkInvalid(AccountsError):
    code = "ACCOUNTS_ACTIVATION_LINK_INVALID"
    message_fr = ("Ce lien d'activation n'est pas valide : il est incomplet, ou il a déjà "
                  "servi (le compte est alors activé : connectez-vous).")
    message_en = ("This activation link is not valid: it is incomplete, or it was already "
                  "used (the account is then active: log in).")


class ActivationLinkExpired(AccountsError):
    code = "ACCOUNTS_ACTIVATION_LINK_EXPIRED"
    message_fr = "Ce lien d'activation a expiré : il n'est valable que 60 minutes."
    message_en = "This activation link has expired: it is valid for 60 minutes only."


class AlreadyActivated(AccountsError):
    code = "ACCOUNTS_ALREADY_ACTIVATED"
    message_fr = "Ce compte est déjà activé."
    message_en = "This account is already active."


class PasswordsDiffer(AccountsError):
    code = "ACCOUNTS_PASSWORDS_DIFFER"
    message_fr = "Les deux mots de passe saisis sont différents."
    message_en = "The two passwords differ."
    field = "password_confirmation"


class SecretQuestionUnknown(AccountsError):
    code = "ACCOUNTS_SECRET_QUESTION_UNKNOWN"
    message_fr = "Choisissez une question secrète dans la liste."
    message_en = "Choose a secret question from the list."
    field = "question_1"


class SecretQuestionsSame(AccountsError):
    code = "ACCOUNTS_SECRET_QUESTIONS_SAME"
    message_fr = "Choisissez deux questions secrètes différentes."
    message_en = "Choose two different secret questions."
    field = "question_2"


class SecretAnswerTooShort(AccountsError):
    code = "ACCOUNTS_SECRET_ANSWER_TOO_SHORT"
    message_fr = "Chaque réponse secrète doit compter au moins 2 lettres ou chiffres."
    message_en = "Each secret answer needs at least 2 letters or digits."
    field = "answer_1"


class BadCredentials(AccountsError):
    code = "ACCOUNTS_BAD_CREDENTIALS"
    http_status = 401
    keeps_changes = True
    message_fr = "Adresse électronique ou mot de passe incorrect."
    message_en = "Wrong e-mail address or password."


class _LockedUntil(AccountsError):
    """A lock whose message says until when (Paris time) and after how many failures."""

    max_attempts = 0

    @classmethod
    def until(cls, when, attempts=None):
        local = when.astimezone(clock.PARIS)
        return cls(until_date=local.strftime("%d/%m/%Y"), until_time=local.strftime("%H:%M"),
                   attempts=attempts if attempts is not None else cls.max_attempts)


class LockedOut(_LockedUntil):
    code = "ACCOUNTS_LOCKED_OUT"
    max_attempts = MAX_LOGIN_FAILURES
    http_status = 403
    keeps_changes = True
    message_fr = ("Votre compte est verrouillé jusqu'au {until_date} à {until_time} après "
                  "{attempts} échecs de connexion.")
    message_en = ("Your account is locked until {until_date} at {until_time} after "
                  "{attempts} failed logins.")


class NotActivated(AccountsError):
    code = "ACCOUNTS_NOT_ACTIVATED"
    http_status = 403
    message_fr = ("Ce compte n'est pas encore activé : ouvrez le lien reçu par courriel, ou "
                  "demandez un nouveau lien d'activation.")
    message_en = ("This account is not activated yet: open the link you received by e-mail, "
                  "or ask for a new activation link.")


class Deactivated(AccountsError):
    code = "ACCOUNTS_DEACTIVATED"
    http_status = 403
    message_fr = "Cet accès a été désactivé. Adressez-vous à l'administrateur de la plateforme."
    message_en = "This access was deactivated. Contact the platform administrator."


class LoginCodeWrong(AccountsError):
    code = "ACCOUNTS_LOGIN_CODE_WRONG"
    http_status = 401
    keeps_changes = True
    message_fr = "Ce code est incorrect."
    message_en = "This code is wrong."
    field = "code"


class LoginCodeExpired(AccountsError):
    code = "ACCOUNTS_LOGIN_CODE_EXPIRED"
    message_fr = ("Ce code a expiré (10 minutes) ou a déjà servi : demandez-en un nouveau.")
    message_en = "This code expired (10 minutes) or was already used: ask for a new one."
    field = "code"


class LoginCodeUnavailable(AccountsError):
    code = "ACCOUNTS_LOGIN_CODE_UNAVAILABLE"
    message_fr = "Le code par courriel n'est pas activé pour ce compte."
    message_en = "E-mailed codes are not enabled for this account."


class LoginStepExpired(AccountsError):
    code = "ACCOUNTS_LOGIN_STEP_EXPIRED"
    message_fr = "Votre connexion a expiré : saisissez à nouveau votre mot de passe."
    message_en = "Your login expired: enter your password again."


class RecoveryLinkInvalid(AccountsError):
    code = "ACCOUNTS_RECOVERY_LINK_INVALID"
    message_fr = ("Ce lien de réinitialisation n'est pas valide : il est incomplet ou a déjà "
                  "servi.")
    message_en = "This password reset link is not valid: it is incomplete or was already used."


class RecoveryLinkExpired(AccountsError):
    code = "ACCOUNTS_RECOVERY_LINK_EXPIRED"
    message_fr = "Ce lien de réinitialisation a expiré : il n'est valable que 60 minutes."
    message_en = "This password reset link has expired: it is valid for 60 minutes only."


class SecretAnswersWrong(AccountsError):
    code = "ACCOUNTS_SECRET_ANSWERS_WRONG"
    keeps_changes = True
    message_fr = ("Les réponses aux questions secrètes sont incorrectes ({remaining} essai(s) "
                  "restant(s) avant verrouillage).")
    message_en = ("The answers to the secret questions are wrong ({remaining} attempt(s) left "
                  "before the lock).")
    field = "answer_1"


class RecoveryLocked(_LockedUntil):
    code = "ACCOUNTS_RECOVERY_LOCKED"
    max_attempts = MAX_RECOVERY_FAILURES
    http_status = 403
    keeps_changes = True
    message_fr = ("La réinitialisation du mot de passe est verrouillée jusqu'au {until_date} à "
                  "{until_time} après {attempts} réponses erronées aux questions secrètes.")
    message_en = ("Password reset is locked until {until_date} at {until_time} after "
                  "{attempts} wrong answers to the secret questions.")


class WrongPassword(AccountsError):
    code = "ACCOUNTS_WRONG_PASSWORD"
    http_status = 403
    message_fr = "Le mot de passe actuel saisi est incorrect."
    message_en = "The current password you entered is wrong."
    field = "current_password"


class EmailUnchanged(AccountsError):
    code = "ACCOUNTS_EMAIL_UNCHANGED"
    message_fr = "C'est déjà votre adresse de connexion."
    message_en = "This is already your login address."
    field = "new_email"


class EmailChangeLinkInvalid(AccountsError):
    code = "ACCOUNTS_EMAIL_CHANGE_LINK_INVALID"
    message_fr = ("Ce lien de confirmation n'est pas valide : il a déjà servi, une autre "
                  "demande l'a remplacé, ou il a été ouvert avec un autre compte.")
    message_en = ("This confirmation link is not valid: it was already used, another request "
                  "replaced it, or it was opened with another account.")


class EmailChangeLinkExpired(AccountsError):
    code = "ACCOUNTS_EMAIL_CHANGE_LINK_EXPIRED"
    message_fr = "Ce lien de confirmation a expiré : il n'est valable que 60 minutes."
    message_en = "This confirmation link has expired: it is valid for 60 minutes only."


class TotpAlreadyEnabled(AccountsError):
    code = "ACCOUNTS_TOTP_ALREADY_ENABLED"
    message_fr = "L'application d'authentification est déjà activée."
    message_en = "The authenticator app is already enabled."


class TotpNotStarted(AccountsError):
    code = "ACCOUNTS_TOTP_NOT_STARTED"
    message_fr = "Commencez par afficher le QR code de votre application d'authentification."
    message_en = "First display the QR code for your authenticator app."


class SetupCodeWrong(AccountsError):
    code = "ACCOUNTS_SETUP_CODE_WRONG"
    message_fr = "Ce code est incorrect ou a expiré : le second facteur n'est pas activé."
    message_en = "This code is wrong or expired: the second factor is not enabled."
    field = "code"


class SecondFactorUnknown(AccountsError):
    code = "ACCOUNTS_SECOND_FACTOR_UNKNOWN"
    message_fr = ("Second facteur inconnu : choisissez l'application d'authentification ou le "
                  "code par courriel.")
    message_en = "Unknown second factor: choose the authenticator app or the e-mailed code."


class SecondFactorNotEnabled(AccountsError):
    code = "ACCOUNTS_SECOND_FACTOR_NOT_ENABLED"
    message_fr = "Ce second facteur n'est pas activé sur votre compte."
    message_en = "This second factor is not enabled on your account."


class MailboxNotProven(AccountsError):
    code = "ACCOUNTS_MAILBOX_NOT_PROVEN"
    http_status = 403
    message_fr = ("Saisissez d'abord le code envoyé à votre adresse de connexion : il prouve "
                  "que vous recevez ses courriels.")
    message_en = ("First enter the code sent to your login address: it proves that you "
                  "receive its e-mails.")


class PrincipalMustTransfer(AccountsError):
    code = "ACCOUNTS_PRINCIPAL_MUST_TRANSFER"
    http_status = 409
    message_fr = ("Vous êtes gestionnaire principal d'au moins une structure : transférez ce "
                  "rôle à un autre utilisateur avant de désactiver votre accès.")
    message_en = ("You are the main gestionnaire of at least one structure: transfer that "
                  "role to another user before deactivating your access.")


class SecondFactorRequired(AccountsError):
    code = "ACCOUNTS_SECOND_FACTOR_REQUIRED"
    http_status = 403
    message_fr = ("Un second facteur d'authentification est obligatoire pour votre compte : "
                  "activez-en un autre avant de désactiver celui-ci.")
    message_en = ("A second authentication factor is mandatory for your account: enable "
                  "another one before disabling this one.")


# --- Helpers -----------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.CHOEUR_BASE_URL.rstrip("/") + path


def _send(to: str, subject: str, template: str, **context) -> None:
    body = render_to_string(f"accounts/emails/{template}.txt", context)
    mail.send_mail(to, subject, body)


def _throttled(actor, address: str, action: str, user: User | None = None) -> bool:
    """True when `address` already received EMAIL_THROTTLE_COUNT e-mails for `action` in the
    last EMAIL_THROTTLE_WINDOW (the caller then sends nothing and answers as usual; the
    refusal is audited). Otherwise the e-mail about to be sent is counted."""
    now = clock.now()
    since = now - EMAIL_THROTTLE_WINDOW
    EmailThrottle.objects.filter(sent_at__lte=since).delete()
    sent = EmailThrottle.objects.filter(address=address, action=action, sent_at__gt=since)
    if sent.count() >= EMAIL_THROTTLE_COUNT:
        audit.record(actor, "accounts.email_throttled", user, kind=action, address=address)
        return True
    EmailThrottle.objects.create(address=address, action=action, sent_at=now)
    return False


def _check_password_always(user: User | None, password: str) -> bool:
    """The password check, as slow for an unknown account or one without a usable password
    as for a real one: its timing tells nothing about the account."""
    if user is None or not user.has_usable_password():
        make_password(password)
        return False
    return user.check_password(password)


def _valid_email(email: str, error_field: str = "email") -> str:
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError:
        error = InvalidEmail(email=email)
        error.field = error_field
        raise error from None
    return email


def _check_phone(phone: str) -> str:
    phone = " ".join((phone or "").split())
    if phone and (not PHONE_RE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 6):
        raise InvalidPhone(phone=phone)
    return phone


def _check_new_password(user: User, password: str, confirmation: str) -> None:
    if password != confirmation:
        raise PasswordsDiffer()
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise WeakPassword(reasons=" ".join(str(m) for m in exc.messages)) from None


def normalise_answer(answer: str) -> str:
    """Secret answers match whatever the case, accents, punctuation and spacing."""
    text = unicodedata.normalize("NFKD", answer or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def _check_secret_questions(question_1, answer_1, question_2, answer_2) -> None:
    for field, question in (("question_1", question_1), ("question_2", question_2)):
        if question not in SecretQuestion.values:
            error = SecretQuestionUnknown()
            error.field = field
            raise error
    if question_1 == question_2:
        raise SecretQuestionsSame()
    for field, answer in (("answer_1", answer_1), ("answer_2", answer_2)):
        if len(normalise_answer(answer).replace(" ", "")) < 2:
            error = SecretAnswerTooShort()
            error.field = field
            raise error


def _locked_user(user: User) -> User:
    """The user's row, locked for this transaction (concurrent logins count right)."""
    return User.objects.select_for_update().get(pk=user.pk)


def _generate_password() -> str:
    """A random password that meets the house policy (shown once by `createadmin`)."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(20))
        try:
            password_validation.validate_password(candidate)
        except ValidationError:
            continue
        return candidate


# --- Platform administrator (CLI) ----------------------------------------------------------------


@dataclass(frozen=True)
class AdminCreation:
    user: User | None
    generated_password: str | None  # only when Choeur chose it: shown once, never stored
    created: bool


def unlock_address(actor, email: str) -> bool:
    """Lift the login lock-out of an address (`choeur unlock`): its account's (`unlock`, as
    the administration does), or an unknown address's count. The way back in when someone
    locks the only administrator out on purpose (five wrong passwords are enough, by
    design). Returns whether anything was locked or counted."""
    email = normalise_email(email)
    digest = _unknown_address_key(email)
    forgotten, _ = FailedAttempts.objects.filter(key=digest).delete()
    user = User.objects.filter(email=email).first()
    if user is not None and (user.failed_login_count or user.locked_until
                             or user.recovery_failed_count or user.recovery_locked_until):
        unlock(actor, user)
        return True
    if forgotten:
        audit.record(actor, "accounts.unlocked", None, email=email)
    return bool(forgotten)


def create_first_admin(actor, email: str, password: str | None = None) -> AdminCreation:
    """Create the platform administrator unless one exists already (idempotent for `make run`)."""
    if User.objects.filter(is_superuser=True).exists():
        return AdminCreation(user=None, generated_password=None, created=False)
    return create_admin(actor, email, password)


def create_admin(actor, email: str, password: str | None = None) -> AdminCreation:
    email = _valid_email(email)
    if User.objects.filter(email=email).exists():
        raise EmailAlreadyUsed(email=email)
    generated = None
    if not password:
        generated = password = _generate_password()
    candidate = User(email=email)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise WeakPassword(reasons=" ".join(str(m) for m in exc.messages)) from None
    user = User.objects.create_superuser(email=email, password=password)
    audit.record(actor, "accounts.admin_created", user)
    return AdminCreation(user=user, generated_password=generated, created=True)


def create_active_user(actor, email: str, password: str | None = None) -> AdminCreation:
    """An active account made by an operator (`choeur matelas --email` in qualification), not
    by self-registration: no activation link, the password chosen by Choeur unless given
    (shown once, never stored). Refused when the address is taken."""
    email = _valid_email(email)
    if User.objects.filter(email=email).exists():
        raise EmailAlreadyUsed(email=email)
    generated = None
    if not password:
        generated = password = _generate_password()
    try:
        password_validation.validate_password(password, User(email=email))
    except ValidationError as exc:
        raise WeakPassword(reasons=" ".join(str(m) for m in exc.messages)) from None
    user = User.objects.create_user(email=email, password=password, is_active=True)
    audit.record(actor, "accounts.user_created", user)
    return AdminCreation(user=user, generated_password=generated, created=True)


# --- Registration and activation ----------------------------------------------------------------


def register(
    actor,
    *,
    email: str,
    first_name: str,
    last_name: str,
    phone: str = "",
    contact_email: str = "",
    accept_terms: bool = False,
) -> User:
    """Self-registration: an inactive account and an activation link to the login address.

    An address that already has an account is not disclosed: nothing is created, its owner
    is told by e-mail that someone tried to register it (with the links to log in and to
    reset the password), and the caller answers exactly as for a new account (the existing
    account is returned, unchanged)."""
    email = _valid_email(email)
    contact = _valid_email(contact_email, "contact_email") if (contact_email or "").strip() \
        else email
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name or not last_name:
        error = NameRequired()
        error.field = "first_name" if not first_name else "last_name"
        raise error
    phone = _check_phone(phone)
    if not accept_terms:
        raise TermsNotAccepted()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        _notify_registration_attempt(actor, email, existing)
        return existing
    now = clock.now()
    user = User(
        email=email,
        contact_email=contact,
        first_name=first_name[:150],
        last_name=last_name[:150],
        phone=phone,
        is_active=False,
        date_joined=now,
        terms_accepted_at=now,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # registered twice at the same instant
        _notify_registration_attempt(actor, email, None)
        return user
    audit.record(actor, "accounts.registered", user)
    _throttled(actor, user.email, "activation", user)  # counts the first link; never refused
    _send_activation_link(actor, user)
    return user


def _notify_registration_attempt(actor, email: str, user: User | None) -> None:
    audit.record(actor, "accounts.registration_of_existing_address", user)
    if _throttled(actor, email, "registration_attempt", user):
        return
    _send(email, "Tentative de création d'un compte Choeur avec votre adresse",
          "registration_attempt", link_login=_absolute(reverse("login")),
          link_recovery=_absolute(reverse("password-forgotten")), minutes=60)


def _send_activation_link(actor, user: User) -> None:
    path = reverse("activate", kwargs={"uidb64": tokens.encode_uid(user),
                                       "token": tokens.activation_tokens.make_token(user)})
    _send(user.email, "Activez votre compte Choeur", "activation",
          user=user, link=_absolute(path), minutes=60)
    audit.record(actor, "accounts.activation_sent", user)


def resend_activation(actor, email: str) -> None:
    """Send a new activation link if the address has an account awaiting activation.

    Says nothing either way: the caller shows the same neutral message whatever happened.
    """
    user = User.objects.filter(email=normalise_email(email)).first()
    if user is not None and user.awaiting_activation:
        if _throttled(actor, user.email, "activation", user):
            return
        _send_activation_link(actor, user)


def send_activation(actor, user: User) -> None:
    """The administrator re-sends the activation link of an account awaiting activation."""
    if not user.awaiting_activation:
        raise AlreadyActivated()
    _send_activation_link(actor, user)


def _user_from_link(uidb64, token, generator, invalid, expired, *, lock=False) -> User:
    pk = tokens.decode_uid(uidb64)
    queryset = User.objects.select_for_update() if lock else User.objects
    user = queryset.filter(pk=pk).first() if pk else None
    status = generator.status(user, token) if user is not None else tokens.INVALID
    if status == tokens.EXPIRED:
        raise expired()
    if status != tokens.VALID:
        raise invalid()
    return user


def check_activation_link(uidb64: str, token: str, *, lock: bool = False) -> User:
    user = _user_from_link(uidb64, token, tokens.activation_tokens, ActivationLinkInvalid,
                           ActivationLinkExpired, lock=lock)
    if not user.awaiting_activation:
        raise ActivationLinkInvalid()
    return user


def activate(
    actor,
    uidb64: str,
    token: str,
    *,
    password: str,
    password_confirmation: str,
    question_1: str,
    answer_1: str,
    question_2: str,
    answer_2: str,
) -> User:
    """Open the account: a password that meets the policy and two secret questions."""
    user = check_activation_link(uidb64, token, lock=True)
    _check_new_password(user, password, password_confirmation)
    _check_secret_questions(question_1, answer_1, question_2, answer_2)
    user.set_password(password)
    user.secret_question_1, user.secret_answer_1 = question_1, make_password(
        normalise_answer(answer_1))
    user.secret_question_2, user.secret_answer_2 = question_2, make_password(
        normalise_answer(answer_2))
    user.is_active = True
    user.activated_at = clock.now()
    user.save()
    audit.record(user, "accounts.activated", user)
    return user


# --- Login ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginStep:
    """What comes after a right password: nothing, a code, or setting a second factor up."""

    user: User
    needs_code: bool = False
    needs_setup: bool = False

    @property
    def complete(self) -> bool:
        return not (self.needs_code or self.needs_setup)


def _release_expired_lock(user: User, now) -> None:
    if user.locked_until is not None and user.locked_until <= now:
        user.locked_until = None
        user.failed_login_count = 0


def _count_login_failure(actor, user: User, now, reason: str, error: type[AccountsError]):
    user.failed_login_count += 1
    if user.failed_login_count >= MAX_LOGIN_FAILURES:
        user.locked_until = now + LOCK_DURATION
        user.save(update_fields=["failed_login_count", "locked_until"])
        audit.record(actor, "accounts.locked_out", user, reason=reason,
                     attempts=user.failed_login_count, until=user.locked_until.isoformat())
        raise LockedOut.until(user.locked_until, user.failed_login_count)
    user.save(update_fields=["failed_login_count", "locked_until"])
    audit.record(actor, "accounts.login_failed", user, reason=reason,
                 attempts=user.failed_login_count)
    raise error()


def _unknown_address_key(email: str) -> str:
    """Where an address without an account has its failures counted (`FailedAttempts`)."""
    return throttle.Key("portal.login", email, MAX_LOGIN_FAILURES).digest


def _count_unknown_address_failure(actor, email: str, now) -> None:
    """A login attempt on an address without an account: answered as a known address's wrong
    password is, lock-out included (its count kept in `FailedAttempts` under a digest of the
    address, never the address itself). Always raises."""
    details = {"reason": "unknown_account"}
    try:
        validate_email(email)
        details["email"] = email  # never what might be a password typed in the wrong box
    except ValidationError:
        pass
    digest = _unknown_address_key(email)
    row = FailedAttempts.objects.select_for_update().filter(key=digest).first()
    if row is not None and row.failures >= MAX_LOGIN_FAILURES:
        # window_start is the start of the lock (see below).
        if row.window_start + LOCK_DURATION > now:
            audit.record(actor, "accounts.login_refused_locked", None, **details)
            raise LockedOut.until(row.window_start + LOCK_DURATION, row.failures)
        row.failures = 0  # the lock has ended, as _release_expired_lock does for an account
    if row is None:
        row = FailedAttempts(key=digest, window_start=now, failures=0)
    row.failures += 1
    if row.failures >= MAX_LOGIN_FAILURES:
        row.window_start = now
        row.save()
        audit.record(actor, "accounts.locked_out", None, attempts=row.failures,
                     until=(now + LOCK_DURATION).isoformat(), **details)
        raise LockedOut.until(now + LOCK_DURATION, row.failures)
    row.save()
    audit.record(actor, "accounts.login_failed", None, **details)
    raise BadCredentials()


def authenticate(actor, email: str, password: str) -> LoginStep:
    """The password step of a login. Raises BadCredentials, LockedOut, NotActivated,
    Deactivated; five wrong passwords in a row lock the address for an hour.

    Nothing in the answers tells an attacker whether an address has an account, nor whether
    a password is right while it cannot be used:
    - the password is always hashed (a dummy hash for an unknown account, or one awaiting
      activation);
    - a wrong password gets BadCredentials, and the fifth in a row LockedOut, whether the
      address is unknown (counted in `FailedAttempts`), awaiting activation, deactivated or
      active;
    - during a lock every attempt, right password or wrong, gets the same LockedOut (the same
      message, until the same time) and changes nothing;
    - an account's state (awaiting activation, deactivated) is told only to whoever gives
      its password outside a lock."""
    now = clock.now()
    email = normalise_email(email)
    user = User.objects.select_for_update().filter(email=email).first()
    password_ok = _check_password_always(user, password)
    if user is None:
        _count_unknown_address_failure(actor, email, now)
    _release_expired_lock(user, now)
    if user.is_locked(now):
        audit.record(actor, "accounts.login_refused_locked", user)
        raise LockedOut.until(user.locked_until, user.failed_login_count or MAX_LOGIN_FAILURES)
    if not password_ok:
        reason = "not_activated" if user.awaiting_activation else "bad_password"
        _count_login_failure(actor, user, now, reason, BadCredentials)
    if user.awaiting_activation:
        raise NotActivated()
    if not user.is_active:
        raise Deactivated()
    user.failed_login_count = 0
    user.locked_until = None
    user.save(update_fields=["failed_login_count", "locked_until"])
    if policy.has_second_factor(user):
        if user.email_otp_enabled_at and not user.totp_enabled_at:
            _issue_login_code(actor, user)
        return LoginStep(user, needs_code=True)
    if policy.requires_second_factor(user):
        return LoginStep(user, needs_setup=True)
    audit.record(user, "accounts.login", user, factor="password")
    return LoginStep(user)


def _otp_digest(user: User, code: str) -> str:
    return salted_hmac("choeur.accounts.login-code", f"{user.pk}:{code}",
                       algorithm="sha256").hexdigest()


def _issue_login_code(actor, user: User) -> bool:
    """E-mail a new code to the login address; False (nothing sent, the pending code kept)
    when the address already received its share of codes (see _throttled)."""
    if _throttled(actor, user.email, "login_code", user):
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    user.email_otp_hash = _otp_digest(user, code)
    user.email_otp_expires_at = clock.untravelled_now() + LOGIN_CODE_VALIDITY
    user.save(update_fields=["email_otp_hash", "email_otp_expires_at"])
    _send(user.email, "Votre code de connexion à Choeur", "login_code",
          user=user, code=code, minutes=int(LOGIN_CODE_VALIDITY.total_seconds() // 60))
    return True


def send_login_code(actor, user: User) -> None:
    """E-mail a new one-time code (6 digits, 10 minutes, single use) to the login address."""
    user = _locked_user(user)
    if not user.email_otp_enabled_at:
        raise LoginCodeUnavailable()
    if _issue_login_code(actor, user):
        audit.record(actor, "accounts.login_code_sent", user)


def _normalise_code(code: str) -> str:
    return "".join(c for c in (code or "") if not c.isspace())


def _match_totp(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step the code belongs to (±30 s of drift), never one already used."""
    if not secret or not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    # An authenticator app counts real time: a qualification instance's travel is not its.
    current = int(clock.untravelled_now().timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if constant_time_compare(totp.at(step * totp.interval), code):
            return step
    return None


def _match_email_code(user: User, code: str) -> str:
    """"ok", "expired" or "wrong"."""
    if not user.email_otp_hash or not constant_time_compare(user.email_otp_hash,
                                                            _otp_digest(user, code)):
        return "wrong"
    if user.email_otp_expires_at is None or user.email_otp_expires_at <= clock.untravelled_now():
        return "expired"
    return "ok"


def verify_login_code(actor, user: User, code: str) -> User:
    """The second step of a login: a code from the authenticator app or the e-mailed one.
    Wrong codes count with wrong passwords towards the lock-out."""
    now = clock.now()
    user = _locked_user(user)
    _release_expired_lock(user, now)
    if user.is_locked(now):
        audit.record(actor, "accounts.login_refused_locked", user)
        raise LockedOut.until(user.locked_until, user.failed_login_count or MAX_LOGIN_FAILURES)
    if not user.is_active:
        raise Deactivated()
    code = _normalise_code(code)
    factor = None
    if user.totp_enabled_at:
        step = _match_totp(user.totp_secret, code, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            factor = "totp"
    if factor is None and user.email_otp_enabled_at:
        outcome = _match_email_code(user, code)
        if outcome == "expired":
            raise LoginCodeExpired()
        if outcome == "ok":
            factor = "email"
    if factor is None:
        _count_login_failure(actor, user, now, "bad_code", LoginCodeWrong)
    user.email_otp_hash = ""  # single use, and any other pending code dies too
    user.email_otp_expires_at = None
    user.failed_login_count = 0
    user.save()
    audit.record(user, "accounts.login", user, factor=factor)
    return user


# --- Second factor set-up ---------------------------------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    uri: str


def start_totp(actor: User) -> TotpSetup:
    """A secret for the authenticator app (kept until confirmed by a first code)."""
    user = _locked_user(actor)
    if user.totp_enabled_at:
        raise TotpAlreadyEnabled()
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.save(update_fields=["totp_secret"])
    actor.totp_secret = user.totp_secret
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email,
                                                        issuer_name=TOTP_ISSUER)
    return TotpSetup(secret=user.totp_secret, uri=uri)


def confirm_totp(actor: User, code: str) -> User:
    user = _locked_user(actor)
    if user.totp_enabled_at:
        raise TotpAlreadyEnabled()
    if not user.totp_secret:
        raise TotpNotStarted()
    step = _match_totp(user.totp_secret, _normalise_code(code), user.totp_last_step)
    if step is None:
        raise SetupCodeWrong()
    user.totp_last_step = step
    user.totp_enabled_at = clock.now()
    user.save(update_fields=["totp_last_step", "totp_enabled_at"])
    audit.record(actor, "accounts.totp_enabled", user)
    _send(user.email, "Second facteur activé sur votre compte Choeur", "second_factor_enabled",
          user=user, factor="application")
    return user


def start_email_codes(actor: User) -> None:
    """Send a first code to the login address; it enables e-mailed codes once typed back."""
    user = _locked_user(actor)
    if _issue_login_code(actor, user):
        audit.record(actor, "accounts.login_code_sent", user, purpose="setup")


def send_mailbox_proof(actor, user: User) -> None:
    """A forced set-up of the second factor, after the password step, starts here: a code
    e-mailed to the login address, so that someone who only has the password cannot enrol
    their own authenticator."""
    user = _locked_user(user)
    if _issue_login_code(actor, user):
        audit.record(actor, "accounts.login_code_sent", user, purpose="mailbox_proof")


def confirm_mailbox(actor, user: User, code: str):
    """Check the code sent by `send_mailbox_proof`; returns the instant of the proof (the
    caller keeps it for `enable_email_codes_after_proof`). Wrong codes count towards the
    lock-out, as wrong login codes do."""
    now = clock.now()
    user = _locked_user(user)
    _release_expired_lock(user, now)
    if user.is_locked(now):
        raise LockedOut.until(user.locked_until, user.failed_login_count or MAX_LOGIN_FAILURES)
    outcome = _match_email_code(user, _normalise_code(code))
    if outcome == "expired":
        raise LoginCodeExpired()
    if outcome != "ok":
        _count_login_failure(actor, user, now, "bad_mailbox_code", LoginCodeWrong)
    user.email_otp_hash = ""
    user.email_otp_expires_at = None
    user.save(update_fields=["email_otp_hash", "email_otp_expires_at"])
    audit.record(actor, "accounts.mailbox_confirmed", user)
    return now


def enable_email_codes_after_proof(actor, user: User, proven_at) -> User:
    """Turn e-mailed codes on for a user who has just typed back a code sent to the login
    address (`confirm_mailbox`, less than MAILBOX_PROOF_VALIDITY ago)."""
    user = _locked_user(user)
    now = clock.now()
    if proven_at is None or not (now - MAILBOX_PROOF_VALIDITY <= proven_at <= now):
        raise MailboxNotProven()
    if not user.email_otp_enabled_at:
        user.email_otp_enabled_at = now
        user.save(update_fields=["email_otp_enabled_at"])
        audit.record(actor, "accounts.email_codes_enabled", user)
        _send(user.email, "Second facteur activé sur votre compte Choeur",
              "second_factor_enabled", user=user, factor="courriel")
    return user


def confirm_email_codes(actor: User, code: str) -> User:
    user = _locked_user(actor)
    outcome = _match_email_code(user, _normalise_code(code))
    if outcome == "expired":
        raise LoginCodeExpired()
    if outcome != "ok":
        raise SetupCodeWrong()
    user.email_otp_hash = ""
    user.email_otp_expires_at = None
    user.email_otp_enabled_at = clock.now()
    user.save(update_fields=["email_otp_hash", "email_otp_expires_at", "email_otp_enabled_at"])
    audit.record(actor, "accounts.email_codes_enabled", user)
    _send(user.email, "Second facteur activé sur votre compte Choeur", "second_factor_enabled",
          user=user, factor="courriel")
    return user


def disable_second_factor(actor: User, *, factor: str, password: str) -> User:
    """Turn off the authenticator app ("totp") or e-mailed codes ("email"). The last factor
    stays when the user's structures require one."""
    if factor not in ("totp", "email"):
        raise SecondFactorUnknown()
    user = _locked_user(actor)
    if not user.check_password(password):
        raise WrongPassword()
    remaining = {"totp": bool(user.totp_enabled_at), "email": bool(user.email_otp_enabled_at)}
    if not remaining[factor]:
        raise SecondFactorNotEnabled()
    remaining[factor] = False
    if not any(remaining.values()) and policy.second_factor_required_by_others(user):
        raise SecondFactorRequired()
    if factor == "totp":
        user.totp_enabled_at = None
        user.totp_secret = ""
        user.totp_last_step = None
    else:
        user.email_otp_enabled_at = None
        user.email_otp_hash = ""
        user.email_otp_expires_at = None
    user.save()
    audit.record(actor, "accounts.second_factor_disabled", user, factor=factor)
    return user


# --- Password recovery ----------------------------------------------------------------------------


def request_password_reset(actor, email: str) -> None:
    """E-mail a recovery link (60 minutes) if the address has an active account. Neutral:
    the caller answers the same whatever happened."""
    user = User.objects.filter(email=normalise_email(email)).first()
    if user is None or not user.is_active:
        return
    if _throttled(actor, user.email, "recovery", user):
        return
    path = reverse("password-reset", kwargs={"uidb64": tokens.encode_uid(user),
                                             "token": tokens.recovery_tokens.make_token(user)})
    _send(user.email, "Réinitialisation de votre mot de passe Choeur", "recovery",
          user=user, link=_absolute(path), minutes=60)
    audit.record(actor, "accounts.password_reset_requested", user)


def check_recovery_link(uidb64: str, token: str, *, lock: bool = False) -> User:
    user = _user_from_link(uidb64, token, tokens.recovery_tokens, RecoveryLinkInvalid,
                           RecoveryLinkExpired, lock=lock)
    if not user.is_active:
        raise RecoveryLinkInvalid()
    return user


def reset_password(
    actor,
    uidb64: str,
    token: str,
    *,
    answer_1: str,
    answer_2: str,
    password: str,
    password_confirmation: str,
) -> User:
    """A new password from the e-mailed link and the answers to the two secret questions.
    Five wrong answers lock the recovery for an hour."""
    now = clock.now()
    user = check_recovery_link(uidb64, token, lock=True)
    if user.recovery_locked_until is not None and user.recovery_locked_until <= now:
        user.recovery_locked_until = None
        user.recovery_failed_count = 0
    if user.is_recovery_locked(now):
        raise RecoveryLocked.until(user.recovery_locked_until)
    if user.has_secret_questions:
        right = all([  # both checked, always: no hint about which one is wrong
            check_password(normalise_answer(answer_1), user.secret_answer_1),
            check_password(normalise_answer(answer_2), user.secret_answer_2),
        ])
        if not right:
            user.recovery_failed_count += 1
            if user.recovery_failed_count >= MAX_RECOVERY_FAILURES:
                user.recovery_locked_until = now + RECOVERY_LOCK_DURATION
                user.save(update_fields=["recovery_failed_count", "recovery_locked_until"])
                audit.record(actor, "accounts.recovery_locked", user,
                             attempts=user.recovery_failed_count)
                raise RecoveryLocked.until(user.recovery_locked_until)
            user.save(update_fields=["recovery_failed_count", "recovery_locked_until"])
            audit.record(actor, "accounts.recovery_failed", user,
                         attempts=user.recovery_failed_count)
            raise SecretAnswersWrong(
                remaining=MAX_RECOVERY_FAILURES - user.recovery_failed_count)
    _check_new_password(user, password, password_confirmation)
    user.set_password(password)
    user.recovery_failed_count = 0
    user.recovery_locked_until = None
    user.failed_login_count = 0  # the owner proved the mailbox and the secrets
    user.locked_until = None
    user.save()
    audit.record(user, "accounts.password_reset", user)
    _send(user.email, "Votre mot de passe Choeur a été changé", "password_changed", user=user)
    return user


# --- Mon compte ----------------------------------------------------------------------------------


def update_profile(actor: User, *, first_name: str, last_name: str, phone: str = "",
                   contact_email: str = "") -> User:
    user = _locked_user(actor)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name or not last_name:
        error = NameRequired()
        error.field = "first_name" if not first_name else "last_name"
        raise error
    phone = _check_phone(phone)
    contact = _valid_email(contact_email, "contact_email") if (contact_email or "").strip() \
        else user.email
    changed = []
    for field, value in (("first_name", first_name[:150]), ("last_name", last_name[:150]),
                         ("phone", phone), ("contact_email", contact)):
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
        audit.record(actor, "accounts.profile_updated", user, fields=changed)
    return user


def change_password(actor: User, *, current_password: str, password: str,
                    password_confirmation: str) -> User:
    user = _locked_user(actor)
    if not user.check_password(current_password):
        audit.record(actor, "accounts.password_change_refused", user)
        raise WrongPassword()
    _check_new_password(user, password, password_confirmation)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, "accounts.password_changed", user)
    _send(user.email, "Votre mot de passe Choeur a été changé", "password_changed", user=user)
    return user


def request_email_change(actor: User, *, new_email: str, password: str) -> User:
    """Send a confirmation link (60 minutes) to the new login address; nothing changes until
    the user opens it while logged in."""
    user = _locked_user(actor)
    new_email = _valid_email(new_email, "new_email")
    if not user.check_password(password):
        raise WrongPassword()
    if new_email == user.email:
        raise EmailUnchanged()
    if User.objects.filter(email=new_email).exists():
        error = EmailAlreadyUsed(email=new_email)
        error.field = "new_email"
        raise error
    user.pending_email = new_email
    user.pending_email_requested_at = clock.now()
    user.save(update_fields=["pending_email", "pending_email_requested_at"])
    path = reverse("account-email-confirm",
                   kwargs={"token": tokens.email_change_tokens.make_token(user)})
    _send(new_email, "Confirmez votre nouvelle adresse de connexion Choeur", "email_change",
          user=user, link=_absolute(path), minutes=60)
    audit.record(actor, "accounts.email_change_requested", user, new_email=new_email)
    return user


def confirm_email_change(actor: User, token: str) -> User:
    user = _locked_user(actor)
    if not user.pending_email:
        raise EmailChangeLinkInvalid()
    status = tokens.email_change_tokens.status(user, token)
    if status == tokens.EXPIRED:
        raise EmailChangeLinkExpired()
    if status != tokens.VALID:
        raise EmailChangeLinkInvalid()
    new_email = user.pending_email
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise EmailAlreadyUsed(email=new_email)
    old_email = user.email
    user.email = new_email
    if user.contact_email == old_email:
        user.contact_email = new_email
    user.pending_email = ""
    user.pending_email_requested_at = None
    user.save()
    audit.record(actor, "accounts.email_changed", user, old_email=old_email,
                 new_email=new_email)
    _send(old_email, "Votre adresse de connexion Choeur a changé", "email_changed_notice",
          user=user, old_email=old_email, new_email=new_email)
    return user


def is_principal_gestionnaire(user: User) -> bool:
    """The user is the (validated) gestionnaire principal of a structure, which would be left
    without one if they went."""
    try:
        from choeur.organisations.models import Rattachement
    except ImportError:
        return False
    return Rattachement.objects.filter(
        user=user, status=Rattachement.Status.VALIDEE,
        role=Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
    ).exists()


def deactivate(actor: User, *, password: str) -> User:
    """The user closes their own access: no login any more (an administrator can reopen it)."""
    user = _locked_user(actor)
    if not user.check_password(password):
        raise WrongPassword()
    if is_principal_gestionnaire(user):
        raise PrincipalMustTransfer()
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(actor, "accounts.deactivated", user)
    return user


# --- Administration -----------------------------------------------------------------------------


def unlock(actor, user: User) -> User:
    """Lift a login or recovery lock-out before its hour is over."""
    user = _locked_user(user)
    user.failed_login_count = 0
    user.locked_until = None
    user.recovery_failed_count = 0
    user.recovery_locked_until = None
    user.save(update_fields=["failed_login_count", "locked_until", "recovery_failed_count",
                             "recovery_locked_until"])
    audit.record(actor, "accounts.unlocked", user)
    return user
