"""Late payment: the intérêts moratoires and the indemnité forfaitaire of an invoice paid (or
still unpaid) after its délai (delays.py), computed — never stored — with every step told in
words; and the table of ECB rates the platform administrators keep (docs/CONSERVATION.md
« Payment delay »; reference §7.5).

The rules, and their sources (code de la commande publique, « CCP »):

- L2192-13: from the day after the délai expired, the late payment makes interest run « de
  plein droit et sans autre formalité », and the indemnité forfaitaire is due.
- R2192-31: « Le taux des intérêts moratoires … est égal au taux d'intérêt appliqué par la
  Banque centrale européenne à ses opérations principales de refinancement les plus
  récentes, en vigueur au premier jour du semestre de l'année civile au cours duquel les
  intérêts moratoires ont commencé à courir, majoré de huit points de pourcentage. » One rate
  for the whole lateness, then: the ECB rate in force on 1 January or 1 July of the
  half-year in which the first day of interest falls, + 8 points — a lateness that crosses
  into the next half-year keeps it (as the Ministry's guidance has it: « un seul taux
  s'applique »). docs/CONSERVATION.md said « per period crossed »: the text says otherwise,
  and the text wins.
- Simple interest on the amount due (the invoice's montant à payer, TTC) × rate × days late
  / 365, days counted from the day after the due date to the mise en paiement included (or
  to today, provisionally, while unpaid); rounded to the cent.
- D2192-35: the indemnité forfaitaire pour frais de recouvrement is 40 euros — euros whatever
  the invoice's currency: for an invoice in another currency the interest (in its currency)
  and the indemnity (in euros) are shown apart, never added up.
- R2192-36: interest and indemnity are paid within 45 days of the principal's mise en
  paiement.

Sources read: code-commande-publique.com (R2192-31, R2192-36), legal.tricoteuses.fr
(R2192-36), french-business-law.com (R2192-31, D3133-27: the same 40 euros for concessions),
aapasso.fr and lemoniteur.fr (the half-year's rate, examples). The seeded ECB rates (migration
0010) come from the ECB's decisions as tabulated by the Bank of Slovenia (bsi.si, « ECB
Interest Rates ») up to April 2025, and the press on the 11 June 2025 cut to 2.15 % and the
holds through 18 December 2025.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Q
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from choeur.core import audit, clock
from choeur.core.errors import PermissionRefused
from choeur.core.permissions import is_platform_admin
from choeur.formats.display import money
from choeur.invoicing import errors
from choeur.invoicing.delays import PaymentClock
from choeur.invoicing.models import InterestRate

MARGIN_POINTS = Decimal("8")  # R2192-31
INDEMNITY = Decimal("40.00")  # D2192-35
DAYS_IN_YEAR = 365
CENT = Decimal("0.01")
#: A plausible ECB main refinancing rate (it was 4.75 % at most since 1999, never negative).
RATE_LOW, RATE_HIGH = Decimal("-1"), Decimal("20")
MAX_PERIODS = 400


# --- The rate table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    valid_from: date
    valid_until: date | None
    ecb_rate: Decimal


def semester_start(day: date) -> date:
    """1 January or 1 July of `day`'s half-year."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def rate_on(day: date) -> InterestRate | None:
    """The table's row in force on `day`."""
    return (InterestRate.objects.filter(valid_from__lte=day)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
            .order_by("-valid_from").first())


def table() -> list[InterestRate]:
    return list(InterestRate.objects.order_by("valid_from"))


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{2})/(\d{2})/(\d{4})$")


def _parse_date(text: str) -> date:
    found = _DATE.match(text.strip())
    if not found:
        raise ValueError(text)
    if found.group(1):
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    return date(int(found.group(6)), int(found.group(5)), int(found.group(4)))


def parse_table(text: str) -> list[Period]:
    """The table as typed: one period a line, « début ; fin ; taux » (dates ISO or
    dd/mm/yyyy, an empty end for an open last period, the rate with a comma or a dot, an
    optional « % »). Blank lines and lines starting with « # » are skipped."""
    periods = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split(";")]
        try:
            if len(parts) != 3:
                raise ValueError(line)
            start = _parse_date(parts[0])
            end = _parse_date(parts[1]) if parts[1] else None
            rate = Decimal(parts[2].rstrip("%").strip().replace(",", "."))
            if not rate.is_finite():
                raise ValueError(line)
        except (ValueError, InvalidOperation):
            raise errors.RateTableUnreadable(line=number, text=line[:80]) from None
        periods.append(Period(start, end, rate))
        if len(periods) > MAX_PERIODS:
            raise errors.RateTableTooLong(max=MAX_PERIODS)
    return periods


def check_table(periods: list[Period]) -> list[Period]:
    """The periods in order, or the first problem as a coded error: a period ending before it
    starts, an open period that is not the last, two periods sharing a day, a day without a
    rate between two periods, a rate outside the plausible range."""
    if len(periods) > MAX_PERIODS:
        raise errors.RateTableTooLong(max=MAX_PERIODS)
    ordered = sorted(periods, key=lambda p: p.valid_from)
    for index, period in enumerate(ordered):
        if not RATE_LOW <= period.ecb_rate <= RATE_HIGH or period.ecb_rate.as_tuple().exponent < -3:
            raise errors.RateTableRateOutOfRange(rate=str(period.ecb_rate),
                                                 start=period.valid_from.isoformat(),
                                                 low=RATE_LOW, high=RATE_HIGH)
        if period.valid_until is not None and period.valid_until < period.valid_from:
            raise errors.RateTablePeriodInvalid(start=period.valid_from.isoformat(),
                                                end=period.valid_until.isoformat())
        if index == 0:
            continue
        previous = ordered[index - 1]
        if previous.valid_until is None:
            if previous.valid_from == period.valid_from:
                raise errors.RateTableOverlap(first=previous.valid_from.isoformat(),
                                              second=period.valid_from.isoformat())
            raise errors.RateTableOpenEnded(start=previous.valid_from.isoformat())
        if period.valid_from <= previous.valid_until:
            raise errors.RateTableOverlap(first=previous.valid_from.isoformat(),
                                          second=period.valid_from.isoformat())
        if period.valid_from > previous.valid_until + timedelta(days=1):
            raise errors.RateTableGap(
                start=(previous.valid_until + timedelta(days=1)).isoformat(),
                end=(period.valid_from - timedelta(days=1)).isoformat())
    return ordered


def replace_table(actor, periods: list[Period]) -> list[InterestRate]:
    """The administrators' use case: the whole table replaced by `periods`, checked first —
    any problem is a coded error and nothing is written."""
    if not is_platform_admin(actor):
        raise PermissionRefused()
    ordered = check_table(periods)
    current = [(r.valid_from, r.valid_until, r.ecb_rate) for r in table()]
    wanted = [(p.valid_from, p.valid_until, p.ecb_rate) for p in ordered]
    if current == wanted:
        return table()
    now = clock.now()
    InterestRate.objects.all().delete()
    rows = InterestRate.objects.bulk_create([
        InterestRate(valid_from=p.valid_from, valid_until=p.valid_until, ecb_rate=p.ecb_rate,
                     updated_at=now) for p in ordered])
    audit.record(actor, "invoicing.interest_rates_replaced", None, periods=len(rows),
                 first=ordered[0].valid_from.isoformat() if ordered else "",
                 last=ordered[-1].valid_from.isoformat() if ordered else "")
    return rows


def table_text(rows: list[InterestRate] | None = None) -> str:
    """The table as the form shows it (parse_table's format)."""
    return "\n".join(
        f"{r.valid_from.isoformat()} ; {r.valid_until.isoformat() if r.valid_until else ''} ; "
        f"{_plain(r.ecb_rate)}" for r in (table() if rows is None else rows))


# --- Late payment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LateInterest:
    base: Decimal  # the amount due, TTC
    currency: str
    due_on: date
    end_on: date  # the mise en paiement, or today while unpaid
    provisional: bool  # unpaid: the figures grow every day
    days_late: int
    interest_from: date
    semester_start: date
    ecb_rate: Decimal | None  # None: the table has no rate for that day
    rate: Decimal | None  # ecb_rate + 8 points
    interest: Decimal | None
    indemnity: Decimal  # in euros (D2192-35), whatever the invoice's currency
    total: Decimal | None  # interest + indemnity; None when the invoice is not in euros
    steps: list[str] = field(default_factory=list)


def interest_amount(base: Decimal, rate: Decimal, days: int) -> Decimal:
    """base × rate % × days / 365, to the cent (half up)."""
    return (base * rate / Decimal(100) * Decimal(days) / Decimal(DAYS_IN_YEAR)).quantize(
        CENT, rounding=ROUND_HALF_UP)


def amount_due(invoice) -> Decimal:
    """The amount the lateness is counted on: the montant à payer (TTC), else the TTC."""
    return Decimal(invoice.amount_due or 0) or Decimal(invoice.total_ttc or 0)


def late_payment(invoice, payment: PaymentClock | None, today: date | None = None,
                 *, lookup=rate_on) -> LateInterest | None:
    """The interest and indemnity owed for `invoice`'s lateness, or None when it is not late.
    `lookup(day)` gives the rate row in force on a day (the table by default)."""
    if payment is None or not payment.is_late(today):
        return None
    end_on = payment.end_on(today)
    days = payment.days_late(today)
    interest_from = payment.due_on + timedelta(days=1)
    start = semester_start(interest_from)
    row = lookup(start)
    ecb = Decimal(row.ecb_rate) if row is not None else None
    rate = ecb + MARGIN_POINTS if ecb is not None else None
    base = amount_due(invoice)
    interest = interest_amount(base, rate, days) if rate is not None else None
    currency = (invoice.currency or "EUR").upper()
    # Two currencies are not added: the total exists only for an invoice in euros.
    total = (interest or Decimal(0)) + INDEMNITY if currency == "EUR" else None
    result = LateInterest(
        base=base, currency=currency, due_on=payment.due_on, end_on=end_on,
        provisional=payment.paid_at is None, days_late=days, interest_from=interest_from,
        semester_start=start, ecb_rate=ecb, rate=rate, interest=interest, indemnity=INDEMNITY,
        total=total)
    result.steps.extend(_steps(result))
    return result


def _plain(value: Decimal) -> str:
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _percent(value: Decimal) -> str:
    text = f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"
    if not (get_language() or "fr").startswith("en"):
        text = text.replace(".", ",")
    return f"{text} %"


def _day(value: date | datetime) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _money(value: Decimal, currency: str) -> str:
    return money(value, get_language() or "fr", currency)


def _steps(late: LateInterest) -> list[str]:
    """The calculation, in words, one sentence a step."""
    steps = [_("Montant dû : %(amount)s TTC (le montant à payer de la facture).") % {
        "amount": _money(late.base, late.currency)}]
    if late.provisional:
        steps.append(_("Le délai de paiement a expiré le %(due)s et la facture n'est pas "
                       "encore mise en paiement : %(days)s jour(s) de retard au %(today)s. "
                       "Les montants ci-dessous sont provisoires et augmentent chaque jour.")
                     % {"due": _day(late.due_on), "days": late.days_late,
                        "today": _day(late.end_on)})
    else:
        steps.append(_("Le délai de paiement a expiré le %(due)s ; la facture a été mise en "
                       "paiement le %(paid)s : %(days)s jour(s) de retard.") % {
            "due": _day(late.due_on), "paid": _day(late.end_on), "days": late.days_late})
    semester = _("premier") if late.semester_start.month == 1 else _("second")
    if late.rate is None:
        steps.append(_("Les intérêts moratoires courent depuis le %(start)s, au %(semester)s "
                       "semestre %(year)s, mais la table des taux ne donne pas le taux de la "
                       "BCE en vigueur le %(first)s : ils ne peuvent pas encore être calculés "
                       "(l'administrateur de la plateforme complète la table).") % {
            "start": _day(late.interest_from), "semester": semester,
            "year": late.semester_start.year, "first": _day(late.semester_start)})
    else:
        steps.append(_("Les intérêts moratoires courent depuis le %(start)s, au %(semester)s "
                       "semestre %(year)s : le taux de la BCE en vigueur le %(first)s, "
                       "%(ecb)s, majoré de 8 points, donne un taux de %(rate)s pour tout le "
                       "retard (article R2192-31 du code de la commande publique).") % {
            "start": _day(late.interest_from), "semester": semester,
            "year": late.semester_start.year, "first": _day(late.semester_start),
            "ecb": _percent(late.ecb_rate), "rate": _percent(late.rate)})
        steps.append(_("Intérêts moratoires : %(base)s × %(rate)s × %(days)s / 365 = "
                       "%(interest)s.") % {
            "base": _money(late.base, late.currency), "rate": _percent(late.rate),
            "days": late.days_late, "interest": _money(late.interest, late.currency)})
    steps.append(_("Indemnité forfaitaire pour frais de recouvrement : %(indemnity)s (article "
                   "D2192-35), due dès le premier jour de retard.") % {
        "indemnity": _money(late.indemnity, "EUR")})
    if late.total is not None:
        steps.append(_("Total dû au titre du retard : %(total)s, à payer dans les 45 jours qui "
                       "suivent la mise en paiement de la facture (article R2192-36).") % {
            "total": _money(late.total, late.currency)})
    elif late.interest is not None:
        steps.append(_("Dû au titre du retard : %(interest)s d'intérêts moratoires, dans la "
                       "devise de la facture, et %(indemnity)s d'indemnité forfaitaire, en "
                       "euros — deux devises, qui ne s'additionnent pas ; à payer dans les 45 "
                       "jours qui suivent la mise en paiement de la facture (article "
                       "R2192-36).") % {
            "interest": _money(late.interest, late.currency),
            "indemnity": _money(late.indemnity, "EUR")})
    else:
        steps.append(_("Dû au titre du retard : %(indemnity)s d'indemnité forfaitaire, en "
                       "euros, et les intérêts moratoires dans la devise de la facture quand "
                       "le taux sera connu ; à payer dans les 45 jours qui suivent la mise en "
                       "paiement de la facture (article R2192-36).") % {
            "indemnity": _money(late.indemnity, "EUR")})
    return steps
