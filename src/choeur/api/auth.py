"""Authentication of the wire API (reference §2, §7.2, §7.3).

1. `POST /api/oauth/token`: OAuth2 client credentials of an `ApiClient` (form body, or HTTP
   Basic) → `{"access_token", "token_type": "Bearer", "expires_in": 3600, "scope": "openid"}`.
2. Every `/cpro/...` call: `Authorization: Bearer <token>` and `cpro-account:
   base64(login:password)` of a technical account, which is the actor: it acts for its own
   structure only (organisations.permissions, "technical accounts").

Tokens are *signed*, not stored: the token is the client's id and an expiry instant, signed
with Django's signing (HMAC-SHA256 of SECRET_KEY, its own salt). Nothing is written per token,
so any web process on any machine checks any token without a shared table, and nothing in the
database can leak a usable token. Revocation still works: the client is read on every call and
a revoked (inactive) client's tokens are refused at once; a token otherwise lives 3600 s, read
from the clock service. Rotating SECRET_KEY invalidates every token.

Failed authentications are throttled (`choeur.accounts.throttle`): per OAuth2 client id and
address at the token endpoint, per technical login and address on every call. Past the limit
the caller gets 429 with `Retry-After`, before any secret is checked, right or wrong.

The missing-bearer quirk (§5, §7.3): an old Go client sends `Authorization` only on the call
right after it fetched a token. Chorus Pro's gateway answers such a call 401, and so does
Choeur. A technical account may opt in to tolerating it in the qualification environment
only (`TechnicalAccount.lenient_bearer`, shown and set on the structure's Raccordements
page): a call without a bearer is then accepted for a token's lifetime after a call with a
valid bearer, while the client of that bearer stays active; each such call is logged at
WARNING.

In qualification, a technical account may also ask for injected faults (401 or 403 with an
empty body, 429 with `Retry-After`, slow answers: `api.faults`, set on the structure's
Raccordements page); they apply once the caller is known. Production asks nothing for them.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta
from urllib.parse import unquote

from django.core import signing
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

from choeur.accounts import throttle
from choeur.api import faults
from choeur.api.errors import BodyTooLarge, Throttled, Unauthorized
from choeur.core import clock
from choeur.organisations import raccordements
from choeur.organisations.models import ApiClient, TechnicalAccount

logger = logging.getLogger(__name__)

TOKEN_LIFETIME = 3600
SCOPE = "openid"
_SALT = "choeur.api.oauth.token"

BAD_ACCOUNT = dict(
    error="Unauthorized", description="login or password incorrects",
    reason_fr="identifiant ou mot de passe du compte technique (cpro-account) incorrect",
    reason_en="technical account (cpro-account) login or password incorrect",
)
NO_TOKEN = dict(
    error="invalid_token", description="access token missing",
    reason_fr="jeton d'accès absent (en-tête Authorization: Bearer)",
    reason_en="access token missing (Authorization: Bearer header)",
)
BAD_TOKEN = dict(
    error="invalid_token", description="access token invalid or expired",
    reason_fr="jeton d'accès invalide ou expiré", reason_en="access token invalid or expired",
)


# --- Tokens ---------------------------------------------------------------------------------------


def issue_token(client: ApiClient) -> str:
    # Measured without a qualification instance's travel: moving its date does not end the
    # connected clients' tokens.
    expires = int((clock.untravelled_now() + timedelta(seconds=TOKEN_LIFETIME)).timestamp())
    return signing.dumps({"c": client.pk, "x": expires}, salt=_SALT)


def token_client_id(token: str) -> int | None:
    """The id of the client a token was issued to, when its signature is good and it has not
    expired (whether that client is still active is read with the technical account:
    raccordements.authenticate_api_caller)."""
    try:
        payload = signing.loads(token, salt=_SALT)
        client_id, expires = int(payload["c"]), int(payload["x"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if expires <= clock.untravelled_now().timestamp():
        return None
    return client_id


def _client_is_active(client_id: int) -> bool:
    return ApiClient.objects.filter(pk=client_id, is_active=True,
                                    structure__is_active=True).exists()


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before encoding.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def token_endpoint(request: HttpRequest) -> JsonResponse:
    """The OAuth2 token endpoint: `grant_type=client_credentials` only."""
    try:
        form = request.POST
    except MultiPartParserError:
        # A multipart body Django cannot read (no boundary, a broken part): RFC 6749's
        # token request is form-urlencoded; say so instead of failing (was a 500).
        return _oauth_error("invalid_request",
                            "unreadable body: send application/x-www-form-urlencoded")
    grant_type = (form.get("grant_type") or "").strip()
    if grant_type != "client_credentials":
        if not grant_type:
            return _oauth_error("invalid_request", "grant_type is required")
        return _oauth_error("unsupported_grant_type",
                            "only grant_type=client_credentials is supported")
    credentials = _basic_credentials(request)
    if credentials is None:
        credentials = (form.get("client_id") or "", form.get("client_secret") or "")
    client_id, secret = credentials
    if not client_id or not secret:
        return _oauth_error("invalid_request", "client_id and client_secret are required")
    keys = (throttle.client_key(client_id),
            throttle.address_key(throttle.client_address(request)))
    try:
        throttle.check(*keys)
    except throttle.TooManyAttempts as exc:
        response = _oauth_error("too_many_requests", "too many failed attempts, retry later",
                                status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    client = raccordements.authenticate_api_client(client_id, secret)
    if client is None:
        throttle.fail(*keys)
        return _oauth_error("invalid_client", "Bad client credentials")
    scope = (form.get("scope") or SCOPE).strip()
    if any(part not in (SCOPE, "profile") for part in scope.split()):
        return _oauth_error("invalid_scope", "the only scope is openid")
    raccordements.record_api_client_use(client)
    response = JsonResponse({"access_token": issue_token(client), "token_type": "Bearer",
                             "expires_in": TOKEN_LIFETIME, "scope": SCOPE})
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


# --- Calls --------------------------------------------------------------------------------------


def _technical_credentials(request: HttpRequest) -> tuple[str, str] | None:
    value = request.headers.get("cpro-account", "").strip()
    if value.startswith(("b'", 'b"')) and value.endswith(("'", '"')):
        value = value[2:-1]  # a client that sent the bytes' repr
    if not value:
        return None
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        login, sep, password = decoded.decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (login, password) if sep and login else None


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


class CproAuth:
    """Ninja authentication of every `/cpro/...` operation; the actor is the technical
    account. Failures raise `Unauthorized` (401 with `WWW-Authenticate`) or `Throttled`."""

    def __call__(self, request: HttpRequest) -> TechnicalAccount:
        account = self.authenticate(request)
        if request.method == "POST" and not request.body.strip():
            # Clients send `{}` to a parameterless operation (§1.2); one that sends nothing
            # gets the same answer. (Ninja reads the body after authentication.)
            request._body = b"{}"
        return account

    def authenticate(self, request: HttpRequest) -> TechnicalAccount:
        """The headers alone: nothing of the body is read before the caller is known."""
        token = _bearer(request)
        client_id = None if token is None else token_client_id(token)
        if token is not None and client_id is None:
            raise Unauthorized(**BAD_TOKEN)
        credentials = _technical_credentials(request)
        if credentials is None:
            if client_id is not None and not _client_is_active(client_id):
                raise Unauthorized(**BAD_TOKEN)
            raise Unauthorized(**BAD_ACCOUNT)
        login, password = credentials
        lenient = token is None
        if lenient:
            # Decided before any password is checked: a caller without a token cannot make
            # the server check passwords, nor learn anything of them.
            client_id = raccordements.lenient_window_client(
                login, timedelta(seconds=TOKEN_LIFETIME))
            if client_id is None:
                raise Unauthorized(**NO_TOKEN)
        keys = (throttle.login_key(login), throttle.address_key(throttle.client_address(request)))
        # The token's client and the throttle are read with the account (the client's refusal
        # comes first, then the throttle's, before any password is checked).
        caller = raccordements.authenticate_api_caller(login, password, client_id, keys)
        if not caller.client_valid:
            raise Unauthorized(**BAD_TOKEN)
        if caller.throttled_until is not None:
            raise Throttled.until(caller.throttled_until)
        if caller.account is None:
            raise Unauthorized(**BAD_ACCOUNT)
        account = caller.account
        if lenient:
            logger.warning("API call without a bearer token accepted for technical account %s "
                           "(lenient_bearer, qualification): %s %s",
                           account.login, request.method, request.path)
        else:
            raccordements.record_technical_account_use(account, client_id)
        faults.apply(request, account)  # qualification's injected faults; nothing in production
        return account


def bounded_auth(max_body: int):
    """The authentication of an operation that takes a large body (a flux, an invoice PDF in
    base64): the caller is checked from the headers first, then the body is read up to
    `max_body` (Django's global bound stays for every other request)."""

    def auth(request: HttpRequest) -> TechnicalAccount:
        account = cpro_auth.authenticate(request)
        if not hasattr(request, "_body"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_body:
                raise BodyTooLarge()
            data = request.read(max_body + 1)
            if len(data) > max_body:
                raise BodyTooLarge()
            request._body = data
        if not request.body.strip():
            request._body = b"{}"
        return account

    return auth


cpro_auth = CproAuth()
