"""`POST /cpro/transverses/v1/ajouter/fichier` (ajouterFichierDansSysteme, reference §3.3 and
Appendix C): a file stored ahead of the invoice that will carry it, answered with its
`pieceJointeId`. That id is usable by the same structure as `pieceJointePrincipaleId` (once,
when the file is a readable PDF) or `pieceJointeComplementaireId` in `factures/v1/soumettre`
and `completer`, and on the portal's PDF deposit form; unused, it is removed after
`invoicing.services.UPLOAD_LIFETIME` (24 hours).

What is accepted is what Chorus Pro accepts for a pièce jointe: its extensions, a name of 50
characters at most (extension included; `pieceJointeExtension` is appended when the name
lacks it), 10 MB (above: `codeRetour` 20003, as the reference says). A PDF is read as the flux
channel reads one: an encrypted, truncated or damaged one is refused with its finding's code
(`PDF_ENCRYPTED`, `PDF_UNREADABLE`...), nothing stored.
"""

from __future__ import annotations

from ninja import Router

from choeur.api.auth import bounded_auth
from choeur.api.envelope import Id, Text, WireIn, ok
from choeur.api.factures import atomic
from choeur.api.factures_fournisseur import MAX_PDF_BODY, decode
from choeur.api.factures_schemas import Base64
from choeur.api.schemas import ErrorOut, WsRetour
from choeur.invoicing import services
from choeur.invoicing.models import UploadedFile

router = Router(tags=["Transverses — fichiers"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})


class AjouterFichierParam(WireIn):
    wire_required = ("pieceJointeFichier",)
    idUtilisateurCourant: Id = None
    pieceJointeFichier: Base64 = None  # bounded by the body's size (bounded_auth)
    pieceJointeNom: Text = None
    pieceJointeTypeMime: Text = None
    pieceJointeExtension: Text = None


class WsRetourAjouterFichier(WsRetour):
    pieceJointeId: int


@router.post("/ajouter/fichier", operation_id="ajouterFichierDansSysteme",
             auth=bounded_auth(MAX_PDF_BODY),
             response={200: WsRetourAjouterFichier, ERRORS: ErrorOut})
def ajouter_fichier(request, payload: AjouterFichierParam):
    actor = request.auth
    content = decode("pieceJointeFichier", payload.pieceJointeFichier)
    upload = atomic(services.upload_file, actor, actor.structure, payload.pieceJointeNom or "",
                    content, source=UploadedFile.Source.AJOUTER_FICHIER,
                    extension=payload.pieceJointeExtension or "",
                    content_type=payload.pieceJointeTypeMime or "")
    return ok(pieceJointeId=upload.pk)
