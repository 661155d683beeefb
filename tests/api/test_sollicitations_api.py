# ruff: noqa: F811 - the sollicitations world's fixtures, used by name
"""The sollicitations on the wire (`/cpro/sollicitations/v1/...`, Choeur's names: the
reference found no PISTE path, §3.7; docs/SOLLICITATIONS.md), each party through its own
technical account (OAuth2 bearer + cpro-account), as the clients of §5 call: the supplier's
ERP asks the recipient about a rejected invoice, the recipient's software takes, asks, answers;
the searches with real results, paged, 20007 when empty; another structure's ticket is not
found, the same answer as a missing one; bad input is a coded error and changes nothing; the
OpenAPI lists the operations. The transverses' category searches (real PISTE paths) too."""

from __future__ import annotations

import base64

import pytest

from choeur.core.models import Blob
from choeur.invoicing.models import UploadedFile
from choeur.messaging.models import Notification
from choeur.sollicitations import services
from choeur.sollicitations.models import Attachment, Message, Sollicitation
from choeur.sollicitations.statuses import Status
from tests.api.conftest import Wire, technical_party
from tests.invoicing.conftest import OTHER_RECIPIENT_SIRET, RECIPIENT_SIRET
from tests.sollicitations.conftest import (  # noqa: F401 - fixtures
    agent,
    bank_account,
    other_recipient,
    pdf_bytes,
    platform_admin,
    recipient,
    recipient_user,
    rejected_invoice,
    run,
    supplier,
    supplier_user,
    titulaire,
    titulaire_user,
)

pytestmark = pytest.mark.django_db
BASE = "sollicitations/v1/"
S = Status


@pytest.fixture
def erp(client, supplier):
    """The supplier's software."""
    return Wire(client, technical_party(supplier, "lumiere"))


@pytest.fixture
def drfip(client, recipient):
    """The recipient's software."""
    return Wire(client, technical_party(recipient, "drfip"))


@pytest.fixture
def mairie(client, other_recipient):
    """Another public structure's software: concerned by nothing here."""
    return Wire(client, technical_party(other_recipient, "mairie"))


@pytest.fixture
def stranger(client, titulaire):
    """Another private structure's software."""
    return Wire(client, technical_party(titulaire, "titulaire"))


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000", body
    return body


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["libelle"].startswith(code + " - "), body
    return body


def _not_found(response) -> dict:
    body = _error(response, 404, "SOL_NOT_FOUND")
    assert body["codeRetour"] == 20001
    return body


def _snapshot():
    return (list(Sollicitation.objects.order_by("pk").values()),
            list(Message.objects.order_by("pk").values()),
            list(Attachment.objects.order_by("pk").values()),
            Notification.objects.count(), Blob.objects.count(),
            list(UploadedFile.objects.order_by("pk").values_list("pk", "used_at")))


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def _creer(erp, invoice, **extra):
    return erp.post(BASE + "creer", {
        "idUtilisateurCourant": 0, "codeCategorie": "FACTURE", "codeSousCategorie": "REJET",
        "titre": "Pourquoi ce rejet ?",
        "description": "Notre facture a été rejetée pour « montants erronés ».",
        "idFacture": str(invoice.pk), **extra})


@pytest.fixture
def ticket(erp, rejected_invoice) -> dict:
    return _ok(_creer(erp, rejected_invoice))["sollicitation"]


# --- The whole conversation, both sides on the wire ----------------------------------------------


def test_a_ticket_created_by_the_supplier_is_worked_by_the_recipient_to_its_close(
        erp, drfip, rejected_invoice, recipient, supplier, recipient_user, supplier_user):
    created = _ok(_creer(erp, rejected_invoice))["sollicitation"]
    assert created["statut"] == "NOUVELLE" and created["roleStructure"] == ["EMETTEUR"]
    assert created["numeroSollicitation"].startswith("SOL")
    assert created["idStructureEmetteur"] == supplier.pk
    assert created["idStructureDestinataire"] == recipient.pk
    assert created["identifiantDestinataire"] == RECIPIENT_SIRET
    assert created["idFacture"] == rejected_invoice.pk
    assert created["numeroFacture"] == rejected_invoice.number
    assert created["adresseeAuSupport"] is False
    assert created["actionsPossibles"] == ["cloturer"]
    stored = Sollicitation.objects.get(pk=created["idSollicitation"])
    assert stored.sender_structure == supplier and stored.sender_user is None
    assert stored.messages.get().author_label == "Compte technique TECH_1_LUMIERE@cpro.fr"
    # The recipient's people hear of it, as from the portal.
    assert Notification.objects.filter(user=recipient_user,
                                       kind="sollicitation_received").exists()
    pk = created["idSollicitation"]

    # The recipient's software finds it among the received, may take it, not answer yet.
    found = _ok(drfip.post(BASE + "rechercher", {"roleUtilisateur": "DESTINATAIRE"}))
    assert [r["idSollicitation"] for r in found["listeSollicitations"]] == [pk]
    assert found["listeSollicitations"][0]["roleStructure"] == ["DESTINATAIRE"]
    assert found["listeSollicitations"][0]["actionsPossibles"] == ["prendreEnCharge"]
    before = _snapshot()
    _error(drfip.post(BASE + "repondre", {"idSollicitation": pk, "message": "Voici."}),
           409, "SOL_NOT_ASSIGNED")
    assert _snapshot() == before

    taken = _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}))["sollicitation"]
    assert taken["statut"] == "EN_COURS"
    assert taken["priseEnChargePar"] == "Compte technique TECH_1_DRFIP@cpro.fr"
    assert set(taken["actionsPossibles"]) == {"demanderComplement", "repondre", "transferer",
                                              "cloturer"}
    # Taking it twice is refused, nothing changes.
    before = _snapshot()
    _error(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}), 409,
           "SOL_ALREADY_ASSIGNED")
    assert _snapshot() == before

    asked = _ok(drfip.post(BASE + "demanderComplement", {
        "numeroSollicitation": created["numeroSollicitation"],
        "message": "Joignez le bon de commande."}))["sollicitation"]
    assert asked["statut"] == "COMPLEMENT_DEMANDE"
    assert Notification.objects.filter(user=supplier_user,
                                       kind="sollicitation_complement_requested").exists()

    order = pdf_bytes("Bon de commande 42")
    completed = _ok(erp.post(BASE + "completer", {
        "idSollicitation": pk, "message": "Le voici.",
        "listePiecesJointes": {"pieceJointeNom": "bon-commande.pdf",
                               "pieceJointeFichier": _b64(order)}}))["sollicitation"]
    assert completed["statut"] == "COMPLETEE"

    answered = _ok(drfip.post(BASE + "repondre", {
        "idSollicitation": pk, "message": "Montants corrigés : redéposez la facture."}))
    assert answered["sollicitation"]["statut"] == "REPONDUE"
    reopened = _ok(erp.post(BASE + "rouvrir", {"idSollicitation": pk,
                                               "message": "Toujours rejetée."}))
    assert reopened["sollicitation"]["statut"] == "ROUVERTE"
    _ok(drfip.post(BASE + "repondre", {"idSollicitation": pk, "message": "C'est réglé."}))
    closed = _ok(erp.post(BASE + "cloturer", {"idSollicitation": pk}))["sollicitation"]
    assert closed["statut"] == "CLOTUREE" and closed["dateCloture"]

    # The thread, as either side reads it.
    for side in (erp, drfip):
        detail = _ok(side.post(BASE + "consulter", {"idSollicitation": pk}))["sollicitation"]
        assert [m["action"] for m in detail["listeMessages"]] == [
            "ENVOYER", "PRENDRE", "DEMANDER_COMPLEMENT", "COMPLETER", "REPONDRE", "ROUVRIR",
            "REPONDRE", "CLOTURER"]
        assert [m["cote"] for m in detail["listeMessages"]] == [
            "EMETTEUR", "DESTINATAIRE", "DESTINATAIRE", "EMETTEUR", "DESTINATAIRE",
            "EMETTEUR", "DESTINATAIRE", "EMETTEUR"]
        assert detail["listeMessages"][2]["message"] == "Joignez le bon de commande."
        assert detail["description"].startswith("Notre facture")
        [joined] = detail["listePiecesJointes"]
        assert joined["nomPieceJointe"] == "bon-commande.pdf"
        assert joined["taillePieceJointe"] == len(order)
        assert detail["listeMessages"][3]["listePiecesJointes"] == [joined]
        assert detail["actionsPossibles"] == (["rouvrir"] if side is erp else [])
        download = _ok(side.post(BASE + "telecharger/pieceJointe", {
            "idSollicitation": pk, "idPieceJointe": joined["idPieceJointe"]}))
        assert base64.b64decode(download["pieceJointe"]) == order
        assert download["nomPieceJointe"] == "bon-commande.pdf"


def test_the_wrong_side_is_refused_and_nothing_changes(erp, drfip, ticket):
    pk = ticket["idSollicitation"]
    _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}))
    before = _snapshot()
    # The sender cannot answer its own ticket, nor take it.
    body = _error(erp.post(BASE + "repondre", {"idSollicitation": pk, "message": "Moi ?"}),
                  403, "SOL_ACTION_NOT_YOURS")
    assert body["codeRetour"] == 20005
    _error(erp.post(BASE + "prendreEnCharge", {"idSollicitation": pk}), 403,
           "SOL_ACTION_NOT_YOURS")
    # The receiver cannot complete or reopen it; not reopen before an answer either.
    _error(drfip.post(BASE + "completer", {"idSollicitation": pk, "message": "x"}), 403,
           "SOL_ACTION_NOT_YOURS")
    _error(erp.post(BASE + "rouvrir", {"idSollicitation": pk, "message": "x"}), 409,
           "SOL_TRANSITION_REFUSED")
    # An answer needs words.
    _error(drfip.post(BASE + "repondre", {"idSollicitation": pk, "message": "  "}), 400,
           "SOL_TEXT_REQUIRED")
    # Attachments only where the move takes them.
    _error(drfip.post(BASE + "cloturer", {"idSollicitation": pk, "listePiecesJointes": [
        {"pieceJointeNom": "a.pdf", "pieceJointeFichier": _b64(pdf_bytes())}]}),
        400, "API_INVALID_FIELD")
    assert _snapshot() == before


def test_transferred_to_the_support_the_recipient_no_longer_sees_it(erp, drfip, ticket,
                                                                    agent):
    pk = ticket["idSollicitation"]
    _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}))
    before = _snapshot()
    _error(drfip.post(BASE + "transferer", {"idSollicitation": pk, "message": "Pas nous.",
                                             "identifiantDestinataire": "00000000000000"}),
           400, "SOL_RECIPIENT_UNKNOWN")
    _error(drfip.post(BASE + "transferer", {"idSollicitation": pk, "message": "Où ?"}), 400,
           "SOL_TRANSFER_TARGET_INVALID")
    _error(drfip.post(BASE + "transferer", {"idSollicitation": pk, "versSupport": True}), 400,
           "SOL_TEXT_REQUIRED")
    assert _snapshot() == before
    moved = _ok(drfip.post(BASE + "transferer", {
        "idSollicitation": pk, "message": "Question de plateforme.", "versSupport": "true"}))
    assert moved["sollicitation"]["adresseeAuSupport"] is True
    assert moved["sollicitation"]["statut"] == "NOUVELLE"
    assert "priseEnChargePar" not in moved["sollicitation"]
    assert moved["sollicitation"]["roleStructure"] == []  # no longer the recipient's
    # Not the recipient's any more: not found, as a missing one.
    _not_found(drfip.post(BASE + "consulter", {"idSollicitation": pk}))
    # The sender still follows it; the support's agent (a person) sees it.
    assert _ok(erp.post(BASE + "consulter", {"idSollicitation": pk}))["sollicitation"][
        "designationDestinataire"] == "Support de la plateforme"
    assert run(services.take, agent, pk).assignee == agent


# --- Scoping --------------------------------------------------------------------------------------


def test_another_structures_ticket_is_not_found_as_a_missing_one(erp, mairie, stranger,
                                                                 ticket):
    pk = ticket["idSollicitation"]
    missing = Sollicitation.objects.order_by("-pk").first().pk + 1000
    before = _snapshot()
    for wire in (mairie, stranger):
        assert _not_found(wire.post(BASE + "consulter", {"idSollicitation": pk})) == \
            _not_found(wire.post(BASE + "consulter", {"idSollicitation": missing}))
        _not_found(wire.post(BASE + "consulter",
                             {"numeroSollicitation": ticket["numeroSollicitation"]}))
        for operation, extra in (("prendreEnCharge", {}), ("repondre", {"message": "x"}),
                                 ("demanderComplement", {"message": "x"}),
                                 ("completer", {"message": "x"}), ("cloturer", {}),
                                 ("rouvrir", {"message": "x"}),
                                 ("transferer", {"message": "x", "versSupport": True})):
            assert _not_found(wire.post(BASE + operation, {"idSollicitation": pk, **extra})) \
                == _not_found(wire.post(BASE + operation,
                                        {"idSollicitation": missing, **extra}))
        _not_found(wire.post(BASE + "telecharger/pieceJointe",
                             {"idSollicitation": pk, "idPieceJointe": 1}))
        empty = wire.post(BASE + "rechercher", {})
        assert empty.status_code == 200 and empty.json()["codeRetour"] == 20007
        assert empty.json()["listeSollicitations"] == []
    # An id and a number that do not agree name nothing.
    _not_found(erp.post(BASE + "consulter", {"idSollicitation": pk,
                                             "numeroSollicitation": "SOL2000000001"}))
    assert _snapshot() == before


def test_a_persons_draft_is_not_the_technical_accounts(erp, supplier_user, supplier):
    draft = run(services.create, supplier_user, supplier.pk, category="GENERAL",
                subcategory="PLATEFORME", title="Brouillon", description="À finir.",
                draft=True)
    empty = erp.post(BASE + "rechercher", {"roleUtilisateur": "EMETTEUR"})
    assert empty.status_code == 200 and empty.json()["codeRetour"] == 20007
    _not_found(erp.post(BASE + "consulter", {"idSollicitation": draft.pk}))


# --- rechercher -----------------------------------------------------------------------------------


def test_rechercher_filters_pages_and_answers_20007_when_empty(erp, drfip, rejected_invoice,
                                                              ticket):
    support = _ok(erp.post(BASE + "creer", {
        "codeCategorie": "COMPTE", "codeSousCategorie": "RATTACHEMENT",
        "titre": "Rattachement", "description": "Mon rattachement attend."}))["sollicitation"]
    assert support["adresseeAuSupport"] is True and "idStructureDestinataire" not in support
    third = _ok(erp.post(BASE + "creer", {
        "codeCategorie": "GENERAL", "codeSousCategorie": "ENTITE_PUBLIQUE", "titre": "Délais",
        "description": "Quels délais ?", "identifiantDestinataire": RECIPIENT_SIRET,
        "codeServiceDestinataire": "ACHATS"}))["sollicitation"]
    assert third["codeServiceDestinataire"] == "ACHATS"
    _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": third["idSollicitation"]}))

    def ids(wire, criteria):
        response = wire.post(BASE + "rechercher", criteria)
        assert response.status_code == 200, response.content
        return [r["idSollicitation"] for r in response.json()["listeSollicitations"]]

    everything = {ticket["idSollicitation"], support["idSollicitation"],
                  third["idSollicitation"]}
    assert set(ids(erp, {})) == everything
    assert set(ids(erp, {"roleUtilisateur": "EMETTEUR"})) == everything
    assert ids(erp, {"roleUtilisateur": "DESTINATAIRE"}) == []
    # The recipient sees what came to it, never the support's.
    assert set(ids(drfip, {})) == {ticket["idSollicitation"], third["idSollicitation"]}
    assert ids(drfip, {"listeStatuts": ["EN_COURS"]}) == [third["idSollicitation"]]
    assert ids(drfip, {"statut": "nouvelle "}) == [ticket["idSollicitation"]]
    assert ids(drfip, {"roleUtilisateur": "DESTINATAIRE", "onglet": "ACTIONS_REQUISES"}) == \
        [ticket["idSollicitation"]]
    assert ids(erp, {"codeCategorie": "COMPTE"}) == [support["idSollicitation"]]
    assert ids(erp, {"codeSousCategorie": "ENTITE_PUBLIQUE"}) == [third["idSollicitation"]]
    assert ids(erp, {"numeroSollicitation": third["numeroSollicitation"]}) == \
        [third["idSollicitation"]]
    assert ids(erp, {"idFacture": rejected_invoice.pk}) == [ticket["idSollicitation"]]
    assert ids(erp, {"adresseeAuSupport": "true"}) == [support["idSollicitation"]]
    today = ticket["dateCreation"][:10]
    assert set(ids(erp, {"periodeDateCreationDu": today, "periodeDateCreationAu": today})) \
        == everything
    assert ids(erp, {"periodeDateCreationAu": "2000-01-01"}) == []

    # Paged, sorted as asked.
    first = _ok(erp.post(BASE + "rechercher", {"rechercheSollicitation": {
        "nbResultatsParPage": 2, "pageResultatDemandee": 1,
        "triColonne": "NumeroSollicitation", "triSens": "Ascendant"}}))
    assert first["parametresRetour"] == {"pageCourante": 1, "pages": 2,
                                         "nbResultatsParPage": 2, "total": 3}
    second = _ok(erp.post(BASE + "rechercher", {"rechercheSollicitation": {
        "nbResultatsParPage": 2, "pageResultatDemandee": 2,
        "triColonne": "NumeroSollicitation", "triSense": "Ascendant "}}))
    numbers = [r["numeroSollicitation"] for r in first["listeSollicitations"]
               + second["listeSollicitations"]]
    assert numbers == sorted(numbers) and len(numbers) == 3

    empty = erp.post(BASE + "rechercher", {"codeCategorie": "TRAVAUX"})
    assert empty.status_code == 200
    assert empty.json() == {
        "codeRetour": 20007,
        "libelle": "SOL_NO_RESULT - La recherche n'a retourné aucun résultat",
        "listeSollicitations": [],
        "parametresRetour": {"pageCourante": 1, "pages": 0, "nbResultatsParPage": 10,
                             "total": 0}}


@pytest.mark.parametrize("criteria", [
    {"listeStatuts": ["OUVERTE"]}, {"codeCategorie": "INCONNUE"},
    {"roleUtilisateur": "VALIDEUR"}, {"onglet": "EN_COURS"},
    {"rechercheSollicitation": {"triColonne": "MontantHT"}},
    {"periodeDateCreationDu": "hier"}, {"idFacture": "abc"},
])
def test_bad_criteria_are_coded_400s(erp, ticket, criteria):
    body = _error(erp.post(BASE + "rechercher", criteria), 400, "API_INVALID_FIELD")
    assert body["codeRetour"] == 20002


# --- creer: bad input, links, attachments ---------------------------------------------------------


def test_bad_input_to_creer_is_coded_and_creates_nothing(erp, rejected_invoice, titulaire,
                                                         stranger):
    before = _snapshot()
    _error(_creer(erp, rejected_invoice, codeSousCategorie="AUTRE"), 400,
           "SOL_CATEGORY_UNKNOWN")
    _error(_creer(erp, rejected_invoice, titre=""), 400, "SOL_TEXT_REQUIRED")
    _error(_creer(erp, rejected_invoice, titre="x" * 201), 400, "SOL_TEXT_TOO_LONG")
    _error(_creer(erp, rejected_invoice, description="x" * 10_001), 400, "SOL_TEXT_TOO_LONG")
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeNom": "a.pdf", "pieceJointeFichier": "pas du base64 !"}]),
        400, "API_INVALID_FIELD")
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeNom": "virus.exe", "pieceJointeFichier": _b64(b"MZ...")}]),
        400, "INV_ATTACHMENT_REFUSED")
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeNom": "abime.pdf", "pieceJointeFichier": _b64(b"%PDF-1.7\n")}]),
        400, "INV_ATTACHMENT_REFUSED")
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeFichier": _b64(pdf_bytes())}]), 400, "API_INVALID_FIELD")
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeNom": f"p{i}.pdf", "pieceJointeFichier": _b64(b"x")} for i in range(11)]),
        400, "SOL_TOO_MANY_ATTACHMENTS")
    # A structure of the sender's own only: another's id is not found.
    _error(_creer(erp, rejected_invoice, idStructure=titulaire.pk), 403,
           "SOL_STRUCTURE_REQUIRED")
    # Linked objects are the structure's own: another's invoice, a missing one, a forged flux
    # or dossier are not found alike.
    foreign = _error(_creer(stranger, rejected_invoice), 400, "SOL_LINKED_OBJECT_NOT_FOUND")
    missing = _error(_creer(stranger, rejected_invoice, idFacture=rejected_invoice.pk + 999),
                     400, "SOL_LINKED_OBJECT_NOT_FOUND")
    assert foreign["libelle"].replace(str(rejected_invoice.pk), "N") == \
        missing["libelle"].replace(str(rejected_invoice.pk + 999), "N")
    _error(_creer(erp, rejected_invoice, numeroFluxDepot="CPP0011110000000000001557"), 400,
           "SOL_LINKED_OBJECT_NOT_FOUND")
    _error(_creer(erp, rejected_invoice, idDossierFacturation=4242), 400,
           "SOL_LINKED_OBJECT_NOT_FOUND")
    # Routed to a structure: it must be named, exist, and not be the sender.
    _error(erp.post(BASE + "creer", {"codeCategorie": "GENERAL",
                                     "codeSousCategorie": "ENTITE_PUBLIQUE", "titre": "t",
                                     "description": "d"}), 400, "SOL_RECIPIENT_REQUIRED")
    _error(erp.post(BASE + "creer", {"codeCategorie": "GENERAL",
                                     "codeSousCategorie": "ENTITE_PUBLIQUE", "titre": "t",
                                     "description": "d", "codeDestinataire": RECIPIENT_SIRET,
                                     "codeService": "NULLE-PART"}), 400,
           "SOL_SERVICE_UNKNOWN")
    # Malformed bodies.
    _error(erp.post(BASE + "creer", raw="{pas du json"), 400, "API_MALFORMED_JSON")
    _error(erp.post(BASE + "creer", raw="[]"), 400, "API_BODY_NOT_OBJECT")
    assert _snapshot() == before


def test_attachments_deposited_with_ajouter_fichier_are_reused(erp, stranger, rejected_invoice):
    content = pdf_bytes("Relevé")
    upload_id = _ok(erp.post("transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": _b64(content), "pieceJointeNom": "releve",
        "pieceJointeExtension": "PDF", "pieceJointeTypeMime": "application/pdf"}))[
        "pieceJointeId"]
    other_id = _ok(stranger.post("transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": _b64(content), "pieceJointeNom": "autre.pdf"}))["pieceJointeId"]
    before = _snapshot()
    # Another structure's upload is not found, nothing created, nothing marked used.
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[{"pieceJointeId": other_id}]),
           400, "SOL_LINKED_OBJECT_NOT_FOUND")
    _error(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeId": upload_id, "pieceJointeFichier": _b64(content)}]),
        400, "API_INVALID_FIELD")
    assert _snapshot() == before
    created = _ok(_creer(erp, rejected_invoice, listePiecesJointes=[
        {"pieceJointeId": str(upload_id)},
        {"pieceJointeNom": "note.txt", "pieceJointeFichier": _b64(b"Une note.")}]))
    detail = _ok(erp.post(BASE + "consulter", {
        "idSollicitation": created["sollicitation"]["idSollicitation"]}))["sollicitation"]
    assert [(a["nomPieceJointe"], a["taillePieceJointe"]) for a in
            detail["listePiecesJointes"]] == [("releve.pdf", len(content)), ("note.txt", 9)]
    assert UploadedFile.objects.get(pk=upload_id).used_at is not None
    assert UploadedFile.objects.get(pk=other_id).used_at is None


def test_creer_by_invoice_number_and_by_a_logged_in_persons_view(erp, rejected_invoice,
                                                                  recipient_user):
    created = _ok(_creer(erp, rejected_invoice, idFacture=None,
                         numeroFacture=rejected_invoice.number))["sollicitation"]
    assert created["idFacture"] == rejected_invoice.pk
    # The recipient's people work the API's ticket in the portal: the same ticket.
    ticket = run(services.take, recipient_user, created["idSollicitation"])
    assert ticket.assignee == recipient_user and ticket.assignee_account is None
    after = _ok(erp.post(BASE + "consulter", {"idSollicitation": created["idSollicitation"]}))
    assert after["sollicitation"]["priseEnChargePar"] == "Rémi Receveur"


def test_a_technical_account_takes_over_from_a_person_and_back(drfip, ticket, recipient_user):
    pk = ticket["idSollicitation"]
    run(services.take, recipient_user, pk)
    # The person took it: the account must take it over before answering.
    _error(drfip.post(BASE + "repondre", {"idSollicitation": pk, "message": "x"}), 409,
           "SOL_NOT_ASSIGNED")
    _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}))
    stored = Sollicitation.objects.get(pk=pk)
    assert stored.assignee is None and stored.assignee_account.login == "TECH_1_DRFIP@cpro.fr"
    # And now the person may not answer without taking it back.
    from choeur.sollicitations.errors import NotAssigned

    with pytest.raises(NotAssigned):
        run(services.answer, recipient_user, pk, "Réponse")
    run(services.take, recipient_user, pk)
    assert Sollicitation.objects.get(pk=pk).assignee_account is None


# --- Auth, OpenAPI, the catalogue ---------------------------------------------------------------


def test_without_the_technical_account_nothing_is_answered(erp, ticket):
    response = erp.client.post(f"/cpro/{BASE}consulter",
                               data={"idSollicitation": ticket["idSollicitation"]},
                               content_type="application/json")
    assert response.status_code == 401
    assert response.json()["libelle"].startswith("API_UNAUTHORIZED")


def test_the_openapi_lists_the_operations(client):
    document = client.get("/cpro/openapi.json").json()
    paths = document["paths"]
    for operation in ("rechercher", "consulter", "telecharger/pieceJointe", "creer",
                      "prendreEnCharge", "demanderComplement", "completer", "repondre",
                      "transferer", "cloturer", "rouvrir"):
        assert "post" in paths[f"/cpro/sollicitations/v1/{operation}"], operation
    assert paths["/cpro/sollicitations/v1/repondre"]["post"]["operationId"] == \
        "repondreSollicitation"
    for operation in ("categorieSollicitation", "sousCategorieSollicitation"):
        assert "post" in paths[f"/cpro/transverses/v1/rechercher/{operation}"]


def test_the_categories_and_sub_categories_of_the_catalogue(erp):
    categories = _ok(erp.post("transverses/v1/rechercher/categorieSollicitation", {}))
    codes = [c["codeCategorie"] for c in categories["listeCategories"]]
    assert codes[:2] == ["COMPTE", "FACTURE"] and categories["parametresRetour"]["total"] == 6
    facture = next(c for c in categories["listeCategories"] if c["codeCategorie"] == "FACTURE")
    subs = _ok(erp.post("transverses/v1/rechercher/sousCategorieSollicitation", {
        "idTechniqueCategorie": facture["idTechniqueCategorie"]}))
    [group] = subs["listeSousCategories"]
    assert group["categorie"] == [facture]
    assert {s["code"]: s["adresseeAuSupport"] for s in group["ssCategorie"]} == {
        "SUIVI": False, "REJET": False, "PAIEMENT": False, "DEPOT": True}
    only = _ok(erp.post("transverses/v1/rechercher/sousCategorieSollicitation",
                        {"code": "REJET"}))
    assert [s["code"] for g in only["listeSousCategories"] for s in g["ssCategorie"]] == ["REJET"]
    _error(erp.post("transverses/v1/rechercher/categorieSollicitation",
                    {"pagination": {"triColonne": "Autre"}}), 400, "API_INVALID_FIELD")


def test_other_recipient_siret_is_a_valid_transfer_target(erp, drfip, ticket, mairie):
    pk = ticket["idSollicitation"]
    _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}))
    moved = _ok(drfip.post(BASE + "transferer", {"idSollicitation": pk, "message": "À vous.",
                                                 "identifiantDestinataire":
                                                     OTHER_RECIPIENT_SIRET}))
    assert moved["sollicitation"]["identifiantDestinataire"] == OTHER_RECIPIENT_SIRET
    assert [r["idSollicitation"] for r in _ok(mairie.post(BASE + "rechercher", {}))[
        "listeSollicitations"]] == [pk]
    _not_found(drfip.post(BASE + "consulter", {"idSollicitation": pk}))


def test_the_portal_shows_the_technical_account_that_took_the_ticket(client, drfip, ticket,
                                                                     recipient_user):
    from django.urls import reverse

    pk = ticket["idSollicitation"]
    _ok(drfip.post(BASE + "prendreEnCharge", {"idSollicitation": pk}))
    client.force_login(recipient_user)
    page = client.get(reverse("sollicitations:detail", args=[pk]))
    assert page.status_code == 200
    assert "Compte technique TECH_1_DRFIP@cpro.fr" in page.content.decode()
