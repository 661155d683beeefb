"""Issue 16, the PDF of a works piece: beside the invoice, its readable page names the dossier
(number, kind, supplier, MOE, MOA, marché), the piece's place in it (« pièce n du dossier »,
its type, the previous piece) and the amounts — the same marché's earlier états d'acompte
validés cumulated, this piece, and for the MOE's and MOA's pieces the sums admitted beside
those claimed. Invoicing writes it without knowing the dossier (travaux hands the blocks)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal as D

import pypdf
import pytest
from django.db import transaction

from choeur import formats
from choeur.core import clock, storage
from choeur.invoicing.data import LineData
from choeur.travaux import final, services
from tests.invoicing.conftest import RECIPIENT_SIRET, invoice_data

pytestmark = pytest.mark.django_db
MARCHE = "MARCHE-2026-017"


def _in_tx(function, *args, **kwargs):
    with transaction.atomic():
        return function(*args, **kwargs)


def _lines(amount: str, label: str = "Gros œuvre, situation"):
    return [LineData(designation=label, quantity=D(1), unit_price=D(amount), vat_rate=D(20),
                     unit="C62")]


def _claim(bank_account, number: str, amount: str, marche: str = MARCHE):
    return invoice_data(number=number, bank_account_id=bank_account.pk,
                        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA",
                        marche_number=marche, lines=_lines(amount))


def _text(piece) -> str:
    """The readable page's text, blanks made single spaces (pypdf gives no-break spaces back
    as plain ones)."""
    pdf = storage.read(piece.invoice.main_file_sha256)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def _month(works, users, bank_account, number: str, claimed: str, moe_admits: str,
           moa_admits: str | None, marche: str = MARCHE):
    supplier, moe, _moa = works
    supplier_user, moe_user, moa_user = users
    projet = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                    _claim(bank_account, number, claimed, marche),
                    moe_identifier=moe.identifier)
    etat = _in_tx(services.deposit_etat_acompte, moe_user, projet.dossier_id,
                  invoice_data(lines=_lines(moe_admits, "Situation admise")))
    valide = None
    if moa_admits is not None:
        valide = _in_tx(services.validate_etat_acompte, moa_user, projet.dossier_id,
                        invoice_data(lines=_lines(moa_admits, "Situation validée")))
    return projet, etat, valide


@pytest.fixture
def users(supplier_user, titulaire_user, recipient_user):
    return supplier_user, titulaire_user, recipient_user


def test_the_pieces_say_their_dossier_place_and_amounts(works, users, bank_account):
    supplier, moe, moa = works
    # March, validated at 9 000 HT; then April on the same marché.
    _month(works, users, bank_account, "PDM-2026-03", "10000", "9000", "9000")
    with clock.shifted(timedelta(days=30)):
        projet, etat, valide = _month(works, users, bank_account, "PDM-2026-04", "12000",
                                      "11500", "11000")
    dossier = projet.dossier

    first = _text(projet)
    assert "Dossier de facturation travaux" in first
    assert dossier.number in first and "Décompte mensuel" in first
    assert supplier.company_name in first and moe.company_name in first
    assert moa.company_name in first and MARCHE in first
    assert f"pièce 1 du dossier {dossier.number}" in first
    assert "Projet de décompte mensuel" in first
    assert "aucune : première pièce du dossier" in first
    # The earlier month's état d'acompte validé, this claim, their sum.
    assert re.search(r"états d'acompte validés du marché .*9 000,00 €", first)
    assert "Cette pièce 12 000,00 €" in first
    assert "Montant cumulé (antérieur + cette pièce) 21 000,00 €" in first
    assert "Sommes admises" not in first  # the supplier's claim admits nothing

    second = _text(etat)
    assert f"pièce 2 du dossier {dossier.number}" in second
    assert "Type de pièce État d'acompte" in second and "Déposée par Maître d'œuvre" in second
    assert "n° PDM-2026-04 (pièce 1, Projet de décompte mensuel)" in second
    assert "Cette pièce 11 500,00 €" in second
    assert "(antérieur + cette pièce) 20 500,00 €" in second
    assert "Sommes admises (pièce précédente n° PDM-2026-04)" in second
    assert "HT 12 000,00 € 11 500,00 € -500,00 €" in second
    assert "TTC 14 400,00 € 13 800,00 € -600,00 €" in second

    third = _text(valide)
    assert f"pièce 3 du dossier {dossier.number}" in third
    assert "Type de pièce État d'acompte validé" in third
    assert "Déposée par Maître d'ouvrage" in third
    assert f"n° {etat.invoice.number} (pièce 2, État d'acompte)" in third
    assert "HT 11 500,00 € 11 000,00 € -500,00 €" in third
    assert "(antérieur + cette pièce) 20 000,00 €" in third

    # Still a valid Factur-X: the blocks are on the page, not in the EN 16931 data.
    pdf = storage.read(valide.invoice.main_file_sha256)
    report = formats.validate(pdf)
    assert report.valid
    assert b"Sommes admises" not in report.xml and b"pi\xc3\xa8ce 3 du dossier" not in report.xml


def test_another_marche_and_a_refused_month_are_not_cumulated(works, users, bank_account):
    # A refused état d'acompte: the MOE admitted, the MOA has not validated — not cumulated;
    # nor is a validated one of another marché.
    _month(works, users, bank_account, "PDM-2026-01", "5000", "5000", None)
    _month(works, users, bank_account, "PDM-2026-02", "7000", "7000", "7000",
           marche="AUTRE-MARCHE")
    with clock.shifted(timedelta(days=30)):
        projet, _etat, _valide = _month(works, users, bank_account, "PDM-2026-03", "3000",
                                        "3000", None)
    text = _text(projet)
    assert re.search(r"états d'acompte validés du marché .*0,00 €", text)
    assert "Montant cumulé (antérieur + cette pièce) 3 000,00 €" in text


def test_a_final_dossier_piece(works, users, bank_account):
    supplier, moe, moa = works
    supplier_user, moe_user, _moa_user = users
    projet = _in_tx(final.deposit_projet_decompte_final, supplier_user, supplier,
                    _claim(bank_account, "PDF-2026-01", "50000"),
                    moe_identifier=moe.identifier)
    text = _text(projet)
    assert projet.dossier.number in text and "Décompte final" in text
    assert "Projet de décompte final" in text
    general = _in_tx(final.deposit_projet_decompte_general, moe_user, projet.dossier_id,
                     invoice_data(lines=_lines("48000", "Décompte")))
    text = _text(general)
    assert f"pièce 2 du dossier {projet.dossier.number}" in text
    assert "Projet de décompte général" in text
    assert "HT 50 000,00 € 48 000,00 € -2 000,00 €" in text
