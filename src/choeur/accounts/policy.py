"""Whether a user must pass a second factor at login.

The organisations feature may require one for some users (e.g. gestionnaires of a structure)
by defining `choeur.organisations.policy.second_factor_required_by_structure(user) -> bool`;
it is looked up lazily so that this module works before and without it.
"""

from __future__ import annotations


def has_second_factor(user) -> bool:
    """The user enabled an authenticator app or e-mailed codes."""
    return bool(user.totp_enabled_at or user.email_otp_enabled_at)


def second_factor_required_by_others(user) -> bool:
    try:
        from choeur.organisations.policy import second_factor_required_by_structure
    except ImportError:
        return False
    return bool(second_factor_required_by_structure(user))


def requires_second_factor(user) -> bool:
    """True if the user enabled a second factor, or their structures require one."""
    return has_second_factor(user) or second_factor_required_by_others(user)
