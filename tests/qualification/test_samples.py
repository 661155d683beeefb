"""Issue 15, sample invoices of a matelas: each recipient case in Factur-X, UBL and CII that a
deposit accepts, and files that fail each platform check; `index.csv` says truly what a
deposit of each gets."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.db import transaction

from choeur.core.errors import ChoeurError
from choeur.invoicing import structured
from choeur.invoicing.models import Invoice
from choeur.qualification import matelas, samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_set(qualification, user):
    with transaction.atomic():
        return matelas.generate(user, seed=5)


def _deposit(user, supplier, sample) -> str:
    try:
        with transaction.atomic():
            structured.deposit_file(user, supplier, sample.content, sample.fichier,
                                    cadre="A1_FACTURE_FOURNISSEUR")
    except ChoeurError as exc:
        return exc.code
    return samples.ACCEPTED


def test_every_sample_gets_what_the_index_says(data_set, user):
    before = Invoice.objects.count()  # the matelas's works pieces
    built = samples.build(data_set)
    assert Invoice.objects.count() == before  # building wrote nothing
    valid = [s for s in built if s.attendu == samples.ACCEPTED]
    works = {s.fichier for s in built if s.variante == samples.TRAVAUX}
    assert {(s.variante, s.format) for s in valid if s.fichier not in works} == {
        (v, f) for v in matelas.VARIANTS for f in ("facturx", "ubl", "cii")}
    # Factures de travaux (issue 16): a projet de décompte mensuel in each format, two refusals.
    assert {(s.format, s.attendu) for s in built if s.fichier in works} == {
        ("facturx", "IN_INTEGRE"), ("ubl", "IN_INTEGRE"), ("cii", "IN_INTEGRE"),
        ("cii", "TRAV_MOE_REQUIRED"), ("ubl", "TRAV_MOA_REQUIRED")}
    refused = [s.attendu for s in built if s.attendu != samples.ACCEPTED]
    assert set(refused) >= {"INV_SERVICE_REQUIRED", "INV_SERVICE_UNKNOWN",
                            "INV_ENGAGEMENT_REQUIRED", "INV_ENGAGEMENT_UNKNOWN",
                            "INV_RECIPIENT_UNKNOWN", "INV_FILE_INVALID",
                            "INV_NUMBER_ALREADY_USED", "INV_BANK_ACCOUNT_REQUIRED",
                            "INV_DATE_IN_FUTURE"}
    assert {s.format for s in built} == {"facturx", "ubl", "cii", "pdf"}
    # In the index's order (the duplicate comes after its twin): each gets what it says.
    got = {s.fichier: _deposit(user, data_set.supplier, s) for s in built}
    assert got == {s.fichier: s.attendu for s in built}
    assert Invoice.objects.count() == before + len(valid)


def test_written_to_a_folder_with_its_index(data_set, tmp_path):
    built = samples.build(data_set)
    samples.write(built, tmp_path / "echantillons")
    with open(tmp_path / "echantillons" / "index.csv", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["fichier", "format", "destinataire", "variante", "attendu"]
        rows = list(reader)
    assert len(rows) == len(built)
    for row in rows:
        assert (tmp_path / "echantillons" / row["fichier"]).is_file()
        assert row["destinataire"] in {e.structure.identifier for e in data_set.entries}
    archive = zipfile.ZipFile(io.BytesIO(samples.as_zip(built)))
    assert sorted(archive.namelist()) == sorted(
        [s.fichier for s in built] + ["index.csv", "LISEZMOI.txt"])
