"""Who may see and do what (house rule 5). Features add their rules here or in their own
`permissions.py` that this module's helpers build on; views never test roles themselves."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def is_platform_admin(user) -> bool:
    """The administrators of the platform itself (not of a structure)."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def require(predicate):
    """View decorator: anonymous visitors go to the login page; a logged-in user who fails
    `predicate` gets 403 (redirecting them to the login page would loop)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


platform_admin_required = require(is_platform_admin)
