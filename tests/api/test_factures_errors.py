"""Factures: bad input gets a coded error and changes nothing, never a 500; a technical
account never reaches another structure's invoices or files (forged ids → not found)."""

from __future__ import annotations

import pytest

from choeur.invoicing.models import Invoice, StatusChange
from tests.api.conftest import Wire
from tests.api.test_factures_scenario import deposer_pdf, deposit_invoice, soumettre_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim_wire(client, victim):
    return Wire(client, victim)


@pytest.fixture
def victim_invoice(victim_wire, buyer):
    return deposit_invoice(victim_wire, buyer, "SECRET-001")


def test_malformed_json_and_wrong_types_are_coded(wire, buyer):
    invoice_id = deposit_invoice(wire, buyer)
    before = StatusChange.objects.count()
    for raw in (b"{not json", b"[1, 2]", b"{\"idFacture\": "):
        response = wire.post("factures/v1/traiter/recue", raw=raw)
        assert response.status_code == 400, raw
        assert response.json()["codeRetour"] == 20002
    for body in ({"idFacture": "abc", "nouveauStatut": "REJETEE"},
                 {"idFacture": invoice_id, "nouveauStatut": "INCONNU"},
                 {"idFacture": invoice_id, "nouveauStatut": ["REJETEE"]},
                 {"idFacture": -4, "nouveauStatut": "REJETEE"}):
        response = wire.post("factures/v1/traiter/recue", body)
        assert response.status_code in (400, 404), body
        assert response.json()["libelle"].split(" - ")[0] in (
            "API_INVALID_FIELD", "CORE_NOT_FOUND"), body
    response = wire.post("factures/v1/deposer/pdf", {"fichierFacture": "%%%"})
    assert response.json()["libelle"].startswith("API_INVALID_FIELD")
    response = wire.post("factures/v1/deposer/pdf", {"fichierFacture": "aGVsbG8="})
    assert response.json()["libelle"].startswith("INV_DOCUMENT_NOT_PDF")
    response = wire.post("factures/v1/rechercher/fournisseur", {
        "rechercheFactureParFournisseur": {"triColonne": "Nimporte"}})
    assert response.status_code == 400
    assert StatusChange.objects.count() == before


def test_unknown_ids_and_illegal_transitions(wire, buyer_wire, buyer):
    invoice_id = deposit_invoice(wire, buyer)
    for path, body in (("consulter/historique", {"idFacture": 999999}),
                       ("consulter/recipiendaire", {"identifiantFactureCPP": 999999}),
                       ("traiter/recue", {"idFacture": 999999, "nouveauStatut": "REJETEE",
                                          "motif": "x"})):
        response = buyer_wire.post(f"factures/v1/{path}", body)
        assert response.status_code == 404 and response.json()["codeRetour"] == 20001, path
    buyer_wire.post("factures/v1/traiter/recue", {"idFacture": invoice_id,
                                                  "nouveauStatut": "MISE_EN_PAIEMENT"})
    response = buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "SUSPENDUE", "motif": "trop tard"})
    assert response.status_code == 409
    assert response.json()["libelle"].startswith("INV_TRANSITION_REFUSED")
    # The supplier completes or recycles an invoice that is not waiting for it: refused.
    for path, body in (("completer", {"identifiantFactureCPP": invoice_id,
                                      "commentaire": "x"}),
                       ("recycler", {"identifiantFactureCPP": invoice_id, "destinataire": {
                           "codeDestinataire": buyer.structure.identifier}}),
                       ("traiterRejet", {"listeDemandePaiement": [
                           {"idDemandePaiement": invoice_id}]})):
        response = wire.post(f"factures/v1/{path}", body)
        assert response.status_code == 409, (path, response.content)
    assert Invoice.objects.get(pk=invoice_id).status == "MISE_EN_PAIEMENT"


def test_a_failed_soumettre_leaves_nothing(wire, supplier, buyer):
    pdf_id = deposer_pdf(wire)
    count = Invoice.objects.count()
    for overrides in ({"destinataire": {"codeDestinataire": "99999999999999"}},
                      {"references": {"typeFacture": "FACTURE"}},  # no engagement number
                      {"montantTotal": {"montantHtTotal": 1, "montantTVA": 1,
                                        "montantTtcTotal": 2}},
                      {"lignePoste": [{"lignePosteDenomination": "x"}]},
                      {"modeDepot": "DEPOT_PDF_API", "pieceJointePrincipale": []}):
        response = wire.post("factures/v1/soumettre",
                             soumettre_body(supplier, buyer, pdf_id, **overrides))
        assert 400 <= response.status_code < 500, (overrides, response.content)
        assert response.json()["codeRetour"] != 0
    assert Invoice.objects.count() == count


def test_amounts_beyond_decimal_19_6_once_multiplied_are_refused(wire, supplier, buyer):
    """Each figure fits decimal(19,6), their product or sum does not (found by schemathesis:
    a 500 that left SQLite a total it could not read back; and, with both figures at their
    largest, a product the cents' rounding could not hold). A coded refusal, nothing kept."""
    pdf_id = deposer_pdf(wire)
    count = Invoice.objects.count()
    line = {"lignePosteNumero": 1, "lignePosteDenomination": "Ramettes",
            "lignePosteQuantite": "9999999999999.996", "lignePosteMontantUnitaireHT": "-6005",
            "lignePosteTauxTvaManuel": 20}
    largest = {**line, "lignePosteQuantite": "9999999999999.999999",
               "lignePosteMontantUnitaireHT": "9999999999999.999999"}
    many = {**line, "lignePosteQuantite": "1", "lignePosteMontantUnitaireHT": "9999999999999"}
    cases = [
        ([line], "ligne 1, quantité × prix − remise de -60049999999999975.980"),
        ([largest], "ligne 1, quantité × prix − remise de 99999999999999999980000000"),
        # Two lines of 9,999,999,999,999 each: their VAT base overflows.
        ([many, {**many, "lignePosteNumero": 2}], "base HT à 20 % de 19999999999998.00"),
        # VAT at 20 % on the largest base: the total TTC overflows.
        ([many], "total TTC de 11999999999998.80"),
    ]
    for mode in ("DEPOT_PDF_API", "SAISIE_API"):
        for lines, detail in cases:
            body = soumettre_body(supplier, buyer, pdf_id, lignePoste=lines, ligneTva=None,
                                  montantTotal=None)
            body["modeDepot"] = mode
            response = wire.post("factures/v1/soumettre", body)
            assert response.status_code == 400, (lines, response.content)
            libelle = response.json()["libelle"]
            assert libelle.startswith("INV_AMOUNT_TOO_LARGE"), libelle
            assert detail in libelle and "13 chiffres" in libelle, libelle
    assert Invoice.objects.count() == count


def test_a_files_line_figures_are_bounded_too():
    """A structured file may give a price of 19 digits (BR-FR-DEC-02/03) with a small line
    total: stored as it is, it would break decimal(19,6). Refused before anything is
    computed from it."""
    from decimal import Decimal

    from choeur.invoicing import errors, services
    from choeur.invoicing.data import InvoiceData, LineData

    def data(**figures):
        values = {"quantity": Decimal("0.04"), "unit_price": Decimal("4350"),
                  "vat_rate": Decimal(20), "total_ht": Decimal("174.00"), **figures}
        return InvoiceData(lines=[LineData(designation="Ramettes", **values)])

    services.check_line_bounds(data())
    for figures, label in (({"unit_price": Decimal("4350000000000000")}, "prix unitaire"),
                           ({"quantity": Decimal("1E+14")}, "quantité"),
                           ({"discount": Decimal("-1E+13")}, "remise"),
                           ({"total_ht": Decimal("1E+13")}, "montant HT")):
        with pytest.raises(errors.AmountTooLarge) as caught:
            services.check_amounts(data(**figures))
        message = caught.value.message("fr")
        assert f"ligne 1, {label} de " in message and "E+" not in message, message


def test_another_structures_invoice_is_not_found_and_nothing_leaks(
        wire, buyer_wire, victim_wire, victim, victim_invoice, buyer):
    secret_pdf = deposer_pdf(victim_wire, "secret")
    attempts = [
        ("consulter/fournisseur", {"identifiantFactureCPP": victim_invoice}),
        ("consulter/historique", {"idFacture": str(victim_invoice)}),
        ("consulter/recipiendaire", {"identifiantFactureCPP": victim_invoice}),
        ("consulter/valideur", {"identifiantFactureCPP": victim_invoice}),
        ("completer", {"identifiantFactureCPP": victim_invoice, "commentaire": "x"}),
        ("recycler", {"identifiantFactureCPP": victim_invoice,
                      "destinataire": {"codeDestinataire": buyer.structure.identifier}}),
        ("traiterRejet", {"listeDemandePaiement": [{"idDemandePaiement": victim_invoice}]}),
        ("traiter/recue", {"idFacture": victim_invoice, "nouveauStatut": "REJETEE",
                           "motif": "x"}),
        ("telecharger/groupe", {"listeFacture": [{"idFacture": victim_invoice}]}),
        ("traiter/factureAValider", {"idFacture": victim_invoice, "action": "VALIDATION"}),
        ("corriger/valideur/facture", {"idFacture": victim_invoice,
                                       "identifiantStructure": buyer.structure.identifier}),
        ("rechercher/fournisseur", {"idFournisseur": victim.structure.pk}),
        ("rechercher/atraiter/fournisseur", {"idStructure": victim.structure.pk}),
        ("soumettre", soumettre_body(wire.party, buyer, secret_pdf, "VOL-1")),
        ("soumettre", {**soumettre_body(wire.party, buyer, secret_pdf, "VOL-2"),
                       "fournisseur": {"idFournisseur": victim.structure.pk}}),
    ]
    before = list(Invoice.objects.values_list("pk", "status", "downloaded_by_recipient"))
    for path, body in attempts:
        response = wire.post(f"factures/v1/{path}", body)
        assert response.status_code == 404, (path, response.content)
        assert response.json()["codeRetour"] == 20001
        text = response.content.decode()
        for secret in ("Victime", "SECRET", victim.structure.identifier):
            assert secret not in text, path
    # Searches simply do not list it.
    for path in ("rechercher/fournisseur", "rechercher/demandePaiement",
                 "rechercher/valideur"):
        assert "SECRET" not in wire.post(f"factures/v1/{path}", {}).content.decode()
    assert list(Invoice.objects.values_list("pk", "status", "downloaded_by_recipient")) == before
    # The recipient does see it: the refusal above was about who asks, not what exists.
    body = buyer_wire.post("factures/v1/consulter/recipiendaire",
                           {"identifiantFactureCPP": victim_invoice}).json()
    assert body["facture"]["numeroFacture"] == "SECRET-001"
