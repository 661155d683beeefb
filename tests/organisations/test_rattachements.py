import pytest

from choeur.core import mail
from choeur.core.errors import NotFound, PermissionRefused
from choeur.organisations import errors, permissions, services
from choeur.organisations.models import Espace, Rattachement

from .conftest import OTHER_SIRET, make_user, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester(db):
    return make_user("demandeur@example.fr", first_name="Denis", last_name="Demandeur")


def test_search_by_siret_prefix_or_exact_name(structure, outsider):
    assert list(services.search_structures("732")) == [structure]
    assert list(services.search_structures("73")) == []  # 3 characters at least
    assert list(services.search_structures("acme fournitures")) == [structure]
    assert list(services.search_structures("ACME")) == []  # exact name only


def test_request_then_validate(structure, gp, requester, run_tasks):
    compta = structure.services.get(code="COMPTA")
    rattachement = run(services.request_rattachement, requester, structure, [compta.pk])
    assert rattachement.status == "EN_COURS_DE_VALIDATION"
    assert permissions.rattachement_of(requester, structure) is None
    with pytest.raises(NotFound):
        permissions.structure_for(requester, structure.pk)
    run_tasks()
    [notice] = mail.outbox_messages()
    assert notice.to == gp.email and "Denis Demandeur" in notice.text
    run(services.validate_rattachements, gp, structure, [rattachement.pk])
    permissions.forget(requester)
    assert permissions.structure_for(requester, structure.pk) == structure
    assert permissions.can_modify(requester, structure, Espace.FACTURES_EMISES)
    assert not permissions.can_see(requester, structure, Espace.COORDONNEES_BANCAIRES)
    run_tasks()
    assert "est validé" in mail.outbox_messages()[0].subject  # newest first


def test_refusal_needs_a_reason_and_is_mailed(structure, gp, requester, run_tasks):
    rattachement = run(services.request_rattachement, requester, structure)
    with pytest.raises(errors.RefusalReasonRequired):
        run(services.refuse_rattachements, gp, structure, [rattachement.pk], "  ")
    run(services.refuse_rattachements, gp, structure, [rattachement.pk], "Inconnu au service")
    rattachement.refresh_from_db()
    assert rattachement.status == "REFUSEE" and rattachement.reason == "Inconnu au service"
    run_tasks()
    assert "Inconnu au service" in mail.outbox_messages()[0].text


def test_bulk_decisions_and_double_clicks(structure, gp, run_tasks):
    users = [make_user(f"u{i}@example.fr") for i in range(3)]
    ids = [run(services.request_rattachement, u, structure).pk for u in users]
    run(services.validate_rattachements, gp, structure, ids)
    assert Rattachement.objects.filter(pk__in=ids, status="VALIDEE").count() == 3
    with pytest.raises(errors.RattachementNotPending):  # a second click on the same requests
        run(services.refuse_rattachements, gp, structure, ids, "trop tard")
    assert Rattachement.objects.filter(pk__in=ids, status="VALIDEE").count() == 3


def test_forged_ids_of_another_structure(structure, gp, outsider, requester):
    other = permissions.visible_structures(outsider).get()
    foreign = run(services.request_rattachement, requester, other)
    with pytest.raises(NotFound):
        run(services.validate_rattachements, gp, structure, [foreign.pk])
    with pytest.raises(NotFound):
        run(services.validate_rattachements, gp, structure, ["1; DROP TABLE"])
    with pytest.raises(NotFound):
        run(services.detach_user, gp, structure, foreign.pk)
    foreign.refresh_from_db()
    assert foreign.status == "EN_COURS_DE_VALIDATION"
    other_service = other.services.create(code="X", name="X")
    with pytest.raises(errors.ServiceNotInStructure):
        run(services.request_rattachement, make_user("y@example.fr"), structure,
            [other_service.pk])


def test_no_duplicate_request(structure, requester):
    run(services.request_rattachement, requester, structure)
    with pytest.raises(errors.RattachementExists):
        run(services.request_rattachement, requester, structure)
    assert Rattachement.objects.filter(user=requester).count() == 1


def test_only_gestionnaires_decide(structure, member, requester):
    rattachement = run(services.request_rattachement, requester, structure)
    with pytest.raises(PermissionRefused):
        run(services.validate_rattachements, member, structure, [rattachement.pk])


def test_detach_grant_transfer(structure, gp, member, run_tasks):
    mine = Rattachement.objects.get(user=member, structure=structure, status="VALIDEE")
    with pytest.raises(errors.PrincipalCannotLeave):
        run(services.detach_user, gp, structure,
            Rattachement.objects.get(user=gp, structure=structure).pk)
    run(services.set_gestionnaire, gp, structure, mine.pk, True)
    permissions.forget(member)
    assert permissions.is_gestionnaire(member, structure)
    with pytest.raises(PermissionRefused):  # only the principal names gestionnaires
        run(services.set_gestionnaire, member, structure, mine.pk, True)
    run(services.transfer_principal, gp, structure, mine.pk)
    permissions.forget(gp)
    permissions.forget(member)
    assert permissions.is_principal(member, structure)
    assert permissions.is_gestionnaire(gp, structure) and not permissions.is_principal(
        gp, structure)
    gp_rattachement = Rattachement.objects.get(user=gp, structure=structure)
    run(services.detach_user, member, structure, gp_rattachement.pk)
    permissions.forget(gp)
    with pytest.raises(NotFound):
        permissions.structure_for(gp, structure.pk)


def test_first_requester_of_an_unmanaged_public_structure_in_qualification(db, settings):
    """In qualification (trainees, integrators' test data) the first requester of a public
    structure nobody manages becomes its gestionnaire principal at once."""
    settings.CHOEUR_ENVIRONMENT = "qualification"
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    public = run(services.create_public_structure, admin, "11000201100044",
                 {"company_name": "Ministère"})
    agent = make_user("agent@ministere.gouv.fr")
    rattachement = run(services.request_rattachement, agent, public)
    assert rattachement.status == "VALIDEE" and rattachement.role == "GESTIONNAIRE_PRINCIPAL"
    second = run(services.request_rattachement, make_user("b@ministere.gouv.fr"), public)
    assert second.status == "EN_COURS_DE_VALIDATION"


def test_in_production_a_platform_administrator_designates_the_first_principal(
        db, settings, run_tasks):
    """Whoever asks first must not get a public body's received invoices: the request waits
    for a platform administrator, who designates the gestionnaire principal (or refuses)."""
    settings.CHOEUR_ENVIRONMENT = "production"
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    public = run(services.create_public_structure, admin, "11000201100044",
                 {"company_name": "Ministère"})
    intruder, agent = make_user("premier@example.fr"), make_user("agent@ministere.gouv.fr")
    first = run(services.request_rattachement, intruder, public)
    second = run(services.request_rattachement, agent, public)
    assert first.status == second.status == "EN_COURS_DE_VALIDATION"
    assert permissions.rattachement_of(intruder, public) is None
    run_tasks()
    notices = [m for m in mail.outbox_messages() if m.to == "root@example.fr"]
    assert len(notices) == 2 and "Gestionnaire principal demandé" in notices[0].subject
    assert f"/administration/destinataires/{public.pk}/" in notices[0].text
    assert [r.pk for r in services.first_principal_requests(public)] == [first.pk, second.pk]
    with pytest.raises(PermissionRefused):  # nobody else decides
        run(services.decide_first_principal, agent, public, second.pk, True)
    with pytest.raises(errors.RefusalReasonRequired):
        run(services.decide_first_principal, admin, public, first.pk, False, " ")
    run(services.decide_first_principal, admin, public, first.pk, False, "Inconnu du ministère")
    chosen = run(services.decide_first_principal, admin, public, second.pk, True)
    assert chosen.status == "VALIDEE" and chosen.role == "GESTIONNAIRE_PRINCIPAL"
    public.refresh_from_db()
    assert public.principal_assigned_at is not None
    assert services.first_principal_requests(public) == []
    permissions.forget(agent)
    assert permissions.is_principal(agent, public)
    # The next requests are the principal's to decide; the administrator's path is closed.
    late = run(services.request_rattachement, make_user("c@ministere.gouv.fr"), public)
    with pytest.raises(errors.PrincipalAlreadyAssigned):
        run(services.decide_first_principal, admin, public, late.pk, True)
    late.refresh_from_db()
    assert late.status == "EN_COURS_DE_VALIDATION"


def test_the_administration_page_decides_first_principals(client, db, settings):
    settings.CHOEUR_ENVIRONMENT = "production"
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    public = run(services.create_public_structure, admin, "11000201100044",
                 {"company_name": "Ministère"})
    agent = make_user("agent@ministere.gouv.fr")
    pending = run(services.request_rattachement, agent, public)
    url = f"/administration/destinataires/{public.pk}/"
    decide = f"{url}demandes/{pending.pk}/"
    client.force_login(agent)  # not an administrator: refused, nothing changed
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert 'data-testid="first-principal-requests"' in page and agent.email in page
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    pending.refresh_from_db()
    assert pending.role == "GESTIONNAIRE_PRINCIPAL" and pending.status == "VALIDEE"
    assert 'data-testid="first-principal-requests"' not in client.get(url).content.decode()


def test_attach_directly_needs_an_existing_account(structure, gp):
    with pytest.raises(errors.UserNotFound):
        run(services.attach_user, gp, structure, "inconnu@example.fr")


def test_leave(structure, member):
    run(services.leave_structure, member, structure)
    permissions.forget(member)
    assert permissions.rattachement_of(member, structure) is None


def test_other_structures_unaffected(structure, outsider):
    assert permissions.visible_structures(outsider).get().identifier == OTHER_SIRET
    with pytest.raises(NotFound):
        permissions.structure_for(outsider, structure.pk)
