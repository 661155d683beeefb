"""Transverses, Utilisateurs, EngagementsJuridiques, FacturesTravaux (reference §3.3–3.6,
Appendix C): field names as the clients read them, scoping, "no result" codes."""

from __future__ import annotations

import base64

import pytest

from choeur.invoicing.models import Cadre, TravauxCadre
from choeur.invoicing.statuses import TRAVAUX_ONLY, Role, targets
from choeur.organisations.models import Espace, OpenEspace
from choeur.travaux.models import TypeFactureTravaux

pytestmark = pytest.mark.django_db


def keys(items: list[dict], allowed: set[str]) -> None:
    for item in items:
        assert set(item) <= allowed, set(item) - allowed


def test_health_check_body_as_the_php_client_asserts_it(wire):
    response = wire.get("transverses/v1/health-check")
    assert response.json() == {"body": "L'API CPRO est actuellement disponible et fonctionnel.",
                               "statusCode": "OK", "statusCodeValue": 200}


@pytest.mark.parametrize("path, body, field, item_keys", [
    ("recuperer/devises", {"codeLangue": "FR"}, "listeDevises", {"codeDevise", "libelleDevise"}),
    ("recuperer/pays", {"codeLangue": "EN"}, "listePays", {"codePays", "libellePays"}),
    ("recuperer/modedepot", {}, "listeModeDepot", {"modeDepot"}),
    ("recuperer/modereglements", {}, "listeModePaiement", {"modePaiement"}),
    ("recuperer/cadrefacturation", {"typeDemandePaiement": "FACTURE"}, "listeCadreFacturation",
     {"codeCadreFacturation"}),
    ("recuperer/typespj", {"codeLangue": "fr", "typeObjet": "DEMANDE_PAIEMENT"},
     "listeTypePieceJointe",
     {"idTypePieceJointe", "codeTypePieceJointe", "libelleTypePieceJointe", "typeObjet"}),
    ("recuperer/tauxtva", {"codeLangue": "fr"}, "listeTauxTva",
     {"codeTauxTva", "libelleTauxTva", "valeurTauxTva"}),
    ("recuperer/motifs/exonerationtva", {"codeLangue": "fr"}, "listeMotifsExonerationTva",
     {"codeMotifExonerationTva", "libelleMotifExonerationTva"}),
    ("recuperer/etats/traitement", {"statutCourant": "MISE_A_DISPOSITION"},
     "listeStatutsPossiblesPourTraitement", {"statutPossiblePourTraitement"}),
    ("recuperer/etat/typedp", {"typeDemandePaiement": "FACTURE"}, "listeEtatDemandePaiement",
     {"etatDemandePaiement"}),
    ("recuperer/formatflux", {}, "listeFormatFlux", {"formatFlux"}),
    ("recuperer/motifs/refus/Facture/AValider",
     {"codeCadreFacturationAValider": "A9_FACTURE_SOUSTRAITANT"},
     "listeMotifRefusFactureAValider", {"idMotif", "codeMotif", "libelleMotif"}),
    ("recuperer/typedp", {}, "listeTypeDemandePaiement", {"typeDemandePaiement"}),
    ("recuperer/typefacturetravaux", {}, "listeTypeFactureTravaux", {"typeFactureTravaux"}),
    ("recuperer/typeidentifiant/structure", {}, "listeTypeIdentifiant",
     {"typeIdentifiantStructure"}),
])
def test_reference_lists(wire, path, body, field, item_keys):
    response = wire.post(f"transverses/v1/{path}", body)
    assert response.status_code == 200, response.content
    payload = response.json()
    assert payload["codeRetour"] == 0 and payload["libelle"] == "TRA_MSG_00.000"
    assert set(payload) == {"codeRetour", "libelle", field}
    assert payload[field], path
    keys(payload[field], item_keys)
    for item in payload[field]:
        assert set(item) == item_keys


def test_reference_list_contents(wire):
    devises = wire.post("transverses/v1/recuperer/devises", {"codeLangue": "FR"}).json()
    assert {"codeDevise": "EUR", "libelleDevise": "Euro"} in devises["listeDevises"]
    pays = wire.post("transverses/v1/recuperer/pays", {"codeLangue": "FR"}).json()["listePays"]
    assert {"codePays": "DE", "libellePays": "Allemagne"} in pays
    pays_en = wire.post("transverses/v1/recuperer/pays", {"codeLangue": "EN"}).json()
    assert {"codePays": "DE", "libellePays": "Germany"} in pays_en["listePays"]
    etats = wire.post("transverses/v1/recuperer/etats/traitement",
                      {"statutCourant": "MISE_A_DISPOSITION"}).json()
    assert [e["statutPossiblePourTraitement"] for e in
            etats["listeStatutsPossiblesPourTraitement"]] == targets("MISE_A_DISPOSITION",
                                                                      Role.RECIPIENT)
    taux = wire.post("transverses/v1/recuperer/tauxtva", {}).json()["listeTauxTva"]
    assert all(isinstance(t["valeurTauxTva"], float) for t in taux)
    travaux = wire.post("transverses/v1/recuperer/cadrefacturation",
                        {"typeDemandePaiement": "FACTURE_TRAVAUX"}).json()
    assert travaux["codeRetour"] == 0
    assert [c["codeCadreFacturation"] for c in travaux["listeCadreFacturation"]] == (
        TravauxCadre.values)
    assert "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR" in TravauxCadre.values
    assert not set(TravauxCadre.values) & set(Cadre.values)
    memoires = wire.post("transverses/v1/recuperer/cadrefacturation",
                         {"typeDemandePaiement": "MEMOIRE_JUSTICE"}).json()
    assert memoires["listeCadreFacturation"] == []


def test_the_travaux_reference_lists(wire):
    types = wire.post("transverses/v1/recuperer/typefacturetravaux", {}).json()
    assert types["codeRetour"] == 0
    assert [t["typeFactureTravaux"] for t in types["listeTypeFactureTravaux"]] == (
        TypeFactureTravaux.values)
    assert {"typeFactureTravaux": "PROJET_DECOMPTE_MENSUEL"} in types["listeTypeFactureTravaux"]
    etats = wire.post("transverses/v1/recuperer/etat/typedp",
                      {"typeDemandePaiement": "FACTURE_TRAVAUX"}).json()
    travaux = [e["etatDemandePaiement"] for e in etats["listeEtatDemandePaiement"]]
    # The travaux statuses, then those the last piece goes through to the paying service.
    assert set(TRAVAUX_ONLY) <= set(travaux)
    assert {"DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MISE_EN_PAIEMENT",
            "REJETEE", "SUSPENDUE"} <= set(travaux)
    # Not the ordinary invoice's draft, deletion or validators' statuses.
    assert not {"BROUILLON", "SUPPRIMEE", "A_VALIDER_2", "VALIDEE_2"} & set(travaux)
    assert len(travaux) == len(set(travaux))
    ordinaires = wire.post("transverses/v1/recuperer/etat/typedp",
                           {"typeDemandePaiement": "FACTURE"}).json()
    assert not set(TRAVAUX_ONLY) & {e["etatDemandePaiement"]
                                    for e in ordinaires["listeEtatDemandePaiement"]}


@pytest.mark.parametrize("path, body", [
    ("recuperer/etats/traitement", {"statutCourant": "INVENTE"}),
    ("recuperer/etats/traitement", {}),
    ("recuperer/cadrefacturation", {"typeDemandePaiement": 12}),
    ("recuperer/motifs/refus/Facture/AValider", {"codeCadreFacturationAValider": "Z9"}),
    ("consulter/information/siret", {"siretStructure": "12345"}),
    ("rechercher/destinataire", {"parametresRecherche": {"nbResultatsParPage": 100000}}),
])
def test_bad_reference_requests_are_coded_400s(wire, path, body):
    response = wire.post(f"transverses/v1/{path}", body)
    assert response.status_code == 400
    assert response.json()["codeRetour"] == 20002


def test_rechercher_destinataire_lists_public_structures_only(wire, buyer, victim):
    response = wire.post("transverses/v1/rechercher/destinataire", {
        "nomVilleCodePostal": "75002", "parametresRecherche": {"nbResultatsParPage": 50,
                                                               "triSense": "Descendant"}})
    body = response.json()
    assert [d["idStructureCPP"] for d in body["listeDestinataires"]] == [buyer.structure.pk]
    keys(body["listeDestinataires"],
         {"idStructureCPP", "siret", "nomDestinataire", "adresseCodePostal", "adresseVille"})
    assert set(body["parametresRetour"]) == {"pageCourante", "pages", "nbResultatsParPage",
                                             "total"}


def test_telecharger_annuaire_is_the_csv_in_base64(wire, buyer, victim):
    body = wire.post("transverses/v1/telecharger/annuaire/destinataire", {}).json()
    content = base64.b64decode(body["fichierResultat"]).decode("utf-8")
    assert buyer.structure.identifier in content
    assert victim.structure.identifier not in content


def test_information_siret_from_choeurs_own_data(wire, buyer, victim):
    body = wire.post("transverses/v1/consulter/information/siret",
                     {"siretStructure": buyer.structure.identifier}).json()
    assert body["siren"] == buyer.structure.identifier[:9] and body["estActif"] is True
    hidden = wire.post("transverses/v1/consulter/information/siret",
                       {"siretStructure": victim.structure.identifier})
    assert hidden.status_code == 404 and "Victime" not in hidden.content.decode()


def test_coordonnees_bancaires_of_its_own_structure_only(wire, supplier, victim):
    body = wire.post("transverses/v1/recuperer/coordbanc/valides",
                     {"idStructure": supplier.structure.pk}).json()
    assert [c["nomCoordonneeBancaire"] for c in body["listeCoordonneeBancaire"]] == [
        "Compte principal"]
    assert wire.post("transverses/v1/recuperer/coordbanc/valides", {}).status_code == 200
    forged = wire.post("transverses/v1/recuperer/coordbanc/valides",
                       {"idStructure": victim.structure.pk})
    assert forged.status_code == 404 and "secret" not in forged.content.decode()


def test_structures_actives_follow_the_open_espaces(wire, supplier):
    fournisseur = wire.post("transverses/v1/recuperer/structures/actives/fournisseur").json()
    assert fournisseur["listeStructures"] == [{
        "idStructureCPP": supplier.structure.pk, "identifiant": supplier.structure.identifier,
        "designationStructure": supplier.structure.company_name}]
    destinataire = wire.post("transverses/v1/recuperer/structures/actives/destinataire").json()
    assert destinataire["codeRetour"] == 0 and destinataire["listeStructures"] == []
    OpenEspace.objects.create(structure=supplier.structure, espace=Espace.FACTURES_TRAVAUX)
    travaux = wire.post("transverses/v1/recuperer/structures/actives/facturetravaux").json()
    assert len(travaux["listeStructures"]) == 1


def test_mon_compte_rattachements_as_the_go_client_asks(wire, supplier):
    response = wire.post("utilisateurs/v1/monCompte/recuperer/rattachements", {
        "parametresRecherche": {"nbResultatsParPage": 10, "pageResultatDemandee": 1,
                                "triColonne": "IdStructure", "triSense": "Ascendant "}})
    body = response.json()
    assert body["codeRetour"] == 0
    [row] = body["listeStructureRattachement"]
    assert row["idStructure"] == supplier.structure.pk
    assert set(row) <= {"designationStructure", "idRattachementStructure", "idStructure",
                        "identifiantStructure", "listeServicesRattache", "roleUtilisateur",
                        "statutRattachementStructure", "statutUtilisateur",
                        "typeIdentifiantStructure"}
    assert body["parametresRetour"]["total"] == 1


def test_engagements_as_odoo_checks_a_number(wire, supplier, engagements):
    mine, theirs = engagements
    response = wire.post("engagementsJuridiques/v1/rechercher", {
        "structureReceptriceEngagementJuridique": str(supplier.structure.pk),
        "numeroEngagementJuridique": "EJ-2026-001", "etatCourantEngagementJuridique": "COMMANDE"})
    body = response.json()
    assert body["codeRetour"] == 0
    [found] = body["listeEngagementJuridique"]
    assert found["idEngagementJuridique"] == mine.pk
    assert found["libelleEtatCourantEJ"] == "COMMANDE"
    assert found["libelleTypeEngagementJuridique"] == "BON_DE_COMMANDE"
    assert found["montantTotalHt"] == 100.5 and found["codeServiceExecutant"] == "SERV-ACHATS"


def test_engagements_of_another_supplier_are_never_seen(wire, victim, engagements):
    for body in ({}, {"numeroEngagementJuridique": "EJ-2026-999"},
                 {"structureReceptriceEngagementJuridique": str(victim.structure.pk)},
                 {"structureReceptriceEngagementJuridique": victim.structure.identifier}):
        response = wire.post("engagementsJuridiques/v1/rechercher", body)
        numbers = [e["numeroEngagementJuridique"]
                   for e in response.json()["listeEngagementJuridique"]]
        assert "EJ-2026-999" not in numbers and "Secret" not in response.content.decode()


def test_an_engagement_receiver_that_is_no_id_finds_nothing(wire, engagements):
    for receiver in ("²", "9" * 30):
        response = wire.post("engagementsJuridiques/v1/rechercher",
                             {"structureReceptriceEngagementJuridique": receiver})
        assert response.status_code == 200, response.content
        assert response.json()["listeEngagementJuridique"] == []


def test_the_buyer_sees_all_its_engagements(buyer_wire, engagements):
    body = buyer_wire.post("engagementsJuridiques/v1/rechercher", {
        "parametresRecherche": {"triColonne": "NumeroEngagementJuridique"}}).json()
    assert [e["numeroEngagementJuridique"] for e in body["listeEngagementJuridique"]] == [
        "EJ-2026-001", "EJ-2026-999"]


def test_factures_travaux_answers_no_result_20007_as_pastell_expects(wire):
    response = wire.post("facturesTravaux/v1/rechercher", {
        "roleUtilisateur": "FOURNISSEUR", "idDestinataire": "",
        "rechercheFactureTravaux": {"nbResultatsParPage": "100", "pageResultatDemandee": 1,
                                    "triSens": "Descendant", "triColonne": "DateDepot"}})
    assert response.status_code == 200
    body = response.json()
    assert body["codeRetour"] == 20007
    assert body["libelle"].startswith("GFT_MSG_01.075")
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 0,
                                        "nbResultatsParPage": 100, "total": 0}


def test_unknown_operations_get_a_coded_404(wire, client):
    response = wire.post("factures/v1/inventee", {})
    assert response.status_code == 404
    assert response.json()["libelle"].startswith("API_UNKNOWN_OPERATION")
    assert client.post("/cpro/nimporte/quoi").status_code == 404
