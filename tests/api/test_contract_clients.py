"""Contract tests: requests replayed as each client of reference §5 sends them, for what the
other files of tests/api and tests/flux do not already replay (token forms, the account header
sent as bytes, JSON content types on structures/rechercher, the Go quirks on the first
operations, the array `pieceJointePrincipale`, the tar.gz batches are there).

Clients: [GO] go-choruspro, [PHP-Z] zmog/piste-gouv-fr, [OCA] l10n_fr_chorus_account, [PY-C]
chorus-api, [PY-FE] facture-electronique, [PAS] Pastell, [OMNI] omnibill, [CR] partiduo.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from choeur.core import clock
from choeur.invoicing.models import Invoice, InvoiceEvent, StatusChange
from tests.api.conftest import JSON, Wire
from tests.api.swagger import conforms, response_definition
from tests.api.test_factures_scenario import deposit_invoice

pytestmark = pytest.mark.django_db


def factures(body: dict, definition: str) -> dict:
    return conforms(body, definition, "factures")


@pytest.fixture
def invoice_id(wire, buyer):
    """An invoice of the supplier, routed to the buyer (MISE_A_DISPOSITION)."""
    return deposit_invoice(wire, buyer, "F-2026-042")


# --- [GO] go-choruspro ------------------------------------------------------------------------


def test_go_sends_no_bearer_after_its_first_call_on_a_whole_follow_up(wire, buyer_wire,
                                                                      invoice_id, frozen_now,
                                                                      settings):
    """The Go client adds `Authorization` only on the call that fetched the token: every
    later call of its session comes without it, within the token's lifetime (§7.3). Chorus
    Pro refuses those calls, and so does Choeur by default; in qualification, its technical
    accounts may opt in to tolerating them (api/auth.py)."""
    from choeur.organisations.models import TechnicalAccount

    assert wire.get("transverses/v1/health-check").status_code == 200
    with clock.shifted(timedelta(minutes=20)):
        refused = wire.post("factures/v1/rechercher/fournisseur", {
            "numeroFacture": "F-2026-042"}, bearer=False)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    settings.CHOEUR_ENVIRONMENT = "qualification"
    TechnicalAccount.objects.filter(pk__in=[wire.party.account.pk, buyer_wire.party.account.pk]
                                    ).update(lenient_bearer=True)
    with clock.shifted(timedelta(minutes=20)):
        body = wire.post("factures/v1/rechercher/fournisseur", {
            "numeroFacture": "F-2026-042"}, bearer=False).json()
        body = factures(body, "WsRetourRechercherFactureParFournisseur")
        assert [f["identifiantFactureCPP"] for f in body["listeFactures"]] == [invoice_id]
        body = factures(wire.post("factures/v1/consulter/historique", {
            "idFacture": invoice_id}, bearer=False).json(), "WsRetourConsulterHistoriqueFacture")
        assert body["statutCourantCode"] == "MISE_A_DISPOSITION"
        # The recipient's Go session, likewise, processes the invoice without a bearer.
        assert buyer_wire.get("transverses/v1/health-check").status_code == 200
        response = buyer_wire.post("factures/v1/traiter/recue", {
            "idFacture": invoice_id, "idUtilisateurCourant": 0, "motif": "",
            "nouveauStatut": "MISE_EN_PAIEMENT", "numeroDPMandat": ""}, bearer=False)
        assert response.status_code == 200, response.content
        factures(response.json(), "WsRetourTraiterFacture")


def test_the_missing_bearer_quirk_never_spares_the_technical_password(client, wire, supplier):
    assert wire.get("transverses/v1/health-check").status_code == 200
    wrong = base64.b64encode(f"{supplier.account.login}:wrong".encode()).decode()
    response = client.post("/cpro/factures/v1/rechercher/fournisseur", data="{}",
                           content_type=JSON, headers={"cpro-account": wrong})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="PISTE"')


@pytest.mark.parametrize("path, wrapper, column", [
    ("factures/v1/rechercher/fournisseur", "rechercheFactureParFournisseur", "NumeroFacture"),
    ("factures/v1/rechercher/recipiendaire", "paramRecherche", "NumeroFacture"),
    ("factures/v1/rechercher/valideur", "pagination", None),
    ("factures/v1/rechercher/aTraiter/valideur", "pagination", None),
    ("factures/v1/rechercher/atraiter/fournisseur", "rechercheFactureATraiterParFournisseur",
     None),
    ("factures/v1/rechercher/atraiter/recipiendaire",
     "parametreRechercheFactureATraiterParRecipiendaire", None),
    ("structures/v1/rechercher/services", "parametresRechercherServicesStructure", None),
    ("engagementsJuridiques/v1/rechercher", "parametresRecherche", None),
])
def test_go_pagination_quirks_on_every_search(wire, buyer_wire, buyer, invoice_id, path,
                                              wrapper, column):
    """[GO] `pagination.go`: the key `triSense`, `"Ascendant "` with its trailing space; and
    the page numbers as strings [PAS] sends."""
    paging = {"pageResultatDemandee": "1", "nbResultatsParPage": "10", "triSense": "Ascendant "}
    if column:
        paging["triColonne"] = column
    body = {wrapper: paging}
    if path.startswith("structures"):
        body["idStructure"] = str(buyer.structure.pk)
    caller = buyer_wire if "recipiendaire" in path else wire
    response = caller.post(path, body)
    assert response.status_code == 200, (path, response.content)
    answer = response.json()
    assert answer["codeRetour"] in (0, 20000), answer
    paging_out = answer.get("parametresRetour", answer)
    assert paging_out["pageCourante"] == 1 and paging_out["nbResultatsParPage"] == 10


def test_go_consulter_fournisseur_with_its_pagination_keys(wire, invoice_id):
    """[GO] sends `pLignesPoste`... where the Swagger spells `getpLignesPoste`...: both
    read (the lines come whole)."""
    for prefix in ("p", "getp"):
        response = wire.post("factures/v1/consulter/fournisseur", {
            "identifiantFactureCPP": invoice_id, "codeLangue": "FR",
            f"{prefix}LignesPoste": {"pageResultatDemandeeLignesPoste": 1,
                                     "nbResultatsParPageLignesPoste": 10},
            f"{prefix}ListePiecesJointes": {"pageResultatDemandeeListePiecesJointes": 1},
            f"{prefix}LigneRecapTva": {"nbResultatsParPageLigneRecapTva": 10}})
        assert response.status_code == 200, response.content
        facture = factures(response.json(), "WsRetourFacturesEmises")["facture"]
        assert facture["numeroFacture"] == "F-2026-042"


def test_go_telecharger_groupe_with_its_wrong_options_is_a_coded_400(buyer_wire, invoice_id):
    """[GO] `TelechargerGroupeFacture` posts `TraiterFactureAValiderOptions` (omitempty):
    no `listeFacture` at all. A coded 400 naming the field, never a 500, nothing marked."""
    response = buyer_wire.post("factures/v1/telecharger/groupe", {
        "action": "VALIDATION", "idFacture": invoice_id})
    assert response.status_code == 400
    body = response.json()
    assert body["codeRetour"] == 20002 and "listeFacture" in body["libelle"]
    assert not Invoice.objects.get(pk=invoice_id).downloaded_by_recipient


def test_go_traiter_rejet_with_its_extra_fields(wire, buyer_wire, invoice_id):
    buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": invoice_id, "nouveauStatut": "REJETEE", "motif": "Montant erroné"})
    response = wire.post("factures/v1/traiterRejet", {
        "cpltInfos": "", "motifRejet": "", "listeDemandePaiement": [
            {"idDemandePaiement": invoice_id}]})
    assert factures(response.json(), "WsRetour")["codeRetour"] == 0


# --- [PHP-Z] zmog/piste-gouv-fr, Guzzle -----------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "application/json;charset=utf-8", "application/json; charset=utf-8",
    "application/json;charset=UTF-8", "application/json"])
def test_php_json_encode_escapes_in_every_content_type_variant(client, buyer, invoice_id,
                                                              content_type):
    """PHP's `json_encode` escapes `/` as `\\/` and non-ASCII as `\\uXXXX` by default; the
    Guzzle client sends `Content-Type` and `Accept: application/json;charset=utf-8`."""
    wire = Wire(client, buyer, content_type=content_type)
    raw = json.dumps({"idFacture": invoice_id, "nouveauStatut": "SUSPENDUE",
                      "motif": "Pièce/justificatif manquant"}, ensure_ascii=True)
    raw = raw.replace("/", "\\/")
    assert "\\/" in raw and "\\u00e8" in raw
    response = wire.post("factures/v1/traiter/recue", raw=raw,
                         headers={"Accept": "application/json;charset=utf-8"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    assert factures(response.json(), "WsRetourTraiterFacture")["nouveauStatut"] == "SUSPENDUE"
    change = StatusChange.objects.filter(invoice_id=invoice_id).order_by("pk").last()
    assert change.comment == "Pièce/justificatif manquant"


def test_php_base64_with_escaped_slashes_in_deposer_pdf(client, supplier):
    """A base64 file holds `/`; through `json_encode` every one of them arrives as `\\/`."""
    from tests.invoicing.conftest import pdf_bytes

    content = pdf_bytes("Facture PHP")
    encoded = base64.b64encode(content).decode()
    raw = json.dumps({"idUtilisateurCourant": 0, "fichierFacture": encoded,
                      "nomFichier": "facture.pdf", "formatDepot": "PDF_NON_SIGNE"})
    raw = raw.replace("/", "\\/")
    response = Wire(client, supplier).post("factures/v1/deposer/pdf", raw=raw)
    assert response.status_code == 200, response.content
    assert response.json()["pieceJointeId"]


def test_php_throws_on_any_nonzero_code_so_success_is_always_zero(wire, buyer):
    """[PHP-Z] raises `PisteException` when `codeRetour !== 0` in a 200: the reference lists
    and the health of the account must answer 0."""
    for path in ("transverses/v1/recuperer/formatflux", "transverses/v1/recuperer/modedepot",
                 "transverses/v1/recuperer/pays", "transverses/v1/recuperer/devises",
                 "transverses/v1/recuperer/structures/actives/fournisseur",
                 "transverses/v1/recuperer/coordbanc/valides"):
        response = wire.post(path, raw="{}")
        assert response.status_code == 200 and response.json()["codeRetour"] == 0, path


# --- [OCA] l10n_fr_chorus_account --------------------------------------------------------------


def test_odoo_engagement_and_service_checks_as_it_sends_them(client, supplier, buyer,
                                                            engagements):
    """OCA's `_chorus_post`: `data=json.dumps(payload)` with `Content-type:
    application/json;charset=utf-8`, the account header as bytes; it then requires
    `codeRetour == 0` for consulter/service and reads `parametres.numeroEngagement`."""
    wire = Wire(client, supplier, content_type="application/json;charset=utf-8")
    service = buyer.structure.services.get(code="SERV-ACHATS")
    response = wire.post("structures/v1/consulter/service", {
        "idStructure": buyer.structure.pk, "idService": service.pk})
    body = conforms(response.json(), response_definition("/v1/consulter/service"))
    assert body["codeRetour"] == 0 and body["parametres"]["numeroEngagement"] is True
    response = wire.post("engagementsJuridiques/v1/rechercher", {
        "structureReceptriceEngagementJuridique": str(buyer.structure.pk),
        "numeroEngagementJuridique": "EJ-2026-001"})
    assert response.status_code == 200
    assert response.json()["codeRetour"] == 0


def test_odoo_polls_the_flux_it_finds_by_number_then_each_invoice(wire, invoice_id):
    """OCA compares `answer["idFacture"] == chorus_identifier` (an integer) and reads
    `statutCourantCode`; it sends no `idUtilisateurCourant` at all."""
    body = factures(wire.post("factures/v1/consulter/historique", {
        "idFacture": invoice_id}).json(), "WsRetourConsulterHistoriqueFacture")
    assert body["idFacture"] == invoice_id and type(body["idFacture"]) is int


# --- [PY-C] chorus-api, [PY-FE] facture-electronique -------------------------------------------


@pytest.mark.parametrize("user_id", [0, "0", "", 65336344681929, None])
def test_id_utilisateur_courant_in_every_form_clients_send(wire, invoice_id, user_id):
    """0 ([PY-C], [PHP-Z]), absent ([OCA]), a real user id ([DOCS3] 65336344681929): the
    user behind the technical account acts in every case."""
    body = {"idFacture": invoice_id}
    if user_id is not None:
        body["idUtilisateurCourant"] = user_id
    response = wire.post("factures/v1/consulter/historique", body)
    assert response.status_code == 200, response.content


def test_python_clients_read_the_health_check_with_a_json_content_type(client, supplier):
    """[PY-C] sends its JSON `Content-Type` on the GET too."""
    wire = Wire(client, supplier)
    response = client.get("/cpro/transverses/v1/health-check", headers={
        **wire.headers(), "Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["statusCodeValue"] == 200


def test_facture_electronique_reads_the_total_to_find_a_structure(client, supplier, buyer):
    """[PY-FE] `obtenir_identifiant_cpro_depuis_siret` with `application/json;
    charset=UTF-8`: `parametresRetour.total == 1`, then `listeStructures[0]`."""
    wire = Wire(client, supplier, content_type="application/json; charset=UTF-8")
    body = wire.post("structures/v1/rechercher", {
        "structure": {"identifiantStructure": buyer.structure.identifier}}).json()
    assert body["parametresRetour"]["total"] == 1
    assert body["listeStructures"][0]["idStructureCPP"] == buyer.structure.pk


# --- [PAS] Pastell ---------------------------------------------------------------------------


def test_pastell_recipient_loop_with_its_date_filters(buyer_wire, buyer, invoice_id):
    """`CPPWrapper::rechercheFactureRecipiendaire`: ids as strings, a period ending
    `T23:59:59`, paging flat in the answer."""
    today = clock.today().isoformat()
    response = buyer_wire.post("factures/v1/rechercher/recipiendaire", {
        "idDestinataire": str(buyer.structure.pk), "idServiceExecutant": "",
        "periodeDateHeureEtatCourantDu": f"{today}T00:00:00",
        "periodeDateHeureEtatCourantAu": f"{today}T23:59:59",
        "paramRecherche": {"nbResultatsParPage": "100", "pageResultatDemandee": "1"}})
    assert response.status_code == 200, response.content
    body = factures(response.json(), "WsRetourRechercheFactureRecipiendaireRest")
    assert [f["idFacture"] for f in body["listeFactures"]] == [invoice_id]
    assert body["pages"] == 1 and body["total"] == 1


def test_pastell_downloads_with_its_own_format_value_and_processes(buyer_wire, invoice_id):
    events = InvoiceEvent.objects.count()
    response = buyer_wire.post("factures/v1/telecharger/groupe", {
        "idUtilisateurCourant": "", "format": "PDF", "avecPiecesJointesComplementaires": "",
        "listeFacture": [{"idFacture": str(invoice_id)}]})
    assert response.status_code == 200, response.content
    factures(response.json(), "WsRetourTelechargerGroupeFacture")
    assert InvoiceEvent.objects.count() == events + 1
    response = buyer_wire.post("factures/v1/traiter/recue", {
        "idFacture": str(invoice_id), "nouveauStatut": "MANDATEE", "numeroDPMandat": "M-77"})
    assert response.status_code == 200, response.content
    assert factures(response.json(), "WsRetourTraiterFacture")["nouveauStatut"] == "MANDATEE"


# --- [OMNI] omnibill, [CR] partiduo --------------------------------------------------------------


def test_omnibill_and_partiduo_search_by_invoice_number(wire, invoice_id):
    for body in ({"numeroFacture": "F-2026-042"},
                 {"numeroFacture": "F-2026-042",
                  "rechercheFactureParFournisseur": {"nbResultatsParPage": 10}}):
        answer = factures(wire.post("factures/v1/rechercher/fournisseur", body).json(),
                          "WsRetourRechercherFactureParFournisseur")
        assert answer["codeRetour"] == 0
        assert [f["identifiantFactureCPP"] for f in answer["listeFactures"]] == [invoice_id]
