"""Issue 16, the espace « Factures de travaux » through the portal (Django client): the list
scoped per user with its « À traiter » tab, a dossier's page showing each role only its own
action, every POST of the monthly circuit through the pages up to the paying service, the
pieces' PDF for the parties only, and forged ids answered 404 with nothing changed."""

from __future__ import annotations

import html
from decimal import Decimal as D

import pytest
from django.urls import reverse

from choeur.invoicing import queries as invoicing_queries
from choeur.invoicing.models import Invoice, TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux
from tests.invoicing.conftest import RECIPIENT_SIRET

from .test_monthly import _claim, _in_tx

pytestmark = pytest.mark.django_db
S = Status


@pytest.fixture
def outsider(other_recipient):
    return other_recipient.rattachements.get().user


def text(response) -> str:
    return html.unescape(response.content.decode())


def _as(client, user):
    client.force_login(user)
    return client


def _lines(prefix: str, *lines: dict) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": str(len(lines)),
            f"{prefix}-MIN_NUM_FORMS": "1", f"{prefix}-MAX_NUM_FORMS": "500"}
    for i, line in enumerate(lines):
        data.update({f"{prefix}-{i}-{name}": value for name, value in line.items()})
    return data


def _admitting(prefix: str, admitted: str, designation="Gros œuvre, situation de mars"):
    return _lines(f"{prefix}-lines", {"designation": designation, "quantity": "1",
                                      "unit": "C62", "unit_price": "10000", "discount": "",
                                      "vat_rate": "20", "admitted": admitted})


def _detail(dossier):
    return reverse("travaux:detail", args=[dossier.pk])


def test_the_list_is_scoped_per_user_with_its_tab(client, works, deposited, supplier_user,
                                                   titulaire_user, recipient_user, outsider):
    number = deposited.dossier.number
    url = reverse("travaux:list")
    # The supplier sees its dossier, but nothing waits for it.
    page = text(_as(client, supplier_user).get(url))
    assert number in page and "Maître d'œuvre" in page and "Bâtiments Titulaire SA" in page
    assert number not in text(client.get(url, {"onglet": "a-traiter"}))
    # The MOE has it to process, with its deadline.
    response = _as(client, titulaire_user).get(url, {"onglet": "a-traiter"})
    assert response.status_code == 200 and number in text(response)
    assert [d.pk for d in response.context["dossiers"]] == [deposited.dossier_id]
    # The MOA sees it, not yet to process.
    assert number in text(_as(client, recipient_user).get(url))
    assert number not in text(client.get(url, {"onglet": "a-traiter"}))
    # A structure outside the dossier sees none.
    response = _as(client, outsider).get(url)
    assert response.status_code == 200 and number not in text(response)
    assert "Aucun dossier de facturation." in text(response)


def test_the_menu_offers_the_espace(client, works, supplier_user):
    page = text(_as(client, supplier_user).get("/"))
    assert f'<a href="{reverse("travaux:list")}">Travaux</a>' in page


def test_the_detail_page_shows_each_role_only_its_action(client, works, deposited,
                                                         supplier_user, titulaire_user,
                                                         recipient_user):
    url = _detail(deposited.dossier)
    moe = text(_as(client, titulaire_user).get(url))
    assert "Déposer l'état d'acompte" in moe and "Refuser le projet" in moe
    assert "Valider l'état d'acompte" not in moe
    assert "PDM-2026-03" in moe and "Maître d'œuvre" in moe  # who must act
    # The MOE's form is prefilled from the projet's lines, the claim as the sum admitted.
    form = _as(client, titulaire_user).get(url).context["etat_lines"].forms[0]
    assert form.initial["designation"] == "Gros œuvre, situation de mars"
    assert form.initial["admitted"] == D("10000")
    for user in (supplier_user, recipient_user):
        page = text(_as(client, user).get(url))
        assert "PDM-2026-03" in page
        assert "Déposer l'état d'acompte" not in page
        assert "Refuser le projet" not in page
        assert "Valider l'état d'acompte" not in page


def test_the_supplier_deposits_its_projet_through_the_page(client, works, supplier_user,
                                                           bank_account):
    supplier, moe, _moa = works
    url = reverse("travaux:deposit", args=[supplier.pk])
    client = _as(client, supplier_user)
    assert client.get(url).status_code == 200
    data = {"cadre": TravauxCadre.A4, "number": "PDM-2026-04", "invoice_date": "",
            "moa_identifier": RECIPIENT_SIRET, "moa_service_code": "COMPTA",
            "moe_identifier": "12345678900011", "marche_number": "M-2026-7",
            "engagement_number": "", "bank_account": str(bank_account.pk), "comment": "",
            "action": "deposit",
            **_lines("lines", {"designation": "Charpente, situation d'avril", "quantity": "1",
                               "unit": "C62", "unit_price": "5000", "discount": "",
                               "vat_rate": "20"})}
    # An unknown MOE: the coded error on the form, nothing deposited.
    response = client.post(url, data)
    assert response.status_code == 400 and "TRAV_MOE_UNKNOWN" in text(response)
    assert not Invoice.objects.exists() and not Dossier.objects.exists()
    response = client.post(url, {**data, "moe_identifier": moe.identifier})
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(dossier)
    piece = dossier.pieces.get()
    assert piece.invoice.number == "PDM-2026-04" and piece.invoice.total_ht == D("5000")
    assert piece.invoice.status == S.MISE_A_DISPOSITION_MOE
    assert dossier.next_actor == Actor.MOE and dossier.marche_number == "M-2026-7"
    page = text(client.get(_detail(dossier)))
    assert "est déposé" in page and dossier.number in page


def test_the_monthly_cycle_through_the_pages(client, works, deposited, titulaire_user,
                                             recipient_user, run_tasks):
    dossier = deposited.dossier
    # The MOE admits less than claimed.
    response = _as(client, titulaire_user).post(
        reverse("travaux:etat_acompte", args=[dossier.pk]),
        {"etat-comment": "Lot 2 non achevé", **_admitting("etat", "9000,00")})
    assert response.status_code == 302
    etat = dossier.pieces.get(position=2)
    assert etat.kind == TypeFactureTravaux.ETAT_ACOMPTE
    assert etat.invoice.total_ht == D("9000") and etat.claimed_ht == D("10000")
    assert etat.invoice.status == S.MISE_A_DISPOSITION_MOA
    line = etat.invoice.lines.get()
    assert (line.designation, line.quantity, line.unit_price) == (
        "Gros œuvre, situation de mars", D(1), D(9000))
    page = text(client.get(_detail(dossier)))
    assert "Déposer l'état d'acompte" not in page and "9\xa0000,00\xa0€" in page
    # The MOA now has its action, prefilled from the état d'acompte, and validates.
    response = _as(client, recipient_user).get(_detail(dossier))
    assert response.context["valide_lines"].forms[0].initial["admitted"] == D("9000")
    response = client.post(reverse("travaux:validate", args=[dossier.pk]),
                           {"valide-comment": "", **_admitting("valide", "9000")})
    assert response.status_code == 302
    valide = dossier.pieces.get(position=3)
    assert valide.kind == TypeFactureTravaux.ETAT_ACOMPTE_VALIDE
    assert valide.invoice.status == S.DEPOSEE
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.DESTINATAIRE
    # Routed, it reaches the paying service's « Factures reçues ».
    run_tasks()
    valide.invoice.refresh_from_db()
    assert valide.invoice.status == S.MISE_A_DISPOSITION
    assert list(invoicing_queries.received_invoices(recipient_user)) == [valide.invoice]
    page = text(client.get(reverse("invoicing:received_list")))
    assert valide.invoice.number in page


def test_an_amount_error_is_no_refusal_reason(client, works, deposited, titulaire_user):
    url = reverse("travaux:refuse", args=[deposited.dossier.pk])
    client = _as(client, titulaire_user)
    for motif, details in (("Erreur de montant", ""),
                           ("Autre motif", "erreur de montant sur le lot 2")):
        response = client.post(url, {"refus-motif": motif, "refus-details": details})
        assert response.status_code == 400
        page = text(response)
        assert "TRAV_AMOUNT_NOT_A_REASON" in page and "sommes admises" in page
    # « Autre motif » needs its details; nothing is refused meanwhile.
    assert client.post(url, {"refus-motif": "Autre motif"}).status_code == 400
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == S.MISE_A_DISPOSITION_MOE
    response = client.post(url, {"refus-motif": "Travaux non réalisés",
                                 "refus-details": "Chantier arrêté en mars"})
    assert response.status_code == 302
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == S.REFUSEE_MOE
    assert deposited.invoice.status_comment == "Travaux non réalisés : Chantier arrêté en mars"
    page = text(client.get(_detail(deposited.dossier)))
    assert "Aucune action n'est attendue" in page and "Refuser le projet" not in page


def test_admitting_more_than_claimed_changes_nothing(client, works, deposited,
                                                     titulaire_user):
    response = _as(client, titulaire_user).post(
        reverse("travaux:etat_acompte", args=[deposited.dossier.pk]),
        {"etat-comment": "", **_admitting("etat", "10001")})
    assert response.status_code == 400
    assert "TRAV_AMOUNTS_INCONSISTENT" in text(response)
    assert Piece.objects.count() == 1 and Invoice.objects.count() == 1
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == S.MISE_A_DISPOSITION_MOE


def test_the_pieces_pdf_for_the_parties_only(client, works, deposited, supplier_user,
                                             titulaire_user, recipient_user, outsider):
    url = reverse("travaux:piece_document", args=[deposited.dossier.pk, deposited.pk])
    for user in (supplier_user, titulaire_user, recipient_user):
        response = _as(client, user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _as(client, outsider).get(url).status_code == 404


def test_forged_ids_are_not_found_and_change_nothing(client, works, deposited, supplier_user,
                                                     outsider, bank_account):
    supplier, _moe, _moa = works
    dossier = deposited.dossier
    client = _as(client, outsider)
    assert client.get(_detail(dossier)).status_code == 404
    assert client.get(reverse("travaux:detail", args=[dossier.pk + 1000])).status_code == 404
    for name, data in (("travaux:etat_acompte", _admitting("etat", "1")),
                       ("travaux:validate", _admitting("valide", "1")),
                       ("travaux:refuse", {"refus-motif": "Travaux non réalisés"})):
        assert client.post(reverse(name, args=[dossier.pk]), data).status_code == 404
    # Another structure's deposit page.
    assert client.get(reverse("travaux:deposit", args=[supplier.pk])).status_code == 404
    # A piece of a dossier the user sees, asked under another dossier's id: not found.
    client = _as(client, supplier_user)
    other = Dossier.objects.create(number="DF2026999999", kind=Dossier.Kind.MENSUEL,
                                   supplier=supplier, moa=dossier.moa)
    assert client.get(reverse("travaux:piece_document",
                              args=[other.pk, deposited.pk])).status_code == 404
    # A party in another role posting the MOE's piece: refused, coded, nothing changed.
    response = client.post(reverse("travaux:etat_acompte", args=[dossier.pk]),
                           _admitting("etat", "9000"))
    assert response.status_code == 400
    assert "TRAV_PIECE_NOT_EXPECTED" in text(response)
    assert Piece.objects.count() == 1
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == S.MISE_A_DISPOSITION_MOE


def test_a_passed_deadline_is_highlighted_and_the_moa_takes_over(client, works, deposited,
                                                                  titulaire_user,
                                                                  recipient_user):
    from datetime import timedelta

    from choeur.core import clock
    from choeur.travaux import services

    url = reverse("travaux:list")
    assert "échu" not in text(_as(client, titulaire_user).get(url))
    with clock.shifted(timedelta(days=7, minutes=1)):
        # Past due, before the timer has run: the MOE's list says so.
        assert "— échu" in text(client.get(url, {"onglet": "a-traiter"}))
        assert services.apply_moe_deadlines() == 1
        # The MOE's silence: the MOA validates from the projet itself, the MOE has no action.
        page = text(client.get(_detail(deposited.dossier)))
        assert "Déposer l'état d'acompte" not in page
        response = _as(client, recipient_user).get(_detail(deposited.dossier))
        assert "n'a pas déposé d'état d'acompte dans les 7 jours" in text(response)
        assert response.context["valide_lines"].forms[0].initial["admitted"] == D("10000")
        response = client.post(reverse("travaux:validate", args=[deposited.dossier.pk]),
                               {"valide-comment": "", **_admitting("valide", "8000")})
    assert response.status_code == 302
    valide = deposited.dossier.pieces.get(position=2)
    assert valide.previous == deposited and valide.invoice.total_ht == D("8000")


def test_a_final_dossier_is_shown_without_the_monthly_actions(client, works, supplier_user,
                                                              titulaire_user, recipient_user,
                                                              bank_account):
    from choeur.travaux import final

    from .test_monthly import _admitted

    supplier, moe, _moa = works
    projet = _in_tx(final.deposit_projet_decompte_final, supplier_user, supplier,
                    _claim(bank_account, number="PDF-2026-01"), moe_identifier=moe.identifier)
    url = _detail(projet.dossier)
    page = text(_as(client, titulaire_user).get(url))
    assert "Décompte final" in page and "Déposer l'état d'acompte" not in page
    _in_tx(final.deposit_projet_decompte_general, titulaire_user, projet.dossier.pk,
           _admitted("9500"))
    # The MOA is waited for, on a projet de décompte général: not an état d'acompte to validate.
    response = _as(client, recipient_user).get(url)
    assert response.status_code == 200 and "Valider l'état d'acompte" not in text(response)
    assert "Projet de décompte général" in text(response)
    assert projet.dossier.number in text(client.get(reverse("travaux:list"),
                                                    {"onglet": "a-traiter"}))
    # Posting the monthly validation anyway: coded, nothing changed.
    response = client.post(reverse("travaux:validate", args=[projet.dossier.pk]),
                           _admitting("valide", "9500"))
    assert response.status_code == 400 and "TRAV_PIECE_NOT_EXPECTED" in text(response)
    assert projet.dossier.pieces.count() == 2
