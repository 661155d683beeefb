"""Raccordements: technical accounts and OAuth2 clients of a structure, for the API.

Use cases (gestionnaires manage, the principal alone resets a technical password) and the two
authentication helpers the API layer calls. Secrets are generated here, returned once to be
shown, and stored only as Django password hashes (Argon2).
"""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password

from choeur.core import audit, clock
from choeur.organisations import errors, permissions
from choeur.organisations.models import ApiClient, Structure, TechnicalAccount

# A hash of a random string, checked when the login does not exist, so that an unknown login
# and a wrong password take the same time.
_DUMMY_HASH = make_password(secrets.token_urlsafe(16))


def _new_password() -> str:
    # 24 characters from the URL-safe alphabet, with one of each class the policy asks for.
    return secrets.token_urlsafe(18) + "aZ9!"


def _account(structure: Structure, account_id) -> TechnicalAccount:
    try:
        return structure.technical_accounts.get(pk=int(account_id))
    except (TechnicalAccount.DoesNotExist, TypeError, ValueError):
        raise errors.TechnicalAccountNotFound() from None


def create_technical_account(actor, structure: Structure) -> tuple[TechnicalAccount, str]:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    password = _new_password()
    number = structure.technical_accounts.count() + 1
    login = f"TECH_{structure.identifier}_{number}_{secrets.token_hex(3).upper()}"
    account = TechnicalAccount.objects.create(
        structure=structure, login=login,
        password=make_password(password), created_at=clock.now(),
        password_expires_at=clock.now() + timedelta(days=TechnicalAccount.PASSWORD_LIFETIME_DAYS),
    )
    audit.record(actor, "organisations.technical_account_created", account,
                 structure=structure.pk)
    return account, password


def reset_technical_password(
    actor, structure: Structure, account_id
) -> tuple[TechnicalAccount, str]:
    permissions.require_principal(actor, structure)
    permissions.require_active(structure)
    account = _account(structure, account_id)
    password = _new_password()
    account.password = make_password(password)
    account.password_expires_at = clock.now() + timedelta(
        days=TechnicalAccount.PASSWORD_LIFETIME_DAYS
    )
    account.is_active = True
    account.save(update_fields=["password", "password_expires_at", "is_active"])
    audit.record(actor, "organisations.technical_password_reset", account,
                 structure=structure.pk)
    return account, password


def deactivate_technical_account(actor, structure: Structure, account_id) -> TechnicalAccount:
    permissions.require_gestionnaire(actor, structure)
    account = _account(structure, account_id)
    account.is_active = False
    account.save(update_fields=["is_active"])
    audit.record(actor, "organisations.technical_account_deactivated", account,
                 structure=structure.pk)
    return account


def create_api_client(actor, structure: Structure, label: str) -> tuple[ApiClient, str]:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        structure=structure, label=(label or "").strip()[:100] or "Application",
        client_id=secrets.token_hex(16), secret=make_password(secret), created_at=clock.now(),
    )
    audit.record(actor, "organisations.api_client_created", client, structure=structure.pk)
    return client, secret


def revoke_api_client(actor, structure: Structure, client_id) -> ApiClient:
    permissions.require_gestionnaire(actor, structure)
    try:
        client = structure.api_clients.get(pk=int(client_id))
    except (ApiClient.DoesNotExist, TypeError, ValueError):
        raise errors.ApiClientNotFound() from None
    client.is_active = False
    client.save(update_fields=["is_active"])
    audit.record(actor, "organisations.api_client_revoked", client, structure=structure.pk)
    return client


# --- For the API layer ---------------------------------------------------------------------------


def authenticate_technical_account(login: str, password: str) -> TechnicalAccount | None:
    """The active, unexpired technical account of an active structure with these credentials."""
    account = (
        TechnicalAccount.objects.select_related("structure")
        .filter(login__iexact=(login or "").strip(), is_active=True, structure__is_active=True)
        .first()
    )
    if account is None:
        check_password(password or "", _DUMMY_HASH)
        return None
    if not check_password(password or "", account.password) or account.is_expired:
        return None
    return account


def authenticate_api_client(client_id: str, secret: str) -> ApiClient | None:
    client = ApiClient.objects.filter(
        client_id=(client_id or "").strip(), is_active=True, structure__is_active=True
    ).first()
    if client is None:
        check_password(secret or "", _DUMMY_HASH)
        return None
    return client if check_password(secret or "", client.secret) else None


#: How stale `last_used_at` may get before an API call writes it again: at most one small
#: write a minute per account or client, not one per request.
LAST_USE_PRECISION = timedelta(seconds=60)


def record_technical_account_use(account: TechnicalAccount) -> None:
    """Note that the technical account was used with a valid bearer token (its own
    autocommitted UPDATE, at most once a minute: not part of any use case)."""
    now = clock.now()
    if account.last_used_at is None or account.last_used_at <= now - LAST_USE_PRECISION:
        TechnicalAccount.objects.filter(pk=account.pk).update(last_used_at=now)
        account.last_used_at = now


def record_api_client_use(client: ApiClient) -> None:
    """Note that the OAuth2 client obtained a token (at most one write a minute)."""
    now = clock.now()
    if client.last_used_at is None or client.last_used_at <= now - LAST_USE_PRECISION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


#: How long a successful technical-account check is remembered (see below).
VERIFIED_FOR = 300


def authenticate_api_caller(login: str, password: str, client_id: int | None,
                            ) -> tuple[TechnicalAccount | None, bool]:
    """`authenticate_technical_account` for the API, which is asked on every call, and the
    state of the OAuth2 client its bearer token names (`client_id`, None: no token):
    (the account or None, whether that client is active in an active structure).

    Argon2 costs tens of milliseconds by design, too much to pay on each of thousands of API
    calls with the same credentials. A successful check is remembered in Django's cache for
    `VERIFIED_FOR` seconds under an HMAC of (account, stored hash, password) keyed with
    SECRET_KEY: the cache never holds the password, and a password reset changes the stored
    hash, hence the key, so an old password is never accepted again. Activity, expiry, the
    structure's state and the client's are read from the database on every call, in one
    statement (`_read_caller`). A shared cache (when one is configured) only saves work; a
    per-process one changes nothing to correctness. An invalid client is answered before any
    password is hashed.
    """
    import hashlib
    import hmac

    from django.conf import settings
    from django.core.cache import cache

    account, client_valid = _read_caller(login, client_id)
    if not client_valid:
        return None, False
    if account is None:
        check_password(password or "", _DUMMY_HASH)  # the time a wrong password takes
        return None, True
    if account.is_expired:
        check_password(password or "", account.password)  # the same time again
        return None, True
    key = "choeur.api.tech." + hmac.new(
        settings.SECRET_KEY.encode(),
        f"{account.pk}\0{account.password}\0{password or ''}".encode(),
        hashlib.sha256,
    ).hexdigest()
    if cache.get(key):
        return account, True
    if not check_password(password or "", account.password):
        return None, True
    cache.set(key, True, VERIFIED_FOR)
    return account, True


def _read_caller(login: str, client_id: int | None) -> tuple[TechnicalAccount | None, bool]:
    """The active technical account of an active structure with this login (its structure
    loaded, with the structure's open espaces) or None, and whether the client `client_id`
    (if any) is active in an active structure.

    One hand-written statement (portable SQL, Django's converters applied to its row) instead
    of three ORM queries: building them cost ~5 ms of Python on every API call, more than a
    search's own SQL; this costs ~1 ms. It always returns one row, so an unknown login costs
    the same reads as a wrong password."""
    from django.db import connection
    from django.db.models.sql import Query

    sql, fields = _caller_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [client_id, (login or "").strip()])
        rows = cursor.fetchall()
    compiler = Query(TechnicalAccount).get_compiler(connection=connection)
    columns = [field.get_col(field.model._meta.db_table) for field in fields]
    row = next(iter(compiler.apply_converters(rows, compiler.get_converters(columns))))
    own = len(TechnicalAccount._meta.concrete_fields)
    client_valid, espaces = row[len(fields):]
    client_valid = client_id is None or bool(client_valid)
    if row[0] is None or row[own] is None:  # no such account, or not in an active structure
        return None, client_valid
    account = TechnicalAccount.from_db(connection.alias, None, row[:own])
    structure = Structure.from_db(connection.alias, None, row[own:len(fields)])
    account.structure = structure
    permissions.remember_open_espaces(structure, (espaces or "").split(","))
    return account, client_valid


@functools.cache
def _caller_statement(vendor: str) -> tuple[str, list]:
    """_read_caller's SQL for a database vendor, and the model fields of its columns."""
    from django.db import connection

    from choeur.organisations.models import OpenEspace

    q = connection.ops.quote_name
    fields = [*TechnicalAccount._meta.concrete_fields, *Structure._meta.concrete_fields]
    columns = ", ".join(
        f"{'t' if field.model is TechnicalAccount else 's'}.{q(field.column)}"
        for field in fields)
    aggregate = "STRING_AGG" if vendor == "postgresql" else "GROUP_CONCAT"
    account, structure = q(TechnicalAccount._meta.db_table), q(Structure._meta.db_table)
    client, open_espace = q(ApiClient._meta.db_table), q(OpenEspace._meta.db_table)
    # Names come from the models' metadata, values are bound parameters.
    sql = (
        f"SELECT {columns}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {client} c JOIN {structure} cs ON cs.id = c.structure_id "
        f"WHERE c.id = %s AND c.is_active AND cs.is_active), "
        f"(SELECT {aggregate}(o.espace, ',') FROM {open_espace} o WHERE o.structure_id = s.id) "
        f"FROM (SELECT 1 AS one) k "
        f"LEFT JOIN {account} t ON UPPER(t.login) = UPPER(%s) AND t.is_active "
        f"LEFT JOIN {structure} s ON s.id = t.structure_id AND s.is_active "
        f"ORDER BY s.id IS NULL, t.id LIMIT 1")
    return sql, fields
