"""The recipient simulator of a qualification instance: public structures play their part on
the invoices they receive, by a scenario, so that a trainee alone sees an invoice go all the
way (service fait, mandatée, mise en paiement; or suspended, rejected, to recycle).

A scenario is ordered steps (`RecipientScenario`, `ScenarioStep`): so many days after the
invoice reached the recipient (its latest MISE_A_DISPOSITION in the history), the simulator
sets a status, through the recipient's own use case (`invoicing.services.apply_processing`),
so history, notifications and webhooks are exactly those of a person's decision; the history
names the simulator (`SIMULATOR`). The clock (qualification.clock_control) makes the days
pass; `apply_due` is a worker timer, registered in qualification only.

Which structures it plays:
- a structure with a scenario row in mode AUTOMATIQUE: its steps (the matelas installs the
  default for the recipients it creates: `install_default`);
- a public structure without a row that nobody manages (the generated annuaire): the default
  scenario, so that a trainee's invoices to any public body progress;
- a structure without a row that someone manages, or in mode MANUEL: nobody — its people
  process the invoices by hand (a gestionnaire switches on the page).

Where an invoice stands in its scenario comes from its status alone: the steps after the one
that set its current status (after the suspension, for an invoice COMPLETEE), or all of them
when no step sets that status (MISE_A_DISPOSITION, or a status a person chose). A due step the
transition table does not allow from the current status is skipped: a person moved past it.
So each status appears once in a scenario (one suspension at most), and no step is played
twice. An invoice SUSPENDUE waits for its supplier; REJETEE, A_RECYCLER and MISE_EN_PAIEMENT end
the scenario (a recycled invoice that comes back starts it again).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from choeur.core import audit, clock
from choeur.core.errors import Conflict
from choeur.invoicing import services as invoicing
from choeur.invoicing import statuses
from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Role, Status
from choeur.organisations import permissions
from choeur.organisations.models import Rattachement, Structure
from choeur.qualification import clock_control, errors
from choeur.qualification.models import RecipientScenario, ScenarioStep

logger = logging.getLogger(__name__)

#: Who the history, notifications and audit log name as the actor.
SIMULATOR = "Simulateur de destinataire (qualification)"
MAX_STEPS = 10
MAX_DAYS = 365
MAX_COMMENT = 500
#: Invoices examined per run of the timer (each in its own transaction); the rest at the next.
BATCH = 500

Mode = RecipientScenario.Mode


@dataclass(frozen=True)
class Step:
    days: int
    status: str
    comment: str = ""

    @property
    def label(self) -> str:
        return Status(self.status).label


def default_steps() -> list[Step]:
    """The scenario of a recipient nobody plays: the issue's example, the usual course of a
    public body that pays (Chorus Pro's optional steps MISE_A_DISPOSITION_COMPTABLE and
    COMPTABILISEE are skipped, as most recipients do)."""
    return [Step(2, Status.SERVICE_FAIT), Step(5, Status.MANDATEE),
            Step(10, Status.MISE_EN_PAIEMENT)]


@dataclass(frozen=True)
class Preset:
    label: str  # lazily translated
    steps: tuple[Step, ...]


#: Ready-made scenarios the page offers (loaded into the form, saved like any other).
PRESETS: dict[str, Preset] = {
    "defaut": Preset(_("Paiement (par défaut)"), tuple(default_steps())),
    "suspension": Preset(_("Suspension puis paiement"), (
        Step(2, Status.SUSPENDUE, "Bon de livraison manquant : merci de le joindre."),
        Step(5, Status.SERVICE_FAIT), Step(8, Status.MANDATEE),
        Step(12, Status.MISE_EN_PAIEMENT))),
    "rejet": Preset(_("Rejet"), (
        Step(2, Status.REJETEE, "Facture non conforme au bon de commande."),)),
    "recyclage": Preset(_("À recycler"), (
        Step(1, Status.A_RECYCLER, "Mauvais destinataire : adressez la facture au bon "
                                   "service."),)),
    "complet": Preset(_("Toutes les étapes"), (
        Step(1, Status.SERVICE_FAIT), Step(3, Status.MANDATEE),
        Step(5, Status.MISE_A_DISPOSITION_COMPTABLE), Step(7, Status.COMPTABILISEE),
        Step(10, Status.MISE_EN_PAIEMENT))),
}

#: The statuses in which the recipient may still act (the others wait for someone else, or
#: are final).
ACTIONABLE = tuple(s for s in Status if statuses.recipient_targets(s))
#: The statuses a step may set (what the table lets the recipient do from anywhere).
STEP_STATUSES = tuple(dict.fromkeys(
    t for s in ACTIONABLE for t in statuses.recipient_targets(s)))


def _after(status: str) -> str:
    """The status a step leaves the invoice in, for the steps that follow: a suspension is
    followed once the supplier has completed the invoice."""
    return Status.COMPLETEE if status == Status.SUSPENDUE else status


# --- Scenarios: reading, checking, writing -------------------------------------------------------


def check_steps(steps: Iterable) -> list[Step]:
    """The steps as `Step`s (from `Step`s or mappings with days, status, comment: a form's
    strings), checked against the transition table for the recipient role; a coded error for
    the first step that is wrong."""
    steps = list(steps)
    if not steps:
        raise errors.ScenarioEmpty()
    if len(steps) > MAX_STEPS:
        raise errors.ScenarioTooManySteps(limit=MAX_STEPS, count=len(steps))
    checked: list[Step] = []
    previous, previous_days, seen = Status.MISE_A_DISPOSITION, 0, set()
    for position, raw in enumerate(steps, 1):
        get = raw.get if isinstance(raw, Mapping) else lambda name, r=raw: getattr(r, name, "")
        days_text = str(get("days") if get("days") is not None else "").strip()
        try:
            days = int(days_text)
        except ValueError:
            days = None
        if days is None or not previous_days <= days <= MAX_DAYS:
            raise errors.ScenarioDaysInvalid(position=position, days=days_text[:20] or "—",
                                             previous=previous_days, limit=MAX_DAYS)
        status = str(get("status") or "").strip().upper()
        if status in seen:
            raise errors.ScenarioStatusRepeated(position=position, status=status)
        allowed = statuses.recipient_targets(previous)
        if status not in allowed:
            raise errors.ScenarioStatusNotAllowed(
                position=position, status=status[:40] or "—", previous=previous,
                allowed=", ".join(allowed) or "—")
        comment = str(get("comment") or "").strip()
        if len(comment) > MAX_COMMENT:
            raise errors.ScenarioCommentTooLong(position=position, limit=MAX_COMMENT)
        if statuses.find(previous, status, Role.RECIPIENT).reason_required and not comment:
            raise errors.ScenarioReasonRequired(position=position, status=status)
        checked.append(Step(days, status, comment))
        seen.add(status)
        previous, previous_days = _after(status), days
    return checked


def _manageable(actor, structure: Structure) -> None:
    """Qualification only; the structure's gestionnaire only (anyone else: NotFound or
    PermissionRefused, as every structure page); a public structure, still active."""
    clock_control.require_qualification()
    permissions.require_gestionnaire(actor, structure)
    if not structure.is_public:
        raise errors.SimulatorPublicOnly(structure=structure.company_name)
    permissions.require_active(structure)


def _has_gestionnaire(structure: Structure) -> bool:
    return structure.rattachements.filter(
        status=Rattachement.Status.VALIDEE, role__in=Rattachement.GESTIONNAIRE_ROLES).exists()


def steps_of(row: RecipientScenario) -> list[Step]:
    return [Step(s.days, s.status, s.comment) for s in row.steps.all()]


def scenario_of(structure: Structure) -> dict:
    """What applies to `structure` (the page and the list show it): `mode` (AUTOMATIQUE or
    MANUEL), `steps`, and `source`: "scenario" (its own row), "defaut" (no row, nobody manages
    it) or "gestionnaires" (no row, its people play it by hand)."""
    row = RecipientScenario.objects.filter(structure=structure).first()
    if row is not None:
        return {"mode": row.mode, "steps": steps_of(row), "source": "scenario", "row": row}
    if _has_gestionnaire(structure):
        return {"mode": Mode.MANUEL, "steps": default_steps(), "source": "gestionnaires",
                "row": None}
    return {"mode": Mode.AUTOMATIQUE, "steps": default_steps(), "source": "defaut",
            "row": None}


def _write(actor, structure: Structure, steps: list[Step], mode: str | None,
           action: str) -> RecipientScenario:
    # The structure's row first: two first saves at once (a double click) are decided one
    # after the other instead of the second meeting the unique constraint.
    list(Structure.objects.select_for_update().filter(pk=structure.pk).values_list("pk"))
    row = RecipientScenario.objects.select_for_update().filter(structure=structure).first()
    if row is None:
        row = RecipientScenario(structure=structure, mode=mode or Mode.AUTOMATIQUE)
    elif mode is not None:
        row.mode = mode
    row.updated_at = clock.now()
    row.updated_by = str(getattr(actor, "email", "") or actor or SIMULATOR)[:254]
    row.save()
    row.steps.all().delete()
    ScenarioStep.objects.bulk_create([
        ScenarioStep(scenario=row, position=position, days=step.days, status=step.status,
                     comment=step.comment)
        for position, step in enumerate(steps, 1)])
    audit.record(actor, action, structure, mode=row.mode,
                 steps=[[s.days, s.status, s.comment] for s in steps])
    return row


def set_scenario(actor, structure: Structure, steps, mode: str | None = None
                 ) -> RecipientScenario:
    """The gestionnaire's scenario for `structure`, replacing the one it had; `mode` kept when
    not given (a new scenario is AUTOMATIQUE: writing one means wanting it played)."""
    _manageable(actor, structure)
    if mode is not None and mode not in Mode.values:
        mode = None  # a forged value keeps the mode the structure had
    return _write(actor, structure, check_steps(steps), mode, "qualification.scenario_set")


def set_manual(actor, structure: Structure, manual: bool) -> RecipientScenario:
    """Switch the simulator off (the gestionnaire plays the recipient by hand) or on again;
    a structure without a scenario gets the default one."""
    _manageable(actor, structure)
    row = RecipientScenario.objects.filter(structure=structure).first()
    steps = steps_of(row) if row is not None else default_steps()
    return _write(actor, structure, steps or default_steps(),
                  Mode.MANUEL if manual else Mode.AUTOMATIQUE, "qualification.scenario_mode")


def reset_default(actor, structure: Structure) -> RecipientScenario:
    """Back to the default scenario, played automatically."""
    _manageable(actor, structure)
    return _write(actor, structure, default_steps(), Mode.AUTOMATIQUE,
                  "qualification.scenario_reset")


def install_default(actor, structure: Structure) -> RecipientScenario:
    """Give a recipient the default scenario, played automatically, unless it has one already
    (idempotent): the matelas calls it for each recipient it creates. A person must be the
    structure's gestionnaire when it has one (the CLI's actor, a string, is the operator)."""
    clock_control.require_qualification()
    if not structure.is_public:
        raise errors.SimulatorPublicOnly(structure=structure.company_name)
    existing = RecipientScenario.objects.filter(structure=structure).first()
    if existing is not None:
        return existing
    if actor is not None and not isinstance(actor, str) and _has_gestionnaire(structure):
        permissions.require_gestionnaire(actor, structure)
    return _write(actor, structure, default_steps(), Mode.AUTOMATIQUE,
                  "qualification.scenario_installed")


def managed_structures(user):
    """The public structures `user` manages, with what plays each (the list page)."""
    structures = Structure.objects.filter(
        kind=Structure.Kind.PUBLIQUE, rattachements__user=user,
        rattachements__status=Rattachement.Status.VALIDEE,
        rattachements__role__in=Rattachement.GESTIONNAIRE_ROLES,
    ).distinct().order_by("company_name", "pk")
    return [(structure, scenario_of(structure)) for structure in structures]


# --- The timer ------------------------------------------------------------------------------------


def _candidates(steps: list[Step], status: str) -> list[Step]:
    """The steps that may still apply to an invoice in `status`: those after the step that
    set it (after the suspension, for COMPLETEE), or all of them."""
    position = next((i for i, step in enumerate(steps) if _after(step.status) == status), -1)
    return steps[position + 1:]


def _first_due_days(steps: list[Step], status: str) -> int | None:
    """Days after arrival when the next step an invoice in `status` can take falls due."""
    allowed = statuses.recipient_targets(status)
    return next((step.days for step in _candidates(steps, status) if step.status in allowed),
                None)


def _unmanaged_public():
    """The public structures the default scenario plays: active, no scenario row, nobody
    managing them."""
    managed = Rattachement.objects.filter(
        structure=OuterRef("pk"), status=Rattachement.Status.VALIDEE,
        role__in=Rattachement.GESTIONNAIRE_ROLES)
    return Structure.objects.filter(
        kind=Structure.Kind.PUBLIQUE, is_active=True, recipient_scenario__isnull=True,
    ).exclude(Exists(managed)).values("pk")


def _plans() -> list[tuple[list[Step], Q]]:
    """(steps, which recipients): one per distinct scenario (the structures installed with
    the default share one query), plus the default for the unmanaged public structures."""
    groups: dict[tuple[Step, ...], list[int]] = defaultdict(list)
    rows = RecipientScenario.objects.filter(
        mode=Mode.AUTOMATIQUE, structure__kind=Structure.Kind.PUBLIQUE,
        structure__is_active=True).prefetch_related("steps")
    for row in rows:
        steps = tuple(steps_of(row))
        if steps:
            groups[steps].append(row.structure_id)
    plans = []
    for steps, ids in groups.items():
        for start in range(0, len(ids), 500):  # bounded IN lists (SQLite's variables)
            plans.append((list(steps), Q(recipient_id__in=ids[start:start + 500])))
    plans.append((default_steps(), Q(recipient_id__in=_unmanaged_public())))
    return plans


def _arrival():
    return Subquery(StatusChange.objects.filter(
        invoice=OuterRef("pk"), status=Status.MISE_A_DISPOSITION,
    ).order_by("-at", "-pk").values("at")[:1])


def _due_invoices(steps: list[Step], recipients: Q, now: datetime, limit: int) -> list[int]:
    """The invoices of `recipients` with at least one step due: exact, so that every invoice
    returned moves (none is examined again and again for nothing)."""
    due = Q()
    for status in ACTIONABLE:
        days = _first_due_days(steps, status)
        if days is not None:
            due |= Q(status=status, arrived_at__lte=now - timedelta(days=days))
    if not due:
        return []
    return list(Invoice.objects.filter(recipients, status__in=ACTIONABLE)
                .annotate(arrived_at=_arrival()).filter(due)
                .order_by("pk").values_list("pk", flat=True)[:limit])


def _play(pk: int, steps: list[Step], now: datetime) -> int:
    """Apply the due steps of one invoice, in the caller's transaction; how many."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=pk)
    arrived = StatusChange.objects.filter(invoice=invoice, status=Status.MISE_A_DISPOSITION
                                          ).order_by("-at", "-pk").values_list("at",
                                                                                flat=True).first()
    if arrived is None:
        return 0
    made = 0
    for step in _candidates(steps, invoice.status):
        if arrived + timedelta(days=step.days) > now:
            break
        if step.status not in statuses.recipient_targets(invoice.status):
            continue  # a person moved the invoice past this step, or it waits for its supplier
        invoicing.apply_processing(SIMULATOR, invoice, step.status, step.comment,
                                   mandate_number=f"SIM-{invoice.pk}")
        made += 1
    return made


def apply_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """The timer: every step due on the invoices of the recipients the simulator plays, each
    invoice in its own transaction (one that fails is logged and skipped; one a person
    changed at the same moment is left to the next run). How many statuses it set."""
    clock_control.require_qualification()
    now = now or clock.now()
    made = examined = 0
    for steps, recipients in _plans():
        if examined >= limit:
            break
        for pk in _due_invoices(steps, recipients, now, limit - examined):
            examined += 1
            try:
                with transaction.atomic():
                    made += _play(pk, steps, now)
            except Conflict:
                continue
            except Exception:
                logger.exception("recipient simulator: invoice %s left as it was", pk)
    return made
