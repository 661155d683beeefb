"""Issue 16, sous-traitance and co-traitance (travaux/subcontracting.py): a sous-traitant's
projet de décompte mensuel (A10) waits for its titulaire (15 days), who accepts it — on to the
MOE, the MOA and the paying service, the sous-traitant paid directly — or refuses it; silent,
a reminder then the tacit validation. A co-traitant's A13/A14 names its mandataire, who
follows it. The titulaire's list and actions through the portal; outsiders and forged ids
find nothing; bad input is coded and changes nothing.

The world: the invoicing tests' supplier (Papeterie Lumière) is the titulaire of the marché,
« Bâtiments Titulaire SA » the MOE (as in test_monthly), the public recipient the MOA, and a
fourth structure the sous-traitant."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.urls import reverse

from choeur.core import clock
from choeur.core.worker import enqueue_timers
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import queries as invoicing_queries
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import LineData
from choeur.invoicing.models import Invoice, StatusChange, TravauxCadre, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.organisations import services as org
from choeur.organisations.models import Espace
from choeur.travaux import errors, queries, services, subcontracting
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux
from tests.invoicing.conftest import RECIPIENT_SIRET, invoice_data, run
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db
S = Status
SOUSTRAITANT_SIRET = "44321001800018"
SOUSTRAITANT_IBAN = "FR7630006000011234567890189"


def _in_tx(function, *args, **kwargs):
    with transaction.atomic():
        return function(*args, **kwargs)


@pytest.fixture
def soustraitant_user(db):
    return make_user("compta@electricite-sud.fr", first_name="Sam", last_name="Sous-Traitant")


@pytest.fixture
def soustraitant(soustraitant_user):
    structure = run(org.create_private_structure, soustraitant_user, "SIRET",
                    SOUSTRAITANT_SIRET, {"company_name": "Électricité du Sud SARL",
                                         "vat_number": "FR44443210018",
                                         "postcode": "13001", "city": "Marseille"})
    run(org.add_bank_account, soustraitant_user, structure, "Compte courant",
        "Électricité du Sud SARL", SOUSTRAITANT_IBAN, "AGRIFRPP")
    run(org.set_espace_open, soustraitant_user, structure, Espace.FACTURES_TRAVAUX, True)
    return structure


def _claim(structure, number="ST-2026-03", **overrides):
    return invoice_data(number=number, bank_account_id=structure.bank_accounts.get().pk,
                        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA",
                        marche_number="M-2026-12",
                        lines=[LineData(designation="Électricité, situation de mars",
                                        quantity=D(1), unit_price=D("4000"), vat_rate=D(20),
                                        unit="C62")], **overrides)


def _admitted(amount: str):
    return invoice_data(lines=[LineData(designation="Électricité, situation de mars (admis)",
                                        quantity=D(1), unit_price=D(amount), vat_rate=D(20),
                                        unit="C62")])


@pytest.fixture
def a10(works, soustraitant, soustraitant_user):
    """The sous-traitant's projet: titulaire the works' supplier, MOE and MOA the works'."""
    titulaire, moe, _moa = works
    return _in_tx(subcontracting.deposit_projet_soustraitant, soustraitant_user, soustraitant,
                  _claim(soustraitant), titulaire_identifier=titulaire.identifier,
                  moe_identifier=moe.identifier)


@pytest.fixture
def outsider(other_recipient):
    return other_recipient.rattachements.get().user


def _history(invoice) -> list[str]:
    return list(StatusChange.objects.filter(invoice=invoice).order_by("pk")
                .values_list("status", flat=True))


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk")
                .values_list("kind", flat=True))


def _state():
    return (Invoice.objects.count(), Dossier.objects.count(), Piece.objects.count(),
            StatusChange.objects.count(), Notification.objects.count(),
            list(Invoice.objects.order_by("pk").values_list("status", flat=True)),
            list(Dossier.objects.order_by("pk").values_list("next_actor", "due_at")))


# --- The A10 path -------------------------------------------------------------------------------


def test_a10_through_the_titulaire_the_moe_and_the_moa_to_the_paying_service(
        works, soustraitant, soustraitant_user, a10, supplier_user, titulaire_user,
        recipient_user, run_tasks):
    titulaire, moe, moa = works
    dossier, projet = a10.dossier, a10.invoice
    deposited_at = projet.deposited_at
    assert projet.cadre == TravauxCadre.A10 and projet.status == S.A_VALIDER_1
    assert projet.type_demande_paiement == TypeDemandePaiement.FACTURE_TRAVAUX
    assert a10.kind == TypeFactureTravaux.DP_DE_SOUSTRAITANT_TRAVAUX
    assert projet.supplier == soustraitant and projet.recipient == moa  # paid directly
    assert (dossier.supplier, dossier.titulaire, dossier.moe, dossier.moa) == (
        soustraitant, titulaire, moe, moa)
    assert dossier.next_actor == Actor.VALIDEUR
    assert dossier.due_at == a10.due_at == deposited_at + timedelta(days=15)
    assert dossier.payment_delay_from is None  # it runs from the MOE's availability
    # Not invoicing's A9 validation: no validator, no 15-day due date its timer would act on.
    assert projet.validator is None and projet.validation_due_at is None
    # The titulaire is told what to decide and by when; the MOE not yet.
    [told] = Notification.objects.filter(user=supplier_user, kind="travaux_to_titulaire")
    assert told.params["number"] == "ST-2026-03" and told.params["dossier"] == dossier.number
    assert told.params["titulaire"] == titulaire.company_name and told.params["due"]
    assert not Notification.objects.filter(kind="travaux_to_moe").exists()
    # The MOE cannot act before the titulaire.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("4000"))
    # The titulaire's list shows it, waiting for it.
    [listed] = subcontracting.subcontracted(supplier_user)
    assert listed == dossier
    assert subcontracting.awaits(supplier_user, listed, a10)

    with clock.shifted(timedelta(days=2)):
        asked_at = clock.now()
        accepted = _in_tx(subcontracting.accept, supplier_user, dossier.pk)
        answered_at = clock.now()
    projet.refresh_from_db()
    dossier.refresh_from_db()
    assert projet.status == S.MISE_A_DISPOSITION_MOE and accepted.pk == a10.pk
    assert _history(projet) == [S.A_VALIDER_1, S.VALIDEE_1, S.MISE_A_DISPOSITION_MOE]
    assert projet.validated_at is not None
    assert dossier.next_actor == Actor.MOE
    # The MOE's 7 days and the délai global de paiement start at the acceptance.
    assert asked_at <= dossier.payment_delay_from <= answered_at
    assert dossier.due_at == dossier.payment_delay_from + timedelta(days=7)
    assert Notification.objects.filter(user=titulaire_user, kind="travaux_to_moe").count() == 1
    assert "travaux_titulaire_accepted" in _kinds(soustraitant_user)
    # Accepted twice: coded, nothing changed.
    before = _state()
    with pytest.raises(errors.NotAwaitingTitulaire):
        _in_tx(subcontracting.accept, supplier_user, dossier.pk)
    with pytest.raises(errors.NotAwaitingTitulaire):
        _in_tx(subcontracting.refuse, supplier_user, dossier.pk, "Travaux non faits")
    assert _state() == before
    assert not subcontracting.awaits(supplier_user, dossier, a10)

    # The monthly circuit goes on: the MOE's état d'acompte, the MOA's validation.
    etat = _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("3800"))
    assert etat.invoice.status == S.MISE_A_DISPOSITION_MOA and etat.previous == a10
    assert etat.claimed_ht == D("4000") and etat.invoice.supplier == soustraitant
    valide = _in_tx(services.validate_etat_acompte, recipient_user, dossier.pk,
                    _admitted("3800"))
    assert valide.invoice.status == S.DEPOSEE
    run_tasks()
    valide.invoice.refresh_from_db()
    assert valide.invoice.status == S.MISE_A_DISPOSITION
    assert list(invoicing_queries.received_invoices(recipient_user)) == [valide.invoice]
    assert valide.invoice.supplier == soustraitant and valide.invoice.total_ht == D("3800")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=valide.invoice.pk)
        invoicing.process(recipient_user, invoice, S.MISE_EN_PAIEMENT)
    assert [p.invoice.status for p in dossier.pieces.all()] == [
        S.ASSOCIEE, S.ASSOCIEE, S.MISE_EN_PAIEMENT]
    # The titulaire follows the dossier to its end.
    assert queries.dossier(supplier_user, dossier_id=dossier.pk) == dossier
    [listed] = subcontracting.subcontracted(supplier_user)
    assert queries.waiting_for(listed, list(listed.pieces.all())[-1]) == ""


def test_the_titulaire_refuses(works, a10, soustraitant_user, supplier_user, titulaire_user):
    dossier, projet = a10.dossier, a10.invoice
    # No reason: refused, nothing changed.
    before = _state()
    with pytest.raises(invoicing_errors.ReasonRequired):
        _in_tx(subcontracting.refuse, supplier_user, dossier.pk, "   ")
    assert _state() == before
    _in_tx(subcontracting.refuse, supplier_user, dossier.pk, "Travaux non réalisés au 31/03")
    projet.refresh_from_db()
    dossier.refresh_from_db()
    assert projet.status == S.REFUSEE_1
    assert projet.status_comment == "Travaux non réalisés au 31/03"
    assert dossier.next_actor == "" and dossier.due_at is None
    [told] = Notification.objects.filter(user=soustraitant_user,
                                         kind="travaux_titulaire_refused")
    assert told.params["reason"] == "Travaux non réalisés au 31/03"
    # The circuit stops: nobody acts on it any more, the MOE never hears of it.
    before = _state()
    with pytest.raises(errors.NotAwaitingTitulaire):
        _in_tx(subcontracting.accept, supplier_user, dossier.pk)
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("4000"))
    with clock.shifted(timedelta(days=20)):
        assert subcontracting.apply_titulaire_deadlines() == 0
    assert _state() == before
    assert not Notification.objects.filter(kind="travaux_to_moe").exists()


def test_fifteen_days_of_silence_are_a_tacit_validation(
        works, a10, soustraitant_user, supplier_user, titulaire_user, run_tasks):
    dossier, projet = a10.dossier, a10.invoice
    with clock.shifted(timedelta(days=11, hours=23)):
        assert subcontracting.apply_titulaire_deadlines() == 0
    # Three days before the end, one reminder (and only one).
    with clock.shifted(timedelta(days=12, minutes=1)):
        assert subcontracting.apply_titulaire_deadlines() == 1
        assert subcontracting.apply_titulaire_deadlines() == 0
    assert _kinds(supplier_user).count("travaux_titulaire_reminder") == 1
    projet.refresh_from_db()
    assert projet.status == S.A_VALIDER_1
    # Invoicing's own 15-day timer leaves the piece to travaux (it would route it past the MOE).
    with clock.shifted(timedelta(days=16)):
        assert _in_tx(invoicing.apply_tacit_validations) == 0
    # Day 15: the regulatory status, and on to the MOE — through the declared timer.
    with clock.shifted(timedelta(days=15, minutes=1)):
        enqueue_timers()
        run_tasks()
        lapsed_at = clock.now()
    projet.refresh_from_db()
    dossier.refresh_from_db()
    assert projet.status == S.MISE_A_DISPOSITION_MOE
    assert _history(projet) == [S.A_VALIDER_1, S.ABSENCE_VALIDATION_1_HORS_DELAI,
                                S.MISE_A_DISPOSITION_MOE]
    assert dossier.next_actor == Actor.MOE
    assert dossier.payment_delay_from is not None
    assert lapsed_at - timedelta(minutes=5) <= dossier.payment_delay_from <= lapsed_at
    assert dossier.due_at == dossier.payment_delay_from + timedelta(days=7)
    for user in (supplier_user, soustraitant_user):
        assert _kinds(user).count("travaux_titulaire_tacit") == 1
    assert _kinds(titulaire_user).count("travaux_to_moe") == 1
    # Too late for the titulaire; the timer does not act twice.
    before = _state()
    with pytest.raises(errors.NotAwaitingTitulaire):
        _in_tx(subcontracting.accept, supplier_user, dossier.pk)
    with clock.shifted(timedelta(days=15, minutes=10)):
        assert subcontracting.apply_titulaire_deadlines() == 0
    assert _state() == before
    # The MOE's own 7 days run from the tacit validation.
    with clock.shifted(timedelta(days=21)):
        assert services.apply_moe_deadlines() == 0
    with clock.shifted(timedelta(days=22, minutes=2)):
        assert services.apply_moe_deadlines() == 1
    projet.refresh_from_db()
    assert projet.status == S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE


# --- Rights -------------------------------------------------------------------------------------


def test_a_third_structure_sees_nothing_and_forged_ids_are_not_found(
        works, a10, outsider, soustraitant_user, titulaire_user, recipient_user):
    dossier = a10.dossier
    assert not subcontracting.subcontracted(outsider).exists()
    assert not queries.dossiers(outsider).exists()
    before = _state()
    for user in (outsider, soustraitant_user):
        for forged in (dossier.pk, 987654, "abc", None, 10**30):
            if user is soustraitant_user and forged == dossier.pk:
                continue
            with pytest.raises(errors.DossierNotFound):
                _in_tx(subcontracting.accept, user, forged)
            with pytest.raises(errors.DossierNotFound):
                _in_tx(subcontracting.refuse, user, forged, "Motif")
    # The dossier's other parties see it, but the decision is the titulaire's.
    for party in (soustraitant_user, titulaire_user, recipient_user):
        with pytest.raises(errors.PieceNotExpected):
            _in_tx(subcontracting.accept, party, dossier.pk)
        assert not subcontracting.subcontracted(party).exists()
    assert _state() == before


def test_a_titulaire_that_is_not_a_structure_or_not_another_is_refused(
        works, soustraitant, soustraitant_user, supplier_user):
    titulaire, moe, moa = works
    before = _state()
    for identifier in ("", "00000000000000", "not a siret"):
        with pytest.raises(errors.TitulaireUnknown) as refused:
            _in_tx(subcontracting.deposit_projet_soustraitant, soustraitant_user, soustraitant,
                   _claim(soustraitant), titulaire_identifier=identifier,
                   moe_identifier=moe.identifier)
        assert refused.value.code == "TRAV_TITULAIRE_UNKNOWN"
    for structure in (soustraitant, moe, moa):
        with pytest.raises(errors.TitulaireNotAnother) as refused:
            _in_tx(subcontracting.deposit_projet_soustraitant, soustraitant_user, soustraitant,
                   _claim(soustraitant), titulaire_identifier=structure.identifier,
                   moe_identifier=moe.identifier)
        assert refused.value.code == "TRAV_TITULAIRE_NOT_ANOTHER"
    # Someone else's structure: not the user's to deposit for.
    with pytest.raises(Exception) as refused:
        _in_tx(subcontracting.deposit_projet_soustraitant, supplier_user, soustraitant,
               _claim(soustraitant), titulaire_identifier=titulaire.identifier,
               moe_identifier=moe.identifier)
    assert refused.value.code in ("CORE_NOT_FOUND", "CORE_PERMISSION_REFUSED")
    assert _state() == before


# --- Co-traitance: the mandataire follows ---------------------------------------------------------


@pytest.mark.parametrize("cadre, kind", [
    (TravauxCadre.A13, Dossier.Kind.MENSUEL), (TravauxCadre.A14, Dossier.Kind.FINAL)])
def test_a_cotraitant_names_its_mandataire(works, soustraitant, soustraitant_user,
                                           supplier_user, titulaire_user, cadre, kind):
    mandataire, moe, _moa = works
    piece = _in_tx(subcontracting.deposit_projet_cotraitant, soustraitant_user, soustraitant,
                   _claim(soustraitant), mandataire_identifier=mandataire.identifier,
                   moe_identifier=moe.identifier, cadre=cadre)
    dossier = piece.dossier
    assert piece.invoice.cadre == cadre and dossier.kind == kind
    assert piece.invoice.status == S.MISE_A_DISPOSITION_MOE and dossier.next_actor == Actor.MOE
    assert dossier.titulaire == mandataire and dossier.supplier == soustraitant
    assert _kinds(supplier_user) == ["travaux_to_mandataire"]
    assert {n.kind for n in Notification.objects.filter(user=titulaire_user)} & {
        "travaux_to_moe", "travaux_final_to_moe"}
    [listed] = subcontracting.subcontracted(supplier_user)
    assert listed == dossier and not subcontracting.awaits(supplier_user, listed, piece)
    # Nothing for the mandataire to decide.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(subcontracting.accept, supplier_user, dossier.pk)
    # A wrong cadre, or the co-traitant itself as mandataire: coded, nothing changed.
    before = _state()
    with pytest.raises(errors.CadreNotHere):
        _in_tx(subcontracting.deposit_projet_cotraitant, soustraitant_user, soustraitant,
               _claim(soustraitant, number="ST-2"), mandataire_identifier=mandataire.identifier,
               moe_identifier=moe.identifier, cadre=TravauxCadre.A4)
    with pytest.raises(errors.TitulaireNotAnother):
        _in_tx(subcontracting.deposit_projet_cotraitant, soustraitant_user, soustraitant,
               _claim(soustraitant, number="ST-2"),
               mandataire_identifier=soustraitant.identifier, moe_identifier=moe.identifier,
               cadre=cadre)
    assert _state() == before


# --- The portal ---------------------------------------------------------------------------------


def text(response) -> str:
    return html.unescape(response.content.decode())


def _lines(*lines: dict) -> dict:
    data = {"lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "500"}
    for i, line in enumerate(lines):
        data.update({f"lines-{i}-{name}": value for name, value in line.items()})
    return data


def test_the_sous_traitant_deposits_and_the_titulaire_decides_through_the_pages(
        client, works, soustraitant, soustraitant_user, supplier_user, outsider):
    titulaire, moe, _moa = works
    url = reverse("travaux:subcontracting_deposit", args=[soustraitant.pk])
    client.force_login(soustraitant_user)
    assert client.get(reverse("travaux:list")).status_code == 200
    assert reverse("travaux:subcontractors") in text(client.get(reverse("travaux:list")))
    assert url in text(client.get(reverse("travaux:subcontractors")))
    assert client.get(url).status_code == 200
    data = {"cadre": TravauxCadre.A10, "number": "ST-2026-04", "invoice_date": "",
            "titulaire_identifier": "99999999999999", "moa_identifier": RECIPIENT_SIRET,
            "moa_service_code": "COMPTA", "moe_identifier": moe.identifier,
            "marche_number": "M-2026-12", "engagement_number": "",
            "bank_account": str(soustraitant.bank_accounts.get().pk), "comment": "",
            "action": "deposit",
            **_lines({"designation": "Électricité, situation d'avril", "quantity": "1",
                      "unit": "C62", "unit_price": "2500", "discount": "", "vat_rate": "20"})}
    response = client.post(url, data)
    assert response.status_code == 400 and "TRAV_TITULAIRE_UNKNOWN" in text(response)
    assert not Invoice.objects.exists() and not Dossier.objects.exists()
    response = client.post(url, {**data, "titulaire_identifier": titulaire.identifier})
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("travaux:detail", args=[dossier.pk])
    assert dossier.titulaire == titulaire and dossier.next_actor == Actor.VALIDEUR
    page = text(client.get(response["Location"]))
    assert dossier.number in page and "Titulaire (valideur)" in page
    # The sous-traitant cannot decide for its titulaire.
    response = client.post(reverse("travaux:subcontracting_accept", args=[dossier.pk]))
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.VALIDEUR

    # The titulaire's list: the piece, its stage, who must act and by when, the actions.
    client.force_login(supplier_user)
    page = text(client.get(reverse("travaux:subcontractors")))
    assert "ST-2026-04" in page and "Électricité du Sud SARL" in page
    assert reverse("travaux:subcontracting_accept", args=[dossier.pk]) in page
    assert "Titulaire (valideur)" in page
    # A refusal without reason changes nothing.
    response = client.post(reverse("travaux:subcontracting_refuse", args=[dossier.pk]),
                           {"reason": ""})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.VALIDEUR
    response = client.post(reverse("travaux:subcontracting_accept", args=[dossier.pk]))
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.MOE
    page = text(client.get(reverse("travaux:subcontractors")))
    assert "est accepté" in page and "Maître d'œuvre" in page
    assert reverse("travaux:subcontracting_accept", args=[dossier.pk]) not in page
    # Twice: the coded error, nothing changed.
    response = client.post(reverse("travaux:subcontracting_accept", args=[dossier.pk]),
                           follow=True)
    assert "TRAV_NOT_AWAITING_TITULAIRE" in text(response)

    # An outsider: an empty list, 404 on every action and on the sous-traitant's deposit.
    client.force_login(outsider)
    before = _state()
    page = text(client.get(reverse("travaux:subcontractors")))
    assert "ST-2026-04" not in page and dossier.number not in page
    for name in ("subcontracting_accept", "subcontracting_refuse"):
        for pk in (dossier.pk, 987654):
            assert client.post(reverse(f"travaux:{name}", args=[pk]),
                               {"reason": "x"}).status_code == 404
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    assert client.get(reverse("travaux:detail", args=[dossier.pk])).status_code == 404
    assert _state() == before
