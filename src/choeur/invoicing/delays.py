"""The délai global de paiement of an invoice: when it started, when it is due, whether it was
suspended, when it was put en paiement (docs/CONSERVATION.md « Payment delay »; reference
§7.5). Computed from the invoice's own history (its `StatusChange` rows), never from "now":
`PaymentClock` says where the clock stands on a given day. `Invoice.payment_due_on`,
`paid_at` and `payment_delay_days` are kept by `lifecycle` with each status change that moves
the clock (`stored_fields`), for the lists and dashboards.

The rules applied, and their sources (code de la commande publique, « CCP »):

- **The délai** is the recipient's: 30 days for the State, local authorities and their
  non-health public establishments (R2192-10), 50 days for public health establishments
  (R2192-11 1°), 60 days for public companies (R2192-11 2°): `Structure.payment_category`.
  A private recipient, a credit note, an A2 invoice (already paid) owe no délai; neither does
  an invoice rejected or refused (nothing is due on it).
- **The start** is the receipt of the payment request (R2192-12): on the platform its
  deposit (`Invoice.deposited_at`, the instant the deposit certificate gives). For a works
  piece (`TypeDemandePaiement.FACTURE_TRAVAUX`) that reaches the paying service, the instant
  the supplier's projet de décompte was made available to the maître d'œuvre (reference §2.4:
  `travaux.Dossier.payment_delay_from`, read through the piece's relation — invoicing imports
  no travaux); the piece's own deposit when the dossier has none.
- **Days** are calendar days counted from the day after the start, in Paris time: a request
  received on 1 March with a 30-day délai is due on 31 March; interest runs from the next
  day (L2192-13: « dès le lendemain de l'expiration du délai »).
- **Suspension** (SUSPENDUE, Chorus Pro's name for the CCP's « interruption »): R2192-27 —
  the délai may be interrupted **once only**, when the request lacks documents or mentions,
  or they are wrong; R2192-28 — by a notification with a certain date of receipt (the status
  change, which the supplier sees at once); R2192-29 — « à compter de la réception de la
  totalité des pièces et mentions … un nouveau délai de paiement est ouvert. Ce délai est de
  trente jours ou égal au solde restant à courir à la date de réception de la notification
  de l'interruption si ce solde est supérieur à trente jours ». So: the clock stops on the
  day of the SUSPENDUE; the balance is the days left then; on the completion (COMPLETEE) a
  new délai of max(30, balance) days runs from that day. Only the first suspension counts:
  a later one leaves the clock running (R2192-27 « une seule fois »). Our reading, the
  texts being silent: a suspension after the délai expired interrupts nothing (an expired
  délai cannot be interrupted; the lateness is acquired) — it is shown, without effect.
- **The end** is the mise en paiement (the first MISE_EN_PAIEMENT history row's `at`):
  interest runs « jusqu'à la date de mise en paiement du principal » (R2192-36 counts the
  45 days for paying the interest from it).

Sources read: legifrance texts of R2192-27, -28, -29, -31, -36 as quoted by
legal.tricoteuses.fr, juriblio.fr, code-commande-publique.com and lexbase.fr; the délais by
category as listed by code-commande-publique.com (« Délais de paiement (L2192-10 s) »).
The late-payment interest is `interest.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from choeur.core import clock
from choeur.invoicing.statuses import TRAVAUX_ONLY, Status

#: The délai per recipient category (`Structure.PaymentCategory`), in days.
DELAY_DAYS = {
    "ETAT": 30,
    "COLLECTIVITE": 30,
    "ETABLISSEMENT_PUBLIC": 30,
    "ETABLISSEMENT_SANTE": 50,
    "ENTREPRISE_PUBLIQUE": 60,
}
DEFAULT_CATEGORY = "ETAT"
#: R2192-29: the new délai after a completed suspension is at least this.
MIN_NEW_DELAY_DAYS = 30
#: An invoice in one of these statuses owes nothing: no clock.
NO_PAYMENT = (Status.BROUILLON, Status.SUPPRIMEE, Status.REJETEE, Status.REFUSEE_1,
              Status.REFUSEE_2, *TRAVAUX_ONLY)
#: The status changes that may move the clock (the others leave the stored fields alone):
#: the start (the deposit, the paying service's routing), the suspension and its completion,
#: the end, and what ends the debt.
MOVES_CLOCK = frozenset({
    Status.DEPOSEE, Status.A_VALIDER_1, Status.MISE_A_DISPOSITION, Status.SUSPENDUE,
    Status.COMPLETEE, Status.MISE_EN_PAIEMENT, *NO_PAYMENT})

START_DEPOSIT = "DEPOT"
START_MOE = "MOE"


@dataclass(frozen=True)
class Suspension:
    suspended_at: datetime
    remaining_days: int  # the balance on the day of the suspension (0 when expired)
    effective: bool  # False: the délai had expired already
    completed_at: datetime | None = None
    new_delay_days: int | None = None  # max(30, remaining_days), once completed

    @property
    def suspended_on(self) -> date:
        return local_date(self.suspended_at)

    @property
    def completed_on(self) -> date | None:
        return local_date(self.completed_at) if self.completed_at else None


@dataclass(frozen=True)
class PaymentClock:
    start: datetime
    start_kind: str  # START_DEPOSIT or START_MOE
    category: str
    delay_days: int
    due_on: date | None  # None while suspended
    suspension: Suspension | None = None
    ignored_suspensions: list[datetime] = field(default_factory=list)
    paid_at: datetime | None = None

    @property
    def start_on(self) -> date:
        return local_date(self.start)

    @property
    def paid_on(self) -> date | None:
        return local_date(self.paid_at) if self.paid_at else None

    @property
    def suspended(self) -> bool:
        """Stopped now: suspended, not completed yet, not paid."""
        return self.due_on is None and self.paid_at is None

    def end_on(self, today: date | None = None) -> date:
        """The day lateness is counted to: the mise en paiement, or `today`."""
        return self.paid_on or today or clock.today()

    def days_late(self, today: date | None = None) -> int:
        if self.due_on is None:
            return 0
        return max(0, (self.end_on(today) - self.due_on).days)

    def days_remaining(self, today: date | None = None) -> int | None:
        """Days left before the due date (0 on the day itself); None once paid or stopped."""
        if self.due_on is None or self.paid_at is not None:
            return None
        return max(0, (self.due_on - (today or clock.today())).days)

    def is_late(self, today: date | None = None) -> bool:
        return self.days_late(today) > 0


def local_date(at: datetime) -> date:
    return at.astimezone(clock.PARIS).date()


def delay_days(category: str | None) -> int:
    return DELAY_DAYS.get(category or DEFAULT_CATEGORY, DELAY_DAYS[DEFAULT_CATEGORY])


def compute(start: datetime, days: int, history: Iterable[tuple[str, datetime]], *,
            category: str = DEFAULT_CATEGORY, start_kind: str = START_DEPOSIT) -> PaymentClock:
    """The clock of an invoice whose délai of `days` started at `start`, given its history
    (status, at) in order. Pure: no database, no "now"."""
    due_on: date | None = local_date(start) + timedelta(days=days)
    suspension: Suspension | None = None
    ignored: list[datetime] = []
    paid_at = None
    for status, at in history:
        if at < start:
            continue
        if status == Status.SUSPENDUE:
            if suspension is not None:
                ignored.append(at)  # R2192-27: once only
                continue
            day = local_date(at)
            if due_on is None or day > due_on:
                suspension = Suspension(suspended_at=at, remaining_days=0, effective=False)
                continue
            suspension = Suspension(suspended_at=at, remaining_days=(due_on - day).days,
                                    effective=True)
            due_on = None
        elif status == Status.COMPLETEE and suspension is not None and suspension.effective \
                and suspension.completed_at is None:
            new_days = max(MIN_NEW_DELAY_DAYS, suspension.remaining_days)  # R2192-29
            suspension = Suspension(
                suspended_at=suspension.suspended_at, remaining_days=suspension.remaining_days,
                effective=True, completed_at=at, new_delay_days=new_days)
            due_on = local_date(at) + timedelta(days=new_days)
        elif status == Status.MISE_EN_PAIEMENT and paid_at is None:
            paid_at = at
            break
    return PaymentClock(start=start, start_kind=start_kind, category=category, delay_days=days,
                        due_on=due_on, suspension=suspension, ignored_suspensions=ignored,
                        paid_at=paid_at)


# --- The invoice's clock ------------------------------------------------------------------------


def _recipient_terms(invoice) -> tuple[bool, str]:
    """(public, category) of the invoice's recipient, without loading it when it is not."""
    from choeur.organisations.models import Structure

    cached = invoice._state.fields_cache.get("recipient")
    if cached is not None and cached.pk == invoice.recipient_id:
        return cached.is_public, cached.payment_category
    row = Structure.objects.filter(pk=invoice.recipient_id).values_list(
        "kind", "payment_category").first()
    if row is None:
        return False, DEFAULT_CATEGORY
    return row[0] == Structure.Kind.PUBLIQUE, row[1]


def _works_start(invoice) -> datetime | None:
    """When the works piece's projet de décompte was made available to the MOE: its
    dossier's `payment_delay_from` (travaux), read through the reverse relation."""
    from choeur.invoicing.models import Invoice

    return (Invoice.objects.filter(pk=invoice.pk)
            .values_list("piece__dossier__payment_delay_from", flat=True).first())


def _history(invoice) -> list[tuple[str, datetime]]:
    from choeur.invoicing.models import StatusChange

    cache = getattr(invoice, "_prefetched_objects_cache", {}).get("history")
    rows = cache if cache is not None else StatusChange.objects.filter(
        invoice_id=invoice.pk).only("status", "at", "id")
    return sorted(((row.status, row.at) for row in rows), key=lambda item: item[1])


def clock_of(invoice, *, status: str | None = None,
             history: list[tuple[str, datetime]] | None = None) -> PaymentClock | None:
    """The invoice's payment clock, or None when it owes no délai (see the module's rules).
    `status` / `history`: as they will be after a change being written (lifecycle)."""
    from choeur.invoicing.models import Cadre, TypeDemandePaiement, TypeFacture

    status = status or invoice.status
    if invoice.deposited_at is None or status in NO_PAYMENT:
        return None
    if invoice.type_facture == TypeFacture.AVOIR or invoice.cadre == Cadre.A2:
        return None
    public, category = _recipient_terms(invoice)
    if not public:
        return None
    history = _history(invoice) if history is None else history
    start, kind = invoice.deposited_at, START_DEPOSIT
    if invoice.type_demande_paiement == TypeDemandePaiement.FACTURE_TRAVAUX:
        if not any(s == Status.DEPOSEE for s, _at in history):
            return None  # a piece between the supplier, the MOE and the MOA: nothing to pay
        works_start = _works_start(invoice)
        if works_start is not None:
            start, kind = works_start, START_MOE
    days = invoice.payment_delay_days or delay_days(category)
    return compute(start, days, history, category=category, start_kind=kind)


def stored_fields(invoice, target: str, at: datetime) -> dict:
    """The stored clock fields once `invoice` moves to `target` at `at` (its history row not
    written yet): what `lifecycle` writes in the same conditional update. The délai's days
    are fixed when the clock starts (the deposit, the paying service's routing): a recipient
    changing its category later changes the délai of the invoices it receives afterwards."""
    if target in (Status.DEPOSEE, Status.A_VALIDER_1):
        invoice.payment_delay_days = None  # (re)started: the recipient's délai now
    if invoice.pk is None:  # a new invoice (lifecycle.create_many): no history yet
        history = [(target, at)]
    else:
        history = [*_history(invoice), (target, at)]
    state = clock_of(invoice, status=target, history=history)
    if state is None:
        values = {"payment_due_on": None, "paid_at": None, "payment_delay_days": None}
    else:
        values = {"payment_due_on": state.due_on, "paid_at": state.paid_at,
                  "payment_delay_days": state.delay_days}
    return values
