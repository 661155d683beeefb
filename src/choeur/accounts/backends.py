"""The authentication backend: Django's, with Choeur's lock-out and second factor.

The portal's login view calls `services.authenticate()` itself (two steps when a second
factor is on). This backend covers every other password form, the admin's in particular:
the same lock-out counts, and an account that needs a second factor is refused there (its
owner logs in through the portal, then opens the admin).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import transaction

from choeur.accounts import services


class AccountsBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if username is None or password is None:
            return None
        actor = getattr(request, "user", None) if request is not None else None
        with transaction.atomic():  # this is an entry point: the failure count is committed
            try:
                step = services.authenticate(actor, username, password)
            except services.AccountsError:
                return None
        if not step.complete:
            return None
        return step.user
