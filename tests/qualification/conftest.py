"""Fixtures of the qualification tests: an instance switched to qualification, its clock
read afresh before and after each test; a platform administrator."""

from __future__ import annotations

import pytest

from choeur.qualification import apps, clock_control
from tests.conftest import PASSWORD


@pytest.fixture
def qualification(settings):
    """The instance in qualification, wired as its start-up would (clock, simulator's
    timer, fault hooks), and unwired after."""
    settings.CHOEUR_ENVIRONMENT = "qualification"
    clock_control.forget_sync()
    apps.connect()
    yield
    apps.disconnect()
    clock_control.forget_sync()


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_user("admin@choeur.test", PASSWORD,
                                                 is_superuser=True, is_staff=True)
