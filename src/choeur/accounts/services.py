"""Use cases of the accounts feature (the portal, the CLI and the tests call these)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from choeur.accounts.models import User
from choeur.core import audit
from choeur.core.errors import ChoeurError


class InvalidAdminEmail(ChoeurError):
    code = "ACCOUNTS_INVALID_EMAIL"
    message_fr = "L'adresse électronique « {email} » n'est pas valide."
    message_en = "The e-mail address “{email}” is not valid."


class WeakPassword(ChoeurError):
    code = "ACCOUNTS_WEAK_PASSWORD"
    message_fr = "Mot de passe refusé : {reasons}"
    message_en = "Password refused: {reasons}"


class EmailAlreadyUsed(ChoeurError):
    code = "ACCOUNTS_EMAIL_ALREADY_USED"
    http_status = 409
    message_fr = "Un compte existe déjà pour l'adresse {email}."
    message_en = "An account already exists for {email}."


@dataclass(frozen=True)
class AdminCreation:
    user: User | None
    generated_password: str | None  # only when Choeur chose it: shown once, never stored
    created: bool


def create_first_admin(actor, email: str, password: str | None = None) -> AdminCreation:
    """Create the platform administrator unless one exists already (idempotent for `make run`)."""
    if User.objects.filter(is_superuser=True).exists():
        return AdminCreation(user=None, generated_password=None, created=False)
    return create_admin(actor, email, password)


def create_admin(actor, email: str, password: str | None = None) -> AdminCreation:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidAdminEmail(email=email) from None
    if User.objects.filter(email=email).exists():
        raise EmailAlreadyUsed(email=email)
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(15)
    candidate = User(email=email)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise WeakPassword(reasons=" ".join(str(m) for m in exc.messages)) from None
    user = User.objects.create_superuser(email=email, password=password)
    audit.record(actor, "accounts.admin_created", user)
    return AdminCreation(user=user, generated_password=generated, created=True)
