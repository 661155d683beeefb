"""Transverses — `/cpro/transverses/v1/...`: health check, reference lists, the recipients'
directory, SIRET information, bank details, active structures (reference §3.3, Appendix C).

No Swagger exists for this family: field names are the clients' (Go JSON tags, PHP, Python).
The flux operations (consulterCR, consulterCRDetaille) are served by `api/flux.py`, the
upload of a file ahead of its invoice (ajouter/fichier) by `api/uploads.py`.
"""

from __future__ import annotations

import base64
import re
from typing import Annotated

from django.db.models import Q
from ninja import Router, Schema
from pydantic import AliasChoices, Field

from choeur.api.envelope import (
    Id,
    Pagination,
    Text,
    WireIn,
    choices,
    language,
    ok,
    page,
    pattern,
)
from choeur.api.errors import InvalidField
from choeur.api.isocodes import COUNTRIES, CURRENCIES
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour
from choeur.api.structures import choice, designation, required
from choeur.core.errors import NotFound, PermissionRefused
from choeur.invoicing.models import Cadre, ModeDepot, ModePaiement, TravauxCadre
from choeur.invoicing.statuses import INVOICE_STATUSES, Role, Status, targets
from choeur.organisations import annuaire, permissions
from choeur.organisations.models import Espace, IdentifierType
from choeur.travaux.models import TypeFactureTravaux
from choeur.travaux.queries import PIECE_STATUSES

router = Router(tags=["Transverses"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

TYPES_DEMANDE_PAIEMENT = ["FACTURE", "FACTURE_TRAVAUX", "MEMOIRE_JUSTICE",
                          "DEMANDE_REMBOURSEMENT"]
#: What Choeur accepts today (works invoices come with their own issue).
SUPPORTED_TYPES_DEMANDE_PAIEMENT = ["FACTURE"]
FORMATS_FLUX = ["IN_DP_E1_STRUCT", "IN_DP_E2_MIXTE", "IN_DP_E2_FACTURX"]

# Reference lists Chorus Pro publishes no official table for (reference §8): Choeur's own,
# with stable codes. VAT rates: `TVA1` = « Art 293B (franchise en base) », 0 %, is the one
# code seen on the real platform (Pastell's test); the others are Choeur's.
VAT_RATES = [  # code, French label, English label, rate
    ("TVA1", "Art 293B (franchise en base)", "Art 293B (VAT-free small business)", 0.0),
    ("TVA2", "20 %", "20%", 20.0),
    ("TVA3", "10 %", "10%", 10.0),
    ("TVA4", "5,5 %", "5.5%", 5.5),
    ("TVA5", "2,1 %", "2.1%", 2.1),
    ("TVA6", "8,5 % (Guadeloupe, Martinique, La Réunion)",
     "8.5% (Guadeloupe, Martinique, La Réunion)", 8.5),
    ("TVA7", "0 % (exonération)", "0% (exemption)", 0.0),
]
# The VATEX code list of EN 16931 (BT-121) that French invoices use.
VAT_EXEMPTIONS = [
    ("VATEX-EU-79-C", "Exonération selon l'article 79, point c, de la directive 2006/112/CE",
     "Exempt based on article 79, point c of Council Directive 2006/112/EC"),
    ("VATEX-EU-132", "Exonération selon l'article 132 de la directive 2006/112/CE",
     "Exempt based on article 132 of Council Directive 2006/112/EC"),
    ("VATEX-EU-143", "Exonération selon l'article 143 de la directive 2006/112/CE",
     "Exempt based on article 143 of Council Directive 2006/112/EC"),
    ("VATEX-EU-148", "Exonération selon l'article 148 de la directive 2006/112/CE",
     "Exempt based on article 148 of Council Directive 2006/112/EC"),
    ("VATEX-EU-151", "Exonération selon l'article 151 de la directive 2006/112/CE",
     "Exempt based on article 151 of Council Directive 2006/112/EC"),
    ("VATEX-EU-309", "Exonération selon l'article 309 de la directive 2006/112/CE",
     "Exempt based on article 309 of Council Directive 2006/112/EC"),
    ("VATEX-EU-AE", "Autoliquidation", "Reverse charge"),
    ("VATEX-EU-D", "Régime particulier des agences de voyage",
     "Intra-Community acquisition from second hand means of transport"),
    ("VATEX-EU-F", "Régime de la marge — biens d'occasion", "Margin scheme — second hand goods"),
    ("VATEX-EU-G", "Exportation hors de l'Union européenne", "Export outside the EU"),
    ("VATEX-EU-I", "Régime de la marge — objets d'art", "Margin scheme — works of art"),
    ("VATEX-EU-IC", "Livraison intracommunautaire", "Intra-Community supply"),
    ("VATEX-EU-J", "Régime de la marge — objets de collection et d'antiquité",
     "Margin scheme — collector's items and antiques"),
    ("VATEX-EU-O", "Hors du champ d'application de la TVA", "Not subject to VAT"),
    ("VATEX-FR-FRANCHISE", "Franchise en base de TVA (article 293 B du CGI)",
     "VAT-free small business (article 293 B of the French tax code)"),
    ("VATEX-FR-CNWVAT", "Facture non soumise à la TVA française",
     "Invoice not subject to French VAT"),
]
ATTACHMENT_TYPES = [  # id, code, French label, English label
    (1, "BON_DE_COMMANDE", "Bon de commande", "Purchase order"),
    (2, "BON_DE_LIVRAISON", "Bon de livraison", "Delivery note"),
    (3, "CONTRAT", "Contrat ou marché", "Contract"),
    (4, "DEVIS", "Devis", "Quotation"),
    (5, "ATTESTATION_SERVICE_FAIT", "Attestation de service fait", "Proof of service"),
    (6, "FACTURE_ORIGINE", "Facture d'origine (avoir)", "Original invoice (credit note)"),
    (7, "AUTRE", "Autre pièce justificative", "Other supporting document"),
]
ATTACHMENT_OBJECT = "DEMANDE_PAIEMENT"
REFUSAL_REASONS = [  # id, code, French label: a validator's refusal (cadres A9, A12)
    (1, "ERREUR_MONTANT", "Erreur de montant"),
    (2, "PRESTATION_NON_CONFORME", "Prestation non conforme ou non réalisée"),
    (3, "PIECES_MANQUANTES", "Pièces justificatives manquantes"),
    (4, "ERREUR_DESTINATAIRE", "Erreur de destinataire ou de service"),
    (5, "ERREUR_REFERENCE", "Référence de marché ou d'engagement erronée"),
    (6, "AUTRE", "Autre motif"),
]


class CodeLangueIn(WireIn):
    codeLangue: Text = None


class TypeDemandePaiementIn(WireIn):
    typeDemandePaiement: Annotated[Text, choices(TYPES_DEMANDE_PAIEMENT)] = None


class HealthCheckOut(Schema):
    body: str
    statusCode: str
    statusCodeValue: int


def _type_dp(value: str | None) -> str:
    return choice("typeDemandePaiement", value, TYPES_DEMANDE_PAIEMENT) or "FACTURE"


@router.get("/health-check", operation_id="healthCheck", response={200: HealthCheckOut,
                                                                    ERRORS: ErrorOut})
def health_check(request):
    return {"body": "L'API CPRO est actuellement disponible et fonctionnel.",
            "statusCode": "OK", "statusCodeValue": 200}


# --- Reference lists ----------------------------------------------------------------------------


class Devise(Schema):
    codeDevise: str
    libelleDevise: str


class ListeDevises(WsRetour):
    listeDevises: list[Devise]


@router.post("/recuperer/devises", operation_id="recupererDevises",
             response={200: ListeDevises, ERRORS: ErrorOut})
def devises(request, payload: CodeLangueIn):
    index = 2 if language(payload.codeLangue) == "en" else 1
    return ok(listeDevises=[{"codeDevise": row[0], "libelleDevise": row[index]}
                            for row in CURRENCIES])


class Pays(Schema):
    codePays: str
    libellePays: str


class ListePays(WsRetour):
    listePays: list[Pays]


@router.post("/recuperer/pays", operation_id="recupererPays",
             response={200: ListePays, ERRORS: ErrorOut})
def pays(request, payload: CodeLangueIn):
    index = 2 if language(payload.codeLangue) == "en" else 1
    return ok(listePays=[{"codePays": row[0], "libellePays": row[index]} for row in COUNTRIES])


class ModeDepotOut(Schema):
    modeDepot: str


class ListeModesDepot(WsRetour):
    listeModeDepot: list[ModeDepotOut]


@router.post("/recuperer/modedepot", operation_id="recupererModesDepot",
             response={200: ListeModesDepot, ERRORS: ErrorOut})
def modes_depot(request, payload: WireIn):
    return ok(listeModeDepot=[{"modeDepot": mode} for mode in ModeDepot.values])


class ModeReglement(Schema):
    modePaiement: str


class ListeModesReglement(WsRetour):
    listeModePaiement: list[ModeReglement]


@router.post("/recuperer/modereglements", operation_id="recupererModesReglement",
             response={200: ListeModesReglement, ERRORS: ErrorOut})
def modes_reglement(request, payload: WireIn):
    return ok(listeModePaiement=[{"modePaiement": mode} for mode in ModePaiement.values])


class CadreFacturationOut(Schema):
    codeCadreFacturation: str


class ListeCadresFacturation(WsRetour):
    listeCadreFacturation: list[CadreFacturationOut]


@router.post("/recuperer/cadrefacturation", operation_id="recupererCadresFacturation",
             response={200: ListeCadresFacturation, ERRORS: ErrorOut})
def cadres_facturation(request, payload: TypeDemandePaiementIn):
    """The cadres of a type of demande de paiement: A1–A12 for FACTURE, the travaux cadres
    (A4–A25) for FACTURE_TRAVAUX, none for the types Choeur does not handle."""
    kind = _type_dp(payload.typeDemandePaiement)
    cadres = {"FACTURE": Cadre.values, "FACTURE_TRAVAUX": TravauxCadre.values}.get(kind, [])
    return ok(listeCadreFacturation=[{"codeCadreFacturation": c} for c in cadres])


class TypeDemandePaiementOut(Schema):
    typeDemandePaiement: str


class ListeTypesDemandePaiement(WsRetour):
    listeTypeDemandePaiement: list[TypeDemandePaiementOut]


@router.post("/recuperer/typedp", operation_id="recupererTypesDemandePaiement",
             response={200: ListeTypesDemandePaiement, ERRORS: ErrorOut})
def types_demande_paiement(request, payload: WireIn):
    return ok(listeTypeDemandePaiement=[{"typeDemandePaiement": t}
                                        for t in SUPPORTED_TYPES_DEMANDE_PAIEMENT])


class TypeFactureTravauxOut(Schema):
    typeFactureTravaux: str


class ListeTypesFactureTravaux(WsRetour):
    listeTypeFactureTravaux: list[TypeFactureTravauxOut]


@router.post("/recuperer/typefacturetravaux", operation_id="recupererTypesFactureTravaux",
             response={200: ListeTypesFactureTravaux, ERRORS: ErrorOut})
def types_facture_travaux(request, payload: WireIn):
    """The kinds of pieces of a dossier de facturation (`typeFactureTravaux`)."""
    return ok(listeTypeFactureTravaux=[{"typeFactureTravaux": t}
                                       for t in TypeFactureTravaux.values])


class TypeIdentifiantOut(Schema):
    typeIdentifiantStructure: str


class ListeTypesIdentifiant(WsRetour):
    listeTypeIdentifiant: list[TypeIdentifiantOut]


@router.post("/recuperer/typeidentifiant/structure",
             operation_id="recupererTypesIdentifiantsStructure",
             response={200: ListeTypesIdentifiant, ERRORS: ErrorOut})
def types_identifiant(request, payload: WireIn):
    return ok(listeTypeIdentifiant=[{"typeIdentifiantStructure": t}
                                    for t in IdentifierType.values])


class TypesPjIn(WireIn):
    codeLangue: Text = None
    typeObjet: Text = None


class TypePieceJointe(Schema):
    idTypePieceJointe: int
    codeTypePieceJointe: str
    libelleTypePieceJointe: str
    typeObjet: str


class ListeTypesPieceJointe(WsRetour):
    listeTypePieceJointe: list[TypePieceJointe]


@router.post("/recuperer/typespj", operation_id="recupererTypesPieceJointe",
             response={200: ListeTypesPieceJointe, ERRORS: ErrorOut})
def types_pj(request, payload: TypesPjIn):
    english = language(payload.codeLangue) == "en"
    wanted = payload.typeObjet
    rows = [] if wanted and wanted.upper() != ATTACHMENT_OBJECT else ATTACHMENT_TYPES
    return ok(listeTypePieceJointe=[{
        "idTypePieceJointe": pk, "codeTypePieceJointe": code,
        "libelleTypePieceJointe": en if english else fr, "typeObjet": ATTACHMENT_OBJECT,
    } for pk, code, fr, en in rows])


class TauxTva(Schema):
    codeTauxTva: str
    libelleTauxTva: str
    valeurTauxTva: float


class ListeTauxTva(WsRetour):
    listeTauxTva: list[TauxTva]


@router.post("/recuperer/tauxtva", operation_id="recupererTauxTva",
             response={200: ListeTauxTva, ERRORS: ErrorOut})
def taux_tva(request, payload: CodeLangueIn):
    english = language(payload.codeLangue) == "en"
    return ok(listeTauxTva=[{"codeTauxTva": code, "libelleTauxTva": en if english else fr,
                             "valeurTauxTva": rate} for code, fr, en, rate in VAT_RATES])


class MotifExonerationTva(Schema):
    codeMotifExonerationTva: str
    libelleMotifExonerationTva: str


class ListeMotifsExonerationTva(WsRetour):
    listeMotifsExonerationTva: list[MotifExonerationTva]


@router.post("/recuperer/motifs/exonerationtva", operation_id="recupererMotifsExonerationTva",
             response={200: ListeMotifsExonerationTva, ERRORS: ErrorOut})
def motifs_exoneration(request, payload: CodeLangueIn):
    english = language(payload.codeLangue) == "en"
    return ok(listeMotifsExonerationTva=[
        {"codeMotifExonerationTva": code, "libelleMotifExonerationTva": en if english else fr}
        for code, fr, en in VAT_EXEMPTIONS])


class EtatsTraitementIn(WireIn):
    wire_required = ("statutCourant",)
    statutCourant: Annotated[Text, choices(Status.values)] = None


class EtatTraitement(Schema):
    statutPossiblePourTraitement: str


class ListeEtatsTraitement(WsRetour):
    listeStatutsPossiblesPourTraitement: list[EtatTraitement]


@router.post("/recuperer/etats/traitement", operation_id="recupererEtatsPossiblesPourTraitement",
             response={200: ListeEtatsTraitement, ERRORS: ErrorOut})
def etats_traitement(request, payload: EtatsTraitementIn):
    status = choice("statutCourant", required("statutCourant", payload.statutCourant),
                    Status.values)
    return ok(listeStatutsPossiblesPourTraitement=[
        {"statutPossiblePourTraitement": target}
        for target in targets(status, Role.RECIPIENT)])


class EtatDemandePaiement(Schema):
    etatDemandePaiement: str


class ListeEtatsTypeDemandePaiement(WsRetour):
    listeEtatDemandePaiement: list[EtatDemandePaiement]


@router.post("/recuperer/etat/typedp", operation_id="recupererEtatParTypeDemandePaiement",
             response={200: ListeEtatsTypeDemandePaiement, ERRORS: ErrorOut})
def etats_type_dp(request, payload: TypeDemandePaiementIn):
    """The statuses of a type of demande de paiement: an ordinary invoice's, or a works
    piece's (the travaux statuses and the ordinary ones the last piece goes through)."""
    kind = _type_dp(payload.typeDemandePaiement)
    statuses = {"FACTURE": [str(s) for s in INVOICE_STATUSES],
                "FACTURE_TRAVAUX": [str(s) for s in PIECE_STATUSES]}.get(kind, [])
    return ok(listeEtatDemandePaiement=[{"etatDemandePaiement": s} for s in statuses])


class FormatFlux(Schema):
    formatFlux: str


class ListeFormatsFlux(WsRetour):
    listeFormatFlux: list[FormatFlux]


@router.post("/recuperer/formatflux", operation_id="recupererFormatFlux",
             response={200: ListeFormatsFlux, ERRORS: ErrorOut})
def formats_flux(request, payload: WireIn):
    return ok(listeFormatFlux=[{"formatFlux": f} for f in FORMATS_FLUX])


class MotifsRefusIn(WireIn):
    # The short forms (A1...) are read too: the enum names the full ones.
    codeCadreFacturationAValider: Annotated[Text, choices(Cadre.values)] = None


class MotifRefus(Schema):
    idMotif: int
    codeMotif: str
    libelleMotif: str


class ListeMotifsRefus(WsRetour):
    listeMotifRefusFactureAValider: list[MotifRefus]


@router.post("/recuperer/motifs/refus/Facture/AValider",
             operation_id="recupererMotifsRefusFactureAValider",
             response={200: ListeMotifsRefus, ERRORS: ErrorOut})
def motifs_refus(request, payload: MotifsRefusIn):
    cadre = payload.codeCadreFacturationAValider
    if cadre is not None:
        known = {c.upper(): c for c in Cadre.values}
        known.update({Cadre.short(c).upper(): c for c in Cadre.values})
        if cadre.strip().upper() not in known:
            raise InvalidField(field="codeCadreFacturationAValider",
                               detail_fr="valeurs admises : " + ", ".join(Cadre.values),
                               detail_en="allowed values: " + ", ".join(Cadre.values))
        if not Cadre.needs_validator(known[cadre.strip().upper()]):
            return ok(listeMotifRefusFactureAValider=[])
    return ok(listeMotifRefusFactureAValider=[
        {"idMotif": pk, "codeMotif": code, "libelleMotif": label}
        for pk, code, label in REFUSAL_REASONS])


# --- Recipients' directory ----------------------------------------------------------------------


class RechercherDestinataireIn(WireIn):
    identifiant: Text = None
    nomVilleCodePostal: Text = None
    typeStructure: Annotated[Text, choices(["PUBLIQUE", "PRIVEE"])] = None
    parametresRecherche: Pagination.sorted_by("PaginationDestinataires", [
        "NomDestinataire", "Siret", "Identifiant", "AdresseCodePostal", "AdresseVille"
    ]) | None = Field(
        default=None, validation_alias=AliasChoices("parametresRecherche", "parametres",
                                                    "pagination"))


class DestinataireRecherche(Schema):
    idStructureCPP: int
    siret: str
    nomDestinataire: str
    adresseCodePostal: str | None = None
    adresseVille: str | None = None


class ListeDestinataires(WsRetour):
    listeDestinataires: list[DestinataireRecherche]
    parametresRetour: ParametresRetour


@router.post("/rechercher/destinataire", operation_id="rechercherDestinataires",
             exclude_none=True, response={200: ListeDestinataires, ERRORS: ErrorOut})
def rechercher_destinataire(request, payload: RechercherDestinataireIn):
    """The public structures (the annuaire), by identifier prefix and by a name, town or
    postcode."""
    found = annuaire.public_structures()
    kind = choice("typeStructure", payload.typeStructure, ["PUBLIQUE", "PRIVEE"])
    if kind == "PRIVEE":
        found = found.none()
    if payload.identifiant:
        found = found.filter(identifier__startswith=re.sub(r"\s", "", payload.identifiant))
    if payload.nomVilleCodePostal:
        text = payload.nomVilleCodePostal
        found = found.filter(Q(company_name__icontains=text) | Q(city__icontains=text)
                             | Q(postcode__startswith=text))
    rows, paging = page(found, payload.parametresRecherche, default="NomDestinataire",
                        columns={"NomDestinataire": ["company_name"],
                                 "Siret": ["identifier"], "Identifiant": ["identifier"],
                                 "AdresseCodePostal": ["postcode"],
                                 "AdresseVille": ["city"]})
    return ok(listeDestinataires=[{
        "idStructureCPP": structure.pk, "siret": structure.identifier,
        "nomDestinataire": designation(structure),
        "adresseCodePostal": structure.postcode or None, "adresseVille": structure.city or None,
    } for structure in rows], parametresRetour=paging)


class AnnuaireDestinataire(WsRetour):
    fichierResultat: str


@router.post("/telecharger/annuaire/destinataire",
             operation_id="telechargerAnnuaireDestinataire",
             response={200: AnnuaireDestinataire, ERRORS: ErrorOut})
def telecharger_annuaire(request, payload: WireIn):
    """The annuaire's CSV (the portal's /annuaire.csv), base64-encoded."""
    content = "".join(annuaire.csv_rows()).encode("utf-8")
    return ok(fichierResultat=base64.b64encode(content).decode("ascii"))


# --- SIRET information ---------------------------------------------------------------------------


class InformationSiretIn(WireIn):
    wire_required = ("siretStructure",)
    siretStructure: Annotated[Text, pattern("^[0-9]{14}$", "11000201100044")] = None


class InformationsSiret(WsRetour):
    siret: str | None = None
    siren: str | None = None
    raisonSociale: str | None = None
    adresse: str | None = None
    estActif: bool | None = None
    nonDiffusibleInsee: bool | None = None
    siege: str | None = None


@router.post("/consulter/information/siret", operation_id="consulterInformationsSIRET",
             exclude_none=True, response={200: InformationsSiret, ERRORS: ErrorOut})
def information_siret(request, payload: InformationSiretIn):
    """What Choeur knows of a SIRET (no call to INSEE): a public structure, or one's own."""
    siret = re.sub(r"\s", "", required("siretStructure", payload.siretStructure))
    if not re.fullmatch(r"\d{14}", siret):
        raise InvalidField(field="siretStructure", detail_fr="14 chiffres attendus",
                           detail_en="14 digits expected")
    structure = (permissions.directory(request.auth)
                 .filter(identifier=siret, identifier_type=IdentifierType.SIRET).first())
    if structure is None:
        raise NotFound(object_label="Structure")
    address = " ".join(filter(None, [structure.address_line1, structure.address_line2,
                                     structure.postcode, structure.city]))
    return ok(siret=siret, siren=siret[:9], raisonSociale=designation(structure),
              adresse=address or None, estActif=structure.is_active, nonDiffusibleInsee=False)


# --- Bank details, active structures -------------------------------------------------------------


class CoordBancIn(WireIn):
    idStructure: Id = Field(default=None,
                            validation_alias=AliasChoices("idStructure", "idStructureCPP"))


class CoordonneeBancaire(Schema):
    idCoordonneeBancaire: int
    nomCoordonneeBancaire: str


class ListeCoordonneesBancaires(WsRetour):
    listeCoordonneeBancaire: list[CoordonneeBancaire]


@router.post("/recuperer/coordbanc/valides", operation_id="recupererCoordonneesBancairesValides",
             response={200: ListeCoordonneesBancaires, ERRORS: ErrorOut})
def coordonnees_bancaires(request, payload: CoordBancIn):
    """The active bank details of the actor's own structure (the one it invoices from)."""
    actor = request.auth
    if payload.idStructure is None and permissions.is_technical_account(actor):
        structure = permissions.structure_for(actor, actor.structure_id)
    else:
        structure = permissions.structure_for(actor, required("idStructure",
                                                                    payload.idStructure))
    if not (permissions.can_see(actor, structure, Espace.FACTURES_EMISES)
            or permissions.can_see(actor, structure, Espace.COORDONNEES_BANCAIRES)):
        raise PermissionRefused()
    return ok(listeCoordonneeBancaire=[
        {"idCoordonneeBancaire": account.pk, "nomCoordonneeBancaire": account.label}
        for account in structure.bank_accounts.filter(is_active=True).order_by("label", "pk")])


class StructureActive(Schema):
    idStructureCPP: int
    identifiant: str
    designationStructure: str


class ListeStructuresActives(WsRetour):
    listeStructures: list[StructureActive]


def _actives(actor, espace: str) -> dict:
    structures = [structure for structure in
                  permissions.visible_structures(actor).filter(is_active=True)
                  .order_by("company_name", "pk")
                  if permissions.can_see(actor, structure, espace)]
    return ok(listeStructures=[{"idStructureCPP": structure.pk,
                                "identifiant": structure.identifier,
                                "designationStructure": designation(structure)}
                               for structure in structures])


@router.post("/recuperer/structures/actives/fournisseur",
             operation_id="recupererStructuresActivesFournisseur",
             response={200: ListeStructuresActives, ERRORS: ErrorOut})
def structures_actives_fournisseur(request, payload: WireIn):
    return _actives(request.auth, Espace.FACTURES_EMISES)


@router.post("/recuperer/structures/actives/destinataire",
             operation_id="recupererStructuresActivesDestinataire",
             response={200: ListeStructuresActives, ERRORS: ErrorOut})
def structures_actives_destinataire(request, payload: WireIn):
    return _actives(request.auth, Espace.FACTURES_RECUES)


@router.post("/recuperer/structures/actives/facturetravaux",
             operation_id="recupererStructuresActivesFactureTravaux",
             response={200: ListeStructuresActives, ERRORS: ErrorOut})
def structures_actives_travaux(request, payload: WireIn):
    """The account's structure when its espace Factures de travaux is open (the structures
    for which it may search and read works invoices)."""
    return _actives(request.auth, Espace.FACTURES_TRAVAUX)

