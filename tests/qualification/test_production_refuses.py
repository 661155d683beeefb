"""Issue 15: "Same code; qualification features exist only there (production refuses every
qualification route, API operation and command, tested)." One walk over all of them, so that
a route or command added later without its guard fails here."""

from __future__ import annotations

import base64
import re

import pytest
from django.db import transaction
from django.urls import get_resolver, reverse

from choeur.cli import main
from choeur.core.models import AuditEvent
from choeur.organisations import raccordements, services
from choeur.organisations.models import Structure
from choeur.qualification import (
    annuaire_seed,
    errors,
    faults,
    file_test,
    matelas,
    simulator,
)
from choeur.qualification.models import FaultInjection, GeneratedMatelas, RecipientScenario

pytestmark = pytest.mark.django_db


def _qualification_paths() -> list[str]:
    resolver = get_resolver()
    namespace = resolver.namespace_dict["qualification"][1]
    paths = []
    for name in namespace.reverse_dict:
        if not isinstance(name, str):
            continue
        [(candidates, _pattern, _defaults, _converters)] = namespace.reverse_dict.getlist(name)[:1]
        params = candidates[0][1]
        paths.append(reverse(f"qualification:{name}", kwargs={p: 1 for p in params}))
    return sorted(set(paths))


def test_every_qualification_page_is_a_404_in_production(client, admin):
    paths = _qualification_paths()
    assert {"/qualification/horloge/", "/qualification/matelas/",
            "/qualification/tester-un-fichier/", "/qualification/simulateur/"} <= set(paths)
    client.force_login(admin)  # even the platform administrator
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"days": "3", "generated_count": "0"}).status_code == 404, path
    assert not GeneratedMatelas.objects.exists() and not AuditEvent.objects.exists()


def test_the_qualification_api_operation_is_refused_in_production(client, user):
    with transaction.atomic():
        structure = services.create_private_structure(user, "SIRET", "73282932000074",
                                                      {"company_name": "Acme SA"})
        account, password = raccordements.create_technical_account(user, structure)
        api_client, secret = raccordements.create_api_client(user, structure, "ERP")
    token = client.post("/api/oauth/token", {
        "grant_type": "client_credentials", "client_id": api_client.client_id,
        "client_secret": secret}).json()["access_token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_CPRO_ACCOUNT": base64.b64encode(
        f"{account.login}:{password}".encode()).decode()}
    # Without credentials: 401 first, as every operation (nothing disclosed).
    assert client.post("/cpro/qualification/v1/tester/fichier", "{}",
                       content_type="application/json").status_code == 401
    answer = client.post("/cpro/qualification/v1/tester/fichier", "{}",
                         content_type="application/json", **headers)
    assert answer.status_code == 404
    assert "QUAL_QUALIFICATION_ONLY" in answer.json()["libelle"]


@pytest.mark.parametrize("argv", [
    ["matelas", "--email", "stagiaire@exemple.fr"],
    ["matelas", "--email", "stagiaire@exemple.fr", "--seed", "1", "--csv", "out.csv"],
    ["clock"], ["clock", "--advance", "3"],
    ["annuaire-qualification"],
])
def test_every_qualification_command_exits_1_in_production(argv, capsys, tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    assert "QUAL_QUALIFICATION_ONLY" in capsys.readouterr().err
    assert not Structure.objects.exists() and not list(tmp_path.iterdir())



def test_every_qualification_service_refuses_in_production(user, admin):
    calls = [
        lambda: matelas.generate(user),
        lambda: annuaire_seed.populate(count=3),
        lambda: simulator.apply_due(),
        lambda: file_test.check(user, None, b"<x/>", "x.xml"),
    ]
    for call in calls:
        with pytest.raises(errors.QualificationOnly):
            call()
    assert faults.active() is False
    assert not (Structure.objects.exists() or RecipientScenario.objects.exists()
                or FaultInjection.objects.exists())


def test_the_matelas_banner_links_are_absent_in_production(client, user):
    client.force_login(user)
    home = client.get("/").content.decode()
    assert not re.search(r'href="/qualification/', home)
