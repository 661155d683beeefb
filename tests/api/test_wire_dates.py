"""Dates in requests (reference §1.5): every date field of the wire API takes `YYYY-MM-DD` and
the date-time forms clients send, read as the Paris day (envelope.Day, the one place); garbage
is a coded 400. And `soumettre` without `dateFacture`, as facture-electronique sends it: the
invoice is dated the day of its deposit in Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from choeur.api.envelope import wire_instant
from choeur.core import clock
from choeur.core.worker import run_ready
from choeur.invoicing.models import Invoice
from tests.api.conftest import Wire
from tests.api.test_factures_scenario import deposer_pdf, deposit_invoice

pytestmark = pytest.mark.django_db

DAY = date(2024, 1, 15)


@pytest.mark.parametrize("text", [
    "2024-01-15",  # [COM], [GO] Date
    " 2024-01-15 ",
    "2024-01-15T00:00:00.000Z",  # the Swagger's date-time example
    "2024-01-14T23:00:00.000Z",  # Paris midnight written in UTC
    "2024-01-15T10:00:00+01:00",
    "2024-01-15T10:00:00+0100",  # PHP `Y-m-d\TH:i:sO` ([PHP-Z] RechercheFieldDateTime)
    "2024-01-15T15:10:25.536+01:00",  # [COM] dateDepotFlux
    "2024-01-15T23:59:59",  # [PAS] periode...Au
    "2024-01-15 17:42",  # [OCA]/[PAS] dateDbtService, [GO] Datetime
    "2024-01-15T08:31:19.123456789-03:00",  # nanoseconds, another continent: 15th in Paris
    "2024-01-15t10:00:00z",
])
def test_every_form_reads_as_its_paris_day(text):
    instant, _whole_day = wire_instant(text)
    assert instant.astimezone(clock.PARIS).date() == DAY


@pytest.mark.parametrize("text", [
    "2024-13-01", "2024-02-30", "2024-01-15T25:00", "2024-01-15T10:00+24:00", "15/01/2024",
    "2024-01-15Tmidi", "2024-01-15 garbage", "20240115", "2024-1-5", "demain", "",
])
def test_garbage_is_not_a_date(text):
    assert wire_instant(text) is None


@pytest.fixture
def invoice(wire, buyer):
    return Invoice.objects.get(pk=deposit_invoice(wire, buyer, "F-2026-777"))


@pytest.mark.parametrize("form", [
    "{day}", "{day}T00:00:00.000Z", "{day}T12:00:00+01:00", "{day}T12:00:00+0100",
    "{day}T23:59:59", "{day} 17:42", "{day}T12:00:00.123456+02:00",
])
def test_every_date_form_in_every_date_field_of_a_search(wire, invoice, form):
    day = clock.today().isoformat()
    value = form.format(day=day)
    for du, au in (("periodeDateDepotDu", "periodeDateDepotAu"),
                   ("periodeDateFactureDu", "periodeDateFactureAu"),
                   ("periodeDateHeureEtatCourantDu", "periodeDateHeureEtatCourantAu")):
        response = wire.post("factures/v1/rechercher/fournisseur", {du: value, au: value})
        assert response.status_code == 200, (du, response.content)
        found = [f["identifiantFactureCPP"] for f in response.json()["listeFactures"]]
        assert found == [invoice.pk], (du, value)


@pytest.mark.parametrize("garbage", [
    "2024-13-45", "2024-01-15Tnimporte", "15/01/2024", "hier", 20240115, True, ["2024-01-15"],
])
@pytest.mark.parametrize(("path", "field"), [
    ("factures/v1/rechercher/fournisseur", "periodeDateDepotDu"),
    ("factures/v1/rechercher/recipiendaire", "periodeDateFactureAu"),
    ("factures/v1/rechercher/valideur", "periodeDateHeureEtatCourantDu"),
    ("factures/v1/soumettre", "dateFacture"),
    ("transverses/v1/consulterCR", "dateDepot"),
])
def test_garbage_dates_are_a_coded_400(wire, path, field, garbage):
    response = wire.post(path, {field: garbage, "numeroFluxDepot": "CPP0000000000000000000001"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["codeRetour"] == 20002
    assert body["libelle"].startswith(f"API_INVALID_FIELD - Le champ « {field} »")


# --- soumettre without dateFacture -----------------------------------------------------------


def facture_electronique_payload(supplier, buyer, pdf_id: int) -> dict:
    """The body [PY-FE] 0.7.0 posts to `factures/v1/soumettre`: its `FactureChorus
    .to_api_payload` (no `dateFacture` — "provoque une 500" — numbers as floats,
    `idUtilisateurCourant` 0, `codeServiceExecutant` "" when absent), with what the reference
    §5 adds for its PDF mode: `pieceJointePrincipale` as a list, and the extra fields it
    carries for Factur-X (`destinataire.nom`, `fournisseur.{nom,siret,numeroTvaIntra,iban}`,
    `adressePostale`, line and VAT categories, `montantTotal.acompte`)."""
    address = {"codePostal": "75002", "ligneUn": "1 rue de la Paix", "nomVille": "PARIS",
               "paysCodeIso": "FR"}
    return {
        "numeroFactureSaisi": "FE-2026-001",
        "modeDepot": "DEPOT_PDF_API",
        "destinataire": {"codeDestinataire": buyer.structure.identifier,
                         "codeServiceExecutant": "SERV-ACHATS",
                         "nom": "Ministère des Essais", "adressePostale": address},
        "fournisseur": {"idFournisseur": supplier.structure.pk,
                        "codeCoordonneesBancairesFournisseur":
                            supplier.structure.bank_accounts.first().pk,
                        "nom": "Fournisseur SARL", "siret": supplier.structure.identifier,
                        "numeroTvaIntra": "FR61732829320",
                        "iban": "FR7630006000011234567890189", "adressePostale": address},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {"deviseFacture": "EUR", "modePaiement": "VIREMENT",
                       "typeFacture": "FACTURE", "typeTva": "TVA_SUR_DEBIT",
                       "numeroMarche": "VABFM001", "numeroBonCommande": "EJ-2026-001"},
        "commentaire": "Création_VABF_SoumettreFacture",
        "idUtilisateurCourant": 0,
        "lignePoste": [{"lignePosteNumero": 1, "lignePosteReference": "R1",
                        "lignePosteDenomination": "D1", "lignePosteQuantite": 10.0,
                        "lignePosteUnite": "lot", "lignePosteMontantUnitaireHT": 50.0,
                        "lignePosteMontantRemiseHT": 0.0, "lignePosteTauxTvaManuel": 20.0,
                        "lignePosteCategorieTva": "S",
                        "lignePosteDateDebutPeriode": "2026-03-01"}],
        "ligneTva": [{"ligneTvaMontantBaseHtParTaux": 500.0,
                      "ligneTvaMontantTvaParTaux": 100.0, "ligneTvaTauxManuel": 20.0,
                      "ligneTvaCategorie": "S"}],
        "montantTotal": {"montantHtTotal": 500.0, "montantTVA": 100.0,
                         "montantTtcTotal": 600.0, "montantAPayer": 600.0,
                         "montantRemiseGlobaleTTC": 0.0, "acompte": 0.0},
        "pieceJointePrincipale": [{"pieceJointePrincipaleDesignation": "facture.pdf",
                                   "pieceJointePrincipaleId": pdf_id}],
    }


def test_soumettre_without_date_facture_is_dated_the_paris_deposit_day(client, supplier, buyer):
    # 23:30 in UTC is already the next day in Paris: the deposit day is Paris's.
    clock.freeze(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    wire = Wire(client, supplier, content_type="application/json; charset=UTF-8")
    pdf_id = deposer_pdf(wire, "Facture FE-2026-001")
    payload = facture_electronique_payload(supplier, buyer, pdf_id)
    assert "dateFacture" not in payload
    response = wire.post("factures/v1/soumettre", payload)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["dateDepot"] == "2026-03-11"
    invoice = Invoice.objects.get(pk=body["identifiantFactureCPP"])
    assert invoice.invoice_date == date(2026, 3, 11)
    assert invoice.deposited_at.astimezone(clock.PARIS).date() == invoice.invoice_date
    run_ready()
    # It reads back so in a search, its total given.
    answer = wire.post("factures/v1/rechercher/fournisseur",
                       {"numeroFacture": "FE-2026-001"}).json()
    assert answer["parametresRetour"]["total"] == 1
    assert answer["listeFactures"][0]["dateFacture"] == "2026-03-11"
    # And [PY-FE] `obtenir_statut_facture` finds it.
    answer = wire.post("factures/v1/consulter/fournisseur",
                       {"identifiantFactureCPP": invoice.pk}).json()
    assert answer["codeRetour"] == 0


def test_soumettre_with_a_date_facture_keeps_it_in_any_form(wire, supplier, buyer):
    clock.freeze(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    pdf_id = deposer_pdf(wire, "Facture FE-2026-002")
    payload = facture_electronique_payload(supplier, buyer, pdf_id)
    payload.update(numeroFactureSaisi="FE-2026-002", dateFacture="2026-03-02T00:00:00.000Z")
    response = wire.post("factures/v1/soumettre", payload)
    assert response.status_code == 200, response.content
    invoice = Invoice.objects.get(pk=response.json()["identifiantFactureCPP"])
    assert invoice.invoice_date == date(2026, 3, 2)
