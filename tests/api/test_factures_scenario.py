"""Factures through the API alone, as real clients call it (reference §3.1, §4.5, §5): the
supplier's technical account deposits a PDF (deposer/pdf, then soumettre with the array
`pieceJointePrincipale` facture-electronique sends), finds it (rechercher/fournisseur) and
follows it (consulter/historique); the recipient's technical account searches, downloads,
suspends it; the supplier completes it; the recipient puts it in payment. Every answer is
checked against the official swagger/factures.json."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from choeur.core import clock
from choeur.core.worker import run_ready
from choeur.invoicing.models import Invoice, InvoiceEvent
from tests.api.swagger import conforms
from tests.invoicing.conftest import pdf_bytes

pytestmark = pytest.mark.django_db


def factures(document: dict, definition: str) -> dict:
    return conforms(document, definition, "factures")


def deposer_pdf(wire, text: str = "Facture F-2026-001") -> int:
    response = wire.post("factures/v1/deposer/pdf", {
        "idUtilisateurCourant": 0, "fichierFacture": base64.b64encode(
            pdf_bytes(text)).decode(), "nomFichier": "facture.pdf",
        "formatDepot": "PDF_NON_SIGNE"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000"
    # The Swagger's definition omits the envelope Choeur always adds (§7.5).
    factures({k: v for k, v in body.items() if k not in ("codeRetour", "libelle")},
             "WsRetourDeposerPdfFacture")
    return body["pieceJointeId"]


def soumettre_body(party, buyer, pdf_id: int, number: str = "F-2026-001", **overrides):
    """A soumettre body as facture-electronique builds it: ids as strings, the principal
    attachment as an array, extra fields the Swagger does not know."""
    body = {
        "idUtilisateurCourant": 0, "modeDepot": "DEPOT_PDF_API",
        "numeroFactureSaisi": number, "dateFacture": clock.today().isoformat(),
        "destinataire": {"codeDestinataire": buyer.structure.identifier,
                         "codeServiceExecutant": "SERV-ACHATS", "nom": "Ministère"},
        "fournisseur": {"idFournisseur": str(party.structure.pk),
                        "codeCoordonneesBancairesFournisseur": str(
                            party.structure.bank_accounts.first().pk),
                        "siret": party.structure.identifier},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {"deviseFacture": "EUR", "typeFacture": "FACTURE",
                       "typeTva": "TVA_SUR_DEBIT", "numeroBonCommande": "EJ-2026-001",
                       "modePaiement": "VIREMENT"},
        "lignePoste": [{"lignePosteNumero": 1, "lignePosteDenomination": "Ramettes",
                        "lignePosteQuantite": 10, "lignePosteUnite": "lot",
                        "lignePosteMontantUnitaireHT": "12.50",
                        "lignePosteTauxTvaManuel": 20, "lignePosteCategorieTva": "S"}],
        "ligneTva": [{"ligneTvaTauxManuel": 20, "ligneTvaMontantBaseHtParTaux": 125,
                      "ligneTvaMontantTvaParTaux": 25}],
        "montantTotal": {"montantHtTotal": 125, "montantTVA": 25, "montantTtcTotal": 150,
                         "montantAPayer": 150, "acompte": 0},
        "pieceJointePrincipale": [{"pieceJointePrincipaleDesignation": "facture.pdf",
                                   "pieceJointePrincipaleId": str(pdf_id)}],
        "commentaire": "Livraison de mars",
    }
    body.update(overrides)
    return body


def deposit_invoice(wire, buyer, number: str = "F-2026-001") -> int:
    """deposer/pdf + soumettre, routed: the invoice id (MISE_A_DISPOSITION)."""
    pdf_id = deposer_pdf(wire, f"Facture {number}")
    response = wire.post("factures/v1/soumettre",
                         soumettre_body(wire.party, buyer, pdf_id, number))
    assert response.status_code == 200, response.content
    invoice_id = response.json()["identifiantFactureCPP"]
    run_ready()
    return invoice_id


def test_the_whole_life_of_an_invoice_through_the_api(wire, buyer_wire, supplier, buyer):
    # deposer/pdf: the PDF's id (a plain PDF: nothing to read, empty values).
    pdf_id = deposer_pdf(wire)
    # soumettre creates and sends the invoice.
    response = wire.post("factures/v1/soumettre", soumettre_body(supplier, buyer, pdf_id))
    assert response.status_code == 200, response.content
    body = factures(response.json(), "WsRetourSoumettreFacture")
    assert body["statutFacture"] == "DEPOSEE" and body["numeroFacture"] == "F-2026-001"
    assert body["identifiantStructure"] == supplier.structure.identifier
    assert len(body["empreinteCertificatDepot"]) == 64
    assert body["dateDepot"] == clock.today().isoformat()
    invoice_id = body["identifiantFactureCPP"]
    invoice = Invoice.objects.get(pk=invoice_id)
    assert invoice.mode_depot == "DEPOT_PDF_API" and invoice.total_ttc == 150
    run_ready()  # routing

    # rechercher/fournisseur, with the Go client's pagination quirks.
    response = wire.post("factures/v1/rechercher/fournisseur", {
        "numeroFacture": "F-2026-001", "typeFacture": "FACTURE",
        "rechercheFactureParFournisseur": {"nbResultatsParPage": "10", "pageResultatDemandee": 1,
                                           "triColonne": "NumeroFacture",
                                           "triSense": "Ascendant "}})
    body = factures(response.json(), "WsRetourRechercherFactureParFournisseur")
    assert [f["identifiantFactureCPP"] for f in body["listeFactures"]] == [invoice_id]
    assert body["listeFactures"][0]["statut"] == "MISE_A_DISPOSITION"
    assert body["parametresRetour"]["total"] == 1

    # consulter/historique as OCA asks it: the integer id echoed back.
    response = wire.post("factures/v1/consulter/historique", {"idFacture": str(invoice_id)})
    body = factures(response.json(), "WsRetourConsulterHistoriqueFacture")
    assert body["idFacture"] == invoice_id
    assert body["statutCourantCode"] == "MISE_A_DISPOSITION"
    assert [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]] == [
        "DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]
    body = wire.post("factures/v1/consulter/fournisseur",
                     {"identifiantFactureCPP": invoice_id, "codeLangue": "fr"}).json()
    facture = factures(body, "WsRetourFacturesEmises")["facture"]
    assert facture["lignesDePoste"]["lignePoste"][0]["lignePosteDenomination"] == "Ramettes"

    # The recipient's technical account: rechercher/recipiendaire (flat paging, Pastell).
    response = buyer_wire.post("factures/v1/rechercher/recipiendaire", {
        "typeDemandePaiement": "FACTURE", "factureTelechargeeParDestinataire": False,
        "paramRecherche": {"pageResultatDemandee": 1, "nbResultatsParPage": 50,
                           "triSens": "Descendant", "triColonne": "DateDepot"}})
    body = factures(response.json(), "WsRetourRechercheFactureRecipiendaireRest")
    assert body["codeRetour"] == 0 and body["pageCourante"] == 1 and body["total"] == 1
    assert body["listeFactures"][0]["idFacture"] == invoice_id
    factures(buyer_wire.post("factures/v1/consulter/recipiendaire", {
        "identifiantFactureCPP": invoice_id}).json(), "WsRetourFacturesRecues")

    # telecharger/groupe: the PDF itself, base64; the invoice is marked downloaded.
    response = buyer_wire.post("factures/v1/telecharger/groupe", {
        "idUtilisateurCourant": 0, "format": "PDF", "avecPiecesJointesComplementaires": "false",
        "listeFacture": [{"idFacture": str(invoice_id)}]})
    body = factures(response.json(), "WsRetourTelechargerGroupeFacture")
    assert base64.b64decode(body["fichierResultat"]).startswith(b"%PDF-")
    assert Invoice.objects.get(pk=invoice_id).downloaded_by_recipient
    assert InvoiceEvent.objects.filter(invoice_id=invoice_id,
                                       code="TELECHARGEMENT_FACTURE").exists()
    # Nothing left not downloaded: the "no result" answer Pastell stops on.
    response = buyer_wire.post("factures/v1/rechercher/recipiendaire",
                               {"factureTelechargeeParDestinataire": False})
    assert response.status_code == 200
    body = factures(response.json(), "WsRetourRechercheFactureRecipiendaireRest")
    assert body["codeRetour"] == 20000 and body["libelle"].startswith("TRA_MSG_00.015")

    # traiter/recue: a suspension needs its motif; refused, nothing changes.
    response = buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "SUSPENDUE"})
    assert response.status_code == 400
    assert response.json()["libelle"].startswith("INV_REASON_REQUIRED")
    assert Invoice.objects.get(pk=invoice_id).status == "MISE_A_DISPOSITION"
    response = buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "SUSPENDUE",
        "motif": "Bon de livraison manquant"})
    body = factures(response.json(), "WsRetourTraiterFacture")
    assert body["nouveauStatut"] == "SUSPENDUE" and body["idFacture"] == invoice_id

    # The supplier: to-process list, then completer with an attachment deposited before.
    body = wire.post("factures/v1/rechercher/atraiter/fournisseur", {
        "idStructure": supplier.structure.pk}).json()
    body = factures(body, "WsRetourRechercherFactureATraiterParFournisseur")
    assert [f["identifiantFactureCPP"] for f in body["listeFactures"]] == [invoice_id]
    piece = deposer_pdf(wire, "Bon de livraison")
    response = wire.post("factures/v1/completer", {
        "identifiantFactureCPP": str(invoice_id), "commentaire": "BL joint",
        "pieceJointeComplementaire": [{"pieceJointeComplementaireDesignation": "BL.pdf",
                                       "pieceJointeComplementaireId": piece}]})
    body = factures(response.json(), "WsRetourCompleterFacture")
    assert body["identifiantFactureCPP"] == invoice_id
    invoice = Invoice.objects.get(pk=invoice_id)
    assert invoice.status == "COMPLETEE"
    assert [a.name for a in invoice.attachments.all()] == ["BL.pdf"]

    # The recipient sees it to process again, downloads it with its attachment, pays it.
    body = buyer_wire.post("factures/v1/rechercher/atraiter/recipiendaire", {}).json()
    body = factures(body, "WsRetourRechercheFactureRecipiendaire")
    assert [f["idFacture"] for f in body["listeFactures"]] == [invoice_id]
    body = buyer_wire.post("factures/v1/telecharger/groupe", {
        "format": "ZIP", "avecPiecesJointesComplementaires": True,
        "listeFacture": {"idFacture": invoice_id}}).json()
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"]))).namelist()
    assert len(names) == 2 and any(name.endswith("BL.pdf") for name in names)
    response = buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "MISE_EN_PAIEMENT"})
    assert response.status_code == 200, response.content

    body = wire.post("factures/v1/consulter/historique", {
        "idFacture": invoice_id, "nbResultatsMaximum": 50}).json()
    body = factures(body, "WsRetourConsulterHistoriqueFacture")
    assert body["statutCourantCode"] == "MISE_EN_PAIEMENT"
    assert [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]][-3:] == [
        "SUSPENDUE", "COMPLETEE", "MISE_EN_PAIEMENT"]
    assert body["derniereAction"]["derniereActionCode"] == "TELECHARGEMENT_FACTURE"
    # rechercher/demandePaiement sees it from both sides.
    for party in (wire, buyer_wire):
        body = factures(party.post("factures/v1/rechercher/demandePaiement", {
            "numeroFacture": "F-2026-001"}).json(), "WsRetourRechercherDemandePaiement")
        assert body["total"] == 1
        assert body["listeDemandePaiement"][0]["etatCourant"] == "MISE_EN_PAIEMENT"


def test_a_rejection_is_acknowledged_with_traiter_rejet(wire, buyer_wire, buyer):
    invoice_id = deposit_invoice(wire, buyer)
    buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "REJETEE", "motif": "Montant erroné"})
    response = wire.post("factures/v1/traiterRejet", {
        "listeDemandePaiement": [{"idDemandePaiement": invoice_id}]})
    assert factures(response.json(), "WsRetour")["codeRetour"] == 0
    invoice = Invoice.objects.get(pk=invoice_id)
    assert invoice.rejet_traite and invoice.acknowledged
    body = wire.post("factures/v1/rechercher/fournisseur", {"rejetTraite": True}).json()
    assert [f["identifiantFactureCPP"] for f in body["listeFactures"]] == [invoice_id]


def test_recycler_routes_again(wire, buyer_wire, buyer):
    invoice_id = deposit_invoice(wire, buyer)
    buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "A_RECYCLER", "motif": "Mauvais service"})
    response = wire.post("factures/v1/recycler", {
        "identifiantFactureCPP": invoice_id, "commentaire": "Service corrigé",
        "destinataire": {"codeDestinataire": buyer.structure.identifier,
                         "codeServiceExecutant": "FACTURES_PUBLIQUES"}})
    body = factures(response.json(), "WsRetourRecyclerFacture")
    assert body["statutFacture"] == "DEPOSEE"
    run_ready()
    invoice = Invoice.objects.get(pk=invoice_id)
    assert invoice.status == "MISE_A_DISPOSITION"
    assert invoice.recipient_service.code == "FACTURES_PUBLIQUES"


def test_saisie_api_without_a_pdf(wire, supplier, buyer):
    # Choeur writes the Factur-X, which needs the seller's VAT number (BR-S-02).
    supplier.structure.vat_number = "FR44732829320"
    supplier.structure.save()
    body = soumettre_body(supplier, buyer, 0, "S-2026-001", modeDepot="SAISIE_API")
    del body["pieceJointePrincipale"]
    body["pieceJointePrincipale"] = {}  # an empty object, as some clients send
    response = wire.post("factures/v1/soumettre", body)
    assert response.status_code == 200, response.content
    invoice = Invoice.objects.get(pk=response.json()["identifiantFactureCPP"])
    assert invoice.mode_depot == "SAISIE_API" and invoice.main_file_sha256  # Factur-X written


def test_validator_operations_answer_as_the_swagger_says(wire):
    body = wire.post("factures/v1/recuperer/statutsFactureVisibles/valideur",
                     {"idUtilisateurCourant": 0}).json()
    body = factures(body, "WsRetourRecupererStatutsFactureVisiblesParValideur")
    assert {"codeStatutFacture": "A_VALIDER_1"} in body["listeStatutFacture"]
    for path, definition in (("rechercher/valideur", "WsRetourRechercherFactureParValideur"),
                             ("rechercher/aTraiter/valideur",
                              "WsRetourRechercherFactureATraiterParValideur")):
        body = factures(wire.post(f"factures/v1/{path}", {"pagination": {
            "nbResultatsParPage": 5, "triSens": "Ascendant"}}).json(), definition)
        assert body["listeFactures"] == [] and body["parametresRetour"]["total"] == 0
