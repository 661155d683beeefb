import pytest

from choeur.core.errors import NotFound, PermissionRefused
from choeur.core.models import AuditEvent
from choeur.organisations import errors, permissions, services
from choeur.organisations.models import Espace, Rattachement, Service, Structure

from .conftest import SIRET, make_user, run

pytestmark = pytest.mark.django_db


def test_creator_becomes_gestionnaire_principal(structure, gp):
    rattachement = Rattachement.objects.get(structure=structure)
    assert rattachement.user == gp
    assert rattachement.status == "VALIDEE" and rattachement.role == "GESTIONNAIRE_PRINCIPAL"
    assert structure.kind == "PRIVEE" and structure.identifier == SIRET
    assert permissions.can_modify(gp, structure, Espace.FACTURES_EMISES)
    assert not permissions.can_see(gp, structure, Espace.FACTURES_RECUES)  # not opened
    assert AuditEvent.objects.filter(action="organisations.structure_created").exists()


def test_duplicate_structure_refused_and_nothing_changes(structure, db):
    someone = make_user("x@example.fr")
    with pytest.raises(errors.StructureAlreadyExists):
        run(services.create_private_structure, someone, "SIRET", "732 829 320 00074",
            {"company_name": "Copie"})
    assert Structure.objects.count() == 1
    assert not Rattachement.objects.filter(user=someone).exists()


def test_invalid_siret_changes_nothing(gp):
    with pytest.raises(errors.InvalidIdentifier):
        run(services.create_private_structure, gp, "SIRET", "73282932000075",
            {"company_name": "Faute de frappe"})
    assert not Structure.objects.exists()


def test_vat_must_match_the_siren(gp):
    with pytest.raises(errors.InvalidVatNumber):
        run(services.create_private_structure, gp, "SIRET", SIRET,
            {"company_name": "ACME", "vat_number": "FR40303265045"})
    assert not Structure.objects.exists()


def test_particulier_gets_a_name(gp):
    structure = run(services.create_private_structure, gp, "PARTICULIER", "p-0001",
                    {"first_name": "Jeanne", "last_name": "Dupont"})
    assert structure.company_name == "Jeanne Dupont"


def test_public_structure_from_the_administrator_has_the_default_service(db):
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    structure = run(services.create_public_structure, admin, "11000201100044",
                    {"company_name": "Ministère des Essais"})
    assert structure.kind == "PUBLIQUE"
    assert list(structure.services.values_list("code", flat=True)) == ["FACTURES_PUBLIQUES"]
    assert permissions.open_espaces(structure) >= {"FACTURES_RECUES", "FACTURES_EMISES"}
    with pytest.raises(PermissionRefused):
        run(services.create_public_structure, make_user("nobody@example.fr"),
            "13002526500013", {"company_name": "Pas moi"})


def test_update_by_gestionnaire_only(structure, gp, member, outsider):
    run(services.update_structure, gp, structure, {"company_name": "ACME SAS",
                                                  "service_code_required": True})
    structure.refresh_from_db()
    assert structure.company_name == "ACME SAS" and structure.service_code_required
    with pytest.raises(PermissionRefused):
        run(services.update_structure, member, structure, {"company_name": "Pirate"})
    with pytest.raises(NotFound):
        run(services.update_structure, outsider, structure, {"company_name": "Pirate"})
    structure.refresh_from_db()
    assert structure.company_name == "ACME SAS"


def test_deactivation_by_the_principal_only(structure, gp, member):
    with pytest.raises(PermissionRefused):
        run(services.set_structure_active, member, structure, False)
    run(services.set_structure_active, gp, structure, False)
    structure.refresh_from_db()
    assert not structure.is_active
    with pytest.raises(errors.StructureInactive):
        run(services.request_rattachement, make_user("late@example.fr"), structure)


def test_services_lifecycle(structure, gp, member):
    service = structure.services.get(code="COMPTA")
    with pytest.raises(errors.ServiceCodeTaken):
        run(services.create_service, gp, structure, "compta", {"name": "Doublon"})
    with pytest.raises(errors.InvalidServiceCode):
        run(services.create_service, gp, structure, "pas de blanc", {"name": "x"})
    with pytest.raises(PermissionRefused):
        run(services.create_service, member, structure, "NEW", {"name": "x"})
    import datetime

    with pytest.raises(errors.InvalidValidityDates):
        run(services.update_service, gp, service, {"valid_from": datetime.date(2026, 5, 1),
                                                   "valid_until": datetime.date(2026, 4, 1)})
    run(services.update_service, gp, service, {"engagement_required": True})
    run(services.set_service_active, gp, service, False)
    service.refresh_from_db()
    assert service.engagement_required and not service.is_active
    assert structure.services.count() == 2


def test_default_public_service_is_locked(db):
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    structure = run(services.create_public_structure, admin, "11000201100044",
                    {"company_name": "Ministère"})
    gp = make_user("agent@ministere.gouv.fr")
    pending = run(services.request_rattachement, gp, structure)
    run(services.decide_first_principal, admin, structure, pending.pk, True)
    default = structure.services.get(code=Service.DEFAULT_PUBLIC_CODE)
    with pytest.raises(errors.DefaultServiceLocked):
        run(services.set_service_active, gp, default, False)


def test_change_of_identifier_copies_all_but_bank_and_technical_accounts(
    structure, gp, member, run_tasks
):
    from choeur.organisations import raccordements

    run(services.add_bank_account, gp, structure, "Principal", "ACME",
        "FR1420041010050500013M02606")
    run(raccordements.create_technical_account, gp, structure)
    mine = Rattachement.objects.get(user=member, structure=structure)
    run(services.set_habilitation, gp, structure, mine.pk, Espace.COORDONNEES_BANCAIRES,
        "CONSULTATION")
    with pytest.raises(PermissionRefused):
        run(services.change_identifier, member, structure, "SIRET", "55208131766522")
    with pytest.raises(errors.InvalidIdentifier):
        run(services.change_identifier, gp, structure, "SIRET", "55208131766523")
    new = run(services.change_identifier, gp, structure, "SIRET", "552 081 317 66522")
    structure.refresh_from_db()
    assert not structure.is_active and new.is_active and new.origin == structure
    assert new.company_name == structure.company_name
    assert sorted(new.services.values_list("code", flat=True)) == ["ACHATS", "COMPTA"]
    assert set(new.rattachements.values_list("user__email", "role")) == {
        (gp.email, "GESTIONNAIRE_PRINCIPAL"), (member.email, "UTILISATEUR")}
    permissions.forget(member)
    assert permissions.can_see(member, new, Espace.COORDONNEES_BANCAIRES)
    assert not new.bank_accounts.exists() and not new.technical_accounts.exists()
    with pytest.raises(errors.StructureInactive):
        run(services.change_identifier, gp, structure, "SIRET", "35600000000048")
    run_tasks()


def test_public_structure_made_in_the_admin_is_set_up(client, db):
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    client.force_login(admin)
    form = {"identifier_type": "SIRET", "kind": "PUBLIQUE", "country": "FR",
            "company_name": "Préfecture d'Essai", "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00", "updated_at_0": "2026-01-01",
            "updated_at_1": "10:00:00", "is_active": "on",
            "services-TOTAL_FORMS": "0", "services-INITIAL_FORMS": "0",
            "espaces-TOTAL_FORMS": "0", "espaces-INITIAL_FORMS": "0"}
    bad = client.post("/admin/organisations/structure/add/",
                      {**form, "identifier": "11000201100045"})
    assert bad.status_code == 200 and "ORG_INVALID_IDENTIFIER" in bad.content.decode()
    assert not Structure.objects.exists()
    good = client.post("/admin/organisations/structure/add/",
                       {**form, "identifier": "110 002 011 00044"})
    assert good.status_code == 302, good.content.decode()[:2000]
    structure = Structure.objects.get()
    assert structure.identifier == "11000201100044"
    assert list(structure.services.values_list("code", flat=True)) == ["FACTURES_PUBLIQUES"]
    assert "FACTURES_RECUES" in permissions.open_espaces(structure)


def test_structures_can_require_a_second_factor_of_their_gestionnaires(structure, gp, member):
    from choeur.accounts import policy
    from choeur.accounts import services as accounts_services
    from tests.conftest import PASSWORD

    assert not policy.requires_second_factor(gp)
    run(services.update_structure, gp, structure, {"second_factor_for_gestionnaires": True})
    assert policy.requires_second_factor(gp)
    assert not policy.requires_second_factor(member)  # users, not gestionnaires
    step = run(accounts_services.authenticate, "test", gp.email, PASSWORD)
    assert step.needs_setup and not step.complete
