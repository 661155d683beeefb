"""Issue 15, the matelas de données: a whole data set for one user in a few seconds, the same
for the same seed, its CSV with the contracted columns; production refuses it; bad input
changes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from stdnum.fr import siret

from choeur.organisations.models import Rattachement, Structure
from choeur.qualification import errors, matelas
from choeur.qualification.models import GeneratedMatelas

pytestmark = pytest.mark.django_db


def _generate(user, **kwargs):
    with transaction.atomic():
        return matelas.generate(user, **kwargs)


def test_one_call_builds_every_case_and_the_user_manages_all(qualification, user):
    result = _generate(user, seed=42)
    roles = [(e.role, e.variante) for e in result.entries]
    assert roles == [("fournisseur", ""), ("destinataire", "sans_exigence"),
                     ("destinataire", "code_service"), ("destinataire", "engagement"),
                     ("destinataire", "code_service_et_engagement"), ("destinataire", "etat"),
                     ("maitre_oeuvre", ""), ("maitre_ouvrage", ""), ("cotraitant", ""),
                     ("soustraitant", "")]
    for entry in result.entries:
        s = entry.structure
        assert siret.is_valid(s.identifier)
        assert Rattachement.objects.get(user=user, structure=s).role == (
            Rattachement.Role.GESTIONNAIRE_PRINCIPAL)
        if s.kind == Structure.Kind.PUBLIQUE:
            assert len(entry.engagements) == 2 and entry.services
    flags = {e.variante: (e.structure.service_code_required, e.structure.engagement_required)
             for e in result.of_role("destinataire")}
    assert flags == {"sans_exigence": (False, False), "code_service": (True, False),
                     "engagement": (False, True), "code_service_et_engagement": (True, True),
                     "etat": (False, True)}
    assert result.recipient("etat").services == ["FACTURES_PUBLIQUES"]
    assert result.of_role("maitre_ouvrage")[0].structure.moa
    assert result.supplier.bank_accounts.filter(is_active=True).count() == 1
    assert result.client_secret and result.technical_password
    assert GeneratedMatelas.objects.get(user=user).seed == 42


def test_csv_has_the_contracted_columns(qualification, user):
    result = _generate(user, seed=7)
    text = matelas.to_csv(result, "http://qualif.example:8001/")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == [
        "role", "variante", "type_identifiant", "identifiant", "raison_sociale",
        "id_structure_cpp", "services", "engagements", "token_url", "api_url", "client_id",
        "client_secret", "login_technique", "mot_de_passe_technique"]
    rows = list(reader)
    assert len(rows) == 10
    supplier = rows[0]
    assert supplier["role"] == "fournisseur"
    assert supplier["token_url"] == "http://qualif.example:8001/api/oauth/token"
    assert supplier["api_url"] == "http://qualif.example:8001"
    assert supplier["client_secret"] == result.client_secret
    assert supplier["mot_de_passe_technique"] == result.technical_password
    assert all(not r["client_secret"] for r in rows[1:])
    code_service = next(r for r in rows if r["variante"] == "code_service")
    assert "|" in code_service["services"] and len(code_service["engagements"].split("|")) == 2


def test_same_seed_same_data(qualification, user):
    def draw():
        with transaction.atomic():
            result = matelas.generate(user, seed=1234)
            snapshot = [(e.role, e.structure.identifier, e.structure.company_name, e.services,
                         e.engagements, [b.iban for b in e.structure.bank_accounts.all()])
                        for e in result.entries]
            transaction.set_rollback(True)
        return snapshot

    assert draw() == draw()


def test_a_seed_used_here_already_is_refused_and_nothing_changes(qualification, user,
                                                                 django_user_model):
    _generate(user, seed=99)
    count = Structure.objects.count()
    other = django_user_model.objects.create_user("autre@choeur.test", "x" * 16)
    with pytest.raises(errors.MatelasExists):
        _generate(other, seed=99)
    assert Structure.objects.count() == count
    assert not GeneratedMatelas.objects.filter(user=other).exists()
    # Without a seed, a new draw: a second data set for the same user is fine.
    _generate(user)
    assert GeneratedMatelas.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("seed", ["abc", "-1", str(2**31), "1.5", ""])
def test_bad_seed_is_refused(qualification, user, seed):
    with pytest.raises(errors.MatelasSeedInvalid):
        _generate(user, seed=seed)
    assert not Structure.objects.exists()


def test_chorus_like_invalid_sirets(qualification, user):
    result = _generate(user, seed=3, valid_sirets=False)
    assert not any(siret.is_valid(e.structure.identifier) for e in result.entries)


def test_production_refuses(user):
    with pytest.raises(errors.QualificationOnly):
        _generate(user)
    assert not Structure.objects.exists()
