import pytest

from choeur.core.errors import NotFound, PermissionRefused
from choeur.organisations import errors, permissions, services
from choeur.organisations.models import BankAccount, Espace, Rattachement

from .conftest import make_user, run

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


def test_users_subscribe_or_ask_for_espaces(structure, gp, member, run_tasks):
    from choeur.organisations.models import HabilitationRequest

    run(services.set_espace_open, gp, structure, Espace.FACTURES_TRAVAUX, True)
    # Factures émises: a subscription without approval (here: upgrade to... already MODIF)
    with pytest.raises(errors.HabilitationUseless):
        run(services.request_habilitation, member, structure, Espace.FACTURES_EMISES,
            "MODIFICATION")
    with pytest.raises(errors.HabilitationUseless):
        run(services.request_habilitation, gp, structure, Espace.FACTURES_TRAVAUX,
            "MODIFICATION")
    with pytest.raises(errors.EspaceNotOpen):
        run(services.request_habilitation, member, structure, Espace.ENGAGEMENTS,
            "CONSULTATION")
    pending = run(services.request_habilitation, member, structure, Espace.FACTURES_TRAVAUX,
                  "CONSULTATION")
    assert isinstance(pending, HabilitationRequest)
    assert not permissions.can_see(member, structure, Espace.FACTURES_TRAVAUX)
    with pytest.raises(errors.HabilitationRequestPending):
        run(services.request_habilitation, member, structure, Espace.FACTURES_TRAVAUX,
            "MODIFICATION")
    with pytest.raises(PermissionRefused):
        run(services.decide_habilitation_request, member, structure, pending.pk, True)
    run(services.decide_habilitation_request, gp, structure, pending.pk, True)
    permissions.forget(member)
    assert permissions.espace_mode(member, structure, Espace.FACTURES_TRAVAUX) == "CONSULTATION"
    with pytest.raises(errors.RattachementNotPending):  # a second click
        run(services.decide_habilitation_request, gp, structure, pending.pk, False)
    # Sollicitations: self-service, no approval; removed then subscribed again
    mine = Rattachement.objects.get(user=member, structure=structure, status="VALIDEE")
    run(services.set_habilitation, gp, structure, mine.pk, Espace.SOLLICITATIONS_RECUES, None)
    permissions.forget(member)
    run(services.request_habilitation, member, structure, Espace.SOLLICITATIONS_RECUES,
        "CONSULTATION")
    permissions.forget(member)
    assert permissions.can_see(member, structure, Espace.SOLLICITATIONS_RECUES)
    run_tasks()


def test_habilitation_request_pages(client, structure, gp, member):
    run(services.set_espace_open, gp, structure, Espace.FACTURES_TRAVAUX, True)
    client.force_login(member)
    page = client.get(f"/structures/{structure.pk}/").content.decode()
    assert "Demander" in page
    client.post(f"/structures/{structure.pk}/espaces/demande/",
                {"espace": "FACTURES_TRAVAUX", "mode": "MODIFICATION"})
    assert "Demande en attente" in client.get(f"/structures/{structure.pk}/").content.decode()
    assert client.post(f"/structures/{structure.pk}/espaces/demande/",
                       {"espace": "FACTURES_TRAVAUX", "mode": "ROOT"}).status_code == 404
    client.force_login(gp)
    espaces_page = client.get(f"/structures/{structure.pk}/espaces/").content.decode()
    assert member.email in espaces_page and "Accorder" in espaces_page


def test_services_a_user_is_limited_to(structure, gp, member):
    compta = structure.services.get(code="COMPTA")
    assert permissions.services_of(gp, structure) is None  # gestionnaire: everything
    assert permissions.services_of(member, structure) is None  # attached to the whole
    limited = make_user("limite@acme.fr")
    run(services.attach_user, gp, structure, limited.email, [compta.pk])
    assert permissions.services_of(limited, structure) == [compta]
    assert permissions.services_of(make_user("nobody@x.fr"), structure) == []
