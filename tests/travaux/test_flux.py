"""Issue 16, factures de travaux on the structured channels: a Factur-X, UBL or CII whose BT-23
names a works cadre, the MOA as its buyer, the MOE in a « MOE:<SIRET> » note and the previous
piece in BT-25 lands in its dossier through a flux (and the portal's uploads) exactly as the
same piece deposited from the espace Factures de travaux; each bad input is refused with its
code and creates nothing; hostile XML stays refused as before."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from choeur.flux import services as flux_services
from choeur.flux.models import Canal, EtatFlux, Flux, FluxItem
from choeur.formats import model as fmodel
from choeur.formats import travaux as travaux_refs
from choeur.formats import writers
from choeur.invoicing import documents
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import LineData
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.organisations.models import Structure
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux
from tests.invoicing.conftest import OTHER_RECIPIENT_SIRET, RECIPIENT_SIRET, invoice_data

pytestmark = pytest.mark.django_db
S = Status
MOE_SIRET = "78912345200011"  # the `titulaire` structure of the invoicing world, MOE here


def _lines(amount: str):
    return [LineData(designation="Gros œuvre, situation de mars", quantity=D(1),
                     unit_price=D(amount), vat_rate=D(20), unit="C62")]


def write(user, seller, kind: str, *, number: str, cadre: str = "A4", moe: str | None = MOE_SIRET,
          moe_service: str = "", previous: str | None = None, amount: str = "10000",
          buyer: str = RECIPIENT_SIRET, service: str = "COMPTA", bank_account=None) -> bytes:
    """A works piece as the depositor's software writes it (from a draft rolled back)."""
    with transaction.atomic():
        draft = invoicing.save_draft(user, seller, invoice_data(
            number=number, recipient_identifier=buyer, recipient_service_code=service,
            engagement_number="", lines=_lines(amount),
            payment_mode="VIREMENT" if bank_account else "CHEQUE",
            bank_account_id=bank_account.pk if bank_account else None),
            mode_depot=ModeDepot.SAISIE_PORTAIL)
        model = documents.to_model(draft)
        transaction.set_rollback(True)
    notes = list(model.notes)
    if moe:
        notes.append(fmodel.Note(travaux_refs.MOE_NOTE_SUBJECT,
                                 travaux_refs.moe_note(moe, moe_service)))
    model = replace(model, business_process=cadre, notes=notes, preceding_invoices=(
        [fmodel.PrecedingInvoice(previous, None)] if previous else []))
    return {"facturx": writers.to_facturx_pdf, "ubl": writers.to_ubl,
            "cii": writers.to_cii}[kind](model)


def by_flux(user, structure, content: bytes, name: str = "piece.xml") -> Flux:
    with transaction.atomic():
        flux = flux_services.deposit(user, structure, content, name, channel=Canal.PORTAIL,
                                     enqueue=False)
    return flux_services.integrate(flux.pk)


def _refusal(flux: Flux) -> str:
    assert flux.status == EtatFlux.REJETE
    [item] = FluxItem.objects.filter(flux=flux)
    assert not item.accepted and item.invoice is None
    return item.errors[0]["code"]


def _nothing_created(before: int = 0):
    assert Invoice.objects.count() == before
    assert Dossier.objects.count() == (1 if before else 0)


@pytest.fixture
def a4_by_flux(works, supplier_user, bank_account):
    supplier, _moe, _moa = works
    content = write(supplier_user, supplier, "cii", number="PDM-2026-03",
                    bank_account=bank_account)
    flux = by_flux(supplier_user, supplier, content)
    assert flux.status == EtatFlux.INTEGRE, FluxItem.objects.get(flux=flux).errors
    return Piece.objects.get(invoice__number="PDM-2026-03")


@pytest.mark.parametrize("kind", ["facturx", "ubl", "cii"])
def test_each_format_lands_in_a_new_dossier(kind, works, supplier_user, titulaire_user,
                                            bank_account):
    supplier, moe, moa = works
    content = write(supplier_user, supplier, kind, number=f"PDM-{kind}",
                    bank_account=bank_account)
    flux = by_flux(supplier_user, supplier, content, f"pdm.{'pdf' if kind == 'facturx' else 'xml'}")
    assert flux.status == EtatFlux.INTEGRE
    [item] = FluxItem.objects.filter(flux=flux)
    piece = Piece.objects.select_related("invoice", "dossier").get()
    assert item.accepted and item.invoice == piece.invoice and item.number == f"PDM-{kind}"
    invoice, dossier = piece.invoice, piece.dossier
    assert invoice.cadre == TravauxCadre.A4
    assert invoice.type_demande_paiement == TypeDemandePaiement.FACTURE_TRAVAUX
    assert invoice.status == S.MISE_A_DISPOSITION_MOE and invoice.supplier == supplier
    assert invoice.total_ht == D("10000") and invoice.bank_account == bank_account
    assert piece.kind == TypeFactureTravaux.PROJET_DECOMPTE_MENSUEL and piece.position == 1
    assert (dossier.supplier, dossier.moe, dossier.moa) == (supplier, moe, moa)
    assert dossier.moa_service.code == "COMPTA" and dossier.next_actor == Actor.MOE
    # The MOE is told, as for a piece deposited from the portal.
    [told] = Notification.objects.filter(user=titulaire_user, kind="travaux_to_moe")
    assert told.params["dossier"] == dossier.number
    # The file is the original: its XML kept, a Factur-X is the piece's own document.
    assert invoice.mode_depot == ModeDepot.UPLOAD_PORTAIL and invoice.xml_sha256
    assert invoice.syntax == ("UBL" if kind == "ubl" else "CII")
    if kind == "facturx":
        assert invoice.main_file_sha256 == hashlib.sha256(content).hexdigest()


def test_the_moe_and_moa_pieces_follow_through_the_previous_piece(
        works, a4_by_flux, supplier_user, titulaire_user, recipient_user, bank_account):
    supplier, moe, moa = works
    projet = a4_by_flux
    # The MOE's software: the titulaire is still the seller, BT-25 the projet's number.
    etat = write(supplier_user, supplier, "ubl", number="EA-MOE-7", cadre="A15", moe=None,
                 previous="PDM-2026-03", amount="9000")
    flux = by_flux(titulaire_user, moe, etat)
    assert flux.status == EtatFlux.INTEGRE, FluxItem.objects.get(flux=flux).errors
    projet.invoice.refresh_from_db()
    assert projet.invoice.status == S.ASSOCIEE
    a15 = Piece.objects.select_related("invoice").get(previous=projet)
    assert a15.kind == TypeFactureTravaux.ETAT_ACOMPTE and a15.depositor == moe
    assert a15.invoice.cadre == TravauxCadre.A15 and a15.dossier == projet.dossier
    assert a15.invoice.status == S.MISE_A_DISPOSITION_MOA
    assert a15.invoice.total_ht == D("9000") and a15.claimed_ht == D("10000")
    assert Notification.objects.filter(user=recipient_user, kind="travaux_to_moa").count() == 1
    # The MOA's état d'acompte validé, by flux too, names the MOE's piece by its number.
    valide = write(supplier_user, supplier, "facturx", number="EAV-MOA-1", cadre="A19",
                   moe=None, previous=a15.invoice.number, amount="9000")
    flux = by_flux(recipient_user, moa, valide, "eav.pdf")
    assert flux.status == EtatFlux.INTEGRE, FluxItem.objects.get(flux=flux).errors
    a19 = Piece.objects.select_related("invoice").get(previous=a15)
    assert a19.invoice.status == S.DEPOSEE and a19.depositor == moa
    assert [p.position for p in projet.dossier.pieces.all()] == [1, 2, 3]


def _moe_file(supplier_user, supplier, **changes):
    return write(supplier_user, supplier, "cii", number="EA-MOE-7",
                 **{"cadre": "A15", "moe": None, "previous": "PDM-2026-03", "amount": "9000",
                    **changes})


def test_a_piece_without_previous_or_with_an_unknown_one_is_refused(
        works, a4_by_flux, supplier_user, titulaire_user):
    supplier, moe, _moa = works
    for previous, code in ((None, "TRAV_PREVIOUS_REQUIRED"),
                           ("PDM-INCONNU", "TRAV_PREVIOUS_NOT_FOUND")):
        flux = by_flux(titulaire_user, moe, _moe_file(supplier_user, supplier,
                                                      previous=previous))
        assert _refusal(flux) == code
    assert Invoice.objects.count() == 1 and Piece.objects.count() == 1
    a4_by_flux.invoice.refresh_from_db()
    assert a4_by_flux.invoice.status == S.MISE_A_DISPOSITION_MOE


def test_a_previous_piece_of_another_supplier_is_refused(works, a4_by_flux, titulaire_user):
    _supplier, moe, _moa = works
    siren = int(MOE_SIRET[:9])  # a seller needs its VAT number (BR-S-02)
    Structure.objects.filter(pk=moe.pk).update(
        vat_number=f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren}")
    moe.refresh_from_db()
    # The file's seller (the MOE itself here) is not the dossier's supplier.
    content = write(titulaire_user, moe, "cii", number="EA-X", cadre="A15", moe=None,
                    previous="PDM-2026-03", amount="9000")
    assert _refusal(by_flux(titulaire_user, moe, content)) == "TRAV_PREVIOUS_OTHER_SUPPLIER"
    assert Invoice.objects.count() == 1 and Piece.objects.count() == 1


def test_a_piece_from_the_wrong_party_of_the_dossier_is_refused(
        works, a4_by_flux, supplier_user, recipient_user):
    supplier, _moe, moa = works
    # The MOA deposits the MOE's état d'acompte: a party of the dossier, not its MOE.
    flux = by_flux(recipient_user, moa, _moe_file(supplier_user, supplier))
    assert _refusal(flux) == "TRAV_PIECE_NOT_EXPECTED"
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(("changes", "code"), [
    ({"moe": None}, "TRAV_MOE_REQUIRED"),
    ({"moe": "35600000000048"}, "TRAV_MOE_UNKNOWN"),
    ({"moe_service": "NOPE"}, "INV_SERVICE_UNKNOWN"),
    ({"buyer": OTHER_RECIPIENT_SIRET, "service": ""}, "TRAV_MOA_REQUIRED"),
])
def test_a_projet_with_a_bad_moe_or_moa_is_refused(changes, code, works, other_recipient,
                                                   supplier_user, bank_account):
    supplier, _moe, _moa = works
    content = write(supplier_user, supplier, "cii", number="PDM-BAD", bank_account=bank_account,
                    **changes)
    flux = by_flux(supplier_user, supplier, content)
    assert _refusal(flux) == code
    _nothing_created()
    assert not Notification.objects.filter(kind="travaux_to_moe").exists()


def test_an_unknown_works_cadre_is_not_taken_for_an_ordinary_invoice(works, supplier_user,
                                                                    bank_account):
    supplier, _moe, _moa = works
    content = write(supplier_user, supplier, "cii", number="PDM-A10", cadre="A10",
                    bank_account=bank_account)
    assert _refusal(by_flux(supplier_user, supplier, content)) == "TRAV_CADRE_NOT_HERE"
    _nothing_created()


@pytest.mark.parametrize(("body", "code"), [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
     b'CrossIndustryInvoice:100">&x;</rsm:CrossIndustryInvoice>', "XML_FORBIDDEN_DTD"),
    (b"<rsm:CrossIndustryInvoice><ram:ID>A4</ram:ID>", "XML_MALFORMED"),
])
def test_hostile_or_malformed_xml_stays_refused(body, code, works, supplier_user):
    supplier, _moe, _moa = works
    flux = by_flux(supplier_user, supplier, body)
    assert flux.status == EtatFlux.REJETE
    [item] = FluxItem.objects.filter(flux=flux)
    assert code in {e["code"] for e in item.errors}
    _nothing_created()


def test_verifying_a_works_flux_writes_nothing(works, supplier_user, bank_account):
    supplier, _moe, _moa = works
    content = write(supplier_user, supplier, "ubl", number="PDM-V", bank_account=bank_account)
    with transaction.atomic():
        flux, items = flux_services.verify(supplier_user, supplier, content, "pdm.xml")
    assert flux.status == EtatFlux.INTEGRE and [i.accepted for i in items] == [True]
    bad = write(supplier_user, supplier, "ubl", number="PDM-V2", moe=None,
                bank_account=bank_account)
    with transaction.atomic():
        flux, items = flux_services.verify(supplier_user, supplier, bad, "pdm.xml")
    assert items[0].errors[0]["code"] == "TRAV_MOE_REQUIRED"
    _nothing_created()
    assert not Notification.objects.filter(kind="travaux_to_moe").exists()


def test_the_portal_uploads_accept_a_works_file(client, works, supplier_user, bank_account,
                                                run_tasks):
    supplier, _moe, _moa = works
    client.force_login(supplier_user)
    # « Suivi des flux » › déposer un flux.
    content = write(supplier_user, supplier, "facturx", number="PDM-PORTAIL",
                    bank_account=bank_account)
    response = client.post(reverse("flux:deposit"), {
        "structure": supplier.pk, "syntaxe": "",
        "fichier": SimpleUploadedFile("pdm.pdf", content, "application/pdf")})
    assert response.status_code == 302
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INTEGRE
    assert Piece.objects.get().invoice.number == "PDM-PORTAIL"
    # « Déposer un fichier structuré »: the piece joins its dossier, the page says where.
    content = write(supplier_user, supplier, "cii", number="PDM-UNIT",
                    bank_account=bank_account)
    response = client.post(reverse("invoicing:deposit_structured", args=[supplier.pk]), {
        "cadre": "A1_FACTURE_FOURNISSEUR", "action": "deposit",
        "document": SimpleUploadedFile("pdm.xml", content, "application/xml")})
    piece = Piece.objects.get(invoice__number="PDM-UNIT")
    assert response.status_code == 302
    assert response.url == reverse("travaux:detail", args=[piece.dossier_id])
    assert piece.invoice.status == S.MISE_A_DISPOSITION_MOE
    # A bad one says its code on the form, and nothing is created.
    content = write(supplier_user, supplier, "cii", number="PDM-NOMOE", moe=None,
                    bank_account=bank_account)
    response = client.post(reverse("invoicing:deposit_structured", args=[supplier.pk]), {
        "cadre": "A1_FACTURE_FOURNISSEUR", "action": "deposit",
        "document": SimpleUploadedFile("pdm.xml", content, "application/xml")})
    assert response.status_code == 400 and "TRAV_MOE_REQUIRED" in response.content.decode()
    assert Piece.objects.count() == 2


def test_the_references_are_read_alike_from_each_syntax(works, supplier_user, bank_account):
    from choeur import formats
    from choeur.formats.pdf import extract_invoice

    supplier, _moe, _moa = works
    read = []
    for kind in ("facturx", "ubl", "cii"):
        content = write(supplier_user, supplier, kind, number="EA-1", cadre="A15",
                        moe_service="MOE-SVC", previous="PDM-2026-03")
        xml = extract_invoice(content).xml if kind == "facturx" else content
        read.append(travaux_refs.references(formats.read(xml)))
    assert read[0] == read[1] == read[2] == travaux_refs.Travaux(
        "A15", travaux_refs.PartyRef(MOE_SIRET, "MOE-SVC"),
        travaux_refs.PartyRef(RECIPIENT_SIRET, "COMPTA"), "PDM-2026-03")
