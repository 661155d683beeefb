"""Coded errors of the conservation (docs/CONSERVATION.md): export, retention, backups."""

from choeur.core.errors import ChoeurError


class ExportScopeRequired(ChoeurError):
    code = "ARCH_EXPORT_SCOPE"
    message_fr = ("Indiquez soit une facture (--invoice), soit une structure (--structure, "
                  "avec une période facultative). Rien n'a été écrit.")
    message_en = ("Give either one invoice (--invoice) or one structure (--structure, with an "
                  "optional period). Nothing was written.")


class ExportInvoiceNotFound(ChoeurError):
    code = "ARCH_INVOICE_NOT_FOUND"
    http_status = 404
    message_fr = "Facture {invoice} introuvable. Rien n'a été écrit."
    message_en = "Invoice {invoice} not found. Nothing was written."


class ExportStructureNotFound(ChoeurError):
    code = "ARCH_STRUCTURE_NOT_FOUND"
    http_status = 404
    message_fr = ("Structure introuvable, ou vous n'en êtes pas gestionnaire : l'export des "
                  "archives est réservé aux gestionnaires de la structure. Rien n'a été écrit.")
    message_en = ("Structure not found, or you are not one of its gestionnaires: exporting the "
                  "archives is for the structure's gestionnaires. Nothing was written.")


class DateInvalid(ChoeurError):
    code = "ARCH_DATE_INVALID"
    message_fr = ("{field} : « {value} » n'est pas une date au format AAAA-MM-JJ. Rien n'a été "
                  "fait.")
    message_en = "{field}: \u201c{value}\u201d is not a YYYY-MM-DD date. Nothing was done."


class PeriodInvalid(ChoeurError):
    code = "ARCH_PERIOD_INVALID"
    message_fr = ("La période est inversée : le début ({start}) est après la fin ({end}). Rien "
                  "n'a été écrit.")
    message_en = ("The period is the wrong way round: its start ({start}) is after its end "
                  "({end}). Nothing was written.")


class RetentionNotExpired(ChoeurError):
    code = "ARCH_RETENTION_NOT_EXPIRED"
    http_status = 409
    message_fr = ("La durée de conservation n'est pas échue au {before} : une purge ne peut "
                  "viser qu'une date passée (au plus aujourd'hui, {today}). Rien n'a été "
                  "supprimé.")
    message_en = ("The retention period has not expired on {before}: a purge can only name a "
                  "date that has passed (today, {today}, at the latest). Nothing was removed.")


class BackupTargetNotEmpty(ChoeurError):
    code = "ARCH_BACKUP_TARGET_NOT_EMPTY"
    message_fr = ("Le répertoire {path} n'est pas vide : une sauvegarde s'écrit dans un "
                  "répertoire nouveau ou vide. Rien n'a été écrit.")
    message_en = ("Directory {path} is not empty: a backup is written into a new or empty "
                  "directory. Nothing was written.")


class BackupToolMissing(ChoeurError):
    code = "ARCH_BACKUP_TOOL_MISSING"
    http_status = 500
    message_fr = ("{tool} est introuvable : installez le client PostgreSQL de la version du "
                  "serveur (paquet Debian postgresql-client). Rien n'a été écrit.")
    message_en = ("{tool} not found: install the PostgreSQL client of the server's version "
                  "(Debian package postgresql-client). Nothing was written.")


class BackupFailed(ChoeurError):
    code = "ARCH_BACKUP_FAILED"
    http_status = 500
    message_fr = "La sauvegarde a échoué : {reason}"
    message_en = "The backup failed: {reason}"


class RestoreTargetNotEmpty(ChoeurError):
    code = "ARCH_RESTORE_NOT_EMPTY"
    http_status = 409
    message_fr = ("L'instance cible n'est pas vide ({what}) : une restauration se fait dans "
                  "une instance neuve (base vide, aucun fichier). Rien n'a été restauré.")
    message_en = ("The target instance is not empty ({what}): a restore goes into a new "
                  "instance (empty database, no file). Nothing was restored.")


class RestoreInvalid(ChoeurError):
    code = "ARCH_RESTORE_INVALID"
    message_fr = "{path} n'est pas une sauvegarde intacte de Choeur : {reason}"
    message_en = "{path} is not an intact Choeur backup: {reason}"


class RestoreUnsigned(ChoeurError):
    code = "ARCH_RESTORE_UNSIGNED"
    message_fr = ("{path} : {reason}. La signature de SHA256SUMS (SHA256SUMS.hmac, faite avec la "
                  "clé secrète de l'instance sauvegardée) ne peut pas être vérifiée ici, et "
                  "quiconque peut écrire dans le stockage des sauvegardes pourrait en avoir "
                  "réécrit la base. Restaurez avec la même CHOEUR_SECRET_KEY que l'instance "
                  "sauvegardée ; sinon, et seulement si vous êtes sûr de la provenance de la "
                  "sauvegarde, relancez avec --trust-unsigned. Rien n'a été restauré.")
    message_en = ("{path}: {reason}. The signature of SHA256SUMS (SHA256SUMS.hmac, made with the "
                  "backed-up instance's secret key) cannot be checked here, and anyone who can "
                  "write to the backup store could have rewritten its database. Restore with "
                  "the backed-up instance's CHOEUR_SECRET_KEY; otherwise, and only if you are "
                  "sure where the backup comes from, run again with --trust-unsigned. Nothing "
                  "was restored.")


class RestoreSignatureMismatch(ChoeurError):
    code = "ARCH_RESTORE_SIGNATURE_MISMATCH"
    message_fr = ("{path} : SHA256SUMS ne correspond pas à sa signature faite avec la clé "
                  "secrète de cette instance — la sauvegarde a été modifiée après avoir été "
                  "écrite. Elle n'est pas restaurée, même avec --trust-unsigned. Rien n'a été "
                  "restauré.")
    message_en = ("{path}: SHA256SUMS does not match its signature made with this instance's "
                  "secret key — the backup was changed after it was written. It is not "
                  "restored, even with --trust-unsigned. Nothing was restored.")


class StructureUnknown(ChoeurError):
    code = "ARCH_STRUCTURE_UNKNOWN"
    http_status = 404
    message_fr = "Aucune structure n'a l'identifiant « {identifier} »."
    message_en = "No structure has the identifier “{identifier}”."


class SinceInFuture(ChoeurError):
    code = "ARCH_SINCE_IN_FUTURE"
    message_fr = "La date « depuis » ({since}) est dans le futur : rien ne serait vérifié."
    message_en = "The “since” date ({since}) is in the future: nothing would be checked."


class ExportRunning(ChoeurError):
    code = "ARCH_EXPORT_RUNNING"
    http_status = 409
    message_fr = ("Un export des archives de cette structure est déjà en préparation : vous "
                  "serez notifié quand il sera prêt. Rien n'a été demandé de plus.")
    message_en = ("An archive export of this structure is already being prepared: you will "
                  "be notified when it is ready. Nothing more was requested.")


class TooManyExports(ChoeurError):
    code = "ARCH_TOO_MANY_EXPORTS"
    http_status = 429
    message_fr = ("Vous avez déjà demandé {limit} exports des archives ces dernières 24 "
                  "heures : réessayez plus tard. Rien n'a été demandé.")
    message_en = ("You have already asked for {limit} archive exports in the last 24 hours: "
                  "try again later. Nothing was requested.")


class ExportNotFound(ChoeurError):
    code = "ARCH_EXPORT_NOT_FOUND"
    http_status = 404
    message_fr = ("Export introuvable : il n'est pas prêt, il a expiré (un export est gardé "
                  "7 jours) ou il n'existe pas. Demandez un nouvel export.")
    message_en = ("Export not found: it is not ready, it has expired (an export is kept 7 "
                  "days) or it does not exist. Ask for a new export.")
