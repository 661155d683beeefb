"""Choeur's own qualification operations (not in Chorus Pro), under `/cpro/qualification/v1`,
with the same authentication and envelope as every other operation. They exist in the
qualification environment only: in production each answers HTTP 404, `codeRetour` 20001,
`QUAL_QUALIFICATION_ONLY`, whatever its body.

tester/fichier
    `{fichier (base64), nomFichier, idStructure (optional: the technical account's own),
    codeDestinataire (or identifiantDestinataire), codeServiceExecutant, numeroBonCommande,
    codeCadreFacturation, codeStructureValideur, codeServiceValideur,
    codeCoordonneesBancairesFournisseur}` → the whole report of what a deposit of that file
    would meet (`qualification.file_test`), nothing deposited: `depotAccepte`, `codeRefus`
    (the code the deposit would stop at), `verdict`, `listeAnomaliesFormat` (every finding
    of the validation: rule, severity, BT, message, what to do, place) and
    `listeControlesPlateforme` (every platform check: `statut` OK / ECHEC / NON_VERIFIE,
    `codeErreur`, `libelleErreur`, `bt`, `correction`), and `donneesLues`. Messages in
    French, in English with `Accept-Language: en`. The routing fields complete the file as a
    deposit's keyed data do (they must agree with it when it has them); a plain PDF needs
    `codeDestinataire`. Coded refusals: base64 invalid or absent (`API_INVALID_FIELD`), a
    file over 10 MB (`CORE_FILE_TOO_LARGE`, 413), an unknown `codeDestinataire`
    (`INV_RECIPIENT_UNKNOWN`), another structure's `idStructure` (404).
"""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import AliasChoices, Field

from choeur.api.auth import bounded_auth
from choeur.api.envelope import Id, Text, WireIn, ok
from choeur.api.errors import language_of
from choeur.api.factures import own_structure_id
from choeur.api.factures_fournisseur import decode
from choeur.api.factures_schemas import Base64
from choeur.api.schemas import ErrorOut, WsRetour
from choeur.core.errors import PermissionRefused
from choeur.invoicing.models import Cadre
from choeur.organisations import permissions
from choeur.qualification import clock_control, file_test

router = Router(tags=["Qualification (Choeur)"])
ERRORS = frozenset({400, 401, 403, 404, 413, 500})

#: The largest file in base64 (4/3) and the JSON around it.
MAX_BODY = file_test.MAX_FILE * 4 // 3 + 1024 * 1024

STATUTS = {file_test.PASSED: "OK", file_test.FAILED: "ECHEC",
           file_test.SKIPPED: "NON_VERIFIE"}
TYPES = {file_test.STRUCTURED: "STRUCTURE", file_test.PDF: "PDF",
         file_test.UNREADABLE: "ILLISIBLE"}


class TesterFichierParam(WireIn):
    idUtilisateurCourant: Id = None
    idStructure: Id = None
    fichier: Base64 = None  # bounded by the body's size (bounded_auth)
    nomFichier: Text = None
    codeDestinataire: Text = Field(default=None, validation_alias=AliasChoices(
        "codeDestinataire", "identifiantDestinataire"))
    codeServiceExecutant: Text = None
    numeroBonCommande: Text = None
    codeCadreFacturation: Text = None
    codeStructureValideur: Text = None
    codeServiceValideur: Text = None
    codeCoordonneesBancairesFournisseur: Id = None


class AnomalieFormat(Schema):
    regle: str
    gravite: str = Field(description="fatal, error, warning, info")
    bloquante: bool
    bt: str
    libelleErreur: str
    correction: str
    emplacement: str


class ControlePlateforme(Schema):
    controle: str = Field(description="identifiant stable du contrôle (recipient, service…)")
    libelleControle: str
    statut: str = Field(description="OK, ECHEC ou NON_VERIFIE")
    codeErreur: str | None = None
    libelleErreur: str | None = None
    bt: str | None = None
    correction: str | None = None


class DonneesLues(Schema):
    numeroFacture: str
    typeFacture: str
    dateFacture: str
    identifiantFournisseur: str
    codeDestinataire: str
    codeServiceExecutant: str
    numeroBonCommande: str
    montantHtTotal: float | None = None
    montantTVA: float | None = None
    montantTtcTotal: float | None = None


class WsRetourTesterFichier(WsRetour):
    nomFichier: str
    tailleFichier: int
    typeFichier: str = Field(description="STRUCTURE, PDF (PDF simple) ou ILLISIBLE")
    syntaxe: str | None = None
    profil: str | None = None
    fichierConforme: bool
    depotAccepte: bool
    codeRefus: str | None = None
    verdict: str
    listeAnomaliesFormat: list[AnomalieFormat]
    listeControlesPlateforme: list[ControlePlateforme]
    donneesLues: DonneesLues | None = None


def _float(value):
    return float(value) if value is not None else None


def _read(result: file_test.FileTestReport) -> dict | None:
    data = result.data
    if data is None or result.kind != file_test.STRUCTURED:
        return None
    totals = data.totals
    return {"numeroFacture": data.number or "", "typeFacture": data.type_facture or "",
            "dateFacture": data.invoice_date.isoformat() if data.invoice_date else "",
            "identifiantFournisseur": result.seller_siret or "",
            "codeDestinataire": data.recipient_identifier or "",
            "codeServiceExecutant": data.recipient_service_code or "",
            "numeroBonCommande": data.engagement_number or "",
            "montantHtTotal": _float(totals.total_ht) if totals else None,
            "montantTVA": _float(totals.total_tva) if totals else None,
            "montantTtcTotal": _float(totals.total_ttc) if totals else None}


def qualification_auth(max_body: int):
    """The caller first, then the environment: in production the operation does not exist,
    whatever the body (checked here, before the body is parsed)."""
    authenticate = bounded_auth(max_body)

    def auth(request):
        account = authenticate(request)
        clock_control.require_qualification()
        return account

    return auth


@router.post("/tester/fichier", operation_id="testerFichier", exclude_none=True,
             auth=qualification_auth(MAX_BODY),
             response={200: WsRetourTesterFichier, ERRORS: ErrorOut})
def tester_fichier(request, payload: TesterFichierParam):
    """Choeur (qualification) : teste un fichier (Factur-X, UBL, CII, PDF) contre tous les
    contrôles d'un dépôt — format, puis contrôles de la plateforme pour le destinataire — et
    rend le rapport complet, sans rien déposer ni enregistrer."""
    actor = request.auth
    supplier = permissions.technical_structure(actor)
    if supplier is None:
        raise PermissionRefused()
    own_structure_id(actor, payload.idStructure)
    content = decode("fichier", payload.fichier)
    # No transaction: the check writes nothing, and on SQLite one would hold the instance's
    # write lock for the whole validation.
    result = file_test.check(
        actor, supplier, content, payload.nomFichier or "",
        cadre=payload.codeCadreFacturation or Cadre.A1,
        recipient_identifier=payload.codeDestinataire or "",
        recipient_service_code=payload.codeServiceExecutant or "",
        engagement_number=payload.numeroBonCommande or "",
        bank_account_id=payload.codeCoordonneesBancairesFournisseur,
        validator_identifier=payload.codeStructureValideur or "",
        validator_service_code=payload.codeServiceValideur or "")
    language = language_of(request)
    english = language == "en"
    report = result.report
    refusal = result.refusal
    return ok(
        nomFichier=result.filename, tailleFichier=result.size, typeFichier=TYPES[result.kind],
        syntaxe=report.syntax or None, profil=report.profile or None,
        fichierConforme=report.valid, depotAccepte=result.accepted,
        codeRefus=refusal.code if refusal else None, verdict=result.verdict(language),
        listeAnomaliesFormat=[{
            "regle": f.rule, "gravite": str(f.severity), "bloquante": f.blocking,
            "bt": f.bt or "", "libelleErreur": f.message_en if english else f.message_fr,
            "correction": file_test.finding_hint(f, language), "emplacement": f.location or ""}
            for f in report.findings],
        listeControlesPlateforme=[{
            "controle": c.key, "libelleControle": c.label(language),
            "statut": STATUTS[c.status], "codeErreur": c.code or None,
            "libelleErreur": c.message(language) or None, "bt": c.bt or None,
            "correction": c.hint(language) or None} for c in result.checks],
        donneesLues=_read(result))
