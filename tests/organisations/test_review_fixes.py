"""Abuses found in review, each now refused with a code and changing nothing."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from choeur.core import clock
from choeur.core.errors import NotFound, PermissionRefused
from choeur.organisations import annuaire, errors, permissions, services
from choeur.organisations.models import Espace, Rattachement, Structure

from .conftest import make_user, run

pytestmark = pytest.mark.django_db


def test_only_never_managed_public_structures_are_claimed(structure, gp, member, settings):
    settings.CHOEUR_ENVIRONMENT = "qualification"  # where the first requester claims
    # A private structure without principal (made by the support in the admin) is not claimed.
    orphan = Structure.objects.create(identifier_type="SIRET", identifier="55208131766522",
                                      company_name="Orpheline")
    claimant = make_user("opportuniste@example.fr")
    assert run(services.request_rattachement, claimant, orphan).status == \
        "EN_COURS_DE_VALIDATION"
    # A public structure whose principal came and went is not claimed again either.
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    public = run(services.create_public_structure, admin, "11000201100044", {
        "company_name": "Ministère"})
    first = make_user("agent@ministere.gouv.fr")
    assert run(services.request_rattachement, first, public).role == "GESTIONNAIRE_PRINCIPAL"
    Rattachement.objects.filter(structure=public).update(status="SUPPRIMEE")
    late = make_user("tard@example.fr")
    assert run(services.request_rattachement, late, public).status == "EN_COURS_DE_VALIDATION"


def test_gestionnaires_answer_to_the_principal(structure, gp, member):
    mine = Rattachement.objects.get(user=member, structure=structure, status="VALIDEE")
    run(services.set_gestionnaire, gp, structure, mine.pk, True)
    colleague = make_user("collegue@acme.fr")
    with pytest.raises(PermissionRefused):
        run(services.attach_user, member, structure, colleague.email, gestionnaire=True)
    other = run(services.attach_user, gp, structure, colleague.email, gestionnaire=True)
    with pytest.raises(PermissionRefused):
        run(services.detach_user, member, structure, other.pk)
    with pytest.raises(PermissionRefused):
        run(services.update_structure, member, structure,
            {"second_factor_for_gestionnaires": True})
    run(services.update_structure, member, structure, {"city": "Villeurbanne"})  # allowed
    assert Rattachement.objects.get(pk=other.pk).status == "VALIDEE"


def test_consultation_is_not_upgraded_by_self_service(structure, gp, member):
    mine = Rattachement.objects.get(user=member, structure=structure, status="VALIDEE")
    run(services.set_habilitation, gp, structure, mine.pk, Espace.FACTURES_EMISES,
        "CONSULTATION")
    result = run(services.request_habilitation, member, structure, Espace.FACTURES_EMISES,
                 "MODIFICATION")
    assert result.status == "EN_COURS_DE_VALIDATION"  # a request for the gestionnaires
    assert permissions.espace_mode(member, structure, Espace.FACTURES_EMISES) == "CONSULTATION"


def test_forged_structure_ids_do_not_reveal_structures(client, structure, gp):
    particulier = run(services.create_private_structure, make_user("jeanne@example.fr"),
                      "PARTICULIER", "P-123", {"first_name": "Jeanne", "last_name": "Secret"})
    assert list(services.search_structures("Jeanne Secret")) == []
    client.force_login(make_user("curieux@example.fr"))
    for target in (particulier, structure):
        response = client.post("/rattachements/demande/", {"structure": target.pk, "q": ""})
        assert response.status_code == 404
        assert target.company_name not in response.content.decode()
    ok = client.post("/rattachements/demande/", {"structure": structure.pk, "q": "73282"})
    assert ok.status_code == 200 and "ACME Fournitures" in ok.content.decode()


def test_a_change_of_identifier_happens_once_and_the_old_record_stays_read_only(
    structure, gp
):
    new = run(services.change_identifier, gp, structure, "SIRET", "55208131766522")
    structure.refresh_from_db()
    with pytest.raises(errors.StructureInactive):  # a second submission of the same form
        run(services.change_identifier, gp, structure, "SIRET", "35600000000048")
    with pytest.raises(errors.StructureReplaced):
        run(services.set_structure_active, gp, structure, True)
    for use_case, args in (
        (services.update_structure, ({"city": "Paris"},)),
        (services.create_service, ("NEW", {"name": "x"})),
        (services.add_bank_account, ("x", "x", "FR1420041010050500013M02606")),
    ):
        with pytest.raises(errors.StructureInactive):
            run(use_case, gp, structure, *args)
    assert Structure.objects.filter(origin=structure).get() == new


def test_services_out_of_their_validity_are_not_offered(structure, gp):
    compta = structure.services.get(code="COMPTA")
    run(services.update_service, gp, compta, {"valid_until": date(2020, 12, 31),
                                              "valid_from": date(2020, 1, 1)})
    with pytest.raises(errors.ServiceNotInStructure):
        run(services.request_rattachement, make_user("x@example.fr"), structure, [compta.pk])
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    public = run(services.create_public_structure, admin, "11000201100044",
                 {"company_name": "Ministère", "city": "Paris"})
    public.services.create(code="FUTUR", name="Futur",
                           valid_from=clock.today() + timedelta(days=10))
    [found] = annuaire.search(city="Paris")
    assert [s.code for s in found.active_services] == ["FACTURES_PUBLIQUES"]


def test_csv_cells_cannot_run_as_formulas(db):
    admin = make_user("root@example.fr", is_superuser=True, is_staff=True)
    run(services.create_public_structure, admin, "11000201100044",
        {"company_name": "=HYPERLINK(\"http://evil\")", "city": "@Paris"})
    text = "".join(annuaire.csv_rows())
    assert "\"'=HYPERLINK(" in text and ";'@Paris;" in text


def test_import_checks_lengths_and_emails(tmp_path, capsys):
    from choeur.cli import main

    path = tmp_path / "s.csv"
    path.write_text("identifiant;raison_sociale;email\n"
                    f"11000201100044;{'x' * 120};\n"
                    "13002526500013;Bon nom;pas-un-courriel\n")
    assert main(["import-structures", str(path)]) == 1
    err = capsys.readouterr().err
    assert "raison_sociale (120 > 99)" in err and "invalid email" in err
    assert not Structure.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_gestionnaires_clicking_at_once_decide_once(structure, gp):
    second = make_user("second@acme.fr")
    other_rattachement = run(services.attach_user, gp, structure, second.email)
    run(services.set_gestionnaire, gp, structure, other_rattachement.pk, True)
    pending = run(services.request_rattachement, make_user("d@example.fr"), structure)
    outcomes = []
    barrier = threading.Barrier(2)

    def decide(actor, approve):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                if approve:
                    services.validate_rattachements(actor, structure, [pending.pk])
                else:
                    services.refuse_rattachements(actor, structure, [pending.pk], "Non")
            outcomes.append("done")
        except errors.RattachementNotPending:
            outcomes.append("already decided")
        except Exception as exc:  # e.g. "database is locked": would be a failure to report
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(gp, True)),
               threading.Thread(target=decide, args=(second, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already decided", "done"]
    pending.refresh_from_db()
    assert pending.status in ("VALIDEE", "REFUSEE")


def test_outsiders_still_get_not_found(structure, outsider):
    with pytest.raises(NotFound):
        run(services.request_habilitation, outsider, structure, Espace.FACTURES_EMISES,
            "CONSULTATION")
