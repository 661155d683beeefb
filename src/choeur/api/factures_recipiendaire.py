"""Factures, the recipient's side: rechercher/recipiendaire, rechercher/atraiter/recipiendaire,
consulter/recipiendaire, telecharger/groupe (also for issued invoices and invoices to
validate, as the Swagger says), traiter/recue.

`rechercher/recipiendaire` gives its paging flat at the top level and answers an empty search
with HTTP 200, `codeRetour` 20000 and `TRA_MSG_00.015` (Pastell stops its loop on it, §7.5).
"""

from __future__ import annotations

import tempfile
import zipfile
from typing import BinaryIO

from ninja import Router

from choeur.api import factures_schemas as fs
from choeur.api.envelope import no_result, ok, ok_with_file
from choeur.api.errors import InvalidField
from choeur.api.factures import (
    ERRORS,
    NO_RESULT_CODE,
    NO_RESULT_LIBELLE,
    atomic,
    common_filters,
    day_of,
    detail,
    own_structure_id,
    recipient_row,
    required,
    search_page,
    status_code,
    tallied,
    type_dp,
    type_facture,
)
from choeur.api.schemas import ErrorOut
from choeur.api.structures import choice
from choeur.core import storage
from choeur.core.errors import NotFound
from choeur.invoicing import deposit_documents, queries, services
from choeur.invoicing.statuses import RECIPIENT_TO_PROCESS

router = Router(tags=["Factures"])

#: Largest download (the whole dossier limit, reference §1.3: > 120 Mo → 413).
MAX_DOWNLOAD = services.MAX_DOSSIER
#: Invoices in one download, as on the portal.
MAX_GROUP = 50
FORMATS = ["ZIP", "PDF", "XML"]


#: The recipient search's criteria the invoice tally counts (api/factures.tallied), paging
#: and options with them.
_TALLIED = {"idUtilisateurCourant", "idDestinataire", "typeDemandePaiement", "idServiceExecutant",
            "statutCourant", "factureTelechargeeParDestinataire", "rechercheSirenFournisseur",
            "paramRecherche", "recupererTaille"}


@router.post("/rechercher/recipiendaire", operation_id="rechercherFactureRecipiendaire",
             exclude_none=True,
             response={200: fs.WsRetourRechercheFactureRecipiendaireRest, ERRORS: ErrorOut})
def rechercher_recipiendaire(request, payload: fs.RechercherFactureRecipiendaireParam):
    actor = request.auth
    own_structure_id(actor, payload.idDestinataire)
    found = queries.received_invoices(actor).filter(common_filters(payload))
    if not type_dp(payload.typeDemandePaiement) or payload.listeTypeFactureTravaux:
        found = found.none()
    found = found.filter(type_facture("listeTypeFacture", payload.listeTypeFacture))
    if payload.idServiceExecutant is not None:
        found = found.filter(recipient_service_id=payload.idServiceExecutant)
    for criterion in payload.listeFournisseurs or []:
        if criterion.idFournisseur is not None:
            found = found.filter(supplier_id=criterion.idFournisseur)
        if criterion.listeIdService:
            found = found.filter(supplier_service_id__in=criterion.listeIdService)
    if payload.factureTelechargeeParDestinataire is not None:
        found = found.filter(downloaded_by_recipient=payload.factureTelechargeeParDestinataire)
    total = None
    if tallied(payload, _TALLIED) and type_dp(payload.typeDemandePaiement):
        statuses = [status_code("statutCourant", s) for s in payload.statutCourant or []]
        total = lambda: queries.received_total(  # noqa: E731 (read only for a full page)
            actor, statuses=statuses or None, service=payload.idServiceExecutant,
            downloaded=payload.factureTelechargeeParDestinataire)
    rows, paging = search_page(found, payload.paramRecherche,
                               sizes=bool(payload.recupererTaille), total=total)
    if not rows:
        return no_result(NO_RESULT_CODE, NO_RESULT_LIBELLE, listeFactures=[], **paging)
    return ok(listeFactures=[recipient_row(invoice, bool(payload.recupererTaille))
                             for invoice in rows], **paging)


@router.post("/rechercher/atraiter/recipiendaire",
             operation_id="rechercherFactureATraiterParRecipiendaire", exclude_none=True,
             response={200: fs.WsRetourRechercheFactureRecipiendaire, ERRORS: ErrorOut})
def rechercher_atraiter_recipiendaire(request,
                                      payload: fs.RechercherATraiterParRecipiendaireParam):
    actor = request.auth
    own_structure_id(actor, payload.idStructure)
    found = queries.received_invoices(actor).filter(status__in=RECIPIENT_TO_PROCESS)
    rows, paging = search_page(
        found, payload.parametreRechercheFactureATraiterParRecipiendaire,
        sizes=bool(payload.recupererTaille),
        total=lambda: queries.received_total(actor, statuses=RECIPIENT_TO_PROCESS))
    return ok(parametresRetour=paging, listeFactures=[
        recipient_row(invoice, bool(payload.recupererTaille)) for invoice in rows])


@router.post("/consulter/recipiendaire", operation_id="consulterFactureParRecipiendaire",
             exclude_none=True, response={200: fs.WsRetourFactures, ERRORS: ErrorOut})
def consulter_recipiendaire(request, payload: fs.ConsulterFactureParam):
    invoice = queries.received_invoice(request.auth, required("identifiantFactureCPP",
                                                              payload.identifiantFactureCPP))
    return ok(facture=detail(invoice, issued=False))


# --- telecharger/groupe -------------------------------------------------------------------------


def _downloadable(actor, invoice_id):
    """(invoice, received): the actor's received invoice, else issued, else to validate."""
    for getter, received in ((queries.received_invoices, True),
                             (queries.issued_invoices, False),
                             (queries.invoices_to_validate, False)):
        invoice = getter(actor).filter(pk=invoice_id).select_related(
            "supplier", "recipient").first()
        if invoice is not None:
            return invoice, received
    raise NotFound(object_label="Facture")


def _members(invoice, fmt: str, with_attachments: bool):
    """(name, sha256) of what a download holds for one invoice."""
    prefix = f"{invoice.supplier.identifier}_{invoice.number or invoice.pk}_"
    if fmt in ("PDF", "ZIP") and invoice.has_document:
        yield (prefix + (invoice.main_file_name or "facture.pdf"),
               deposit_documents.ensure_readable(invoice))
    if fmt in ("XML", "ZIP") and invoice.xml_sha256:
        yield prefix + f"facture-{invoice.number or invoice.pk}.xml", invoice.xml_sha256
    if with_attachments:
        for attachment in invoice.attachments.all():
            yield prefix + f"PJ_{attachment.pk}_{attachment.name}", attachment.sha256


def _telecharger(actor, payload: fs.TelechargerGroupeFactureParam, target: BinaryIO) -> None:
    """The download written into `target` chunk by chunk (each file checked against its
    fingerprint); the received invoices marked downloaded. A file that fails its check undoes
    the marks (the caller's transaction)."""
    fmt = choice("format", payload.format, FORMATS) or "ZIP"
    ids = [required(f"listeFacture.{i}.idFacture", item.idFacture)
           for i, item in enumerate(payload.listeFacture or [])]
    if not ids:
        raise InvalidField(field="listeFacture", detail_fr="obligatoire", detail_en="required")
    if len(ids) > MAX_GROUP:
        raise InvalidField(field="listeFacture", detail_fr=f"{MAX_GROUP} factures au plus",
                           detail_en=f"{MAX_GROUP} invoices at most")
    found = [_downloadable(actor, invoice_id) for invoice_id in dict.fromkeys(ids)]
    members = [(name, sha256) for invoice, _ in found
               for name, sha256 in _members(invoice, fmt, bool(
                   payload.avecPiecesJointesComplementaires))]
    if not members:
        raise InvalidField(field="format", detail_fr=f"aucun fichier {fmt} pour ces factures",
                           detail_en=f"no {fmt} file for these invoices")
    from choeur.core.errors import FileTooLarge
    from choeur.core.models import Blob

    sizes = dict(Blob.objects.filter(pk__in=[s for _, s in members]).values_list("sha256",
                                                                                 "size"))
    if sum(sizes.get(sha256, 0) for _, sha256 in members) > MAX_DOWNLOAD:
        raise FileTooLarge(limit=MAX_DOWNLOAD)
    if len(members) == 1 and fmt != "ZIP":  # one PDF or one XML: the file itself
        storage.copy_verified(members[0][1], target)
    else:
        used = set()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, sha256 in members:
                name = name.replace("/", "-").replace("\\", "-")
                while name in used:
                    name = "_" + name
                used.add(name)
                storage.add_to_zip(archive, name, sha256)
    received = [invoice for invoice, is_received in found if is_received]
    if received:
        services.mark_downloaded(actor, received)


@router.post("/telecharger/groupe", operation_id="telechargerGroupeFacture", exclude_none=True,
             response={200: fs.WsRetourTelechargerGroupeFacture, ERRORS: ErrorOut})
def telecharger_groupe(request, payload: fs.TelechargerGroupeFactureParam):
    """The invoices' files, base64: one PDF or XML as itself, anything more as a ZIP; the
    received ones are marked downloaded (TELECHARGEMENT_FACTURE). The answer is streamed
    (envelope.ok_with_file), the same JSON as any other."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * storage.CHUNK)  # noqa: SIM115
    try:
        atomic(_telecharger, request.auth, payload, spool)
    except BaseException:  # the transaction's commit included
        spool.close()
        raise
    return ok_with_file("fichierResultat", spool)


# --- traiter/recue ------------------------------------------------------------------------------


def _traiter(actor, payload: fs.TraiterUneFactureRecueParam):
    invoice = queries.received_invoice(actor, required("idFacture", payload.idFacture))
    target = status_code("nouveauStatut", required("nouveauStatut", payload.nouveauStatut))
    return services.process(actor, invoice, target, payload.motif or "",
                            payload.numeroDPMandat or "")


@router.post("/traiter/recue", operation_id="traiterUneFactureRecue", exclude_none=True,
             response={200: fs.WsRetourTraiterFacture, ERRORS: ErrorOut})
def traiter_recue(request, payload: fs.TraiterUneFactureRecueParam):
    invoice = atomic(_traiter, request.auth, payload)
    return ok(idFacture=invoice.pk, numeroFacture=invoice.number,
              dateTraitement=day_of(invoice.status_changed_at), nouveauStatut=invoice.status)
