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


# Set in the session at login: True when the login passed a second-factor code (or set one
# up), False when the password was enough. A user who must have a second factor and whose
# session lacks it (e.g. logged in before their structure required one) is sent to the code
# or set-up page by `choeur.accounts.middleware.SecondFactorMiddleware`.
SESSION_KEY = "choeur_2fa_verified"


def session_verified(request) -> bool:
    return request.session.get(SESSION_KEY) is True


def needs_step_up(request) -> bool:
    """A logged-in user who must pass a second factor that this session never passed."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or session_verified(request):
        return False
    return requires_second_factor(user)
