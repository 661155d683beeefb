"""Factures — `/cpro/factures/v1/...`: the operations of swagger/factures.json but
`deposer/flux` (the flux feature serves it on its own router at the same prefix).

One more channel onto the invoicing services and queries (house rule 1): the technical
account is the actor, sees the invoices of its own structure only (invoicing.queries), and
every change is one service call in its own transaction. A forged `idFacture` or
`idStructure` is the not-found code, whatever the invoice's owner: nothing is told apart.

The operations are split by who calls them: `factures_fournisseur` (deposit, searches and
answers of the supplier, history), `factures_recipiendaire` (recipient), `factures_valideur`
(validators, and the cross-role `rechercher/demandePaiement`), each with its own router
(`api/urls.py` mounts the three at `/cpro/factures/v1`). This module holds what they share:
filters, sorting columns and the wire shapes of an invoice; it imports none of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import BooleanField, F, Func, OuterRef, Q, QuerySet, Subquery

from choeur.api.envelope import Pagination, bounds, date_wire, datetime_wire
from choeur.api.errors import InvalidField
from choeur.api.structures import choice, designation
from choeur.core import clock
from choeur.core.errors import NotFound
from choeur.invoicing import queries
from choeur.invoicing.models import Cadre, Invoice, TypeFacture
from choeur.invoicing.statuses import Status

ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

NO_RESULT_CODE = 20000
NO_RESULT_LIBELLE = "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"
TYPE_DP = "FACTURE"


def atomic(use_case, *args, **kwargs):
    """One service call in its own transaction (house rule 2: the entry point owns it)."""
    with transaction.atomic():
        return use_case(*args, **kwargs)


def required(field: str, value):
    if value is None:
        raise InvalidField(field=field, detail_fr="obligatoire", detail_en="required")
    return value


def number(value) -> float | None:
    return float(value) if value is not None else None


def text(value) -> str | None:
    return value or None


def day_of(value: datetime | None) -> str | None:
    """A date-time's day in Paris, `YYYY-MM-DD` (what the Go client decodes, §1.5)."""
    return value.astimezone(clock.PARIS).date().isoformat() if value is not None else None


def status_code(field: str, value: str | None) -> str | None:
    return choice(field, value, Status.values)


def any_invoice(actor, invoice_id) -> Invoice:
    """An invoice the actor sees as supplier, recipient or validator; NotFound otherwise."""
    for queryset in (queries.issued_invoices, queries.received_invoices,
                     queries.invoices_to_validate):
        found = queryset(actor).filter(pk=invoice_id).first()
        if found is not None:
            return found
    raise NotFound(object_label="Facture")


def own_structure_id(actor, structure_id) -> None:
    """`idStructure` given by a search: the actor's own structure, or not found."""
    if structure_id is not None and structure_id != actor.structure_id:
        raise NotFound(object_label="Structure")


# --- Filters ------------------------------------------------------------------------------------


def _day_start(day):
    return datetime.combine(day, time(), tzinfo=clock.PARIS)


def period(field: str, start, end) -> Q:
    """`periode...Du/Au` on a date-time field: both days included (Paris time)."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": _day_start(start)})
    if end is not None:
        q &= Q(**{f"{field}__lt": _day_start(end + timedelta(days=1))})
    return q


def common_filters(payload) -> Q:
    """The criteria every invoice search shares (SearchFilters)."""
    q = Q()
    if payload.numeroFacture:
        q &= queries.number_contains(payload.numeroFacture.strip())
    q &= period("deposited_at", payload.periodeDateDepotDu, payload.periodeDateDepotAu)
    q &= period("status_changed_at", payload.periodeDateHeureEtatCourantDu,
                payload.periodeDateHeureEtatCourantAu)
    if payload.periodeDateFactureDu is not None:
        q &= Q(invoice_date__gte=payload.periodeDateFactureDu)
    if payload.periodeDateFactureAu is not None:
        q &= Q(invoice_date__lte=payload.periodeDateFactureAu)
    if payload.cadreFacturation:
        q &= Q(cadre=choice("cadreFacturation", payload.cadreFacturation, Cadre.values))
    if payload.statutCourant:
        q &= Q(status__in=[status_code("statutCourant", s) for s in payload.statutCourant])
    for field, low, high in (("total_ht", payload.montantHTMin, payload.montantHTMax),
                             ("total_ttc", payload.montantTTCMin, payload.montantTTCMax),
                             ("amount_due", getattr(payload, "montantAPayerMin", None)
                              or payload.montantApayerMin,
                              getattr(payload, "montantAPayerMax", None)
                              or payload.montantApayerMax)):
        if low is not None:
            q &= Q(**{f"{field}__gte": low})
        if high is not None:
            q &= Q(**{f"{field}__lte": high})
    if payload.numeroMarche:
        q &= Q(marche_number__icontains=payload.numeroMarche)
    if payload.numeroBonCommande:
        q &= Q(engagement_number__icontains=payload.numeroBonCommande)
    if payload.idStructureValideur is not None:
        q &= Q(validator_id=payload.idStructureValideur) | Q(
            validator2_id=payload.idStructureValideur)
    return q


def type_facture(field: str, values) -> Q:
    if not values:
        return Q()
    return Q(type_facture__in=[choice(field, v, TypeFacture.values) for v in values])


#: Every `typeDemandePaiement` a search names.
TYPES_DP = ["FACTURE", "FACTURE_TRAVAUX", "MEMOIRE_JUSTICE", "DEMANDE_REMBOURSEMENT"]


def type_dp(value: str | None) -> bool:
    """Whether a `typeDemandePaiement` criterion lets invoices through (works invoices,
    mémoires and refund requests do not exist in Choeur yet)."""
    return choice("typeDemandePaiement", value, TYPES_DP) in (None, TYPE_DP)


def flux_filter(numero_flux: str) -> Q:
    """Invoices deposited by a flux (`numeroFluxDepot`, what OCA, Pastell and chorus-api
    search by): those its items created. Nothing matches while the flux feature is absent.

    The flux's invoice ids (500 at most) are read first, along the unique flux number and the
    items' flux key, and the search filters on that list: PostgreSQL then fetches those rows
    by primary key. As an IN-subquery the planner, expecting a handful of rows, hash-joined it
    to every invoice of the supplier instead (350 ms for 50,000 invoices)."""
    from django.apps import apps

    if not apps.is_installed("choeur.flux"):
        return Q(pk__in=[])
    ids = list(apps.get_model("flux", "FluxItem").objects.filter(
        flux__numero=numero_flux.strip(), invoice__isnull=False)
        .order_by().values_list("invoice_id", flat=True))
    return Q(AmongIds(F("pk"), ids))


class AmongIds(Func):
    """`column IN (ids)` with the ids as one query parameter (PostgreSQL: `= ANY(array)`,
    SQLite: `IN (SELECT value FROM json_each(...))`): `pk__in=ids` prepares every value
    through the ORM's lookup machinery, twice for a page and its COUNT — 500 ids (a flux of
    OCA's) cost ~6 ms of CPU per search, more than the search's queries (bench/load.py)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column, ids) -> None:
        super().__init__(column)
        self.ids = [int(pk) for pk in ids]

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s)", [*params, self.ids]
        return (f"{column} IN (SELECT value FROM json_each(%s))",  # noqa: S608 (ORM column)
                [*params, json.dumps(self.ids)])


def with_flux_numbers(found: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """The invoices, each told the `numeroFluxDepot` that deposited it (`flux_numero`), by a
    subquery of the page's own query: PostgreSQL evaluates it for the rows returned only,
    and a COUNT of the same queryset leaves it out."""
    from django.apps import apps

    if not apps.is_installed("choeur.flux"):
        return found
    numero = (apps.get_model("flux", "FluxItem").objects.filter(invoice_id=OuterRef("pk"))
              .order_by().values("flux__numero")[:1])
    return found.annotate(flux_numero=Subquery(numero))


def flux_number(invoice: Invoice) -> str | None:
    """The `numeroFluxDepot` of the flux that deposited the invoice, if one did."""
    from django.apps import apps

    if hasattr(invoice, "flux_numero"):
        return invoice.flux_numero
    if not apps.is_installed("choeur.flux"):
        return None
    return (apps.get_model("flux", "FluxItem").objects.filter(invoice=invoice)
            .values_list("flux__numero", flat=True).first())


#: `triColonne` → model fields, for every search (each operation accepts these names).
COLUMNS = {
    "TypeDemandePaiement": ["pk"], "IdFacture": ["pk"],
    "CodeFournisseur": ["supplier__identifier"], "IdFournisseur": ["supplier_id"],
    "IdentifiantFournisseur": ["supplier__identifier"],
    "TypeIdentifiantFournisseur": ["supplier__identifier_type"],
    "DesignationFournisseur": ["supplier__company_name"],
    "Fournisseur": ["supplier__company_name"],
    "CodeServiceFournisseur": ["supplier_service__code"],
    "NomServiceFournisseur": ["supplier_service__name"],
    "CodeDestinataire": ["recipient__identifier"], "IdDestinataire": ["recipient_id"],
    "IdentifiantDestinataire": ["recipient__identifier"],
    "DesignationDestinataire": ["recipient__company_name"],
    "Destinataire": ["recipient__company_name"],
    "CodeServiceExecutant": ["recipient_service__code"],
    "IdServiceExecutant": ["recipient_service_id"],
    "NomServiceExecutant": ["recipient_service__name"],
    "TypeFacture": ["type_facture"], "NumeroFacture": ["number"],
    "DateFacture": ["invoice_date"], "DateDepot": ["deposited_at"],
    "MontantHT": ["total_ht"], "MontantTTC": ["total_ttc"], "MontantAPayer": ["amount_due"],
    "Devise": ["currency"], "Statut": ["status"], "NumeroMarche": ["marche_number"],
    "NumeroBonCommande": ["engagement_number"], "NumeroEngagement": ["engagement_number"],
    "NumeroFactureOrigine": ["original_invoice_number"], "ModeDepot": ["mode_depot"],
    "FactureTelechargeeParDestinataire": ["downloaded_by_recipient"],
    "IdValideur": ["validator_id"], "DesignationValideur": ["validator__company_name"],
    "IdentifiantValideur": ["validator__identifier"],
    "CodeValideur1": ["validator__identifier"], "DateValidation1": ["validated_at"],
    "DateValidation2": ["validated2_at"],
}
DEFAULT_COLUMN = "DateDepot"


def with_related(invoices: list[Invoice]) -> list[Invoice]:
    """The page's invoices with the structures, services and bank accounts their wire rows
    name, read by primary key in one small query per table, with the columns the rows show
    (the *_row functions below; any other is loaded on first use). Every invoice search of
    the wire API reads its page this way.

    For a search over tens of thousands of invoices: joining the seven tables to the invoice
    costs PostgreSQL ~20 ms of planning on every call (the join orders it weighs), more than
    the page itself; the search stays on the invoice table."""
    from choeur.organisations.models import BankAccount, Service, Structure

    def load(model, fields, ids):
        return model.objects.only(*fields).in_bulk(ids) if ids else {}

    wanted: list[set] = [set(), set(), set()]
    for invoice in invoices:
        for field, kind in _RELATED:
            key = getattr(invoice, field.attname)
            if key is not None:
                wanted[kind].add(key)
    found = [load(Structure, ["identifier", "identifier_type", "company_name", "first_name",
                              "last_name"], wanted[0]),
             load(Service, ["code", "name"], wanted[1]),
             load(BankAccount, ["iban", "label"], wanted[2])]
    for invoice in invoices:
        for field, kind in _RELATED:
            key = getattr(invoice, field.attname)
            if key is not None:
                field.set_cached_value(invoice, found[kind][key])
    return invoices


#: The invoice's foreign keys the wire rows follow, and which of with_related's lookups
#: (structures, services, bank accounts) serves each.
_RELATED = [(Invoice._meta.get_field(name), kind) for name, kind in (
    ("supplier", 0), ("recipient", 0), ("validator", 0), ("validator2", 0),
    ("supplier_service", 1), ("recipient_service", 1), ("bank_account", 2))]


def search_page(found: QuerySet[Invoice], pagination: Pagination | None, *,
                sizes: bool = False, total: Callable[[], int] | None = None,
                ) -> tuple[list[Invoice], dict[str, int]]:
    """envelope.page (same rows, order and `parametresRetour`, same refusal of an unknown
    `triColonne`) with the page read before the count: a page that is not full tells the total
    (the rows before it and its own), so the COUNT runs only for a full page or one past the
    end. A search by number or by flux finds a few invoices, and its COUNT would cost as much
    as its page (the number's trigram scan, again). The rows come with what their wire shape
    names (with_related) and, with `sizes` (`recupererTaille`), their `taille` (with_sizes).
    `total`, when the search has only criteria the invoice tally keeps (tallied), reads the
    count there instead (invoicing/tally.py): a ministry's COUNT is 300 ms at 10 M invoices."""
    pagination = pagination or Pagination()
    size, number = bounds(pagination)
    column = (pagination.triColonne or DEFAULT_COLUMN).lower()
    wanted = {name.lower(): fields for name, fields in COLUMNS.items()}
    if column not in wanted:
        raise InvalidField(
            field="triColonne", detail_fr="valeurs admises : " + ", ".join(COLUMNS),
            detail_en="allowed values: " + ", ".join(COLUMNS))
    descending = pagination.triSens == "Descendant"
    ordering = [(f[1:] if f.startswith("-") else "-" + f) if descending else f
                for f in [*wanted[column], "pk"]]
    start = (number - 1) * size
    rows = list(found.order_by(*ordering)[start:start + size])
    if 0 < len(rows) < size or (not rows and start == 0):
        count = start + len(rows)  # the last page, or nothing at all
    else:
        count = total() if total is not None else found.count()
    with_related(rows)
    if sizes:
        with_sizes(rows)
    return rows, {"pageCourante": number, "pages": math.ceil(count / size),
                  "nbResultatsParPage": size, "total": count}


def tallied(payload, criteria: set[str]) -> bool:
    """Whether a search sets no criterion but `criteria`, those the invoice tally can count
    (structure, service, status, « téléchargée »), paging and options aside: a value of None,
    "" or [] sets nothing, as the filters read it; any other value (a False, a 0) does."""
    return all(name in criteria or value in (None, "", [])
               for name, value in payload)


# --- Wire shapes --------------------------------------------------------------------------------


def _common_row(invoice: Invoice) -> dict:
    return {
        "typeDemandePaiement": TYPE_DP,
        "codeFournisseur": invoice.supplier.identifier,
        "typeIdentifiantFournisseur": invoice.supplier.identifier_type,
        "designationFournisseur": designation(invoice.supplier),
        "codeServiceFournisseur": invoice.supplier_service.code
        if invoice.supplier_service else None,
        "nomServiceFournisseur": invoice.supplier_service.name
        if invoice.supplier_service else None,
        "idDestinataire": invoice.recipient_id,
        "codeDestinataire": invoice.recipient.identifier,
        "designationDestinataire": designation(invoice.recipient),
        "idServiceExecutant": invoice.recipient_service_id,
        "codeServiceExecutant": invoice.recipient_service.code
        if invoice.recipient_service else None,
        "nomServiceExecutant": invoice.recipient_service.name
        if invoice.recipient_service else None,
        "typeFacture": invoice.type_facture,
        "numeroFacture": invoice.number or None,
        "dateFacture": date_wire(invoice.invoice_date),
        "dateDepot": day_of(invoice.deposited_at),
        "montantHT": number(invoice.total_ht),
        "montantTTC": number(invoice.total_ttc),
        "montantAPayer": number(invoice.amount_due),
        "devise": invoice.currency,
        "statut": invoice.status,
        "numeroMarche": text(invoice.marche_number),
        "numeroBonCommande": text(invoice.engagement_number),
    }


def supplier_row(invoice: Invoice, with_size: bool = False) -> dict:
    """RetourRechercherFactureParFournisseur."""
    validator = invoice.validator
    row = {
        "identifiantFactureCPP": invoice.pk, **_common_row(invoice),
        "numeroFluxDepot": flux_number(invoice),
        "typeIdentifiantValideur1": validator.identifier_type if validator else None,
        "codeValideur1": validator.identifier if validator else None,
        "raisonSocialeValideur1": designation(validator) if validator else None,
        "dateValidation1": datetime_wire(invoice.validated_at),
        "typeIdentifiantValideur2": invoice.validator2.identifier_type
        if invoice.validator2 else None,
        "codeValideur2": invoice.validator2.identifier if invoice.validator2 else None,
        "raisonSocialeValideur2": designation(invoice.validator2) if invoice.validator2 else None,
        "dateValidation2": datetime_wire(invoice.validated2_at),
        "numeroFactureOrigine": text(invoice.original_invoice_number),
        "modeDepot": invoice.mode_depot,
        "coordBancairesFournisseurCleIban": invoice.bank_account.iban
        if invoice.bank_account else None,
        "coordBancairesFournisseurNomCb": invoice.bank_account.label
        if invoice.bank_account else None,
        "dateHeureEtatCourant": datetime_wire(invoice.status_changed_at),
        "commentaireEtatCourant": text(invoice.status_comment),
        "rejetTraite": invoice.rejet_traite,
    }
    if with_size:
        row["taille"] = size_of(invoice)
    return _prune(row)


def supplier_to_process_row(invoice: Invoice) -> dict:
    """FactureRechercherATraiterFournisseur."""
    return _prune({"identifiantFactureCPP": invoice.pk, **_common_row(invoice)})


def recipient_row(invoice: Invoice, with_size: bool = False) -> dict:
    """FactureRechercheRecipiendaire."""
    row = {"idFacture": invoice.pk, **_common_row(invoice),
           "factureTelechargeeParDestinataire": invoice.downloaded_by_recipient,
           "dateHeureEtatCourant": datetime_wire(invoice.status_changed_at),
           "commentaireEtatCourant": text(invoice.status_comment)}
    if with_size:
        row["taille"] = size_of(invoice)
    return _prune(row)


def validator_row(invoice: Invoice) -> dict:
    """FactureRechercheValideur (its amounts are integers in the Swagger: rounded)."""
    common = _common_row(invoice)
    validator = invoice.validator
    return _prune({
        "idFacture": invoice.pk, "typeDemandePaiement": TYPE_DP,
        "idFournisseur": invoice.supplier_id,
        "identifiantFournisseur": invoice.supplier.identifier,
        "typeIdentifiantFournisseur": invoice.supplier.identifier_type,
        "designationFournisseur": common["designationFournisseur"],
        "codeServiceFournisseur": common["codeServiceFournisseur"],
        "nomServiceFournisseur": common["nomServiceFournisseur"],
        "idDestinataire": invoice.recipient_id,
        "typeIdentifiantDestinataire": invoice.recipient.identifier_type,
        "identifiantDestinataire": invoice.recipient.identifier,
        "designationDestinataire": common["designationDestinataire"],
        "idServiceExecutant": invoice.recipient_service_id,
        "codeServiceExecutant": common["codeServiceExecutant"],
        "nomServiceExecutant": common["nomServiceExecutant"],
        "idValideur": validator.pk if validator else None,
        "typeIdentifiantValideur": validator.identifier_type if validator else None,
        "identifiantValideur": validator.identifier if validator else None,
        "designationValideur": designation(validator) if validator else None,
        "typeFacture": invoice.type_facture, "numeroFacture": invoice.number or None,
        "dateFacture": common["dateFacture"], "dateDepot": common["dateDepot"],
        "montantHT": round(invoice.total_ht), "montantTTC": round(invoice.total_ttc),
        "montantAPayer": round(invoice.amount_due), "devise": invoice.currency,
        "statut": invoice.status, "numeroMarche": common["numeroMarche"],
        "numeroEngagement": common["numeroBonCommande"],
    })


def size_of(invoice: Invoice) -> int:
    """`taille`: the invoice's document and attachments, in bytes."""
    from choeur.core.models import Blob

    if hasattr(invoice, "wire_taille"):
        return invoice.wire_taille
    main = Blob.objects.filter(pk=invoice.main_file_sha256).values_list(
        "size", flat=True).first() if invoice.main_file_sha256 else 0
    return (main or 0) + sum(a.size for a in invoice.attachments.all())


def with_sizes(invoices: list[Invoice]) -> list[Invoice]:
    """A search page's `taille` (`recupererTaille`), size_of for every row in two queries
    instead of two per row."""
    from django.db.models import Sum

    from choeur.core.models import Blob
    from choeur.invoicing.models import Attachment

    documents = {invoice.main_file_sha256 for invoice in invoices if invoice.main_file_sha256}
    sizes = dict(Blob.objects.filter(pk__in=documents).values_list("pk", "size")
                 ) if documents else {}
    attached = dict(Attachment.objects.filter(invoice__in=[i.pk for i in invoices]).order_by()
                    .values("invoice").annotate(total=Sum("size"))
                    .values_list("invoice", "total")) if invoices else {}
    for invoice in invoices:
        invoice.wire_taille = sizes.get(invoice.main_file_sha256, 0) + (
            attached.get(invoice.pk) or 0)
    return invoices


def detail(invoice: Invoice, *, issued: bool) -> dict:
    """FactureCppEmise (`issued`: consulter/fournisseur, /valideur) or FactureCpp
    (consulter/recipiendaire)."""
    supplier, recipient = invoice.supplier, invoice.recipient
    service, account = invoice.recipient_service, invoice.bank_account
    destinataire = {
        "idDestinataire": recipient.pk, "codeDestinataire": recipient.identifier,
        "libelleDestinataire": designation(recipient),
        "idServiceExecutant": service.pk if service else None,
        "codeServiceExecutant": service.code if service else None,
        "libelleServiceExecutant": service.name if service else None,
        "adresseDestinataireDetail": text(recipient.address_line1),
        "adresseDestinataireCodePostal": text(recipient.postcode),
        "adresseDestinataireVille": text(recipient.city),
        "adresseDestinataireCodePays": text(recipient.country),
    }
    fournisseur = {
        "idFournisseur": supplier.pk, "typeIdentifiantFournisseur": supplier.identifier_type,
        "codeFournisseur": supplier.identifier,
        "idServiceFournisseur": invoice.supplier_service_id,
        "codeServiceFournisseur": invoice.supplier_service.code
        if invoice.supplier_service else None,
        "libelleServiceFournisseur": invoice.supplier_service.name
        if invoice.supplier_service else None,
        "adresseFournisseurDetail": text(supplier.address_line1),
        "adresseFournisseurCodePostal": text(supplier.postcode),
        "adresseFournisseurVille": text(supplier.city),
        "adresseFournisseurCodePays": text(supplier.country),
        "numeroRcsFournisseur": text(supplier.rcs_number),
        "coordBancairesFournisseurId": account.pk if account else None,
        "coordBancairesFournisseurType": "IBAN" if account else None,
        "coordBancairesFournisseurCleIban": account.iban if account else None,
        "coordBancairesBicSwift": text(account.bic) if account else None,
        "coordBancairesFournisseurLibelle": account.label if account else None,
    }
    if issued:
        destinataire["designationDestinataire"] = designation(recipient)
        fournisseur["raisonSocialeFournisseur"] = text(supplier.company_name)
        fournisseur["designationFournisseur"] = designation(supplier)
    else:
        fournisseur["designationFournisseur"] = designation(supplier)
    validator = invoice.validator
    lines = list(invoice.lines.all())
    vat_lines = list(invoice.vat_lines.all())
    attachments = list(invoice.attachments.all())
    facture = {
        "identifiantFactureCPP": invoice.pk, "numeroFacture": invoice.number or None,
        "statutFacture": invoice.status, "modeDepot": invoice.mode_depot,
        "destinataire": destinataire, "fournisseur": fournisseur,
        "cadreDeFacturation": {
            "codeCadreFacturation": invoice.cadre,
            "idValideur1": validator.pk if validator else None,
            "typeIdentifiantValideur1": validator.identifier_type if validator else None,
            "codeValideur1": validator.identifier if validator else None,
            "raisonSocialeValideur1": designation(validator) if validator else None,
            "dateValidation1": datetime_wire(invoice.validated_at),
            "idValideur2": invoice.validator2_id,
            "dateValidation2": datetime_wire(invoice.validated2_at),
        },
        "references": {
            "dateFacture": date_wire(invoice.invoice_date),
            "dateDepot": day_of(invoice.deposited_at),
            "codeDeviseFacture": invoice.currency, "typeFacture": invoice.type_facture,
            "typeTva": invoice.type_tva,
            "motifExonerationTva": text(invoice.vat_exemption_reason),
            "numeroMarche": text(invoice.marche_number),
            "numeroBonCommande": text(invoice.engagement_number),
            "numeroFactureOrigine": text(invoice.original_invoice_number),
            "modePaiement": text(invoice.payment_mode),
            "dateCreationFacture": datetime_wire(invoice.created_at),
            "numeroDpMandat": text(invoice.mandate_number),
        },
        "recapitulatifDeTva": {
            "ligneTva": [{"ligneTvaTauxManuel": number(v.rate),
                          "ligneTvaMontantBaseHtParTaux": number(v.base_ht),
                          "ligneTvaMontantTvaParTaux": number(v.amount)} for v in vat_lines],
            **_paging("LignesRecapitulativesTVA", len(vat_lines)),
        },
        "montantTotal": {
            "montantHtTotal": number(invoice.total_ht), "montantTVA": number(invoice.total_tva),
            "montantTtcAvantRemiseGlobalTTC": number(invoice.total_ttc),
            "montantTtcTotal": number(invoice.total_ttc),
            "montantAPayer": number(invoice.amount_due),
        },
        # The deposited document: the file uploaded ahead (deposer/pdf, ajouter/fichier)
        # keeps its id, as the supplier's software knows it; otherwise the invoice's own id,
        # which telecharger/groupe takes.
        "pieceJointePrincipale": {
            "idLiaisonPieceJointePrincipale": invoice.pk,
            "idPieceJointePrincipale": _main_piece_id(invoice),
        } if invoice.has_document else None,
        "listeDesPiecesJointes": {
            "pieceJointe": [{"pieceJointeId": a.pk, "pieceJointeDesignation": a.name,
                             "pieceJointeExtension": a.name.rsplit(".", 1)[-1].upper()
                             if "." in a.name else None} for a in attachments],
            **_paging("ListePiecesJointe", len(attachments)),
        },
        "lignesDePoste": {
            "lignePoste": [{
                "lignePosteNumero": line.number,
                "lignePosteReference": text(line.reference),
                "lignePosteDenomination": line.designation,
                "lignePosteQuantite": number(line.quantity),
                "lignePosteUniteLibelle": text(line.unit),
                "lignePosteMontantUnitaireHT": number(line.unit_price),
                "lignePosteMontantRemiseHT": number(line.discount),
                "lignePosteTauxTvaManuel": number(line.vat_rate),
                "lignePosteMontantHtApresRemise": number(line.total_ht),
            } for line in lines],
            **_paging("LignesPoste", len(lines)),
        },
        "commentaire": text(invoice.comment),
    }
    if issued:
        facture["rejetTraite"] = invoice.rejet_traite
    return _prune(facture)


def _main_piece_id(invoice: Invoice) -> int:
    try:
        return invoice.upload.pk
    except Invoice.upload.RelatedObjectDoesNotExist:
        return invoice.pk


def _paging(suffix: str, total: int) -> dict:
    return {f"pageCourante{suffix}": 1, f"pages{suffix}": 1 if total else 0,
            f"nbResultatsParPage{suffix}": max(total, 1), f"total{suffix}": total}


def _prune(value):
    """Leave out the absent (None) values, at every depth."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def prune(value):
    return _prune(value)

