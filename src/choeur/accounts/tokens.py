"""One-time links: activation, password recovery, login e-mail change.

Each is Django's password-reset token (an HMAC of the user's state and a timestamp, nothing
stored) with its own salt, a 60-minute life and Choeur's clock, so tests and qualification
can travel in time. A link dies when the state it hashes changes: the activation link once
the account is active, the recovery link once the password changed or the user logged in,
the e-mail link once the address changed.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from choeur.core import clock

VALID = "valid"
EXPIRED = "expired"
INVALID = "invalid"


class _ClockTokenGenerator(PasswordResetTokenGenerator):
    timeout_seconds = 3600

    def _now(self):
        # Django compares with a naive datetime(2001, 1, 1): give it naive UTC. A link's hour
        # is real time: a qualification instance moving its date must not void it.
        return clock.untravelled_now().astimezone(UTC).replace(tzinfo=None)

    def check_token(self, user, token):
        return self.status(user, token) == VALID

    def status(self, user, token) -> str:
        """VALID, EXPIRED (authentic but too old) or INVALID (forged, used, malformed)."""
        if not (user and token) or not isinstance(token, str):
            return INVALID
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return INVALID
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return INVALID
        age = self._num_seconds(self._now()) - ts
        if age > self.timeout_seconds or age < -60:
            return EXPIRED
        return VALID


class ActivationTokenGenerator(_ClockTokenGenerator):
    key_salt = "choeur.accounts.tokens.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        activated = "" if user.activated_at is None else user.activated_at.isoformat()
        return f"{user.pk}{user.password}{user.is_active}{activated}{user.email}{timestamp}"


class RecoveryTokenGenerator(_ClockTokenGenerator):
    key_salt = "choeur.accounts.tokens.RecoveryTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # Like Django's own: a login after the link was sent kills it too.
        login = (
            "" if user.last_login is None
            else user.last_login.replace(microsecond=0, tzinfo=None).isoformat()
        )
        return f"{user.pk}{user.password}{user.is_active}{user.email}{login}{timestamp}"


class EmailChangeTokenGenerator(_ClockTokenGenerator):
    key_salt = "choeur.accounts.tokens.EmailChangeTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        requested = (
            "" if user.pending_email_requested_at is None
            else user.pending_email_requested_at.isoformat()
        )
        return f"{user.pk}{user.email}{user.pending_email}{requested}{timestamp}"


activation_tokens = ActivationTokenGenerator()
recovery_tokens = RecoveryTokenGenerator()
email_change_tokens = EmailChangeTokenGenerator()


def encode_uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def decode_uid(uidb64: str) -> int | None:
    try:
        value = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return value if value > 0 else None


__all__ = [
    "EXPIRED", "INVALID", "VALID", "activation_tokens", "decode_uid", "email_change_tokens",
    "encode_uid", "recovery_tokens",
]
