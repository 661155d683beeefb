"""Raccordements: technical accounts and OAuth2 clients of a structure, for the API.

Use cases (gestionnaires manage, the principal alone resets a technical password) and the
authentication helpers the API layer calls. Secrets are generated here, returned once to be
shown, and stored only hashed (`credentials`: HMAC-SHA256 under a salt — they are random, not
chosen by a person).
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.dateparse import parse_datetime

from choeur.accounts import throttle
from choeur.core import audit, clock
from choeur.organisations import errors, permissions
from choeur.organisations.credentials import DUMMY_HASH, check_secret, hash_secret, needs_upgrade
from choeur.organisations.models import ApiClient, Structure, TechnicalAccount

logger = logging.getLogger(__name__)


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
        password=hash_secret(password), created_at=clock.now(),
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
    account.password = hash_secret(password)
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


def set_lenient_bearer(actor, structure: Structure, account_id, enabled: bool
                       ) -> TechnicalAccount:
    """Turn on or off, for one technical account, the tolerance of calls without a bearer
    token (`api.auth`). Qualification only: in production every call carries its token."""
    permissions.require_gestionnaire(actor, structure)
    account = _account(structure, account_id)
    enabled = bool(enabled)
    if enabled and not lenient_bearer_allowed():
        raise errors.LenientBearerQualificationOnly()
    if account.lenient_bearer != enabled:
        account.lenient_bearer = enabled
        account.save(update_fields=["lenient_bearer"])
        kind = ("organisations.technical_account_lenient_bearer_on" if enabled else
                "organisations.technical_account_lenient_bearer_off")
        audit.record(actor, kind, account, structure=structure.pk)
    return account


def lenient_bearer_allowed() -> bool:
    return settings.CHOEUR_ENVIRONMENT == "qualification"


def create_api_client(actor, structure: Structure, label: str) -> tuple[ApiClient, str]:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        structure=structure, label=(label or "").strip()[:100] or "Application",
        client_id=secrets.token_hex(16), secret=hash_secret(secret), created_at=clock.now(),
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
        check_secret(password, DUMMY_HASH)  # an unknown login takes a wrong password's time
        return None
    if not _check_and_upgrade(account, "password", password) or account.is_expired:
        return None
    return account


def authenticate_api_client(client_id: str, secret: str) -> ApiClient | None:
    client = ApiClient.objects.filter(
        client_id=(client_id or "").strip(), is_active=True, structure__is_active=True
    ).first()
    if client is None:
        check_secret(secret, DUMMY_HASH)
        return None
    return client if _check_and_upgrade(client, "secret", secret) else None


def _check_and_upgrade(row: TechnicalAccount | ApiClient, field: str, secret: str) -> bool:
    """Check a secret; one stored in an older, slow scheme (Argon2) is rewritten in the
    platform's scheme the first time it matches (its own UPDATE: not part of a use case)."""
    encoded = getattr(row, field)
    if not check_secret(secret, encoded):
        return False
    if needs_upgrade(encoded):
        upgraded = hash_secret(secret)
        type(row).objects.filter(pk=row.pk, **{field: encoded}).update(**{field: upgraded})
        setattr(row, field, upgraded)
    return True


#: How stale `last_used_at` may get before an API call writes it again: at most one small
#: write a minute per account or client, not one per request.
LAST_USE_PRECISION = timedelta(seconds=60)


def record_technical_account_use(account: TechnicalAccount, client_id: int) -> None:
    """Note that the technical account was used with a valid bearer token of client
    `client_id` (its own autocommitted UPDATE, at most once a minute or when the client
    changes: not part of any use case)."""
    now = clock.now()
    if (account.last_used_at is None or account.last_used_at <= now - LAST_USE_PRECISION
            or account.last_bearer_client_id != client_id):
        TechnicalAccount.objects.filter(pk=account.pk).update(
            last_used_at=now, last_bearer_client_id=client_id)
        account.last_used_at, account.last_bearer_client_id = now, client_id


def lenient_window_client(login: str, lifetime: timedelta) -> int | None:
    """For a call without a bearer: the OAuth2 client of this technical account's last call
    with a bearer, when the account opted in to the tolerance (qualification only) and that
    call is less than a token's lifetime old; None otherwise. Read before any password is
    checked; the client's being active is checked with the account (`authenticate_api_caller`),
    so revoking it, or deactivating the account, closes the window."""
    if not lenient_bearer_allowed():
        return None
    return (TechnicalAccount.objects
            .filter(login__iexact=(login or "").strip(), lenient_bearer=True, is_active=True,
                    last_used_at__gt=clock.now() - lifetime,
                    last_bearer_client__isnull=False)
            .values_list("last_bearer_client_id", flat=True).first())


def record_api_client_use(client: ApiClient) -> None:
    """Note that the OAuth2 client obtained a token (at most one write a minute)."""
    now = clock.now()
    if client.last_used_at is None or client.last_used_at <= now - LAST_USE_PRECISION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


@dataclass
class Caller:
    """What `authenticate_api_caller` found: the account (None: refused), whether the
    bearer's client is valid, and until when the throttle refuses this caller (None: not)."""

    account: TechnicalAccount | None
    client_valid: bool = True
    throttled_until: datetime | None = None


def authenticate_api_caller(login: str, password: str, client_id: int | None,
                            throttle_keys: tuple[throttle.Key, ...] = ()) -> Caller:
    """`authenticate_technical_account` for the API, which is asked on every call, with the
    state of the OAuth2 client its bearer token names (`client_id`, None: no token) and of
    the throttle's keys (the login, the address).

    Activity, expiry, the structure's state, the client's and the throttle are read from the
    database on every call, in one statement (`_read_caller`); the password check is a keyed
    SHA-256 (microseconds). An invalid client, then a throttled caller, are answered before
    any password is checked; an unknown login, a wrong password and an expired account cost
    the same work and count as one failure under each throttle key."""
    caller = _read_caller(login, client_id, throttle_keys)
    if not caller.client_valid or caller.throttled_until is not None:
        caller.account = None
        return caller
    account = caller.account
    if account is None:
        check_secret(password, DUMMY_HASH)  # the time a wrong password takes
    elif account.is_expired:
        check_secret(password, account.password)  # the same time again
        account = None
    elif not _check_and_upgrade(account, "password", password):
        account = None
    if account is None:
        throttle.fail(*throttle_keys)
    caller.account = account
    return caller


def _read_caller(login: str, client_id: int | None,
                 throttle_keys: tuple[throttle.Key, ...]) -> Caller:
    """The active technical account of an active structure with this login (its structure
    loaded, with the structure's open espaces) or None, whether the client `client_id` (if
    any) is active in an active structure, and whether a throttle key is at its limit.

    One hand-written statement (portable SQL, Django's converters applied to its row) instead
    of four ORM queries: building them cost ~5 ms of Python on every API call, more than a
    search's own SQL; this costs ~1 ms. It always returns one row, so an unknown login costs
    the same reads as a wrong password."""
    from django.db import connection
    from django.db.models.sql import Query

    sql, fields = _caller_statement(connection.vendor, len(throttle_keys))
    since = clock.now() - throttle.WINDOW
    params = [client_id,
              connection.ops.adapt_datetimefield_value(since),
              *(value for key in throttle_keys for value in (key.digest, key.limit)),
              (login or "").strip()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    compiler = Query(TechnicalAccount).get_compiler(connection=connection)
    columns = [field.get_col(field.model._meta.db_table) for field in fields]
    row = next(iter(compiler.apply_converters(rows, compiler.get_converters(columns))))
    own = len(TechnicalAccount._meta.concrete_fields)
    client_valid, espaces, blocked_since = row[len(fields):]
    caller = Caller(None, client_id is None or bool(client_valid))
    if blocked_since is not None:
        caller.throttled_until = _as_datetime(blocked_since) + throttle.WINDOW
    if row[0] is None or row[own] is None:  # no such account, or not in an active structure
        return caller
    account = TechnicalAccount.from_db(connection.alias, None, row[:own])
    structure = Structure.from_db(connection.alias, None, row[own:len(fields)])
    account.structure = structure
    permissions.remember_open_espaces(structure, (espaces or "").split(","))
    caller.account = account
    return caller


def _as_datetime(value) -> datetime:
    """A timestamp read by hand: SQLite gives the stored text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@functools.cache
def _caller_statement(vendor: str, keys: int) -> tuple[str, list]:
    """_read_caller's SQL for a database vendor and a number of throttle keys, and the model
    fields of its columns."""
    from django.db import connection

    from choeur.accounts.models import FailedAttempts
    from choeur.organisations.models import OpenEspace

    q = connection.ops.quote_name
    fields = [*TechnicalAccount._meta.concrete_fields, *Structure._meta.concrete_fields]
    columns = ", ".join(
        f"{'t' if field.model is TechnicalAccount else 's'}.{q(field.column)}"
        for field in fields)
    aggregate = "STRING_AGG" if vendor == "postgresql" else "GROUP_CONCAT"
    account, structure = q(TechnicalAccount._meta.db_table), q(Structure._meta.db_table)
    client, open_espace = q(ApiClient._meta.db_table), q(OpenEspace._meta.db_table)
    failed = q(FailedAttempts._meta.db_table)
    # The start of the latest window in which a key reached its limit (NULL: none did).
    at_limit = " OR ".join([f"(f.{q('key')} = %s AND f.failures >= %s)"] * keys) or "1 = 0"
    # Names come from the models' metadata, values are bound parameters.
    sql = (
        f"SELECT {columns}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {client} c JOIN {structure} cs ON cs.id = c.structure_id "
        f"WHERE c.id = %s AND c.is_active AND cs.is_active), "
        f"(SELECT {aggregate}(o.espace, ',') FROM {open_espace} o WHERE o.structure_id = s.id), "
        f"(SELECT MAX(f.window_start) FROM {failed} f WHERE f.window_start > %s "
        f"AND ({at_limit})) "
        f"FROM (SELECT 1 AS one) k "
        f"LEFT JOIN {account} t ON UPPER(t.login) = UPPER(%s) AND t.is_active "
        f"LEFT JOIN {structure} s ON s.id = t.structure_id AND s.is_active "
        f"ORDER BY s.id IS NULL, t.id LIMIT 1")
    return sql, fields
