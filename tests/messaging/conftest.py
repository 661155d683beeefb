"""Fixtures of the notification tests: a few users, a way to read who got what."""

from __future__ import annotations

import pytest

from choeur.core.models import OutgoingEmail
from choeur.messaging.models import Notification
from tests.conftest import PASSWORD
from tests.qualification.conftest import admin, qualification  # noqa: F401  (the instance in qualification, its administrator)

INVOICE = {"number": "F-2026-001", "supplier": "ACME Fournitures", "amount": "1200.00"}
ENGAGEMENT = {"buyer": "Commune de Testville", "number": "EJ-42", "amount": "500.00"}


@pytest.fixture
def make_user(db, django_user_model):
    def make(email: str, **extra):
        return django_user_model.objects.create_user(
            email, PASSWORD, **{"first_name": "Prénom", **extra})
    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice@example.fr")


@pytest.fixture
def bob(make_user):
    return make_user("bob@example.fr")


def rows(user, kind=None) -> list[str]:
    found = Notification.objects.filter(user=user)
    if kind:
        found = found.filter(kind=kind)
    return list(found.values_list("kind", flat=True))


def mails_to(user) -> list[OutgoingEmail]:
    return [m for m in OutgoingEmail.objects.order_by("pk") if user.email in m.to]
