"""Coded errors of the factures de travaux (docs/TRAVAUX.md)."""

from choeur.core.errors import ChoeurError


class DossierNotFound(ChoeurError):
    code = "TRAV_DOSSIER_NOT_FOUND"
    http_status = 404
    message_fr = "Dossier de facturation introuvable."
    message_en = "Billing file not found."


class PieceNotExpected(ChoeurError):
    code = "TRAV_PIECE_NOT_EXPECTED"
    http_status = 409
    message_fr = ("Le dossier {dossier} n'attend pas cette pièce de votre structure : {detail}. "
                  "Rien n'a été déposé.")
    message_en = ("Billing file {dossier} does not expect this piece from your structure: "
                  "{detail}. Nothing was deposited.")


class DgdBeforeDecompteGeneral(ChoeurError):
    code = "TRAV_DGD_BEFORE_DG"
    http_status = 409
    message_fr = ("Le décompte général et définitif suit le décompte général : le dossier "
                  "{dossier} n'en a pas encore. Rien n'a été déposé.")
    message_en = ("The final statement follows the general statement: billing file {dossier} "
                  "has none yet. Nothing was deposited.")


class DeadlinePassed(ChoeurError):
    code = "TRAV_DEADLINE_PASSED"
    http_status = 409
    message_fr = ("Le délai de {days} jours pour déposer {piece} est échu depuis le {due} : le "
                  "maître d'ouvrage traite désormais le dossier {dossier}.")
    message_en = ("The {days}-day delay to deposit {piece} ended on {due}: the project owner "
                  "now processes billing file {dossier}.")


class AmountsInconsistent(ChoeurError):
    code = "TRAV_AMOUNTS_INCONSISTENT"
    message_fr = "Montants incohérents : {detail}. Rien n'a été déposé."
    message_en = "Inconsistent amounts: {detail}. Nothing was deposited."


class AmountNotAReason(ChoeurError):
    code = "TRAV_AMOUNT_NOT_A_REASON"
    message_fr = ("Une erreur de montant n'est pas un motif de refus (sommes admises, art. "
                  "R2192-34 du code de la commande publique) : déposez votre pièce avec les "
                  "montants que vous admettez.")
    message_en = ("An amount error is not a reason to refuse (admitted sums, art. R2192-34 of "
                  "the public procurement code): deposit your piece with the amounts you "
                  "admit.")


class MoaRequired(ChoeurError):
    code = "TRAV_MOA_REQUIRED"
    message_fr = ("{name} n'est pas une structure avec maîtrise d'ouvrage (« Structure avec "
                  "MOA ») : elle ne peut pas être le maître d'ouvrage d'un dossier de travaux.")
    message_en = ("{name} is not a structure acting as project owner (\u201cStructure avec "
                  "MOA\u201d): it cannot be a works billing file's project owner.")


class MoeUnknown(ChoeurError):
    code = "TRAV_MOE_UNKNOWN"
    message_fr = ("Maître d'œuvre inconnu ou inactif : {identifier}. Vérifiez son identifiant "
                  "(SIRET) dans l'annuaire.")
    message_en = ("Unknown or inactive project manager: {identifier}. Check its identifier "
                  "(SIRET) in the directory.")


class CadreNotHere(ChoeurError):
    code = "TRAV_CADRE_NOT_HERE"
    message_fr = "Le cadre {cadre} ne s'emploie pas pour cette pièce du dossier."
    message_en = "Cadre {cadre} is not used for this piece of the billing file."


class TacitTooEarly(ChoeurError):
    code = "TRAV_TACIT_TOO_EARLY"
    http_status = 409
    message_fr = ("La procédure tacite ne s'ouvre qu'à l'expiration du délai laissé au maître "
                  "d'ouvrage, le {due} : {piece} ne peut pas encore être déposé pour le "
                  "dossier {dossier}. Rien n'a été déposé.")
    message_en = ("The tacit procedure opens only once the project owner's delay has ended, "
                  "on {due}: {piece} cannot be deposited yet for billing file {dossier}. "
                  "Nothing was deposited.")


class TacitDgdReached(ChoeurError):
    code = "TRAV_TACIT_DGD_REACHED"
    http_status = 409
    message_fr = ("Sans décompte général notifié avant le {due}, le projet de décompte général "
                  "{number} du titulaire est devenu le décompte général et définitif (procédure "
                  "tacite) : déposez le DGD tacite du dossier {dossier}. Rien n'a été déposé.")
    message_en = ("No general statement was notified before {due}: the contractor's draft "
                  "general statement {number} became the final statement (tacit procedure); "
                  "deposit the tacit final statement of billing file {dossier}. Nothing was "
                  "deposited.")


class DecompteGeneralAccepted(ChoeurError):
    code = "TRAV_DG_ACCEPTED"
    http_status = 409
    message_fr = ("Le délai de 30 jours pour refuser le décompte général {number} est échu "
                  "depuis le {due} : il est réputé accepté. Déposez le décompte général et "
                  "définitif du dossier {dossier}.")
    message_en = ("The 30-day delay to refuse general statement {number} ended on {due}: it "
                  "is deemed accepted. Deposit the final statement of billing file {dossier}.")


# --- Sous-traitance and co-traitance (travaux/subcontracting.py) -------------------------------


class TitulaireUnknown(ChoeurError):
    code = "TRAV_TITULAIRE_UNKNOWN"
    message_fr = ("Titulaire du marché inconnu ou inactif : {identifier}. Indiquez l'identifiant "
                  "(SIRET) de la structure titulaire, telle qu'elle figure dans l'annuaire. Rien "
                  "n'a été déposé.")
    message_en = ("Unknown or inactive main contractor: {identifier}. Give the identifier "
                  "(SIRET) of the main contractor's structure as the directory shows it. "
                  "Nothing was deposited.")


class TitulaireNotAnother(ChoeurError):
    code = "TRAV_TITULAIRE_NOT_ANOTHER"
    message_fr = ("Le titulaire du marché est une autre structure que {role} : {name} ne peut "
                  "pas l'être. Rien n'a été déposé.")
    message_en = ("The main contractor is another structure than {role_en}: {name} cannot be "
                  "it. Nothing was deposited.")


class NotAwaitingTitulaire(ChoeurError):
    code = "TRAV_NOT_AWAITING_TITULAIRE"
    http_status = 409
    message_fr = ("La demande de paiement {number} du dossier {dossier} n'attend plus la "
                  "décision du titulaire (statut « {status} ») : rien n'a été changé.")
    message_en = ("Payment request {number} of billing file {dossier} no longer awaits the "
                  "main contractor's decision (status \u201c{status}\u201d): nothing was "
                  "changed.")


class RecyclingUnchanged(ChoeurError):
    code = "TRAV_RECYCLING_UNCHANGED"
    http_status = 409
    message_fr = ("Le recyclage du dossier {dossier} désigne {what}, déjà en place (ou qui a "
                  "déclaré ne pas l'être) : désignez-en un autre. Rien n'a changé.")
    message_en = ("Recycling billing file {dossier} names {what}, already in place (or which "
                  "declared it is not the right one): name another. Nothing changed.")


# --- Structured files (flux, portal upload): travaux/structured.py ------------------------------


class MoeRequired(ChoeurError):
    code = "TRAV_MOE_REQUIRED"
    bt = "BT-22"
    message_fr = ("Le cadre {cadre} s'adresse au maître d'œuvre, que le fichier ne désigne pas : "
                  "ajoutez une note (BG-1) « MOE:<SIRET> » ou « MOE:<SIRET>:<code service> ».")
    message_en = ("Cadre {cadre} goes to the project manager (maître d'œuvre), whom the file "
                  "does not name: add a note (BG-1) “MOE:<SIRET>” or “MOE:<SIRET>:<service "
                  "code>”.")


class PreviousRequired(ChoeurError):
    code = "TRAV_PREVIOUS_REQUIRED"
    bt = "BT-25"
    message_fr = ("Le cadre {cadre} suit une pièce d'un dossier de facturation : donnez le numéro "
                  "de la pièce précédente (référence à une facture antérieure, BT-25).")
    message_en = ("Cadre {cadre} follows a piece of a billing file: give the previous piece's "
                  "number (preceding invoice reference, BT-25).")


class PreviousNotFound(ChoeurError):
    code = "TRAV_PREVIOUS_NOT_FOUND"
    bt = "BT-25"
    message_fr = ("Pièce précédente introuvable : {number} n'est le numéro d'aucune pièce des "
                  "dossiers de facturation de votre structure (BT-25).")
    message_en = ("Previous piece not found: {number} is the number of no piece of your "
                  "structure's billing files (BT-25).")


class PreviousOtherSupplier(ChoeurError):
    code = "TRAV_PREVIOUS_OTHER_SUPPLIER"
    bt = "BT-29"
    message_fr = ("La pièce précédente {number} appartient au dossier d'un autre fournisseur que "
                  "le vendeur du fichier ({seller}) : le vendeur d'une pièce de travaux est le "
                  "fournisseur de son dossier.")
    message_en = ("Previous piece {number} belongs to another supplier's billing file than the "
                  "file's seller ({seller}): a works piece's seller is its file's supplier.")
