"""The qualification pages (404 in production: they do not exist there)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from choeur.core.errors import NotFound
from choeur.core.permissions import is_platform_admin, require
from choeur.invoicing import statuses
from choeur.invoicing.statuses import Status
from choeur.organisations import permissions
from choeur.organisations.views import attempt
from choeur.qualification import clock_control, errors, simulator


def _qualification_only(view):
    def wrapped(request, *args, **kwargs):
        try:
            clock_control.require_qualification()
        except errors.QualificationOnly:
            raise Http404() from None
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@_qualification_only
@require(is_platform_admin)
def clock_page(request):
    """Advance the instance's business time by N days or to a date."""
    if request.method == "POST":
        if request.POST.get("action") == "to":
            ok, result = attempt(request, clock_control.move_to, request.POST.get("date", ""))
        else:
            ok, result = attempt(request, clock_control.advance, request.POST.get("days", ""))
        if ok:
            messages.success(request, _("La date simulée est maintenant le %(date)s.")
                             % {"date": result.astimezone(clock_control.clock.PARIS)
                                .strftime("%d/%m/%Y %H:%M")})
            return redirect("qualification:clock")
    return render(request, "qualification/clock.html", {"status": clock_control.status()})


# --- Recipient simulator ----------------------------------------------------------------------


@_qualification_only
@login_required
def simulator_list(request):
    """The public structures the user manages, with what plays each."""
    return render(request, "qualification/simulator_list.html", {
        "structures": simulator.managed_structures(request.user)})


def _posted_steps(post) -> list[dict]:
    """The form's rows, as the service reads them; a row without a status, or ticked to be
    removed, is no step."""
    try:
        count = min(int(post.get("rows", "0")), simulator.MAX_STEPS + 5)
    except ValueError:
        count = 0
    rows = []
    for i in range(max(count, 0)):
        status = post.get(f"status-{i}", "").strip()
        if not status or post.get(f"remove-{i}"):
            continue
        rows.append({"days": post.get(f"days-{i}", ""), "status": status,
                     "comment": post.get(f"comment-{i}", "")})
    return rows


@_qualification_only
@login_required
def simulator_page(request, pk):
    """A structure's scenario: its steps (edit, add, remove), presets, reset, manual mode."""
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    if not structure.is_public:
        raise NotFound(object_label="Structure")
    current = simulator.scenario_of(structure)
    rows, mode = current["steps"], current["mode"]
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset":
            ok, _result = attempt(request, simulator.reset_default, structure)
            done = _("Le scénario par défaut s'applique de nouveau.")
        elif action == "preset" and request.POST.get("preset") in simulator.PRESETS:
            preset = simulator.PRESETS[request.POST["preset"]]
            ok, _result = attempt(request, simulator.set_scenario, structure, preset.steps,
                                  simulator.Mode.AUTOMATIQUE)
            done = _("Le modèle « %(name)s » est enregistré.") % {"name": preset.label}
        else:
            rows, mode = _posted_steps(request.POST), request.POST.get("mode")
            ok, _result = attempt(request, simulator.set_scenario, structure, rows, mode)
            done = _("Le scénario est enregistré.")
        if ok:
            messages.success(request, done)
            return redirect("qualification:simulator", structure.pk)
    blank = {"days": "", "status": "", "comment": ""}
    shown = [r if isinstance(r, dict) else {"days": r.days, "status": r.status,
                                            "comment": r.comment} for r in rows]
    shown += [blank] * max(0, min(3, simulator.MAX_STEPS - len(shown)))
    return render(request, "qualification/simulator.html", {
        "structure": structure, "current": current, "mode": mode, "rows": shown,
        "modes": simulator.Mode.choices, "presets": simulator.PRESETS,
        "choices": [(s, Status(s).label) for s in simulator.STEP_STATUSES],
        "transitions": [(Status(s).label, [Status(t).label for t in
                                           statuses.recipient_targets(s)])
                        for s in simulator.ACTIONABLE],
        "max_days": simulator.MAX_DAYS, "max_comment": simulator.MAX_COMMENT,
    })
