"""Structures — `/cpro/structures/v1/...`, the 6 operations of swagger/structures.json.

What a technical account may read: every public structure (the annuaire is public: suppliers
look their recipients up, their services and parameters) and its own structure; another
private structure is "not found", whatever id is forged (organisations.permissions).
`restreindreStructuresPrivees` is accepted and changes nothing: private structures other
than one's own are never listed.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from django.db.models import Q
from ninja import Router

from choeur.api import schemas as s
from choeur.api.envelope import datetime_wire, minutes_wire, ok, page
from choeur.api.errors import InvalidField
from choeur.core import clock
from choeur.core.errors import NotFound
from choeur.organisations import permissions
from choeur.organisations.models import (
    Espace,
    IdentifierType,
    OpenEspace,
    Rattachement,
    Structure,
)

router = Router(tags=["Structures"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

#: `codeEspace` (an integer on the wire) of each espace; never renumbered.
ESPACE_CODES = {
    Espace.FACTURES_EMISES: 1, Espace.FACTURES_RECUES: 2, Espace.FACTURES_A_VALIDER: 3,
    Espace.FACTURES_TRAVAUX: 4, Espace.ENGAGEMENTS: 5, Espace.SOLLICITATIONS_EMISES: 6,
    Espace.SOLLICITATIONS_RECUES: 7, Espace.RACCORDEMENTS: 8,
    Espace.COORDONNEES_BANCAIRES: 9, Espace.ACTIVITES_GESTIONNAIRE: 10,
    Espace.MON_COMPTE: 11,
}


def choice(field: str, value: str | None, allowed) -> str | None:
    """`value` if it is one of `allowed` (case and surrounding spaces forgiven)."""
    if value is None:
        return None
    allowed = [str(a) for a in allowed]
    for candidate in allowed:
        if value.strip().upper() == candidate.upper():
            return candidate
    raise InvalidField(field=field, detail_fr="valeurs admises : " + ", ".join(allowed),
                       detail_en="allowed values: " + ", ".join(allowed))


def required(field: str, value):
    if value is None:
        raise InvalidField(field=field, detail_fr="obligatoire", detail_en="required")
    return value


def designation(structure: Structure) -> str:
    if structure.company_name:
        return structure.company_name
    return " ".join(filter(None, [structure.first_name, structure.last_name]))


def readable_structure(actor, structure_id) -> Structure:
    """A structure the actor may look up (public, or its own); NotFound otherwise."""
    try:
        return permissions.directory(actor).get(pk=int(structure_id))
    except (Structure.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Structure") from None


def own_structure(actor, structure_id=None, identifier=None, identifier_type=None) -> Structure:
    """The actor's own structure, named by id or by identifier; NotFound for any other."""
    if structure_id is not None:
        return permissions.structure_for(actor, structure_id)
    if identifier is None:
        raise InvalidField(field="idStructure", detail_fr="obligatoire (ou identifiantStructure)",
                           detail_en="required (or identifiantStructure)")
    found = permissions.visible_structures(actor).filter(
        identifier=re.sub(r"\s", "", identifier))
    if identifier_type:
        found = found.filter(identifier_type=choice("typeIdentifiantStructure",
                                                    identifier_type, IdentifierType.values))
    structure = found.first()
    if structure is None:
        raise NotFound(object_label="Structure")
    return structure


def services_seen(actor, structure: Structure):
    """All services of one's own structure; the current ones of a public structure
    (permissions.directory_services, which the referential's searches use too)."""
    return permissions.directory_services(actor).filter(structure=structure)


# --- rechercher ------------------------------------------------------------------------------


@router.post("/rechercher", operation_id="rechercherStructure", exclude_none=True,
             response={200: s.WsRetourRechercherStructure, ERRORS: s.ErrorOut})
def rechercher(request, payload: s.RechercherStructureParam):
    criteria = payload.structure or s.RechercherStructureInput()
    found = permissions.directory(request.auth)
    filters = Q()
    if criteria.identifiantStructure:
        filters &= Q(identifier=re.sub(r"\s", "", criteria.identifiantStructure))
    if criteria.typeIdentifiantStructure:
        filters &= Q(identifier_type=choice("typeIdentifiantStructure",
                                            criteria.typeIdentifiantStructure,
                                            IdentifierType.values))
    if criteria.typeStructure:
        filters &= Q(kind=choice("typeStructure", criteria.typeStructure, ["PRIVEE", "PUBLIQUE"]))
    if criteria.statutStructure:
        status = choice("statutStructure", criteria.statutStructure, ["ACTIF", "INACTIF"])
        filters &= Q(is_active=status == "ACTIF")
    for text in (criteria.libelleStructure, criteria.raisonSocialeStructure):
        if text:
            filters &= Q(company_name__icontains=text)
    if criteria.nomStructure:
        filters &= Q(last_name__icontains=criteria.nomStructure)
    if criteria.prenomStructure:
        filters &= Q(first_name__icontains=criteria.prenomStructure)
    if criteria.adresseCodePays:
        filters &= Q(country__iexact=criteria.adresseCodePays)
    if criteria.adresseCodePostal:
        filters &= Q(postcode__startswith=criteria.adresseCodePostal)
    if criteria.adresseVille:
        filters &= Q(city__icontains=criteria.adresseVille)
    if criteria.estMOA:
        filters &= Q(moa=True)
    if criteria.estMOAUniquement:
        filters &= Q(moa_only=True)
    rows, paging = page(found.filter(filters), payload.parametres, default="IdentifiantStructure",
                        columns={"IdentifiantStructure": ["identifier"],
                                 "DesignationStructure": ["company_name"],
                                 "TypeIdentifiantStructure": ["identifier_type"],
                                 "Statut": ["-is_active"]})
    return ok(listeStructures=[{
        "idStructureCPP": structure.pk,
        "identifiantStructure": structure.identifier,
        "typeIdentifiantStructure": structure.identifier_type,
        "designationStructure": designation(structure),
        "statut": "ACTIVE" if structure.is_active else "INACTIVE",
    } for structure in rows], parametresRetour=paging)


# --- consulter -------------------------------------------------------------------------------


@router.post("/consulter", operation_id="consulterStructureAvecTVAIntraCom", exclude_none=True,
             response={200: s.WsRetourConsulterStructure, ERRORS: s.ErrorOut})
def consulter(request, payload: s.ConsulterStructureParam):
    actor = request.auth
    structure = readable_structure(actor, required("idStructureCPP", payload.idStructureCPP))
    own = permissions.is_member(actor, structure)
    duplicates = list(structure.duplicates.values_list("pk", flat=True))
    expiry = None
    if own and permissions.is_technical_account(actor):
        expiry = datetime_wire(actor.password_expires_at)
    informations = {
        "idStructureCPP": structure.pk,
        "identifiantStructure": structure.identifier,
        "typeIdentifiantStructure": structure.identifier_type,
        "libelleStructure": designation(structure),
        "raisonSocialeStructure": structure.company_name or None,
        "nomStructure": structure.last_name or None,
        "prenomStructure": structure.first_name or None,
        # Contact data of another structure is not the annuaire's to give.
        "emailStructure": (structure.email or None) if own else None,
        "numeroRcsStructure": structure.rcs_number or None,
        "numeroTVA": structure.vat_number or None,
        "structurePriveePublique": structure.kind,
        "estValideurDeleguee": False,
        "idStructureOrigine": structure.origin_id,
        "listeStructureDupliquees": [{"structureDupliquee": pk} for pk in duplicates],
        "dateExpirationMotPasseCompteTech": expiry,
    }
    return ok(
        informationGenerales=informations,
        adressePostaleDuSiege={
            "adresse": structure.address_line1 or None,
            "complementAdresse1": structure.address_line2 or None,
            "codePostal": structure.postcode or None,
            "ville": structure.city or None,
            "pays": structure.country or None,
        },
        parametres={
            "codeServiceDoitEtreRenseigne": structure.service_code_required,
            "numeroEJDoitEtreRenseigne": structure.engagement_required,
            "gestionNumeroEJOuCodeService": structure.engagement_or_service_required,
            "connexionEDI": structure.edi_connection,
            "recevoirDonneesViaEDI": structure.receives_via_edi,
            "estMoaUniquement": structure.moa_only,
            "estValideurDelegue": False,
            "getaMoa": structure.moa,
            "nonDiffusibleInsee": False,
            "statutMiseEnPaiementNestPasRemonte": structure.payment_status_not_reported,
        },
    )


# --- rechercher/services ---------------------------------------------------------------------


@router.post("/rechercher/services", operation_id="rechercherServicesStructure",
             exclude_none=True,
             response={200: s.WsRetourRechercherServicesStructure, ERRORS: s.ErrorOut})
def rechercher_services(request, payload: s.RechercherServicesStructureParam):
    actor = request.auth
    structure = readable_structure(actor, required("idStructure", payload.idStructure))
    rows, paging = page(services_seen(actor, structure),
                        payload.parametresRechercherServicesStructure, default="CodeService",
                        columns={"CodeService": ["code"], "LibelleService": ["name"],
                                 "DateDbtService": ["valid_from"],
                                 "DateFinService": ["valid_until"], "EstActif": ["-is_active"]})
    return ok(listeServices=[{
        "idService": service.pk,
        "codeService": service.code,
        "libelleService": service.name,
        "statutService": "ACTIF" if service.is_active else "INACTIF",
        "estActif": service.is_active,
        "dateDbtService": minutes_wire(service.valid_from or service.created_at),
        "dateFinService": minutes_wire(service.valid_until),
    } for service in rows], parametresRetour=paging)


# --- consulter/service -----------------------------------------------------------------------


@router.post("/consulter/service", operation_id="consulterServiceStructure", exclude_none=True,
             response={200: s.WsRetourConsulterServiceStructure, ERRORS: s.ErrorOut})
def consulter_service(request, payload: s.ConsulterServiceStructureParam):
    actor = request.auth
    structure = readable_structure(actor, required("idStructure", payload.idStructure))
    service = services_seen(actor, structure).filter(
        pk=required("idService", payload.idService)).first()
    if service is None:
        raise NotFound(object_label="Service")
    return ok(
        informationsGenerales={"codeService": service.code, "nomService": service.name,
                               "descriptionService": service.description or None},
        adressePostale={"adresse": service.address_line1 or None,
                        "codePostal": service.postcode or None,
                        "ville": service.city or None},
        parametres={
            "dateCreation": datetime_wire(service.created_at),
            "dateDebutValidite": _day_start(service.valid_from),
            "dateFinValidite": _day_start(service.valid_until),
            "dateModification": datetime_wire(service.updated_at),
            "miseEnPaiement": service.payment_status_reported,
            "numeroEngagement": service.engagement_required,
        },
    )


def _day_start(day) -> str | None:
    """A validity date as a date-time: the start of that day in Paris."""
    if day is None:
        return None
    return datetime_wire(datetime.combine(day, time(), tzinfo=clock.PARIS))


# --- lister/rattachementsutilisateur ---------------------------------------------------------


@router.post("/lister/rattachementsutilisateur",
             operation_id="listerRattachementsStructureUtilisateur", exclude_none=True,
             response={200: s.WsRetourListerRattachements, ERRORS: s.ErrorOut})
def lister_rattachements(request, payload: s.ListerRattachementsParam):
    """A user's rattachement to the actor's own structure, service by service."""
    actor = request.auth
    structure = own_structure(actor, payload.idStructure, payload.identifiantStructure,
                              payload.typeIdentifiantStructure)
    rattachements = Rattachement.objects.filter(structure=structure)
    if payload.idUtilisateur is not None:
        rattachements = rattachements.filter(user_id=payload.idUtilisateur)
    elif payload.adresseEmailConnexionUtilisateur:
        rattachements = rattachements.filter(
            user__email__iexact=payload.adresseEmailConnexionUtilisateur)
    else:
        raise InvalidField(field="idUtilisateur",
                           detail_fr="obligatoire (ou adresseEmailConnexionUtilisateur)",
                           detail_en="required (or adresseEmailConnexionUtilisateur)")
    rattachement = rattachements.order_by("-requested_at", "-pk").first()
    if rattachement is None:
        raise NotFound(object_label="Utilisateur")
    services = list(rattachement.services.all()) or list(structure.services.all())
    rows = [{
        "idRattachement": rattachement.pk, "idService": service.pk,
        "codeService": service.code, "nomService": service.name,
        "statutRattachement": rattachement.status,
        "dateDebut": datetime_wire(rattachement.decided_at or rattachement.requested_at),
        "commentaire": rattachement.reason or None,
        "pk": service.pk,
    } for service in services]
    rows, paging = page(rows, payload.parametresListerRattachementsStructureUtilisateur,
                        default="CodeService",
                        columns={"CodeService": ["codeService"], "NomService": ["nomService"],
                                 "StatutRattachement": ["statutRattachement"]})
    for row in rows:
        row.pop("pk")
    return ok(idStructure=structure.pk, identifiantStructure=structure.identifier,
              designationStructure=designation(structure), premierService=False,
              listeServices=rows, parametresRetour=paging)


# --- rechercher/espaces ----------------------------------------------------------------------


@router.post("/rechercher/espaces", operation_id="rechercherEspaces", exclude_none=True,
             response={200: s.WsRetourRechercherEspaces, ERRORS: s.ErrorOut})
def rechercher_espaces(request, payload: s.RechercherEspacesParam):
    """The espaces open on the actor's own structure, and what the actor may do in each."""
    actor = request.auth
    named = payload.structure or s.StructureEspaces()
    structure = own_structure(actor, named.idStructure, named.identifiantStructure,
                              named.typeIdentifiantStructure)
    service = None
    if payload.idService is not None:
        service = structure.services.filter(pk=payload.idService).first()
        if service is None:
            raise NotFound(object_label="Service")
    rows = []
    for espace in OpenEspace.objects.filter(structure=structure):
        mode = permissions.espace_mode(actor, structure, espace.espace)
        if mode is None:
            continue
        rows.append({
            "idEspaceFo": espace.pk, "codeEspace": ESPACE_CODES.get(espace.espace, 0),
            "libelleEspace": str(Espace(espace.espace).label),
            "idService": service.pk if service else None,
            "codeService": service.code if service else None,
            "libelleService": service.name if service else None,
            "etatCourant": "ACTIVE",
            "typeHabilitation": "MODIFICATION" if mode == "MODIFICATION"
            else "CONSULTATION_UNIQUEMENT",
            "pk": espace.pk,
        })
    rows, paging = page(rows, payload.parametresRechercherEspaces, default="CodeEspace",
                        columns={"CodeEspace": ["codeEspace"], "LibelleEspace": ["libelleEspace"],
                                 "idEspaceFo": ["idEspaceFo"], "etatCourant": ["etatCourant"],
                                 "TypeHabilitation": ["typeHabilitation"],
                                 "CodeService": ["codeService"],
                                 "LibelleService": ["libelleService"],
                                 "IdService": ["idService"]})
    for row in rows:
        row.pop("pk")
    return ok(listeEspace=rows, parametresRetour=paging)
