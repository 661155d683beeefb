import pytest

from choeur.core.errors import NotFound, PermissionRefused
from choeur.organisations import errors, permissions, services
from choeur.organisations.models import BankAccount, Espace, Rattachement

from .conftest import run

pytestmark = pytest.mark.django_db

IBAN = "FR1420041010050500013M02606"


def test_habilitations(structure, gp, member):
    mine = Rattachement.objects.get(user=member, structure=structure, status="VALIDEE")
    assert not permissions.can_see(member, structure, Espace.COORDONNEES_BANCAIRES)
    run(services.set_habilitation, gp, structure, mine.pk, Espace.COORDONNEES_BANCAIRES,
        "CONSULTATION")
    permissions.forget(member)
    assert permissions.can_see(member, structure, Espace.COORDONNEES_BANCAIRES)
    assert not permissions.can_modify(member, structure, Espace.COORDONNEES_BANCAIRES)
    with pytest.raises(errors.EspaceNotOpen):
        run(services.set_habilitation, gp, structure, mine.pk, Espace.RACCORDEMENTS,
            "MODIFICATION")
    run(services.set_espace_open, gp, structure, Espace.RACCORDEMENTS, True)
    run(services.set_habilitation, gp, structure, mine.pk, Espace.RACCORDEMENTS,
        "MODIFICATION")
    permissions.forget(member)
    assert permissions.can_modify(member, structure, Espace.RACCORDEMENTS)
    run(services.set_espace_open, gp, structure, Espace.RACCORDEMENTS, False)
    permissions.forget(member)
    assert not permissions.can_see(member, structure, Espace.RACCORDEMENTS)
    with pytest.raises(errors.EspaceLocked):
        run(services.set_espace_open, gp, structure, Espace.MON_COMPTE, False)
    with pytest.raises(PermissionRefused):
        run(services.set_habilitation, member, structure, mine.pk, Espace.FACTURES_EMISES,
            None)


def test_bank_account_checked_and_gestionnaire_only(structure, gp, member, run_tasks):
    account = run(services.add_bank_account, gp, structure, "Principal", "ACME", IBAN)
    assert account.bic == "PSSTFRPP" and account.iban == IBAN
    with pytest.raises(errors.BankAccountExists):
        run(services.add_bank_account, gp, structure, "Encore", "ACME",
            "fr14 2004 1010 0505 0001 3M02 606")
    with pytest.raises(errors.InvalidIban):
        run(services.add_bank_account, gp, structure, "Faux", "ACME",
            "FR1420041010050500013M02607")
    with pytest.raises(errors.InvalidBic):
        run(services.add_bank_account, gp, structure, "BIC", "ACME",
            "DE89370400440532013000", bic="PSSTFRPP")
    with pytest.raises(PermissionRefused):
        run(services.add_bank_account, member, structure, "Moi", "Moi",
            "DE89370400440532013000")
    assert BankAccount.objects.count() == 1
    factor = run(services.add_bank_account, gp, structure, "Affacturage", "Factor SA",
                 "DE89370400440532013000", is_factor=True)
    assert factor.is_factor and factor.bic.startswith("COBADEFF")
    with pytest.raises(NotFound):
        run(services.deactivate_bank_account, gp, structure, 999999)
    run(services.deactivate_bank_account, gp, structure, account.pk)
    account.refresh_from_db()
    assert not account.is_active
    run_tasks()  # gestionnaires are told of every new bank account
