"""The annuaire of a qualification instance: hundreds of fictitious public recipients, made
as `create_public_structure` makes them, deterministic by seed, idempotent, searchable in the
portal and through the API; SIRETs with a wrong key accepted in qualification only."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from django.utils.html import escape
from stdnum.fr import siret as fr_siret

from choeur.cli import main
from choeur.core.errors import PermissionRefused
from choeur.core.models import AuditEvent
from choeur.organisations import services
from choeur.organisations.errors import InvalidIdentifier
from choeur.organisations.identifiers import normalise_identifier
from choeur.organisations.models import Espace, Service, Structure
from choeur.qualification import annuaire_seed, errors, fictitious
from tests.api.conftest import Wire, make_party

pytestmark = pytest.mark.django_db

WRONG_KEY = "73282932000075"  # SIREN 732829320 is right, the SIRET's last digit is not


@pytest.fixture
def wire(client):
    """A supplier's API client, as tests/api's."""
    return Wire(client, make_party("73282932000074", "Fournisseur SARL", Structure.Kind.PRIVEE,
                                   [Espace.FACTURES_EMISES]))


def snapshot():
    return sorted(
        (s.identifier, s.company_name, s.address_line1, s.postcode, s.city,
         s.service_code_required, s.engagement_required, s.engagement_or_service_required,
         s.moa, s.moa_only, s.payment_status_not_reported,
         tuple(sorted((v.code, v.name, v.engagement_required) for v in s.services.all())))
        for s in Structure.objects.prefetch_related("services"))


def wipe():
    Service.objects.all().delete()
    Structure.objects.all().delete()


def test_recipients_are_what_create_public_structure_makes(qualification, admin):
    created = annuaire_seed.populate(40, seed=3)
    assert created == 40
    reference = services.create_public_structure(admin, "21690123100011",
                                                 {"company_name": "Référence"})
    reference_espaces = set(reference.espaces.values_list("espace", flat=True))
    reference_default = reference.services.get()
    bodies = {pattern.rsplit(" de {town}", 1)[0]: services_
              for _kind, pattern, services_ in fictitious.PUBLIC_BODIES}
    towns = dict(fictitious.TOWNS)
    generated = Structure.objects.exclude(pk=reference.pk)
    assert generated.count() == 40
    for structure in generated:
        assert structure.is_public and structure.is_active and structure.country == "FR"
        assert structure.identifier_type == "SIRET" and fr_siret.is_valid(structure.identifier)
        assert structure.principal_assigned_at is None  # the first claimant becomes principal
        assert set(structure.espaces.values_list("espace", flat=True)) == reference_espaces
        default = structure.services.get(code=Service.DEFAULT_PUBLIC_CODE)
        assert (default.name, default.is_active) == (reference_default.name, True)
        assert structure.address_line1 and towns[structure.city] == structure.postcode
        own = {(s.code, s.name) for s in structure.services.exclude(
            code=Service.DEFAULT_PUBLIC_CODE)}
        prefix = max((p for p in bodies if structure.company_name.startswith(p)), key=len)
        assert own == set(bodies[prefix])
    assert len({s.company_name for s in generated}) == 40


def test_one_audit_line_for_the_whole_annuaire(qualification):
    annuaire_seed.populate(25, seed=1, actor="cli")
    lines = AuditEvent.objects.filter(action="qualification.annuaire_populated")
    assert [(e.actor_label, e.details) for e in lines] == [
        ("cli", {"count": 25, "seed": 1, "valid_sirets": True})]
    assert not AuditEvent.objects.filter(action__startswith="organisations.").exists()


def test_the_same_seed_gives_the_same_annuaire(qualification):
    annuaire_seed.populate(30, seed=5)
    first = snapshot()
    wipe()
    annuaire_seed.populate(30, seed=5)
    assert snapshot() == first
    wipe()
    annuaire_seed.populate(30, seed=6)
    other = snapshot()
    assert {row[0] for row in other}.isdisjoint({row[0] for row in first})
    # Recipient n does not depend on the count: a larger count extends the same list.
    assert annuaire_seed.plan(10, 5) == annuaire_seed.plan(30, 5)[:10]


def test_running_again_creates_nothing_and_more_adds_the_rest(qualification):
    assert annuaire_seed.populate(30, seed=2) == 30
    before = snapshot()
    assert annuaire_seed.populate(30, seed=2) == 0
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="qualification.annuaire_populated").count() == 1
    assert annuaire_seed.populate(45, seed=2) == 15
    assert Structure.objects.count() == 45
    # SIRETs with a wrong key draw other numbers, but the same recipients: none made twice.
    assert annuaire_seed.populate(45, seed=2, valid_sirets=False) == 0


def test_sirets_never_collide_with_existing_structures(qualification, user):
    annuaire_seed.populate(5, seed=9)
    taken = sorted(row[0] for row in snapshot())
    wipe()
    mine = services.create_private_structure(user, "SIRET", taken[0], {"company_name": "Moi"})
    assert annuaire_seed.populate(5, seed=9) == 5
    assert Structure.objects.filter(identifier=taken[0]).get() == mine
    assert Structure.objects.filter(kind="PUBLIQUE").count() == 5


def test_a_realistic_mix_of_requirements(qualification):
    started = time.perf_counter()
    assert annuaire_seed.populate() == annuaire_seed.DEFAULT_COUNT == 300
    elapsed = time.perf_counter() - started
    structures = list(Structure.objects.all())
    mix = Counter((s.service_code_required, s.engagement_required,
                   s.engagement_or_service_required) for s in structures)
    for variant in [(False, False, False), (True, False, False), (False, True, False),
                    (True, True, False), (False, False, True)]:
        assert mix[variant] >= 10, (variant, mix)
    assert mix[(False, False, False)] == max(mix.values())  # most ask for nothing
    assert 20 <= sum(s.moa for s in structures) <= 100
    assert any(s.moa_only for s in structures)
    assert any(s.payment_status_not_reported for s in structures)
    states = [s for s in structures if s.company_name.startswith("Préfecture")]
    assert states and all(s.engagement_required for s in states)
    assert Service.objects.filter(engagement_required=True).exclude(
        structure__in=states).exists()
    assert elapsed < 5, elapsed  # measured: ≈ 0.2 s on SQLite


def test_found_by_name_and_city_in_the_portal_annuaire(qualification, client):
    annuaire_seed.populate(60, seed=4)
    target = Structure.objects.order_by("pk")[17]
    word = target.company_name.split(" ")[0]
    page = client.get("/annuaire/", {"name": target.company_name})
    assert page.status_code == 200 and escape(target.company_name) in page.content.decode()
    by_city = client.get("/annuaire/", {"city": target.city, "name": word}).content.decode()
    assert target.identifier in by_city
    detail = client.get(f"/annuaire/{target.pk}/").content.decode()
    for service in target.services.all():
        assert service.code in detail


def test_found_through_the_api_structure_search(qualification, wire):
    annuaire_seed.populate(60, seed=4)
    target = Structure.objects.filter(kind="PUBLIQUE").order_by("pk")[23]
    body = wire.post("structures/v1/rechercher", {"structure": {
        "raisonSocialeStructure": target.company_name, "adresseVille": target.city}}).json()
    assert body["codeRetour"] == 0
    assert target.pk in [s["idStructureCPP"] for s in body["listeStructures"]]
    by_siret = wire.post("structures/v1/rechercher", {"structure": {
        "identifiantStructure": target.identifier, "typeIdentifiantStructure": "SIRET"}}).json()
    assert [s["idStructureCPP"] for s in by_siret["listeStructures"]] == [target.pk]
    found = wire.post("structures/v1/rechercher", {"structure": {
        "typeStructure": "PUBLIQUE", "adresseCodePostal": target.postcode}}).json()
    assert found["parametresRetour"]["total"] >= 1


def test_sirets_with_a_wrong_key_on_demand(qualification, wire):
    assert annuaire_seed.populate(20, seed=8, valid_sirets=False) == 20
    identifiers = list(Structure.objects.filter(kind="PUBLIQUE").values_list("identifier",
                                                                            flat=True))
    assert len(identifiers) == 20 and not any(fr_siret.is_valid(i) for i in identifiers)
    assert all(len(i) == 14 and i.isdigit() for i in identifiers)
    body = wire.post("structures/v1/rechercher", {"structure": {
        "identifiantStructure": identifiers[0]}}).json()
    assert body["parametresRetour"]["total"] == 1


@pytest.mark.parametrize(("count", "seed", "error"), [
    (0, 1, errors.AnnuaireCountInvalid), (-3, 1, errors.AnnuaireCountInvalid),
    ("beaucoup", 1, errors.AnnuaireCountInvalid), (5001, 1, errors.AnnuaireCountInvalid),
    (10, "x", errors.AnnuaireSeedInvalid), (10, -1, errors.AnnuaireSeedInvalid),
    (10, 2**31, errors.AnnuaireSeedInvalid),
])
def test_bad_input_is_refused_and_changes_nothing(qualification, count, seed, error):
    with pytest.raises(error) as excinfo:
        annuaire_seed.populate(count, seed)
    assert excinfo.value.message("fr") != excinfo.value.message("en")
    assert not Structure.objects.exists() and not AuditEvent.objects.exists()


def test_only_platform_administrators_among_users(qualification, user):
    with pytest.raises(PermissionRefused):
        annuaire_seed.populate(5, actor=user)
    assert not Structure.objects.exists()


def test_production_refuses(capsys):
    with pytest.raises(errors.QualificationOnly):
        annuaire_seed.populate(5)
    assert main(["annuaire-qualification", "--count", "5"]) == 1
    assert "QUAL_QUALIFICATION_ONLY" in capsys.readouterr().err
    assert not Structure.objects.exists()


def test_the_command(qualification, capsys):
    assert main(["annuaire-qualification", "--count", "12", "--seed", "7"]) == 0
    assert "12 fictitious public recipient(s) added (seed 7)" in capsys.readouterr().out
    assert main(["annuaire-qualification", "--count", "15", "--seed", "7",
                 "--invalid-sirets"]) == 0
    assert "3 fictitious public recipient(s) added (seed 7); 12 already there" in (
        capsys.readouterr().out)
    assert sum(not fr_siret.is_valid(s.identifier) for s in Structure.objects.all()) == 3
    assert main(["annuaire-qualification", "--count", "0"]) == 1
    assert "QUAL_ANNUAIRE_COUNT_INVALID" in capsys.readouterr().err
    assert Structure.objects.count() == 15


# --- A new data directory ---------------------------------------------------------------------


def test_a_first_migrate_in_qualification_fills_the_annuaire(qualification, monkeypatch, capsys):
    monkeypatch.setattr("choeur.cli._schema_exists", lambda: False)  # as on a new database
    assert main(["migrate"]) == 0
    assert "300 fictitious public recipient(s) added" in capsys.readouterr().out
    assert Structure.objects.filter(kind="PUBLIQUE").count() == 300


def test_a_later_migrate_leaves_the_annuaire_alone(qualification, capsys):
    assert main(["migrate"]) == 0  # the test database has its schema: not a new instance
    assert "Annuaire" not in capsys.readouterr().out
    assert not Structure.objects.exists()


def test_a_first_migrate_in_production_adds_nobody(monkeypatch, capsys):
    monkeypatch.setattr("choeur.cli._schema_exists", lambda: False)
    assert main(["migrate"]) == 0
    assert "Annuaire" not in capsys.readouterr().out
    assert not Structure.objects.exists()


@pytest.mark.slow
def test_a_new_qualification_data_directory_for_real(tmp_path):
    """`make run` and a first `choeur serve` start with `choeur migrate` on an empty
    database: in qualification, the annuaire is filled there, once."""
    import subprocess
    import sys

    env = {**os.environ, "CHOEUR_DATA_DIR": str(tmp_path / "var"),
           "CHOEUR_ENVIRONMENT": "qualification"}
    env.pop("CHOEUR_DATABASE_URL", None)  # SQLite in the new data directory

    def choeur(*args):
        result = subprocess.run([sys.executable, "-m", "choeur", *args], env=env,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "300 fictitious public recipient(s) added (seed 0)" in choeur("migrate")
    assert "Annuaire" not in choeur("migrate")
    assert "0 fictitious public recipient(s) added (seed 0); 300 already there" in choeur(
        "annuaire-qualification")


# --- Identifiers: a wrong SIRET key -------------------------------------------------------------


def test_a_wrong_siret_key_is_accepted_in_qualification_only(settings):
    with pytest.raises(InvalidIdentifier) as refused:
        normalise_identifier("SIRET", WRONG_KEY)
    assert "clé de contrôle est fausse" in refused.value.message("fr")
    settings.CHOEUR_ENVIRONMENT = "qualification"
    assert normalise_identifier("SIRET", "732 829 320 00075") == WRONG_KEY
    with pytest.raises(InvalidIdentifier):
        normalise_identifier("SIRET", "7328293200007")  # the format still holds


def test_the_portal_warns_about_the_wrong_key(qualification, client, user):
    client.force_login(user)
    response = client.post("/structures/creer/", {
        "identifier_type": "SIRET", "identifier": WRONG_KEY, "company_name": "Essai",
        "country": "FR"}, follow=True)
    structure = Structure.objects.get()
    assert structure.identifier == WRONG_KEY
    body = response.content.decode()
    assert "clé de contrôle du SIRET 73282932000075 est fausse" in body
    assert "message-warning" in body


def test_the_portal_refuses_the_wrong_key_in_production(client, user):
    client.force_login(user)
    response = client.post("/structures/creer/", {
        "identifier_type": "SIRET", "identifier": WRONG_KEY, "company_name": "Essai",
        "country": "FR"})
    assert response.status_code == 200 and "ORG_INVALID_IDENTIFIER" in response.content.decode()
    assert not Structure.objects.exists()


def test_the_administrator_may_create_a_recipient_with_a_wrong_key(qualification, client,
                                                                  admin):
    client.force_login(admin)
    response = client.post("/administration/destinataires/creer/", {
        "identifier": WRONG_KEY, "company_name": "Commune d'Essai"}, follow=True)
    assert Structure.objects.get().identifier == WRONG_KEY
    assert "est fausse" in response.content.decode()
