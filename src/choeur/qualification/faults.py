"""Fault injection for API clients, opt-in per technical account (qualification only).

A structure's gestionnaire sets, for one of its technical accounts, the fault its software
must learn to survive: 401 or 403 with an empty body, 429 with `Retry-After`, slow answers,
or a flux that ends `IN_REJETE` or `IN_INCIDENTE` after a while. The fault hits one call (or
flux) out of `every`, starting with the first one after it was set — a counter, not chance,
so a client's tests see the same sequence on every run.

Read side, on the API's hot path: `for_call(account)` is asked once per authenticated call.
In production it returns at once, without a query, whatever rows exist; in qualification it
costs one indexed read, and a conditional update of the counter when a fault is active. The
API layer applies the answer (`api.faults`). The flux fault comes to flux through its
registry (`flux.outcome_hooks`, registered by this app's `ready()` in qualification): flux
never imports qualification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from choeur.core import audit, clock
from choeur.flux.models import EtatFlux
from choeur.flux.outcome_hooks import InjectedOutcome
from choeur.organisations import errors as organisation_errors
from choeur.organisations import permissions
from choeur.organisations.models import Structure, TechnicalAccount
from choeur.qualification import errors
from choeur.qualification.clock_control import require_qualification
from choeur.qualification.models import FaultInjection, InjectedFluxOutcome

logger = logging.getLogger(__name__)

Kind = FaultInjection.Kind
Outcome = FaultInjection.FluxOutcome

#: Bounds of each setting: (low, high), and the field's name as an error message says it.
EVERY = (1, 1000)
DELAY = (1, 30)  # a slow answer: longer would only meet the clients' own timeouts
RETRY_AFTER = (1, 3600)
#: Below the flux's own "stale after 30 minutes": a waiting flux is not taken for a dead one.
FLUX_AFTER = (0, 600)
LABELS = {
    "every": ("Un appel sur", "One call out of"),
    "delay_seconds": ("Délai de réponse (secondes)", "Answer delay (seconds)"),
    "retry_after_seconds": ("Retry-After (secondes)", "Retry-After (seconds)"),
    "flux_after_seconds": ("Issue du flux au bout de (secondes)",
                           "Flux outcome after (seconds)"),
}
HOOK_NAME = "qualification.fault_injection"


def active() -> bool:
    return settings.CHOEUR_ENVIRONMENT == "qualification"


# --- Use cases (the portal) ---------------------------------------------------------------------


def _account(structure: Structure, account_id) -> TechnicalAccount:
    """One of the structure's technical accounts; not found otherwise (forged ids included)."""
    try:
        return structure.technical_accounts.get(pk=int(account_id))
    except (TechnicalAccount.DoesNotExist, TypeError, ValueError):
        raise organisation_errors.TechnicalAccountNotFound() from None


def _whole(field: str, value, bounds: tuple[int, int]) -> int:
    low, high = bounds
    text = str(value if value is not None else "").strip()
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        label_fr, label_en = LABELS[field]
        raise errors.FaultValueInvalid(field_fr=label_fr, field_en=label_en, low=low,
                                       high=high, value=text[:20])
    return number


def _settings(kind, every, delay_seconds, retry_after_seconds, flux_outcome,
              flux_after_seconds) -> dict:
    """The row's fields for this fault, each checked (a coded error names the first wrong
    one); the settings of the other faults are not asked for, and kept at their defaults."""
    kind = str(kind or "").strip()
    if kind not in Kind.values:
        raise errors.FaultUnknown(value=kind[:40], allowed=", ".join(Kind.values))
    fields = {"kind": kind, "every": _whole("every", every, EVERY), "delay_seconds": 0,
              "retry_after_seconds": 0, "flux_outcome": "", "flux_after_seconds": 0}
    if kind == Kind.SLOW:
        fields["delay_seconds"] = _whole("delay_seconds", delay_seconds, DELAY)
    elif kind == Kind.TOO_MANY_REQUESTS:
        fields["retry_after_seconds"] = _whole("retry_after_seconds", retry_after_seconds,
                                               RETRY_AFTER)
    elif kind == Kind.FLUX:
        outcome = str(flux_outcome or "").strip()
        if outcome not in Outcome.values:
            raise errors.FaultFluxOutcomeUnknown(value=outcome[:40],
                                                 allowed=", ".join(Outcome.values))
        fields["flux_outcome"] = outcome
        fields["flux_after_seconds"] = _whole("flux_after_seconds", flux_after_seconds,
                                              FLUX_AFTER)
    return fields


def set_fault(actor, structure: Structure, account_id, *, kind, every=1, delay_seconds=None,
              retry_after_seconds=None, flux_outcome=None, flux_after_seconds=0
              ) -> FaultInjection:
    """Give one of the structure's technical accounts a fault (replacing the one it had); its
    count starts again at the next call. Gestionnaires of the structure only."""
    require_qualification()
    permissions.require_gestionnaire(actor, structure)
    account = _account(structure, account_id)
    fields = _settings(kind, every, delay_seconds, retry_after_seconds, flux_outcome,
                       flux_after_seconds)
    # The account's row first: two first settings at once are decided one after the other.
    list(TechnicalAccount.objects.select_for_update().filter(pk=account.pk).values_list("pk"))
    fault, _ = FaultInjection.objects.update_or_create(
        account=account, defaults={**fields, "enabled": True, "calls": 0,
                                   "changed_at": clock.now(),
                                   "changed_by": str(getattr(actor, "email", actor))[:254]})
    audit.record(actor, "qualification.fault_set", account, structure=structure.pk, **fields)
    return fault


def stop_fault(actor, structure: Structure, account_id) -> FaultInjection | None:
    """Stop the account's fault (its settings stay, to start it again); flux it chose that
    are not concluded yet are integrated normally at their next attempt."""
    require_qualification()
    permissions.require_gestionnaire(actor, structure)
    account = _account(structure, account_id)
    fault = FaultInjection.objects.filter(account=account).first()
    if fault is None or not fault.enabled:
        return fault
    fault.enabled = False
    fault.changed_at = clock.now()
    fault.changed_by = str(getattr(actor, "email", actor))[:254]
    fault.save(update_fields=["enabled", "changed_at", "changed_by"])
    audit.record(actor, "qualification.fault_stopped", account, structure=structure.pk,
                 kind=fault.kind)
    return fault


def fault_of(account: TechnicalAccount) -> FaultInjection | None:
    """The account's fault as the portal shows it (active or stopped), None without one."""
    return FaultInjection.objects.filter(account=account).first()


# --- Read side: the API, the flux integration ------------------------------------------------


@dataclass(frozen=True)
class CallFault:
    """What the API does to one call: answer `kind` (401, 403, 429) or wait then answer."""

    kind: str
    delay_seconds: int = 0
    retry_after_seconds: int = 0


def _hit(fault_id: int, calls: int, every: int) -> bool:
    """Count one call (or flux) under the fault; whether the fault hits it: calls 1, 1 +
    every, 1 + 2·every... The count is a conditional update (compare-and-set), exact across
    processes; its own autocommitted write, as the API's use marks are."""
    for _attempt in range(10):
        if FaultInjection.objects.filter(pk=fault_id, calls=calls).update(calls=calls + 1):
            return calls % every == 0
        current = FaultInjection.objects.filter(pk=fault_id).values_list("calls", flat=True)
        calls = current.first()
        if calls is None:  # stopped and removed meanwhile
            return False
    return False  # ten callers at once: this one is let through


def for_call(account: TechnicalAccount) -> CallFault | None:
    """The fault this authenticated call of `account` meets, or None: answer normally.
    Production: None at once, not a query."""
    if not active():
        return None
    row = (FaultInjection.objects.filter(account_id=account.pk, enabled=True)
           .exclude(kind=Kind.FLUX)
           .values_list("pk", "kind", "every", "calls", "delay_seconds",
                        "retry_after_seconds").first())
    if row is None:
        return None
    pk, kind, every, calls, delay, retry_after = row
    if not _hit(pk, calls, every):
        return None
    return CallFault(kind, delay, retry_after)


def flux_outcome(flux) -> InjectedOutcome | None:
    """The hook flux asks when it claims a flux (`flux.outcome_hooks`): the outcome the flux
    fault of its depositing account gives it, or None. A flux is chosen at its first attempt
    (the count is per flux); the choice is kept (`InjectedFluxOutcome`) so that its later
    attempts answer alike — while the fault is active: stopped, they integrate normally."""
    if not active() or flux.technical_account_id is None:
        return None
    fault = (FaultInjection.objects
             .filter(account_id=flux.technical_account_id, enabled=True, kind=Kind.FLUX)
             .first())
    if fault is None:
        return None
    chosen = InjectedFluxOutcome.objects.filter(flux=flux).first()
    if chosen is None:
        if flux.attempts > 1 or flux.items.exists():
            return None  # begun before the fault was set: left to its integration
        if not _hit(fault.pk, fault.calls, fault.every):
            return None
        chosen = InjectedFluxOutcome.objects.create(
            flux=flux, account_id=flux.technical_account_id, outcome=fault.flux_outcome,
            due_at=clock.wall_now() + timedelta(seconds=fault.flux_after_seconds),
            created_at=clock.now())
        logger.info("injected fault: flux %s of technical account %s will end %s at %s",
                    flux.numero, flux.technical_account.login, chosen.outcome,
                    chosen.due_at.isoformat())
    login = flux.technical_account.login
    if chosen.outcome == Outcome.INCIDENTE:
        return InjectedOutcome(EtatFlux.INCIDENTE, chosen.due_at,
                               errors.InjectedFluxIncident(login=login))
    return InjectedOutcome(EtatFlux.REJETE, chosen.due_at,
                           errors.InjectedFluxRejected(login=login))
