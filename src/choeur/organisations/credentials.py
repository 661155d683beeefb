"""Hashing of the secrets the platform generates: OAuth2 client secrets and technical-account
passwords.

A person's password is guessable, so it gets a slow hash (Argon2, the accounts feature). A
secret drawn by the platform has at least 144 random bits (`secrets.token_urlsafe`): no
dictionary holds it and no amount of hashing speed makes it guessable, so a slow hash only
costs the server — tens of milliseconds per API call, and a way for anyone sending wrong
secrets to load the CPU. These get what API-key systems use: HMAC-SHA256 under a random salt
of their own, compared in constant time (microseconds).

The salt is the HMAC key, not SECRET_KEY: rotating Django's secret key must not lock every
client and technical account out.

Rows hashed before this scheme (Argon2, or any hasher Django knows) are still checked with
Django's `check_password`, and rewritten in this scheme when they match (`needs_upgrade`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.hashers import check_password

ALGORITHM = "choeur_hmac_sha256"
_PREFIX = ALGORITHM + "$"


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(16)
    return f"{ALGORITHM}${salt}${_digest(salt, secret)}"


def _digest(salt: str, secret: str) -> str:
    return hmac.new(salt.encode(), (secret or "").encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()


def check_secret(secret: str, encoded: str) -> bool:
    if encoded.startswith(_PREFIX):
        try:
            _, salt, digest = encoded.split("$", 2)
        except ValueError:
            return False
        return hmac.compare_digest(_digest(salt, secret), digest)
    return check_password(secret or "", encoded)


def needs_upgrade(encoded: str) -> bool:
    return not encoded.startswith(_PREFIX)


#: Checked when a login or client id does not exist: the same work as a real check.
DUMMY_HASH = hash_secret(secrets.token_urlsafe(32))
