# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""The travaux tests live in the invoicing tests' world: its supplier is the titulaire of the
works, its public recipient the maître d'ouvrage (flagged « Structure avec MOA ») and paying
structure, and its other private structure (« Bâtiments Titulaire SA » there) the maître
d'œuvre here. Each opens its espace Factures de travaux."""

import pytest

from choeur.organisations import services as org
from choeur.organisations.models import Espace, Structure
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    other_recipient,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
    titulaire,
    titulaire_user,
)


@pytest.fixture
def works(supplier, supplier_user, recipient, recipient_user, titulaire, titulaire_user):
    """(supplier, moe, moa) with their gestionnaires, each with its espace open."""
    Structure.objects.filter(pk=recipient.pk).update(moa=True)
    recipient.refresh_from_db()
    for user, structure in ((supplier_user, supplier), (titulaire_user, titulaire),
                            (recipient_user, recipient)):
        run(org.set_espace_open, user, structure, Espace.FACTURES_TRAVAUX, True)
    return supplier, titulaire, recipient


# A projet de décompte mensuel waiting for the MOE; the final circuit's first steps.


@pytest.fixture
def deposited(works, supplier_user, bank_account):
    from choeur.travaux import services
    from tests.travaux.test_monthly import _claim, _in_tx

    supplier, moe, _moa = works
    return _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                  _claim(bank_account), moe_identifier=moe.identifier)


@pytest.fixture
def projet_final(works, supplier_user, bank_account):
    from choeur.travaux import final
    from tests.travaux.test_monthly import _claim, _in_tx

    supplier, moe, _moa = works
    return _in_tx(final.deposit_projet_decompte_final, supplier_user, supplier,
                  _claim(bank_account, number="PDF-2026-01"), moe_identifier=moe.identifier)


@pytest.fixture
def projet_general(projet_final, titulaire_user):
    from choeur.travaux import final
    from tests.travaux.test_monthly import _admitted, _in_tx

    return _in_tx(final.deposit_projet_decompte_general, titulaire_user,
                  projet_final.dossier.pk, _admitted("9500"))


@pytest.fixture
def general(projet_general, recipient_user):
    from choeur.travaux import final
    from tests.travaux.test_monthly import _admitted, _in_tx

    return _in_tx(final.deposit_decompte_general, recipient_user, projet_general.dossier.pk,
                  _admitted("9400"))
