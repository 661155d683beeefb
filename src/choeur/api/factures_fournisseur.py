"""Factures, the supplier's side: deposer/pdf, soumettre, rechercher/fournisseur,
rechercher/atraiter/fournisseur, consulter/fournisseur, consulter/historique (any role),
completer, recycler, traiterRejet, corriger/valideur/facture.

The real PDF flow (reference §3.1, §4.2): `deposer/pdf` reads the PDF as the flux channel
does (refused with its finding's code, nothing stored, when it cannot be read), stores it as an
upload (`invoicing.models.UploadedFile`) and answers its `pieceJointeId` with the data read
from it (Choeur has no OCR: a Factur-X PDF's embedded data, empty values otherwise);
`soumettre` creates and sends the invoice with `pieceJointePrincipale[0].pieceJointePrincipaleId`
= that id (or one of `transverses/v1/ajouter/fichier`), once; `pieceJointeComplementaireId`
names uploads too. Files are the supplier's own: another structure's id is not found.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation

from ninja import Router

from choeur.api import factures_schemas as fs
from choeur.api.auth import bounded_auth
from choeur.api.envelope import ok
from choeur.api.errors import InvalidField
from choeur.api.factures import (
    ERRORS,
    any_invoice,
    atomic,
    common_filters,
    day_of,
    detail,
    flux_filter,
    number,
    own_structure_id,
    required,
    search_page,
    status_code,
    supplier_row,
    supplier_to_process_row,
    tallied,
    type_facture,
    with_flux_numbers,
)
from choeur.api.schemas import ErrorOut, WsRetour
from choeur.api.structures import choice
from choeur.core import clock
from choeur.core.errors import NotFound
from choeur.invoicing import deposit_documents, queries, services, structured
from choeur.invoicing.data import InvoiceData, LineData, Totals, VatLineData
from choeur.invoicing.models import (
    Cadre,
    InvoiceEvent,
    ModeDepot,
    ModePaiement,
    StatusChange,
    TypeFacture,
    TypeTva,
    UploadedFile,
)
from choeur.invoicing.statuses import SUPPLIER_TO_PROCESS
from choeur.organisations import permissions
from choeur.organisations.models import Structure

router = Router(tags=["Factures"])

FORMATS_DEPOT = ["PDF_NON_SIGNE", "PDF_SIGNE_PADES", "PDF_SIGNE_XADES"]
API_MODES = [ModeDepot.SAISIE_API, ModeDepot.DEPOT_PDF_API, ModeDepot.DEPOT_PDF_SIGNE_API]


def decode(field: str, value: str | None) -> bytes:
    value = required(field, value)
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidField(field=field, detail_fr="base64 invalide",
                           detail_en="invalid base64") from None


# --- deposer/pdf --------------------------------------------------------------------------------


#: A 10 MB PDF in base64 (4/3) and the JSON around it: the reference's limit, not Django's
#: 2.5 MB default for request bodies.
MAX_PDF_BODY = services.MAX_ATTACHMENT * 4 // 3 + 1024 * 1024


@router.post("/deposer/pdf", operation_id="deposerPdfFacture", exclude_none=True,
             auth=bounded_auth(MAX_PDF_BODY),
             response={200: fs.WsRetourDeposerPdfFacture, ERRORS: ErrorOut})
def deposer_pdf(request, payload: fs.DeposerPdfFactureParam):
    actor = request.auth
    choice("formatDepot", payload.formatDepot, FORMATS_DEPOT)
    content = decode("fichierFacture", payload.fichierFacture)
    name = payload.nomFichier or "facture.pdf"
    supplier = actor.structure
    upload = atomic(services.upload_file, actor, supplier, name, content,
                    source=UploadedFile.Source.DEPOSER_PDF)
    examined = structured.examine(content)
    data = examined.data or InvoiceData(type_facture=TypeFacture.FACTURE, currency="")
    totals = data.totals or Totals(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    return ok(numeroFacture=data.number or "",
              dateFacture=data.invoice_date.isoformat() if data.invoice_date else "",
              codeDestinataire=data.recipient_identifier or "",
              codeServiceExecutant=data.recipient_service_code or "",
              codeFournisseur=examined.seller_siret or supplier.identifier,
              codeDeviseFacture=data.currency or "",
              typeFacture=data.type_facture if data.type_facture in ("FACTURE", "AVOIR")
              else "FACTURE",
              typeTva=data.type_tva or TypeTva.TVA_SUR_DEBIT,
              numeroBonCommande=data.engagement_number or "",
              montantTtcAvantRemiseGlobalTTC=number(totals.total_ttc),
              montantAPayer=number(totals.amount_due), montantHtTotal=number(totals.total_ht),
              montantTVA=number(totals.total_tva), pieceJointeId=upload.pk)


# --- soumettre ----------------------------------------------------------------------------------


def _vat_rate(code: str | None, manual: Decimal | None, field: str) -> Decimal:
    """A VAT rate given as a number (`...Manuel`) or a reference code (`TVA2`, or `20`)."""
    if manual is not None:
        return manual
    if code is None:
        raise InvalidField(field=field, detail_fr="taux de TVA obligatoire",
                           detail_en="VAT rate required")
    from choeur.api.transverses import VAT_RATES

    for rate_code, _fr, _en, rate in VAT_RATES:
        if code.strip().upper() == rate_code:
            return Decimal(str(rate))
    try:
        return Decimal(code.replace(",", ".").rstrip("% "))
    except InvalidOperation:
        raise InvalidField(field=field, detail_fr="taux de TVA inconnu",
                           detail_en="unknown VAT rate") from None


def _invoice_data(payload: fs.SoumettreFactureParam, supplier: Structure) -> InvoiceData:
    destinataire = payload.destinataire or fs.SoumettreFactureDestinataire()
    fournisseur = payload.fournisseur or fs.SoumettreFactureFournisseur()
    cadre = payload.cadreDeFacturation or fs.SoumettreFactureCadreDeFacturation()
    refs = payload.references or fs.SoumettreFactureReferences()
    kind = choice("references.typeFacture", refs.typeFacture, ["FACTURE", "AVOIR"]) or "FACTURE"
    lines = []
    for index, line in enumerate(payload.lignePoste or [], start=1):
        field = f"lignePoste.{index - 1}"
        lines.append(LineData(
            designation=line.lignePosteDenomination or "",
            quantity=required(f"{field}.lignePosteQuantite", line.lignePosteQuantite),
            unit_price=required(f"{field}.lignePosteMontantUnitaireHT",
                                line.lignePosteMontantUnitaireHT),
            vat_rate=_vat_rate(line.lignePosteTauxTva, line.lignePosteTauxTvaManuel,
                               f"{field}.lignePosteTauxTva"),
            discount=line.lignePosteMontantRemiseHT or Decimal(0),
            unit=(line.lignePosteUnite or "")[:20],
            reference=(line.lignePosteReference or "")[:50]))
    vat_lines = None
    if payload.ligneTva:
        vat_lines = [VatLineData(
            rate=_vat_rate(v.ligneTvaTaux, v.ligneTvaTauxManuel, f"ligneTva.{i}.ligneTvaTaux"),
            base_ht=required(f"ligneTva.{i}.ligneTvaMontantBaseHtParTaux",
                             v.ligneTvaMontantBaseHtParTaux),
            amount=required(f"ligneTva.{i}.ligneTvaMontantTvaParTaux",
                            v.ligneTvaMontantTvaParTaux))
            for i, v in enumerate(payload.ligneTva)]
    totals = None
    total = payload.montantTotal
    if total is not None and None not in (total.montantHtTotal, total.montantTVA,
                                          total.montantTtcTotal):
        totals = Totals(total.montantHtTotal, total.montantTVA, total.montantTtcTotal,
                        total.montantAPayer if total.montantAPayer is not None
                        else total.montantTtcTotal)
    payment = choice("references.modePaiement", refs.modePaiement, ModePaiement.values)
    if payment is None:
        payment = "" if kind == TypeFacture.AVOIR else ModePaiement.VIREMENT
    return InvoiceData(
        cadre=choice("cadreDeFacturation.codeCadreFacturation", cadre.codeCadreFacturation,
                     Cadre.values) or Cadre.A1,
        recipient_identifier=destinataire.codeDestinataire or "",
        recipient_service_code=destinataire.codeServiceExecutant or "",
        supplier_service_id=fournisseur.idServiceFournisseur,
        validator_identifier=cadre.codeStructureValideur or "",
        validator_service_code=cadre.codeServiceValideur or "",
        type_facture=kind, number=payload.numeroFactureSaisi or "",
        # Optional in the Swagger, left out on purpose by facture-electronique: an invoice
        # without one is dated the day it is deposited (now, in Paris), see soumettre.
        invoice_date=payload.dateFacture or clock.today(),
        currency=(refs.deviseFacture or "EUR").upper()[:3],
        type_tva=choice("references.typeTva", refs.typeTva, TypeTva.values)
        or TypeTva.TVA_SUR_DEBIT,
        vat_exemption_reason=(refs.motifExonerationTva or "")[:255],
        marche_number=(refs.numeroMarche or "")[:50],
        engagement_number=(refs.numeroBonCommande or "")[:50],
        original_invoice_number=(refs.numeroFactureOrigine or "")[:20],
        payment_mode=payment,
        bank_account_id=fournisseur.codeCoordonneesBancairesFournisseur,
        comment=payload.commentaire or "", lines=lines, vat_lines=vat_lines, totals=totals)


def _attachments(actor, supplier, pieces) -> tuple[list[tuple[str, bytes]], list]:
    """The uploads named as pièces jointes complémentaires: their (name, bytes), and the
    uploads themselves (to mark them used)."""
    files, uploads = [], []
    for index, piece in enumerate(pieces or []):
        file_id = required(f"pieceJointeComplementaire.{index}.pieceJointeComplementaireId",
                           piece.pieceJointeComplementaireId)
        upload, content = services.uploaded_file(actor, supplier, file_id)
        files.append((piece.pieceJointeComplementaireDesignation or upload.name, content))
        uploads.append(upload)
    return files, uploads


def _soumettre(actor, payload: fs.SoumettreFactureParam):
    fournisseur = payload.fournisseur or fs.SoumettreFactureFournisseur()
    supplier = (permissions.structure_for(actor, fournisseur.idFournisseur)
                if fournisseur.idFournisseur is not None else actor.structure)
    principal = (payload.pieceJointePrincipale or [None])[0]
    mode = choice("modeDepot", payload.modeDepot, API_MODES) or (
        ModeDepot.DEPOT_PDF_API if principal is not None else ModeDepot.SAISIE_API)
    document = main = None
    if mode != ModeDepot.SAISIE_API:
        if principal is None or principal.pieceJointePrincipaleId is None:
            raise InvalidField(field="pieceJointePrincipale",
                               detail_fr="obligatoire en mode " + mode,
                               detail_en="required in mode " + mode)
        main, content = services.uploaded_file(actor, supplier,
                                               principal.pieceJointePrincipaleId, main=True)
        document = (principal.pieceJointePrincipaleDesignation or main.name, content)
    data = _invoice_data(payload, supplier)
    attachments, uploads = _attachments(actor, supplier, payload.pieceJointeComplementaire)
    invoice = services.deposit(actor, supplier, data, mode_depot=mode, document=document,
                               attachments=attachments)
    services.mark_used([main, *uploads], invoice, main=main)
    return invoice


@router.post("/soumettre", operation_id="soumettreFacture", exclude_none=True,
             response={200: fs.WsRetourSoumettreFacture, ERRORS: ErrorOut})
def soumettre(request, payload: fs.SoumettreFactureParam):
    """Create and send an invoice (DEPOSEE, then routed). `dateFacture` is optional, as the
    Swagger has it: when absent (facture-electronique never sends it), the invoice is dated
    the day of its deposit — the clock service's date in Paris, the day `dateDepot` of the
    answer gives. A date given is checked as in the portal (not after the deposit day)."""
    invoice = atomic(_soumettre, request.auth, payload)
    return ok(identifiantFactureCPP=invoice.pk, numeroFacture=invoice.number,
              statutFacture=invoice.status, dateDepot=day_of(invoice.deposited_at),
              identifiantStructure=invoice.supplier.identifier,
              empreinteCertificatDepot=deposit_documents.ensure_certificate(invoice) or None)


# --- rechercher/fournisseur ---------------------------------------------------------------------


#: The supplier search's criteria the invoice tally counts (api/factures.tallied), paging and
#: options with them.
_TALLIED = {"idUtilisateurCourant", "idFournisseur", "idServiceFournisseur", "statutCourant",
            "rechercheSirenDestinataire", "rechercheFactureParFournisseur", "recupererTaille"}


@router.post("/rechercher/fournisseur", operation_id="rechercherFactureParFournisseur",
             exclude_none=True,
             response={200: fs.WsRetourRechercherFactureParFournisseur, ERRORS: ErrorOut})
def rechercher_fournisseur(request, payload: fs.RechercherFactureParFournisseurParam):
    actor = request.auth
    own_structure_id(actor, payload.idFournisseur)
    found = queries.issued_invoices(actor).filter(common_filters(payload))
    found = found.filter(type_facture("typeFacture", [payload.typeFacture]
                                      if payload.typeFacture else None))
    for criterion in payload.listeDestinataire or []:
        if criterion.idDestinataire is not None:
            found = found.filter(recipient_id=criterion.idDestinataire)
        if criterion.listeIdServiceExecutant:
            found = found.filter(recipient_service_id__in=criterion.listeIdServiceExecutant)
    if payload.idServiceFournisseur is not None:
        found = found.filter(supplier_service_id=payload.idServiceFournisseur)
    if payload.coordonneeBancaire is not None:
        found = found.filter(bank_account_id=payload.coordonneeBancaire)
    if payload.idUtilisateurCreateur:
        found = found.filter(created_by_id__in=payload.idUtilisateurCreateur)
    if payload.numeroFactureOrigine:
        found = found.filter(original_invoice_number__icontains=payload.numeroFactureOrigine)
    if payload.modeDepot:
        found = found.filter(mode_depot=payload.modeDepot.strip().upper())
    if payload.numeroFluxDepot:
        found = found.filter(flux_filter(payload.numeroFluxDepot))
    if payload.rejetTraite is not None:
        found = found.filter(rejet_traite=payload.rejetTraite)
    # The invoice table alone: the rows' structures, services and accounts come after, by
    # primary key (with_related); a sort on one of them joins that one.
    total = None
    if tallied(payload, _TALLIED):
        statuses = [status_code("statutCourant", s) for s in payload.statutCourant or []]
        total = lambda: queries.issued_total(  # noqa: E731 (read only for a full page)
            actor, statuses=statuses or None, service=payload.idServiceFournisseur)
    rows, paging = search_page(with_flux_numbers(found), payload.rechercheFactureParFournisseur,
                               sizes=bool(payload.recupererTaille), total=total)
    return ok(parametresRetour=paging, listeFactures=[
        supplier_row(invoice, with_size=bool(payload.recupererTaille)) for invoice in rows])


@router.post("/rechercher/atraiter/fournisseur",
             operation_id="rechercherFactureATraiterParFournisseur", exclude_none=True,
             response={200: fs.WsRetourRechercherFactureATraiterParFournisseur,
                       ERRORS: ErrorOut})
def rechercher_atraiter_fournisseur(request, payload: fs.RechercherATraiterParFournisseurParam):
    actor = request.auth
    own_structure_id(actor, payload.idStructure)
    found = queries.issued_invoices(actor).filter(status__in=SUPPLIER_TO_PROCESS)
    rows, paging = search_page(
        found, payload.rechercheFactureATraiterParFournisseur,
        total=lambda: queries.issued_total(actor, statuses=SUPPLIER_TO_PROCESS))
    return ok(parametresRetour=paging,
              listeFactures=[supplier_to_process_row(invoice) for invoice in rows])


# --- consulter ------------------------------------------------------------------------------


@router.post("/consulter/fournisseur", operation_id="consulterFactureParFournisseur",
             exclude_none=True, response={200: fs.WsRetourFactures, ERRORS: ErrorOut})
def consulter_fournisseur(request, payload: fs.ConsulterFactureParam):
    invoice = queries.issued_invoice(request.auth, required("identifiantFactureCPP",
                                                            payload.identifiantFactureCPP))
    return ok(facture=detail(invoice, issued=True))


def _window(items: list, paging: fs.HistoPagination | None, maximum: int | None):
    """One page of a history list, and its four paging numbers."""
    if maximum:
        items = items[-maximum:]
    size = (paging.nbResultatsParPage if paging else None) or max(len(items), 1)
    number = (paging.pageResultatDemandee if paging else None) or 1
    start = (number - 1) * size
    pages = -(-len(items) // size)
    return items[start:start + size], (number, pages, size, len(items))


def _person(user, label: str) -> dict:
    if user is None:
        return {"Nom": label or None}
    return {"Prenom": user.first_name or None, "Nom": user.last_name or label or None}


@router.post("/consulter/historique", operation_id="consulterHistoriqueFacture",
             exclude_none=True,
             response={200: fs.WsRetourConsulterHistoriqueFacture, ERRORS: ErrorOut})
def consulter_historique(request, payload: fs.ConsulterHistoriqueFactureParam):
    from choeur.api.envelope import minutes_wire

    actor = request.auth
    invoice = any_invoice(actor, required("idFacture", payload.idFacture))
    history = list(StatusChange.objects.filter(invoice=invoice).select_related("actor"))
    events = list(InvoiceEvent.objects.filter(invoice=invoice).select_related("actor"))
    actions = [e for e in events if e.code != InvoiceEvent.Code.EVENEMENT]
    others = [e for e in events if e.code == InvoiceEvent.Code.EVENEMENT]
    statuses, (sp, sps, sn, st) = _window(history, payload.paramRechercheHistoStatuts,
                                          payload.nbResultatsMaximum)
    extra, (ep, eps, en, et) = _window(others,
                                       payload.paramRechercheHistoEvenementsComplementaires,
                                       payload.nbResultatsMaximum)
    done, (ap, aps, an, at) = _window(actions, payload.paramRechercheHistoActionsUtilisateurs,
                                      payload.nbResultatsMaximum)
    last = actions[-1] if actions else None
    return ok(
        idFacture=invoice.pk, numeroFacture=invoice.number or None,
        modeDepot=invoice.mode_depot, statutCourantCode=invoice.status,
        historiquesDesStatuts={
            "histoStatut": [{
                "histoStatutId": row.pk, "histoStatutCode": row.status,
                "histoStatutDatePassage": minutes_wire(row.at),
                "histoStatutCommentaire": row.comment or None,
                **{f"histoStatutUtilisateur{k}": v
                   for k, v in _person(row.actor, row.actor_label).items()},
            } for row in statuses],
            "pageCouranteHistoStatut": sp, "pagesHistoStatut": sps,
            "nbResultatsParPageHistoStatut": sn, "totalHistoStatut": st},
        historiquesDesEvenementsComplementaires={
            "evenement": [{"evenementId": e.pk, "evenementLibelle": e.label or None,
                           "evenementQui": e.actor_label or None,
                           "evenementDateHeure": minutes_wire(e.at)} for e in extra],
            "pageCouranteEvenement": ep, "pagesEvenement": eps,
            "nbResultatsParPageEvenement": en, "totalEvenement": et},
        historiquesDesActionsUtilisateurs={
            "histoAction": [{
                "histoActionId": e.pk, "histoActionCode": e.code,
                "histoActionDateHeure": minutes_wire(e.at),
                **{f"histoActionUtilisateur{k}": v
                   for k, v in _person(e.actor, e.actor_label).items()},
            } for e in done],
            "pageCouranteHistoAction": ap, "pagesHistoAction": aps,
            "nbResultatsParPageHistoAction": an, "totalHistoAction": at},
        derniereAction={"derniereActionId": last.pk, "derniereActionCode": last.code}
        if last else None,
    )


# --- Supplier answers ---------------------------------------------------------------------------


def _completer(actor, payload: fs.CompleterFactureParam):
    invoice = queries.issued_invoice(actor, required("identifiantFactureCPP",
                                                     payload.identifiantFactureCPP))
    attachments, uploads = _attachments(actor, invoice.supplier,
                                        payload.pieceJointeComplementaire)
    invoice = services.complete(actor, invoice, payload.commentaire or "", attachments)
    services.mark_used(uploads, invoice)
    return invoice


@router.post("/completer", operation_id="completerFacture", exclude_none=True,
             response={200: fs.WsRetourCompleterFacture, ERRORS: ErrorOut})
def completer(request, payload: fs.CompleterFactureParam):
    invoice = atomic(_completer, request.auth, payload)
    return ok(identifiantFactureCPP=invoice.pk, numeroFacture=invoice.number,
              dateTraitement=day_of(invoice.status_changed_at))


def _recycler(actor, payload: fs.RecyclerFactureParam):
    invoice = queries.issued_invoice(actor, required("identifiantFactureCPP",
                                                     payload.identifiantFactureCPP))
    destinataire = payload.destinataire or fs.SoumettreFactureDestinataire()
    reference = payload.reference or fs.SoumettreFactureReferences()
    return services.recycle(
        actor, invoice, required("destinataire.codeDestinataire",
                                 destinataire.codeDestinataire),
        destinataire.codeServiceExecutant or "",
        reference.numeroBonCommande if reference.numeroBonCommande is not None
        else invoice.engagement_number, payload.commentaire or "")


@router.post("/recycler", operation_id="recyclerFacture", exclude_none=True,
             response={200: fs.WsRetourRecyclerFacture, ERRORS: ErrorOut})
def recycler(request, payload: fs.RecyclerFactureParam):
    invoice = atomic(_recycler, request.auth, payload)
    return ok(identifiantFactureCPP=invoice.pk, numeroFacture=invoice.number,
              statutFacture=invoice.status, dateDepot=day_of(invoice.status_changed_at))


def _traiter_rejet(actor, payload: fs.TraiterFacturesRejeteesParam):
    items = payload.listeDemandePaiement or []
    if not items:
        raise InvalidField(field="listeDemandePaiement", detail_fr="obligatoire",
                           detail_en="required")
    for index, item in enumerate(items):
        invoice = queries.issued_invoice(actor, required(
            f"listeDemandePaiement.{index}.idDemandePaiement", item.idDemandePaiement))
        services.acknowledge(actor, invoice)


@router.post("/traiterRejet", operation_id="traiterFacturesRejetees", exclude_none=True,
             response={200: WsRetour, ERRORS: ErrorOut})
def traiter_rejet(request, payload: fs.TraiterFacturesRejeteesParam):
    """Acknowledge rejections (and suspensions): all of them, or none if one fails."""
    atomic(_traiter_rejet, request.auth, payload)
    return ok()


def _corriger_valideur(actor, payload: fs.CorrigerValideurFactureParam):
    invoice = queries.issued_invoice(actor, required("idFacture", payload.idFacture))
    identifier = payload.identifiantStructure
    if identifier is None and payload.idStructure is not None:
        validator = Structure.objects.filter(pk=payload.idStructure, is_active=True).first()
        if validator is None:
            raise NotFound(object_label="Structure")
        identifier = validator.identifier
    return services.correct_validator(actor, invoice,
                                      required("identifiantStructure", identifier),
                                      payload.codeServiceValideur or "")


@router.post("/corriger/valideur/facture", operation_id="corrigerValideurFacture",
             exclude_none=True,
             response={200: fs.WsRetourCorrigerValideurFacture, ERRORS: ErrorOut})
def corriger_valideur(request, payload: fs.CorrigerValideurFactureParam):
    invoice = atomic(_corriger_valideur, request.auth, payload)
    return ok(idFacture=invoice.pk)

