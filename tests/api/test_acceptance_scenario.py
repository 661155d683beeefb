"""Acceptance of issue 6: the full scenario through the API alone, with every request shaped
as the clients of reference §5 send it (OCA's and chorus-api's headers and content types, the
base64 `cpro-account`, a token by form body for the supplier's ERP and by HTTP Basic for the
recipient's), every answer checked against the official Swagger definition where one exists;
then the security property: a technical account never reaches another structure's invoices.

The world is the flux tests' (the invoicing world's supplier, which writes real CII and
Factur-X files, and its public recipient), each side with its own technical account.
"""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from django.db.models import Q

from choeur.flux.models import Flux
from choeur.invoicing.models import Attachment, Invoice, InvoiceEvent, StatusChange
from tests.api.conftest import Wire, basic_token, technical_party
from tests.api.swagger import conforms, response_definition
from tests.flux import conftest as flux_world
from tests.flux.conftest import FLUX_NUMBER, broken, deposit_body, tar_gz
from tests.invoicing import conftest as invoicing_world

# The flux world's fixtures (its supplier writes real CII and Factur-X files).
_fast_hashes = flux_world._fast_hashes
bank_account = flux_world.bank_account
invoice_file = flux_world.invoice_file
party = flux_world.party
platform_admin = flux_world.platform_admin
recipient = flux_world.recipient
recipient_user = flux_world.recipient_user
supplier = flux_world.supplier
supplier_user = flux_world.supplier_user
victim = flux_world.victim
other_recipient = invoicing_world.other_recipient

pytestmark = pytest.mark.django_db

OCA_JSON = "application/json;charset=utf-8"  # OCA, PHP, Go (reference §1.2)
PY_JSON = "application/json"  # chorus-api, Pastell


def factures(body: dict, definition: str) -> dict:
    return conforms(body, definition, "factures")


def structures(body: dict, path: str) -> dict:
    return conforms(body, response_definition(path))


@pytest.fixture
def supplier_erp(client, party):
    """The supplier's ERP as OCA runs it (JSON with charset, token from a form body)."""
    return Wire(client, party, content_type=OCA_JSON)


@pytest.fixture
def recipient_party(recipient):
    return technical_party(recipient, "drfip")


@pytest.fixture
def recipient_erp(client, recipient_party):
    """The recipient's software as Pastell runs it (plain JSON), token by HTTP Basic."""
    wire = Wire(client, recipient_party, content_type=PY_JSON)
    basic_token(wire)
    return wire


def crdetaille(wire: Wire, numero: str) -> dict:
    response = wire.post("transverses/v1/consulterCRDetaille",
                         {"numeroFluxDepot": numero, "syntaxeFlux": "IN_DP_E1_CII_16B"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000"
    return body


def deposit_batch(supplier_erp: Wire, invoice_file, service_code: str = "COMPTA") -> str:
    """deposer/flux of a tar.gz of three invoices, FA-2 invalid (BR-CO-15), as OCA names and
    sends a batch (reference §4.2); the flux number."""
    batch = tar_gz([
        ("cii_chorus_facture_FA-1.xml",
         invoice_file("cii", number="FA-1", recipient_service_code=service_code)),
        ("cii_chorus_facture_FA-2.xml",
         broken(invoice_file("cii", number="FA-2", recipient_service_code=service_code))),
        ("facturx_chorus_facture_FA-3.pdf",
         invoice_file("facturx", number="FA-3", recipient_service_code=service_code)),
    ])
    response = supplier_erp.post("factures/v1/deposer/flux",
                                 deposit_body(batch, "cii_chorus_lot_factures.tar.gz"))
    assert response.status_code == 200, response.content
    body = factures(response.json(), "WsRetourDeposerFluxFacture")
    assert body["codeRetour"] == 0 and FLUX_NUMBER.fullmatch(body["numeroFluxDepot"])
    return body["numeroFluxDepot"]


def integrate(wire: Wire, numero: str, run_tasks, terminal: str) -> dict:
    """Poll consulterCRDetaille as OCA's cron does, the worker running between polls."""
    seen = []
    for _ in range(5):
        body = crdetaille(wire, numero)
        seen.append(body["etatCourantDepotFlux"])
        if body["etatCourantDepotFlux"] in ("IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE"):
            break
        run_tasks()
    assert seen[-1] == terminal, seen
    assert seen[0] in ("IN_RECU", "IN_EN_ATTENTE_TRAITEMENT_CPP"), seen
    return body


def test_the_whole_scenario_through_the_api_alone(supplier_erp, recipient_erp, recipient,
                                                  supplier, invoice_file, run_tasks):
    # 1. The supplier's token, from a hand-built form body (chorus-api, OCA).
    token = supplier_erp.get_token()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600

    # 2. structures/v1/rechercher by SIRET, exactly as OCA asks: exactly one answer.
    response = supplier_erp.post("structures/v1/rechercher", {
        "structure": {"identifiantStructure": recipient.identifier,
                      "typeIdentifiantStructure": "SIRET"},
        "restreindreStructuresPrivees": False})
    body = structures(response.json(), "/v1/rechercher")
    assert body["codeRetour"] == 0 and body["parametresRetour"]["total"] == 1
    [found] = body["listeStructures"]
    id_structure = found["idStructureCPP"]
    assert id_structure == recipient.pk and isinstance(id_structure, int)

    # 3. consulter: what the recipient requires on its invoices.
    body = structures(supplier_erp.post("structures/v1/consulter", {
        "idStructureCPP": id_structure, "codeLangue": "FR"}).json(), "/v1/consulter")
    assert set(body["parametres"]) >= {"codeServiceDoitEtreRenseigne",
                                       "numeroEJDoitEtreRenseigne"}
    assert body["informationGenerales"]["structurePriveePublique"] == "PUBLIQUE"

    # 4. rechercher/services, 10,000 a page as OCA asks; its invoices go to COMPTA.
    body = structures(supplier_erp.post("structures/v1/rechercher/services", {
        "idStructure": id_structure,
        "parametresRechercherServicesStructure": {"nbResultatsParPage": 10000}}).json(),
        "/v1/rechercher/services")
    services = {s["codeService"]: s["idService"] for s in body["listeServices"]}
    assert {"FACTURES_PUBLIQUES", "COMPTA"} <= set(services)

    # 5. deposer/flux: a tar.gz of three invoices, one invalid. Accepted at once.
    numero = deposit_batch(supplier_erp, invoice_file)
    assert not Invoice.objects.exists()

    # 6. consulterCRDetaille until IN_INTEGRE_PARTIEL; the invalid one named with its rules.
    detail = integrate(supplier_erp, numero, run_tasks, "IN_INTEGRE_PARTIEL")
    [error] = detail["listeErreurDP"]
    assert error["numeroDP"] == "FA-2"
    assert "BR-CO-15" in error["libelleErreurDP"]
    assert error["identifiantFournisseur"] == supplier.identifier
    assert error["identifiantDestinataire"] == recipient.identifier
    assert "BR-CO-15" in {e["codeErreur"] for e in detail["listeErreurTechnique"]}
    assert all(e["libelleErreur"] for e in detail["listeErreurTechnique"])

    # 7. rechercher/fournisseur by the flux number, as chorus-api sends it.
    body = factures(supplier_erp.post("factures/v1/rechercher/fournisseur", {
        "numeroFluxDepot": numero, "typeFacture": "FACTURE"}).json(),
        "WsRetourRechercherFactureParFournisseur")
    integrated = {row["numeroFacture"]: row for row in body["listeFactures"]}
    assert set(integrated) == {"FA-1", "FA-3"}
    assert all(row["statut"] == "MISE_A_DISPOSITION" for row in integrated.values())
    assert all(row["numeroFluxDepot"] == numero for row in integrated.values())
    ids = {number: row["identifiantFactureCPP"] for number, row in integrated.items()}
    assert all(isinstance(i, int) for i in ids.values())

    # 8. consulter/historique of each, the integer id echoed back (OCA compares it).
    for number, invoice_id in ids.items():
        body = factures(supplier_erp.post("factures/v1/consulter/historique", {
            "idFacture": invoice_id}).json(), "WsRetourConsulterHistoriqueFacture")
        assert body["idFacture"] == invoice_id and body["numeroFacture"] == number
        assert body["statutCourantCode"] == "MISE_A_DISPOSITION"
        assert body["historiquesDesStatuts"]["histoStatut"][0]["histoStatutCode"] == "DEPOSEE"

    # 9. The recipient (token by HTTP Basic): rechercher/recipiendaire as Pastell loops.
    body = factures(recipient_erp.post("factures/v1/rechercher/recipiendaire", {
        "idUtilisateurCourant": 0, "typeDemandePaiement": "FACTURE",
        "factureTelechargeeParDestinataire": False, "idDestinataire": str(recipient.pk),
        "paramRecherche": {"pageResultatDemandee": 1, "nbResultatsParPage": 50,
                           "triSens": "Descendant", "triColonne": "DateDepot"}}).json(),
        "WsRetourRechercheFactureRecipiendaireRest")
    assert body["codeRetour"] == 0 and body["pageCourante"] == 1 and body["pages"] == 1
    assert {row["idFacture"] for row in body["listeFactures"]} == set(ids.values())
    assert all(row["statut"] == "MISE_A_DISPOSITION" for row in body["listeFactures"])

    # 10. telecharger/groupe: both invoices in one ZIP, then marked downloaded.
    body = factures(recipient_erp.post("factures/v1/telecharger/groupe", {
        "idUtilisateurCourant": 0, "format": "ZIP", "avecPiecesJointesComplementaires": "false",
        "listeFacture": [{"idFacture": invoice_id} for invoice_id in ids.values()]}).json(),
        "WsRetourTelechargerGroupeFacture")
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"]))).namelist()
    assert any("FA-1" in name for name in names) and any("FA-3" in name for name in names)
    assert all(invoice.downloaded_by_recipient for invoice in Invoice.objects.all())
    # Nothing left to download: the "no result" answer Pastell stops on.
    body = factures(recipient_erp.post("factures/v1/rechercher/recipiendaire", {
        "factureTelechargeeParDestinataire": False}).json(),
        "WsRetourRechercheFactureRecipiendaireRest")
    assert body["codeRetour"] == 20000

    # 11. traiter/recue: one put in payment, the other rejected with its motif.
    body = factures(recipient_erp.post("factures/v1/traiter/recue", {
        "idUtilisateurCourant": 0, "idFacture": ids["FA-1"], "nouveauStatut": "MISE_EN_PAIEMENT",
        "motif": "", "numeroDPMandat": ""}).json(), "WsRetourTraiterFacture")
    assert body["codeRetour"] == 0 and body["nouveauStatut"] == "MISE_EN_PAIEMENT"
    assert body["idFacture"] == ids["FA-1"] and body["numeroFacture"] == "FA-1"
    body = factures(recipient_erp.post("factures/v1/traiter/recue", {
        "idFacture": str(ids["FA-3"]), "nouveauStatut": "REJETEE",
        "motif": "Service exécutant erroné"}).json(), "WsRetourTraiterFacture")
    assert body["nouveauStatut"] == "REJETEE"

    # The supplier follows both through consulter/historique, as OCA's cron does.
    for number, status in (("FA-1", "MISE_EN_PAIEMENT"), ("FA-3", "REJETEE")):
        body = factures(supplier_erp.post("factures/v1/consulter/historique", {
            "idFacture": ids[number]}).json(), "WsRetourConsulterHistoriqueFacture")
        assert body["statutCourantCode"] == status
        codes = [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]]
        assert codes[0] == "DEPOSEE" and codes[-1] == status


# --- A technical account never reaches another structure's invoices ----------------------------

#: Every Factures operation that names an invoice (or a structure whose invoices it reads),
#: with the forged body: `{id}` is the other structure's invoice, `{sid}` its supplier,
#: `{rid}` its recipient.
FORGED = [
    ("consulter/fournisseur", {"identifiantFactureCPP": "{id}", "codeLangue": "fr"}),
    ("consulter/recipiendaire", {"identifiantFactureCPP": "{id}"}),
    ("consulter/valideur", {"identifiantFactureCPP": "{id}"}),
    ("consulter/historique", {"idFacture": "{id}", "nbResultatsMaximum": 50}),
    ("completer", {"identifiantFactureCPP": "{id}", "commentaire": "x"}),
    ("recycler", {"identifiantFactureCPP": "{id}",
                  "destinataire": {"codeDestinataire": "{rsiret}"}}),
    ("traiterRejet", {"listeDemandePaiement": [{"idDemandePaiement": "{id}"}]}),
    ("traiter/recue", {"idFacture": "{id}", "nouveauStatut": "MISE_EN_PAIEMENT"}),
    ("traiter/recue", {"idFacture": "{id}", "nouveauStatut": "REJETEE", "motif": "x"}),
    ("telecharger/groupe", {"format": "PDF", "listeFacture": [{"idFacture": "{id}"}]}),
    ("telecharger/groupe", {"format": "ZIP", "listeFacture": [{"idFacture": "{id}"}]}),
    ("traiter/factureAValider", {"idFacture": "{id}", "action": "VALIDATION"}),
    ("traiter/factureAValider", {"idFacture": "{id}", "action": "REFUS", "motifRefus": "x"}),
    ("corriger/valideur/facture", {"idFacture": "{id}", "identifiantStructure": "{rsiret}"}),
    ("rechercher/fournisseur", {"idFournisseur": "{sid}"}),
    ("rechercher/atraiter/fournisseur", {"idStructure": "{sid}"}),
    ("rechercher/recipiendaire", {"idDestinataire": "{rid}"}),
    ("rechercher/atraiter/recipiendaire", {"idStructure": "{rid}"}),
    ("rechercher/aTraiter/valideur", {"idStructure": "{rid}"}),
]
#: Searches without a structure id: they simply do not list the other's invoices.
SEARCHES = ["rechercher/fournisseur", "rechercher/recipiendaire",
            "rechercher/atraiter/fournisseur", "rechercher/atraiter/recipiendaire",
            "rechercher/valideur", "rechercher/aTraiter/valideur",
            "rechercher/demandePaiement"]
#: Operations that name no existing invoice nor structure.
NO_INVOICE = {"deposer/flux", "deposer/pdf", "soumettre",
              "recuperer/statutsFactureVisibles/valideur"}


def _fill(value, values: dict):
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return values[value[1:-1]]
    return value


def _state():
    return (list(Invoice.objects.order_by("pk").values_list(
                "pk", "status", "downloaded_by_recipient", "rejet_traite", "acknowledged",
                "recipient_service_id", "comment")),
            StatusChange.objects.count(), InvoiceEvent.objects.count(),
            Attachment.objects.count())


def test_every_invoice_operation_is_covered(client):
    paths = client.get("/cpro/openapi.json").json()["paths"]
    served = {p.removeprefix("/cpro/factures/v1/") for p in paths
              if p.startswith("/cpro/factures/v1/")}
    assert served == {path for path, _ in FORGED} | set(SEARCHES) | NO_INVOICE


def test_no_technical_account_reaches_another_structure_s_invoices(
        client, supplier_erp, recipient_erp, recipient, supplier, victim, other_recipient,
        invoice_file, run_tasks):
    numero = deposit_batch(supplier_erp, invoice_file)
    integrate(supplier_erp, numero, run_tasks, "IN_INTEGRE_PARTIEL")
    invoices = list(Invoice.objects.filter(supplier=supplier).order_by("number"))
    assert [i.number for i in invoices] == ["FA-1", "FA-3"]
    # One of them waits for its supplier (suspended), so that completer/recycler could act.
    response = recipient_erp.post("factures/v1/traiter/recue", {
        "idFacture": invoices[1].pk, "nouveauStatut": "SUSPENDUE", "motif": "PJ manquante"})
    assert response.status_code == 200, response.content

    # Thieves: an unrelated private structure, an unrelated public one (another recipient).
    thieves = [Wire(client, victim), Wire(client, technical_party(other_recipient, "mairie"))]
    secrets = ["FA-1", "FA-3", numero, supplier.identifier, recipient.identifier,
               supplier.company_name, recipient.company_name, "Lumi"]
    before = _state()
    for thief in thieves:
        for invoice in invoices:
            values = {"id": invoice.pk, "sid": supplier.pk, "rid": recipient.pk,
                      "rsiret": recipient.identifier}
            for path, template in FORGED:
                for body in (_fill(template, values),
                             _fill(template, {**values, "id": str(invoice.pk)})):
                    response = thief.post(f"factures/v1/{path}", body)
                    assert response.status_code == 404, (path, body, response.content)
                    answer = response.json()
                    assert answer["codeRetour"] == 20001, (path, answer)
                    assert answer["libelle"].startswith("CORE_NOT_FOUND"), (path, answer)
                    text = response.content.decode()
                    for secret in secrets:
                        assert secret not in text, (path, secret)
        for path in SEARCHES:
            response = thief.post(f"factures/v1/{path}", {})
            assert response.status_code == 200, (path, response.content)
            text = response.content.decode()
            for secret in secrets:
                assert secret not in text, (path, secret)
        # The flux too: its report and its invoices by flux number.
        for path, body in (("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": numero}),
                           ("transverses/v1/consulterCR", {"numeroFluxDepot": numero})):
            assert thief.post(path, body).status_code == 404
        body = thief.post("factures/v1/rechercher/fournisseur",
                          {"numeroFluxDepot": numero}).json()
        assert body.get("listeFactures", []) == []
    assert _state() == before
    assert Flux.objects.filter(~Q(numero=numero)).count() == 0

    # The owners still reach them: the refusals were about who asks, not what exists.
    body = supplier_erp.post("factures/v1/consulter/fournisseur",
                             {"identifiantFactureCPP": invoices[0].pk}).json()
    assert body["facture"]["numeroFacture"] == "FA-1"
    body = recipient_erp.post("factures/v1/consulter/recipiendaire",
                              {"identifiantFactureCPP": invoices[0].pk}).json()
    assert body["facture"]["numeroFacture"] == "FA-1"
