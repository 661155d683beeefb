"""Issue 16, the matelas de données's works set: with the matelas's supplier (and co-traitant),
maître d'œuvre and maître d'ouvrage, a dossier at each stage of the monthly and final circuits
— the right status and next actor —, visible to the matelas's user in its espace Factures de
travaux, where the trainee picks the circuit up; the same for the same seed; the CSV's
columns (a contract) unchanged."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.urls import reverse

from choeur.core.worker import run_ready
from choeur.invoicing.data import InvoiceData, LineData
from choeur.invoicing.statuses import Status
from choeur.qualification import matelas
from choeur.travaux import errors, queries, services
from choeur.travaux.models import Actor, Dossier, TypeFactureTravaux

pytestmark = pytest.mark.django_db
S, K = Status, TypeFactureTravaux

#: stage → (dossier kind, last piece's kind, its status, dossier.next_actor, who acts now)
EXPECTED = {
    # Paid: the dossier is closed (travaux/lifecycle.py follows the paying service).
    "mensuel_paye": ("MENSUEL", K.ETAT_ACOMPTE_VALIDE, S.MISE_EN_PAIEMENT, "", ""),
    "mensuel_service_payeur": ("MENSUEL", K.ETAT_ACOMPTE_VALIDE, S.MISE_A_DISPOSITION,
                               Actor.DESTINATAIRE, Actor.DESTINATAIRE),
    "mensuel_attente_moa": ("MENSUEL", K.ETAT_ACOMPTE, S.MISE_A_DISPOSITION_MOA, Actor.MOA,
                            Actor.MOA),
    "mensuel_attente_moe": ("MENSUEL", K.PROJET_DECOMPTE_MENSUEL, S.MISE_A_DISPOSITION_MOE,
                            Actor.MOE, Actor.MOE),
    "mensuel_cotraitant": ("MENSUEL", K.PROJET_DECOMPTE_MENSUEL, S.MISE_A_DISPOSITION_MOE,
                           Actor.MOE, Actor.MOE),
    "mensuel_refuse_moe": ("MENSUEL", K.PROJET_DECOMPTE_MENSUEL, S.REFUSEE_MOE, "", ""),
    "mensuel_delai_moe": ("MENSUEL", K.PROJET_DECOMPTE_MENSUEL,
                          S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE, Actor.MOA, Actor.MOA),
    "final_attente_moe": ("FINAL", K.PROJET_DECOMPTE_FINAL, S.MISE_A_DISPOSITION_MOE, Actor.MOE,
                          Actor.MOE),
    "final_attente_titulaire": ("FINAL", K.DECOMPTE_GENERAL, S.A_ASSOCIER_FOURNISSEUR,
                                Actor.FOURNISSEUR, Actor.FOURNISSEUR),
    "final_dgd_signe": ("FINAL", K.DECOMPTE_GENERAL_SIGNE, S.MISE_A_DISPOSITION,
                        Actor.DESTINATAIRE, Actor.DESTINATAIRE),
}


def _generate(user, **kwargs):
    """A data set, then its works set as the worker builds it just after (run_ready)."""
    with transaction.atomic():
        generated = matelas.generate(user, **kwargs)
    assert generated.travaux_pending and not generated.travaux
    run_ready()
    return matelas.latest(user)


@pytest.fixture
def generated(qualification, user):
    return _generate(user, seed=42)


def _by_stage(result) -> dict:
    return {row.stage: row for row in result.travaux}


def _admitted(amount: str) -> InvoiceData:
    return InvoiceData(lines=[LineData(designation="Admis", quantity=D(1),
                                       unit_price=D(amount), vat_rate=D(20), unit="LS")])


def test_a_dossier_at_each_stage_with_its_status_and_next_actor(generated, user):
    rows = _by_stage(generated)
    assert list(rows) == list(EXPECTED)
    role = {e.role: e.structure for e in generated.entries if e.role != "destinataire"}
    for stage, (kind, last_kind, status, next_actor, acting) in EXPECTED.items():
        dossier = Dossier.objects.get(pk=rows[stage].dossier.pk)
        pieces = queries.pieces_of(dossier)
        last = pieces[-1]
        assert (dossier.kind, last.kind, last.invoice.status, dossier.next_actor) == (
            kind, last_kind, status, next_actor), stage
        assert queries.waiting_for(dossier, last) == acting, stage
        assert [p.position for p in pieces] == list(range(1, len(pieces) + 1))
        # The matelas's parties; the co-traitant's own dossier for its A13.
        assert dossier.supplier == role["cotraitant" if stage == "mensuel_cotraitant"
                                        else "fournisseur"], stage
        assert (dossier.moe, dossier.moa) == (role["maitre_oeuvre"], role["maitre_ouvrage"])
        assert dossier.marche_number and last.invoice.main_file_sha256  # its PDF made
    cotraitant = Dossier.objects.get(pk=rows["mensuel_cotraitant"].dossier.pk)
    assert cotraitant.pieces.get().invoice.cadre.startswith("A13_")
    # The refused one keeps its reason; the lapsed one its deadline passed.
    refused = Dossier.objects.get(pk=rows["mensuel_refuse_moe"].dossier.pk).pieces.get()
    assert refused.invoice.history.filter(status=S.REFUSEE_MOE).get().comment
    lapsed = Dossier.objects.get(pk=rows["mensuel_delai_moe"].dossier.pk).pieces.get()
    assert lapsed.invoice.history.filter(
        status=S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE).exists()
    # The DGD repeats the décompte général's amounts.
    signed = queries.pieces_of(rows["final_dgd_signe"].dossier)
    assert signed[-1].invoice.total_ht == signed[-2].invoice.total_ht


def test_the_user_sees_them_in_its_espace_and_picks_the_circuit_up(generated, user, client):
    rows = _by_stage(generated)
    numbers = {row.dossier.number for row in generated.travaux}
    assert set(queries.dossiers(user).values_list("number", flat=True)) == numbers
    waiting = set(queries.to_process(user, queries.listed(user)).values_list("number",
                                                                            flat=True))
    assert waiting == {rows[s].dossier.number for s, e in EXPECTED.items()
                       if e[3] in (Actor.MOE, Actor.MOA, Actor.FOURNISSEUR)}
    client.force_login(user)
    listing = client.get(reverse("travaux:list")).content.decode()
    assert all(number in listing for number in numbers)
    page = client.get(reverse("qualification:matelas")).content.decode()
    assert 'data-testid="matelas-travaux"' in page
    assert all(f'data-dossier="{number}"' in page for number in numbers)
    detail = client.get(reverse("travaux:detail", args=[rows["mensuel_attente_moe"].dossier.pk]))
    assert detail.status_code == 200

    # From any step: the MOE's état d'acompte on the waiting projet; on the lapsed one the
    # MOE is too late and the MOA validates from the projet itself.
    with transaction.atomic():
        etat = services.deposit_etat_acompte(user, rows["mensuel_attente_moe"].dossier.pk,
                                             _admitted("1000"))
    assert etat.invoice.status == S.MISE_A_DISPOSITION_MOA
    lapsed = rows["mensuel_delai_moe"].dossier.pk
    with pytest.raises(errors.DeadlinePassed), transaction.atomic():
        services.deposit_etat_acompte(user, lapsed, _admitted("1000"))
    with transaction.atomic():
        valide = services.validate_etat_acompte(user, lapsed, _admitted("1000"))
    assert valide.invoice.status == S.DEPOSEE


def test_an_outsider_sees_none_of_them(generated, django_user_model):
    outsider = django_user_model.objects.create_user("dehors@choeur.test", None)
    assert not queries.dossiers(outsider).exists()
    assert generated.travaux
    with pytest.raises(errors.DossierNotFound):
        queries.dossier(outsider, dossier_id=generated.travaux[0].dossier.pk)


def _snapshot(result) -> list:
    return [(row.stage, row.dossier.number, row.dossier.marche_number,
             [(p.kind, p.invoice.number, p.invoice.total_ht, p.invoice.total_ttc,
               p.invoice.status) for p in queries.pieces_of(row.dossier)])
            for row in result.travaux]


def test_the_same_seed_gives_the_same_dossiers(qualification, user):
    class Undo(Exception):
        pass

    snapshots = []
    for _ in range(2):
        try:
            with transaction.atomic():
                matelas.generate(user, seed=2024)
                run_ready()
                snapshots.append(_snapshot(matelas.latest(user)))
                raise Undo
        except Undo:
            pass
    assert snapshots[0] == snapshots[1]
    assert len({n for _s, _d, _m, pieces in snapshots[0] for _k, n, *_ in pieces}) > 10
    other = _generate(user, seed=2025)
    assert _snapshot(other) != snapshots[0]


def test_the_csv_keeps_its_columns_and_one_row_per_structure(generated):
    text = matelas.to_csv(generated, "http://qualif.example:8001/")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == matelas.CSV_COLUMNS
    assert len(list(reader)) == len(generated.entries)


def test_mon_matelas_reads_them_back(generated, user):
    again = matelas.latest(user)
    assert [row.dossier.pk for row in again.travaux] == [
        row.dossier.pk for row in generated.travaux]
    assert all(row.last_status for row in again.travaux)
