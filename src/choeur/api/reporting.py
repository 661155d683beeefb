"""Choeur's own dashboards on the wire (not in Chorus Pro), under `/cpro/reporting/v1`, with
the same authentication and envelope as every other operation: the figures of the portal's
« Tableau de bord » (reporting/queries.py), for the technical account's own structure only.

destinataire
    `{idStructure (optional: the account's own), dateDebut, dateFin (YYYY-MM-DD, both days
    included; default the last twelve months), idService, identifiantFournisseur}` →
    `volumesParMois` (mois, nombreFactures, montantTtc), `delaisTraitement` (etape,
    nombreFactures, medianeJours), `rejetsSuspensions` (nombreFacturesRecues, and per status
    nombreFactures, tauxPourcent, motifs), `retardsPaiement` (absent while payment dates are
    not kept).
fournisseur
    `{idStructure, dateDebut, dateFin, idService, identifiantDestinataire}` →
    `facturesParStatut` (statut, nombreFactures, montantTtc), `delaisPaiementParDestinataire`
    (identifiantDestinataire, nomDestinataire, nombreFacturesPayees, delaiMoyenJours).

Bad filters are `REPORT_*` errors: a malformed date or an inverted period codeRetour 20002
(HTTP 400); another structure's id, a service or a partner the structure does not deal with
`REPORT_FILTER_NOT_FOUND`, codeRetour 20001 (HTTP 404), the same answer as one that does not
exist.
"""

from __future__ import annotations

from ninja import Router, Schema

from choeur.api.envelope import Id, Text, WireIn, ok
from choeur.api.schemas import ErrorOut, WsRetour
from choeur.reporting import queries

router = Router(tags=["Tableaux de bord (Choeur)"])
ERRORS = frozenset({400, 401, 403, 404, 500})


class Periode(WireIn):
    idStructure: Id = None
    dateDebut: Text = None
    dateFin: Text = None
    idService: Id = None


class DestinataireParam(Periode):
    identifiantFournisseur: Text = None


class FournisseurParam(Periode):
    identifiantDestinataire: Text = None


class VolumeMois(Schema):
    mois: str
    nombreFactures: int
    montantTtc: float


class DelaiEtape(Schema):
    etape: str
    nombreFactures: int
    medianeJours: float | None = None


class Motif(Schema):
    motif: str
    nombreFactures: int
    tauxPourcent: float


class RejetSuspension(Schema):
    statut: str
    nombreFactures: int
    tauxPourcent: float
    motifs: list[Motif]


class Retard(Schema):
    nombreFactures: int
    montant: float
    retardMoyenJours: float | None = None
    retardMaximalJours: int | None = None


class RetardsPaiement(Schema):
    payeesEnRetard: Retard
    echuesNonPayees: Retard


class WsRetourDestinataire(WsRetour):
    idStructure: int
    dateDebut: str
    dateFin: str
    nombreFacturesRecues: int
    volumesParMois: list[VolumeMois]
    delaisTraitement: list[DelaiEtape]
    rejetsSuspensions: list[RejetSuspension]
    retardsPaiement: RetardsPaiement | None = None


class StatutVolume(Schema):
    statut: str
    nombreFactures: int
    montantTtc: float


class DelaiDestinataire(Schema):
    identifiantDestinataire: str
    nomDestinataire: str
    nombreFacturesPayees: int
    delaiMoyenJours: float


class WsRetourFournisseur(WsRetour):
    idStructure: int
    dateDebut: str
    dateFin: str
    facturesParStatut: list[StatutVolume]
    delaisPaiementParDestinataire: list[DelaiDestinataire]


def _filters(actor, side, payload, partner):
    return queries.filters(actor, side, structure=payload.idStructure,
                           start=payload.dateDebut, end=payload.dateFin,
                           service=payload.idService, partner=partner)


def _late(item: dict) -> dict:
    return {"nombreFactures": item["count"], "montant": float(item["amount"]),
            "retardMoyenJours": item["mean_days"], "retardMaximalJours": item["max_days"]}


@router.post("/destinataire", operation_id="tableauDeBordDestinataire", exclude_none=True,
             response={200: WsRetourDestinataire, ERRORS: ErrorOut})
def destinataire(request, payload: DestinataireParam):
    """Choeur : les chiffres du tableau de bord d'une structure destinataire (volumes par
    mois, délais de traitement médians, rejets et suspensions par motif, retards de
    paiement) sur une période."""
    actor = request.auth
    f = _filters(actor, queries.RECIPIENT, payload, payload.identifiantFournisseur)
    rates = queries.rejection_rates(actor, f)
    late = queries.late_payments(actor, f)
    return ok(
        idStructure=f.structure.pk, dateDebut=f.start.isoformat(), dateFin=f.end.isoformat(),
        nombreFacturesRecues=rates["total"],
        volumesParMois=[{"mois": row["month"].strftime("%Y-%m"), "nombreFactures": row["count"],
                         "montantTtc": float(row["amount"])}
                        for row in queries.volumes(actor, f)],
        delaisTraitement=[{"etape": row["step"].upper(), "nombreFactures": row["count"],
                           "medianeJours": row["median_days"]}
                          for row in queries.processing_times(actor, f)],
        rejetsSuspensions=[{"statut": status, "nombreFactures": part["count"],
                            "tauxPourcent": part["rate"],
                            "motifs": [{"motif": r["reason"], "nombreFactures": r["count"],
                                        "tauxPourcent": r["rate"]} for r in part["reasons"]]}
                           for status, part in rates["statuses"].items()],
        retardsPaiement=None if late is None else {
            "payeesEnRetard": _late(late["paid_late"]),
            "echuesNonPayees": _late(late["unpaid_overdue"])})


@router.post("/fournisseur", operation_id="tableauDeBordFournisseur", exclude_none=True,
             response={200: WsRetourFournisseur, ERRORS: ErrorOut})
def fournisseur(request, payload: FournisseurParam):
    """Choeur : les chiffres du tableau de bord d'une structure fournisseur (factures par
    statut, délai moyen de paiement par destinataire) sur une période."""
    actor = request.auth
    f = _filters(actor, queries.SUPPLIER, payload, payload.identifiantDestinataire)
    return ok(
        idStructure=f.structure.pk, dateDebut=f.start.isoformat(), dateFin=f.end.isoformat(),
        facturesParStatut=[{"statut": row["status"], "nombreFactures": row["count"],
                            "montantTtc": float(row["amount"])}
                           for row in queries.by_status(actor, f)],
        delaisPaiementParDestinataire=[
            {"identifiantDestinataire": row["identifier"], "nomDestinataire": row["recipient"],
             "nombreFacturesPayees": row["count"], "delaiMoyenJours": row["mean_days"]}
            for row in queries.payment_times(actor, f)])
