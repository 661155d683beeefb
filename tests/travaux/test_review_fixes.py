"""What a review found, as an attacker would, on the works circuit: each a test that failed
before its fix. Sums admitted above the claim in TTC (a higher VAT rate); a MOE refusing a final
dossier's projet; a user limited to some services of its structure reading and acting on the
dossiers of another service; a MOE's file carrying its own IBAN and PDF to the paying service."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from choeur.core import clock, storage
from choeur.flux.models import EtatFlux, FluxItem
from choeur.formats import model as fmodel
from choeur.formats import writers
from choeur.invoicing import documents
from choeur.invoicing import queries as invoicing_queries
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import LineData
from choeur.invoicing.models import ModeDepot
from choeur.invoicing.statuses import Status
from choeur.organisations import services as org
from choeur.organisations.models import Espace
from choeur.travaux import errors, final, recycling, services, variants
from choeur.travaux.models import Actor, Dossier, Piece
from tests.invoicing.conftest import invoice_data
from tests.organisations.conftest import make_user, run

from .test_final import _own
from .test_flux import _lines as _flux_lines
from .test_flux import by_flux, write
from .test_monthly import _admitted, _claim, _in_tx
from .test_portal import _as, _lines

pytestmark = pytest.mark.django_db
ATTACKER_IBAN = "FR7630006000011234567890189"


# --- Sums admitted: never more TTC than claimed --------------------------------------------------


@pytest.fixture
def reduced_rate(works, supplier_user, bank_account):
    """A projet claimed at 5.5 %: 10,000 HT, 10,550 TTC."""
    supplier, moe, _moa = works
    claim = _claim(bank_account)
    claim.lines = [LineData(designation="Gros oeuvre", quantity=D(1),
                            unit_price=D("10000"), vat_rate=D("5.5"), unit="C62")]
    return _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                  claim, moe_identifier=moe.identifier)


def _at_rate(amount, rate):
    return invoice_data(lines=[LineData(designation="Gros oeuvre", quantity=D(1),
                                        unit_price=D(amount), vat_rate=D(rate), unit="C62")])


@pytest.mark.parametrize("use_case", [services.deposit_etat_acompte,
                                      variants.deposit_etat_acompte_valide_moe])
def test_the_moe_admits_no_more_ttc_than_claimed(reduced_rate, titulaire_user, use_case):
    with pytest.raises(errors.AmountsInconsistent):
        _in_tx(use_case, titulaire_user, reduced_rate.dossier.pk, _at_rate("10000", "20"))
    assert reduced_rate.dossier.pieces.count() == 1


def test_nor_through_the_page(client, reduced_rate, titulaire_user):
    url = reverse("travaux:etat_acompte_valide", args=[reduced_rate.dossier.pk])
    response = _as(client, titulaire_user).post(url, {"etat-comment": "", **_lines(
        "etat-lines", {"designation": "Gros oeuvre", "quantity": "1", "unit": "C62",
                       "unit_price": "10000", "discount": "", "vat_rate": "20",
                       "admitted": "10000"})})
    assert response.status_code == 400 and "TRAV_AMOUNTS_INCONSISTENT" in \
        response.content.decode()
    assert reduced_rate.dossier.pieces.count() == 1


# --- A final dossier's projet is not refused --------------------------------------------------


def test_the_moe_cannot_refuse_a_projet_de_decompte_final(client, projet_final,
                                                          titulaire_user):
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.refuse_as_moe, titulaire_user, projet_final.dossier.pk,
               "Travaux non réalisés")
    _as(client, titulaire_user).post(reverse("travaux:refuse", args=[projet_final.dossier.pk]),
                                     {"refus-motif": "Travaux non réalisés",
                                      "refus-details": ""})
    projet_final.invoice.refresh_from_db()
    assert projet_final.invoice.status == Status.MISE_A_DISPOSITION_MOE


# --- A rattachement limited to some services --------------------------------------------------


@pytest.fixture
def achats_only(works, recipient_user):
    """A user of the MOA limited to its service ACHATS; the dossier's paying service is
    COMPTA."""
    _supplier, _moe, recipient = works
    user = make_user("achats@drfip.gouv.fr")
    service = recipient.services.get(code="ACHATS")
    run(org.attach_user, recipient_user, recipient, user.email, [service.pk])
    rattachement = user.rattachements.get()
    for espace in (Espace.FACTURES_RECUES, Espace.FACTURES_TRAVAUX):
        run(org.set_habilitation, recipient_user, recipient, rattachement.pk, espace,
            "MODIFICATION")
    return user


def test_a_user_limited_to_another_service_neither_sees_nor_acts(
        client, deposited, titulaire_user, achats_only, recipient_user):
    a15 = _in_tx(services.deposit_etat_acompte, titulaire_user, deposited.dossier.pk,
                 _admitted("9000"))
    assert a15.invoice.recipient_service.code == "COMPTA"
    assert not invoicing_queries.received_invoices(achats_only).filter(
        pk=a15.invoice_id).exists()  # invoicing's own rule, which travaux follows
    c = _as(client, achats_only)
    assert c.get(reverse("travaux:detail", args=[deposited.dossier.pk])).status_code == 404
    assert c.get(reverse("travaux:piece_document",
                         args=[deposited.dossier.pk, a15.pk])).status_code == 404
    assert deposited.dossier.number not in c.get(reverse("travaux:list")).content.decode()
    with pytest.raises(errors.DossierNotFound):
        _in_tx(services.validate_etat_acompte, achats_only, deposited.dossier.pk,
               _admitted("9000"))
    assert deposited.dossier.pieces.count() == 2
    # The whole structure's users still do.
    assert _as(client, recipient_user).get(
        reverse("travaux:detail", args=[deposited.dossier.pk])).status_code == 200


# --- A MOE's file: its data and document are Choeur's, the file kept beside -----------------


def _moe_file(user, seller, bank_account, *, number, cadre, previous, amount):
    with transaction.atomic():
        draft = invoicing.save_draft(user, seller, invoice_data(
            number=number, recipient_service_code="COMPTA", engagement_number="",
            lines=_flux_lines(amount), payment_mode="VIREMENT",
            bank_account_id=bank_account.pk), mode_depot=ModeDepot.SAISIE_PORTAIL)
        model = documents.to_model(draft)
        transaction.set_rollback(True)
    means = [replace(pm, iban=ATTACKER_IBAN, account_name="MOE SARL")
             for pm in model.payment_means]
    model = replace(model, business_process=cadre, payment_means=means,
                    preceding_invoices=[fmodel.PrecedingInvoice(previous, None)])
    return writers.to_facturx_pdf(model)


def test_a_moe_file_carries_neither_its_iban_nor_its_pdf_to_the_payer(
        works, supplier_user, titulaire_user, bank_account):
    supplier, moe, _moa = works
    a4 = by_flux(supplier_user, supplier, write(supplier_user, supplier, "cii",
                                                number="PDM-2026-03", bank_account=bank_account))
    assert a4.status == EtatFlux.INTEGRE
    a4_by_flux = Piece.objects.get(invoice__number="PDM-2026-03")
    content = _moe_file(supplier_user, supplier, bank_account,
                        number=f"{a4_by_flux.dossier.number}-2", cadre="A16",
                        previous="PDM-2026-03", amount="9000")
    flux = by_flux(titulaire_user, moe, content, "a16.pdf")
    assert flux.status == EtatFlux.INTEGRE, FluxItem.objects.get(flux=flux).errors
    invoice = Piece.objects.select_related("invoice").get(previous=a4_by_flux).invoice
    assert ATTACKER_IBAN not in storage.read(invoice.xml_sha256).decode()
    assert invoice.main_file_sha256 != hashlib.sha256(content).hexdigest()
    [original] = invoice.attachments.all()  # the file as deposited, kept
    assert storage.read(original.sha256) == content


# --- Two first deposits at once on PostgreSQL: two dossiers, two numbers ---------------------


@pytest.mark.django_db(transaction=True)
def test_two_first_deposits_at_once_get_two_numbers(works, supplier_user, titulaire_user,
                                                    bank_account, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take their turn already (BEGIN IMMEDIATE)")
    supplier, moe, _moa = works
    moe.vat_number, moe.address_line1 = "FR08789123452", "1 rue de Rivoli"
    moe.save()
    barrier = threading.Barrier(2, timeout=20)
    real = services._numbering_turn

    def together():
        barrier.wait()  # both deposits are in their transactions, about to start
        return real()

    monkeypatch.setattr(services, "_numbering_turn", together)
    outcome = {}

    def deposit(n):
        try:
            if n == 1:
                outcome[n] = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                                    _claim(bank_account, number="PDM-RACE-1"),
                                    moe_identifier=moe.identifier)
            else:  # another supplier (the MOE's structure), the first one as its MOE
                data = _claim(bank_account, number="PDM-RACE-2")
                data.bank_account_id, data.payment_mode = None, "CHEQUE"
                outcome[n] = _in_tx(services.deposit_projet_decompte, titulaire_user, moe,
                                    data, moe_identifier=supplier.identifier)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deposit, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(value, Piece) for value in outcome.values()), outcome
    assert len(set(Dossier.objects.values_list("number", flat=True))) == 2


# --- The tacit procedure is not stopped by a recycling request -------------------------------


def test_the_moa_cannot_stop_the_tacit_procedure_by_a_recycling_request(
        projet_general, supplier_user, recipient_user):
    dossier = projet_general.dossier
    with clock.shifted(timedelta(days=30, minutes=1)):
        a22 = _in_tx(final.deposit_projet_tacite, supplier_user, dossier.pk,
                     _own("PDGT-2026-01", "9800"))
        with pytest.raises(errors.PieceNotExpected):
            _in_tx(recycling.request_recycling, recipient_user, dossier.pk, Actor.MOA,
                   "Ce dossier n'est pas le nôtre")
    a22.invoice.refresh_from_db()
    assert a22.invoice.status == Status.MISE_A_DISPOSITION_MOA
