import pytest
from django.db import transaction

from choeur.accounts.models import User
from choeur.organisations import services
from tests.conftest import PASSWORD

SIRET = "73282932000074"  # a real-format SIRET with a valid check digit
OTHER_SIRET = "55208131766522"


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def run(use_case, *args, **kwargs):
    """Call a use case the way an entry point does: in its own transaction."""
    with transaction.atomic():
        return use_case(*args, **kwargs)


@pytest.fixture
def gp(db):
    """The gestionnaire principal of `structure`."""
    return make_user("gp@acme.fr", first_name="Gaston", last_name="Principal")


@pytest.fixture
def structure(gp):
    structure = run(services.create_private_structure, gp, "SIRET", SIRET,
                    {"company_name": "ACME Fournitures", "city": "Lyon", "postcode": "69001"})
    run(services.create_service, gp, structure, "COMPTA", {"name": "Comptabilité"})
    run(services.create_service, gp, structure, "ACHATS", {"name": "Achats"})
    return structure


@pytest.fixture
def member(structure, gp):
    """A plain user of `structure`, attached directly by the gestionnaire."""
    user = make_user("membre@acme.fr", first_name="Mona", last_name="Membre")
    run(services.attach_user, gp, structure, user.email)
    return user


@pytest.fixture
def outsider(db):
    """The gestionnaire of another structure."""
    user = make_user("chef@autre.fr", first_name="Otto", last_name="Autre")
    run(services.create_private_structure, user, "SIRET", OTHER_SIRET,
        {"company_name": "Autre SARL"})
    return user
