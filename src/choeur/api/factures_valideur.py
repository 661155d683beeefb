"""Factures, the validator's side (cadres A9, A12): rechercher/valideur,
rechercher/aTraiter/valideur (capital T, as the Swagger spells it), consulter/valideur,
traiter/factureAValider, recuperer/statutsFactureVisibles/valideur; and
rechercher/demandePaiement, which searches every invoice the actor sees, whatever its role.
"""

from __future__ import annotations

from ninja import Router

from choeur.api import factures_schemas as fs
from choeur.api.envelope import datetime_wire, ok
from choeur.api.factures import (
    ERRORS,
    atomic,
    common_filters,
    day_of,
    detail,
    number,
    own_structure_id,
    prune,
    required,
    search_page,
    type_dp,
    type_facture,
    with_related,
)
from choeur.api.schemas import ErrorOut
from choeur.api.structures import choice, own_structure
from choeur.invoicing import queries, services
from choeur.invoicing.statuses import INVOICE_STATUSES, Status

router = Router(tags=["Factures"])

#: `action` of traiter/factureAValider → the validator's use case.
ACTIONS = ["VALIDATION", "REFUS", "ERREUR_VALIDEUR"]
#: Statuses in which a validator finds an invoice (all but the supplier's own drafts).
VISIBLE = [s for s in INVOICE_STATUSES if s not in (Status.BROUILLON, Status.SUPPRIMEE)]
TO_PROCESS = [Status.A_VALIDER_1, Status.A_VALIDER_2]
#: A search without paging (rechercher/demandePaiement): the newest this many.
MAX_DEMANDES = 1000


@router.post("/rechercher/valideur", operation_id="rechercherFactureParValideur",
             exclude_none=True,
             response={200: fs.WsRetourRechercherFactureParValideur, ERRORS: ErrorOut})
def rechercher_valideur(request, payload: fs.RechercherFactureParValideurParam):
    from choeur.api.factures import validator_row

    actor = request.auth
    own_structure_id(actor, payload.idStructureValideur)
    found = queries.invoices_to_validate(actor).filter(common_filters(payload))
    if not type_dp(payload.typeDemandePaiement) or payload.listeTypeFactureTravaux:
        found = found.none()
    found = found.filter(type_facture("listeTypeFacture", payload.listeTypeFacture))
    for field, value in (("recipient_id", payload.idDestinataire),
                         ("recipient_service_id", payload.idServiceExecutant),
                         ("supplier_id", payload.idFournisseur),
                         ("supplier_service_id", payload.idServiceFournisseur)):
        if value is not None:
            found = found.filter(**{field: value})
    if payload.numeroEngagement:
        found = found.filter(engagement_number__icontains=payload.numeroEngagement)
    rows, paging = search_page(found, payload.pagination)
    return ok(parametresRetour=paging, listeFactures=[validator_row(i) for i in rows])


@router.post("/rechercher/aTraiter/valideur", operation_id="rechercherFactureATraiterParValideur",
             exclude_none=True,
             response={200: fs.WsRetourRechercherFactureParValideur, ERRORS: ErrorOut})
def rechercher_atraiter_valideur(request, payload: fs.RechercherATraiterParValideurParam):
    from choeur.api.factures import validator_row

    actor = request.auth
    found = queries.invoices_to_validate(actor).filter(status__in=TO_PROCESS)
    if payload.idStructure is not None or payload.identifiantStructure is not None:
        structure = own_structure(actor, payload.idStructure, payload.identifiantStructure,
                                  payload.typeIdentifiantStructure)
        found = found.filter(validator=structure, status=Status.A_VALIDER_1) | found.filter(
            validator2=structure, status=Status.A_VALIDER_2)
    rows, paging = search_page(found, payload.pagination)
    return ok(parametresRetour=paging, listeFactures=[validator_row(i) for i in rows])


@router.post("/consulter/valideur", operation_id="consulterFactureParValideur",
             exclude_none=True, response={200: fs.WsRetourFactures, ERRORS: ErrorOut})
def consulter_valideur(request, payload: fs.ConsulterFactureParam):
    invoice = queries.invoice_to_validate(request.auth, required(
        "identifiantFactureCPP", payload.identifiantFactureCPP))
    return ok(facture=detail(invoice, issued=True))


def _traiter(actor, payload: fs.TraiterFactureAValiderParam):
    invoice = queries.invoice_to_validate(actor, required("idFacture", payload.idFacture))
    action = choice("action", required("action", payload.action), ACTIONS)
    comment = payload.complementInfo or ""
    if action == "VALIDATION":
        return services.validate(actor, invoice, comment)
    if action == "REFUS":
        reason = " — ".join(filter(None, [payload.motifRefus, payload.complementInfo]))
        return services.refuse(actor, invoice, reason)
    return services.wrong_validator(actor, invoice, payload.motifRefus or comment)


@router.post("/traiter/factureAValider", operation_id="traiterFactureAValider",
             exclude_none=True,
             response={200: fs.WsRetourTraiterFactureAValider, ERRORS: ErrorOut})
def traiter_facture_a_valider(request, payload: fs.TraiterFactureAValiderParam):
    """VALIDATION, REFUS (with `motifRefus`) or ERREUR_VALIDEUR ("not the right validator")."""
    invoice = atomic(_traiter, request.auth, payload)
    invoice.refresh_from_db(fields=["status", "status_changed_at"])
    return ok(idFacture=invoice.pk, numeroFacture=invoice.number,
              dateTraitement=day_of(invoice.status_changed_at), statutFacture=invoice.status)


@router.post("/recuperer/statutsFactureVisibles/valideur",
             operation_id="recupererStatutsFactureVisiblesParValideur", exclude_none=True,
             response={200: fs.WsRetourRecupererStatutsFactureVisiblesParValideur,
                       ERRORS: ErrorOut})
def statuts_visibles_valideur(request, payload: fs.RecupererStatutsVisiblesParam):
    return ok(listeStatutFacture=[{"codeStatutFacture": s} for s in VISIBLE])


# --- rechercher/demandePaiement -----------------------------------------------------------------

ROLES = ["FOURNISSEUR", "DESTINATAIRE", "VALIDEUR"]


@router.post("/rechercher/demandePaiement", operation_id="rechercherDemandePaiement",
             exclude_none=True,
             response={200: fs.WsRetourRechercherDemandePaiement, ERRORS: ErrorOut})
def rechercher_demande_paiement(request, payload: fs.RechercherDemandePaiementParam):
    actor = request.auth
    role = choice("roleUtilisateur", payload.roleUtilisateur, ROLES)
    sets = {"FOURNISSEUR": queries.issued_invoices, "DESTINATAIRE": queries.received_invoices,
            "VALIDEUR": queries.invoices_to_validate}
    found = None
    for name, queryset in sets.items():
        if role in (None, name):
            found = queryset(actor) if found is None else found | queryset(actor)
    found = found.filter(common_filters(payload))
    if not type_dp(payload.typeDemandePaiement) or (
            payload.dpOuDpArchive or "DEMANDE_PAIEMENT").upper() != "DEMANDE_PAIEMENT":
        found = found.none()
    found = found.filter(type_facture("typeFacture", [payload.typeFacture]
                                      if payload.typeFacture else None))
    for criterion, field in ((payload.structureFournisseur, "supplier"),
                             (payload.structureDestinataire, "recipient"),
                             (payload.structureValideur, "validator")):
        if criterion is not None and criterion.idStructure is not None:
            found = found.filter(**{f"{field}_id": criterion.idStructure})
        if criterion is not None and criterion.identifiant:
            found = found.filter(**{f"{field}__identifier": criterion.identifiant})
    for field, value in (("supplier_service_id", payload.idServiceFournisseur),
                         ("recipient_service_id", payload.idServiceDestinataire)):
        if value is not None:
            found = found.filter(**{field: value})
    if payload.numeroDpMandat:
        found = found.filter(mandate_number=payload.numeroDpMandat)
    if payload.numeroFactureOrigine:
        found = found.filter(original_invoice_number__icontains=payload.numeroFactureOrigine)
    total = found.count()
    rows = with_related(list(found.order_by("-status_changed_at", "-pk")[:MAX_DEMANDES]))
    return ok(total=total, listeDemandePaiement=[prune({
        "idDemandePaiement": i.pk, "numeroDemandePaiement": i.number or None,
        "typeDemandePaiement": "FACTURE", "typeFacture": i.type_facture,
        "cadreFacturation": i.cadre, "etatCourant": i.status,
        "dateHeureEtatCourant": datetime_wire(i.status_changed_at),
        "dateFournisseur": i.invoice_date.isoformat() if i.invoice_date else None,
        "dateDepot": day_of(i.deposited_at),
        "montantHT": number(i.total_ht), "montantTTC": number(i.total_ttc),
        "montantAPayer": number(i.amount_due),
        "numeroMarche": i.marche_number or None, "numeroBonCommande": i.engagement_number or None,
        "numeroFactureOrigine": i.original_invoice_number or None,
        "idStructureFournisseur": i.supplier_id, "idServiceFournisseur": i.supplier_service_id,
        "idStructureValideur1": i.validator_id, "idStructureValideur2": i.validator2_id,
        "idStructureDestinataire": i.recipient_id,
        "idServiceDestinataire": i.recipient_service_id, "dpOuDpArchive": "DEMANDE_PAIEMENT",
        "commentaireEtatCourant": i.status_comment or None,
        "numeroDpMandat": i.mandate_number or None,
        "codeServiceDestinataire": i.recipient_service.code if i.recipient_service else None,
        "nomServiceDestinataire": i.recipient_service.name if i.recipient_service else None,
        "identifiantStructureFournisseur": i.supplier.identifier,
        "identifiantStructureDestinataire": i.recipient.identifier,
    }) for i in rows])
