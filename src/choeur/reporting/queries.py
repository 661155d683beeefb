"""The dashboards' figures (docs/CONSERVATION.md « Dashboards »): read side only, one function
per figure, always over the invoices the actor may see.

Every figure starts from `invoicing.queries.received_invoices` (a recipient's dashboard) or
`issued_invoices` (a supplier's), narrowed to one structure the actor sees that espace of,
then to the filters: the deposit date in the period (Paris days, both ends included), a
service of that structure (among those the actor's rattachement is limited to), a partner
(supplier or recipient) by identifier. A structure, service or partner the actor may not see
is `REPORT_FILTER_NOT_FOUND`, the same answer as one that does not exist: a forged id
discloses nothing. `filters()` checks everything before any figure is computed.

Every figure reads the rollup `InvoiceFacts` (models.py, kept by facts.py in the transaction
that changes an invoice), scoped as `received_invoices` / `issued_invoices` scope the
invoices (`_facts`): one indexed aggregate over one table, an index-only scan of the
structure's period on PostgreSQL. Durations are the facts' days from the deposit
(`Invoice.deposited_at`) to the first MISE_A_DISPOSITION, to the recipient's first action
(the first status the transition table lets the recipient set from MISE_A_DISPOSITION), to
the first MISE_EN_PAIEMENT; medians in days. Late payments read the facts' copies of
`Invoice.payment_due_on` and `paid_at` (kept by invoicing/delays.py).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet, Sum

from choeur.core import clock
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import RECIPIENT_VISIBLE, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Service, Structure
from choeur.reporting import errors, facts
from choeur.reporting.models import InvoiceFacts

PARIS = ZoneInfo("Europe/Paris")
RECIPIENT = "destinataire"
SUPPLIER = "fournisseur"
SIDES = {RECIPIENT: Espace.FACTURES_RECUES, SUPPLIER: Espace.FACTURES_EMISES}
#: The longest period a dashboard covers (three years and a day or two).
MAX_DAYS = 1100
#: Reasons shown one by one per status; the rest are summed up as « Autres motifs ».
TOP_REASONS = 8
REASON_LENGTH = facts.REASON_LENGTH
NO_REASON = facts.NO_REASON
OTHER_REASONS = "(autres motifs)"

#: The recipient's first action: any status it may set on an invoice put at its disposal.
RECIPIENT_ACTIONS = tuple(sorted(facts.RECIPIENT_ACTIONS))
#: Processing steps: (key, the facts' column of days from the deposit to it).
STEPS = (
    ("mise_a_disposition", "days_to_available"),
    ("premiere_action", "days_to_first_action"),
    ("mise_en_paiement", "days_to_payment"),
)


@dataclass(frozen=True)
class Filters:
    side: str
    structure: Structure
    start: date
    end: date
    service: Service | None = None
    partner: Structure | None = None
    partner_ids: tuple[int, ...] = ()

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=PARIS)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=PARIS)

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months


# --- Filters -----------------------------------------------------------------------------

def structures(actor, side: str) -> list[Structure]:
    """The structures whose dashboard on `side` the actor may read."""
    espace = SIDES[side]
    if permissions.is_technical_account(actor):
        own = permissions.technical_structure(actor)
        candidates = [] if own is None else [own]
    else:
        candidates = permissions.visible_structures(actor).order_by("company_name", "pk")
    return [s for s in candidates if permissions.can_see(actor, s, espace)]


def services(actor, structure: Structure, side: str) -> list[Service]:
    """The services of `structure` the actor may filter on (its rattachement's, if limited)."""
    limited = permissions.services_of(actor, structure)
    if limited is not None:
        return sorted(limited, key=lambda s: s.code)
    return list(structure.services.order_by("code"))


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months: the first day of the month eleven months ago to today."""
    today = today or clock.today()
    month = today.replace(day=1)
    for _ in range(11):
        month = (month - timedelta(days=1)).replace(day=1)
    return month, today


def parse_day(field: str, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise errors.DateInvalid(field=field, value=text[:40]) from None


def _not_found(label: str, label_en: str):
    return errors.FilterNotFound(label=label, label_en=label_en)


def filters(actor, side: str, *, structure=None, start=None, end=None, service=None,
            partner=None) -> Filters:
    """Check the filters as given (strings from a form or a wire body): dates first, then
    the structure (an id among `structures()`; the first one when absent), the service (an
    id among `services()`), the partner (an identifier, e.g. a SIRET, of a structure with
    invoices from or to this one that the actor sees)."""
    first = parse_day("Du", start)
    last = parse_day("Au", end)
    default_start, default_end = default_period()
    first = first or (default_start if last is None else
                      (last - timedelta(days=364)))
    last = last or max(default_end, first)
    if first > last:
        raise errors.PeriodInverted(start=first.isoformat(), end=last.isoformat())
    if (last - first).days + 1 > MAX_DAYS:
        raise errors.PeriodTooLong(limit=MAX_DAYS)

    mine = structures(actor, side)
    if structure in (None, ""):
        if not mine:
            raise _not_found("Structure", "Structure")
        chosen = mine[0]
    else:
        chosen = next((s for s in mine if str(s.pk) == str(structure).strip()), None)
        if chosen is None:
            raise _not_found("Structure", "Structure")

    picked_service = None
    if service not in (None, ""):
        picked_service = next((s for s in services(actor, chosen, side)
                               if str(s.pk) == str(service).strip()), None)
        if picked_service is None:
            raise _not_found("Service", "Service")

    partner_row, partner_ids = None, ()
    if partner not in (None, ""):
        identifier = str(partner).strip()[:80]
        candidates = list(Structure.objects.filter(identifier=identifier))
        partner_ids = tuple(c.pk for c in candidates)
        seen = Filters(side, chosen, first, last)
        field = "supplier_id__in" if side == RECIPIENT else "recipient_id__in"
        if not partner_ids or not _facts(actor, seen).filter(**{field: partner_ids}).exists():
            raise (_not_found("Fournisseur", "Supplier") if side == RECIPIENT
                   else _not_found("Destinataire", "Recipient"))
        partner_row = candidates[0]
    return Filters(side, chosen, first, last, picked_service, partner_row, partner_ids)


def _facts(actor, f: Filters) -> QuerySet[InvoiceFacts]:
    """The structure's invoices the actor sees on that side (no period, no other filter), as
    facts: the same scope as `invoicing.queries.received_invoices` / `issued_invoices` — the
    structure among those whose espace the actor sees (`structures()`), limited to the
    services of the actor's rattachement when it names some, the statuses that side sees."""
    if f.structure.pk not in {s.pk for s in structures(actor, f.side)}:
        return InvoiceFacts.objects.none()
    limited = permissions.services_of(actor, f.structure)
    if f.side == RECIPIENT:
        found = InvoiceFacts.objects.filter(recipient_id=f.structure.pk,
                                            status__in=RECIPIENT_VISIBLE)
        if limited:
            found = found.filter(recipient_service_id__in=[s.pk for s in limited])
        return found
    found = InvoiceFacts.objects.filter(supplier_id=f.structure.pk).exclude(
        status=Status.SUPPRIMEE)
    if limited:
        found = found.filter(supplier_service_id__in=[s.pk for s in limited])
    return found


def invoices(actor, f: Filters) -> QuerySet[InvoiceFacts]:
    """The invoices every figure counts (their facts): scope, structure, period, service,
    partner."""
    found = _facts(actor, f).filter(deposited_at__gte=f.since, deposited_at__lt=f.until)
    if f.service is not None:
        field = "recipient_service_id" if f.side == RECIPIENT else "supplier_service_id"
        found = found.filter(**{field: f.service.pk})
    if f.partner_ids:
        field = "supplier_id__in" if f.side == RECIPIENT else "recipient_id__in"
        found = found.filter(**{field: f.partner_ids})
    return found


# --- Recipient's figures -----------------------------------------------------------------

def volumes(actor, f: Filters) -> list[dict]:
    """Invoices received per month of deposit: count and total TTC, every month of the period
    (a month without invoices shows 0)."""
    rows = (invoices(actor, f).values("deposit_month")
            .annotate(count=Count("*"), amount=Sum("total_ttc")).order_by())
    found = {row["deposit_month"]: row for row in rows}
    result = []
    for month in f.months():
        row = found.get(month)
        result.append({"month": month, "count": row["count"] if row else 0,
                       "amount": (row["amount"] or Decimal(0)) if row else Decimal(0)})
    return result


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def processing_times(actor, f: Filters) -> list[dict]:
    """Median days from the deposit to each step (STEPS), over the invoices that reached it,
    with how many did. On PostgreSQL the medians are the database's (percentile_cont: the
    same value, not the rows, crosses the wire); elsewhere Python's."""
    found = invoices(actor, f)
    if connection.vendor == "postgresql":
        inner, params = (found.values(*(column for _, column in STEPS)).order_by()
                         .query.sql_with_params())
        medians = ", ".join(
            f"count({column}), percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})"
            for _, column in STEPS)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {medians} FROM ({inner}) AS found", params)  # noqa: S608
            row = cursor.fetchone()
        return [{"step": key, "count": row[2 * i],
                 "median_days": round(row[2 * i + 1], 1) if row[2 * i] else None}
                for i, (key, _) in enumerate(STEPS)]
    rows = found.values_list(*(column for _, column in STEPS)).order_by()
    durations: dict[str, list[float]] = {key: [] for key, _ in STEPS}
    for ends in rows:
        for (key, _), days in zip(STEPS, ends, strict=True):
            if days is not None:
                durations[key].append(days)
    return [{"step": key, "count": len(durations[key]), "median_days": _median(durations[key])}
            for key, _ in STEPS]


def rejection_rates(actor, f: Filters) -> dict:
    """Invoices rejected or suspended at least once, per status and reason (the comment the
    recipient gave the first time, spaces folded), as counts and shares of the invoices
    received. One query: the invoices grouped by their four rejection facts."""
    rows = list(invoices(actor, f).values(
        "rejected", "rejection_reason", "suspended", "suspension_reason")
        .annotate(count=Count("*")).order_by())
    total = sum(row["count"] for row in rows)
    per_status = {}
    for status, flag, column in ((Status.REJETEE, "rejected", "rejection_reason"),
                                 (Status.SUSPENDUE, "suspended", "suspension_reason")):
        grouped: dict[str, int] = {}
        for row in rows:
            if row[flag]:
                reason = row[column] or NO_REASON
                grouped[reason] = grouped.get(reason, 0) + row["count"]
        reasons = sorted(grouped.items(), key=lambda item: (-item[1], item[0]))
        invoices_with = sum(n for _, n in reasons)
        shown, rest = reasons[:TOP_REASONS], reasons[TOP_REASONS:]
        if rest:
            shown.append((OTHER_REASONS, sum(n for _, n in rest)))
        per_status[status] = {
            "count": invoices_with, "rate": _rate(invoices_with, total),
            "reasons": [{"reason": reason, "count": n, "rate": _rate(n, total)}
                        for reason, n in shown]}
    return {"total": total, "statuses": per_status}


def _rate(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


def has_payment_dates() -> bool:
    """Whether the invoice model carries `payment_due_on` and `paid_at` (invoicing/delays.py)."""
    names = {field.name for field in Invoice._meta.get_fields()}
    return {"payment_due_on", "paid_at"} <= names


def late_payments(actor, f: Filters, today: date | None = None) -> dict | None:
    """Invoices paid after their due date, and those due and still unpaid: count, amount due,
    days late (mean and longest). None while the model has no payment dates. The invoices
    come grouped by their dates (a few hundred groups, not the rows)."""
    if not has_payment_dates():
        return None
    today = today or clock.today()
    # One read of the period for both: the groups without a payment day are the unpaid ones.
    late = (invoices(actor, f).filter(payment_due_on__isnull=False, payment_due_on__lt=today)
            .exclude(status=Status.REJETEE)
            .filter(Q(paid_on__isnull=True) | Q(paid_on__gt=F("payment_due_on")))
            .values_list("payment_due_on", "paid_on")
            .annotate(count=Count("*"), amount=Sum("amount_due")).order_by())
    paid, unpaid = [], []
    for day, paid_on, n, amount in late:
        if paid_on is None:
            unpaid.append(((today - day).days, n, amount))
        else:
            paid.append(((paid_on - day).days, n, amount))
    return {"paid_late": _late_summary(paid), "unpaid_overdue": _late_summary(unpaid)}


def _late_summary(groups: list[tuple[int, int, Decimal]]) -> dict:
    """(days late, invoices, amount) groups: count, amount, mean and longest days late."""
    count = sum(n for _, n, _ in groups)
    return {"count": count, "amount": sum((a or Decimal(0) for _, _, a in groups), Decimal(0)),
            "mean_days": round(sum(d * n for d, n, _ in groups) / count, 1) if count else None,
            "max_days": max(d for d, _, _ in groups) if groups else None}


# --- Supplier's figures ------------------------------------------------------------------

def by_status(actor, f: Filters) -> list[dict]:
    """The supplier's invoices deposited in the period, per current status: count and total
    TTC, most frequent first."""
    rows = (invoices(actor, f).values("status")
            .annotate(count=Count("*"), amount=Sum("total_ttc")).order_by())
    result = [{"status": row["status"], "label": str(Status(row["status"]).label),
               "count": row["count"], "amount": row["amount"] or Decimal(0)} for row in rows]
    return sorted(result, key=lambda row: (-row["count"], row["status"]))


def payment_times(actor, f: Filters) -> list[dict]:
    """Per recipient: invoices deposited in the period and paid (MISE_EN_PAIEMENT reached),
    and the mean days from deposit to payment; slowest first."""
    rows = (invoices(actor, f).filter(days_to_payment__isnull=False).values("recipient_id")
            .annotate(count=Count("*"), mean=Avg("days_to_payment")).order_by())
    per = {row["recipient_id"]: row for row in rows}
    # Two columns, not the structures: a big supplier has thousands of recipients.
    names = {pk: (name, identifier) for pk, name, identifier in Structure.objects.filter(
        pk__in=list(per)).order_by().values_list("pk", "company_name", "identifier")}
    result = [{"recipient": names[pk][0], "identifier": names[pk][1],
               "count": row["count"], "mean_days": round(row["mean"], 1)}
              for pk, row in per.items() if pk in names]
    return sorted(result, key=lambda row: (-row["mean_days"], row["recipient"]))
