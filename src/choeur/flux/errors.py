"""Typed errors of flux deposits: each refuses the deposit at once, nothing stored."""

from __future__ import annotations

from choeur.core.errors import ChoeurError


class FluxError(ChoeurError):
    """Errors of the flux feature."""


class FluxBase64Invalid(FluxError):
    code = "FLUX_BASE64_INVALID"
    message_fr = ("Le contenu du flux (fichierFlux) n'est pas un base64 valide : encodez les "
                  "octets du fichier en base64 standard.")
    message_en = ("The flux content (fichierFlux) is not valid base64: encode the file's bytes "
                  "in standard base64.")


class FluxEmpty(FluxError):
    code = "FLUX_EMPTY"
    message_fr = "Le fichier du flux est vide, ou l'archive ne contient aucune facture."
    message_en = "The flux file is empty, or the archive holds no invoice."


class FluxFileNameInvalid(FluxError):
    code = "FLUX_FILENAME_INVALID"
    message_fr = "Le nom du fichier (nomFichier) est obligatoire, {limit} caractères au plus."
    message_en = "The file name (nomFichier) is required, at most {limit} characters."


class FluxSyntaxInvalid(FluxError):
    code = "FLUX_SYNTAX_INVALID"
    message_fr = "La syntaxe du flux « {value} » n'existe pas (syntaxeFlux) : {allowed}."
    message_en = "Flux syntax “{value}” does not exist (syntaxeFlux): {allowed}."


class FluxFileTooLarge(FluxError):
    code = "FLUX_FILE_TOO_LARGE"
    http_status = 413
    message_fr = ("Le fichier dépasse {limit} Mo ({size} octets) : une facture seule est "
                  "limitée à {limit} Mo.")
    message_en = ("The file exceeds {limit} MB ({size} bytes): a single invoice is limited "
                  "to {limit} MB.")


class FluxArchiveTooLarge(FluxError):
    code = "FLUX_ARCHIVE_TOO_LARGE"
    http_status = 413
    message_fr = ("L'archive dépasse {limit} Mo compressée ({size} octets) : répartissez les "
                  "factures en plusieurs flux.")
    message_en = ("The archive exceeds {limit} MB compressed ({size} bytes): split the "
                  "invoices into several flux.")


class FluxTooManyInvoices(FluxError):
    code = "FLUX_TOO_MANY_INVOICES"
    message_fr = "Un flux contient au plus {limit} factures : répartissez-les en plusieurs flux."
    message_en = "A flux holds at most {limit} invoices: split them into several flux."


class FluxTooLargeToVerify(FluxError):
    code = "FLUX_TOO_LARGE_TO_VERIFY"
    message_fr = ("Une vérification sans dépôt lit au plus {limit} factures ({count} dans ce "
                  "flux) : vérifiez-en une partie, ou déposez le flux et lisez son compte rendu.")
    message_en = ("A check without deposit reads at most {limit} invoices ({count} in this "
                  "flux): check part of it, or deposit the flux and read its report.")


class FluxArchiveRefused(FluxError):
    code = "FLUX_ARCHIVE_REFUSED"
    message_fr = "L'archive du flux est refusée : {details_fr}"
    message_en = "The flux archive is refused: {details_en}"

    def __init__(self, findings):
        self.findings = list(findings)
        super().__init__(
            details_fr=" ; ".join(f"[{f.rule}] {f.message_fr}" for f in self.findings),
            details_en="; ".join(f"[{f.rule}] {f.message_en}" for f in self.findings))


class FluxFormatUnknown(FluxError):
    code = "FLUX_FORMAT_UNKNOWN"
    message_fr = ("Le fichier du flux n'est ni un XML (UBL, CII), ni un PDF (Factur-X), ni une "
                  "archive zip ou tar de tels fichiers.")
    message_en = ("The flux file is neither an XML (UBL, CII), nor a PDF (Factur-X), nor a zip "
                  "or tar archive of such files.")


class FluxNotFound(FluxError):
    code = "FLUX_NOT_FOUND"
    http_status = 404
    message_fr = "Flux introuvable : {numero}."
    message_en = "Flux not found: {numero}."


class FluxInvoiceUnprocessable(FluxError):
    """An invoice of the flux that made Choeur fail (a bug, or an input no check foresaw):
    refused alone, so that it never holds up the rest of the flux."""

    code = "FLUX_INVOICE_UNPROCESSABLE"
    http_status = 500
    message_fr = ("Cette facture n'a pas pu être traitée par Choeur (erreur interne) : elle "
                  "est refusée seule, les autres factures du flux sont intégrées. Signalez-la "
                  "à l'administrateur de la plateforme.")
    message_en = ("Choeur could not process this invoice (internal error): it alone is "
                  "refused, the flux's other invoices are integrated. Report it to the "
                  "platform's administrator.")
