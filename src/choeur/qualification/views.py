"""The qualification pages (404 in production: they do not exist there)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from choeur.core.errors import ChoeurError, NotFound
from choeur.core.permissions import is_platform_admin, require
from choeur.invoicing import statuses
from choeur.invoicing.statuses import Status
from choeur.invoicing.views import structured as structured_views
from choeur.invoicing.views.deposit import read_summary
from choeur.organisations import permissions
from choeur.organisations.models import Espace, TechnicalAccount
from choeur.organisations.views import attempt
from choeur.qualification import (
    clock_control,
    errors,
    faults,
    file_test,
    forms,
    matelas,
    samples,
    simulator,
)
from choeur.qualification.models import GeneratedMatelas
from choeur.web import current_structure


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


# --- Matelas de données -------------------------------------------------------------------------


@_qualification_only
@login_required
def matelas_page(request):
    """« Générer mon matelas de données »: the user's data set (if any) and the form that
    generates one. A generation shows its secrets on the answer itself, once."""
    if request.method == "POST":
        return _generate(request)
    return render(request, "qualification/matelas.html", {
        "matelas": matelas.latest(request.user),
        "generated_count": GeneratedMatelas.objects.filter(user=request.user).count(),
        "variants": matelas.VARIANTS,
    })


def _generate(request):
    try:
        seen = int(request.POST.get("generated_count", ""))
    except ValueError:
        seen = -1  # a form from elsewhere: refused as a repeated click would be
    ok, result = attempt(request, matelas.generate,
                         seed=request.POST.get("seed", "").strip() or None,
                         valid_sirets=request.POST.get("invalid_sirets") != "on", seen=seen)
    if not ok:
        return redirect("qualification:matelas")
    if result is None:
        messages.info(request, _("Ce matelas de données a déjà été généré : le voici."))
        return redirect("qualification:matelas")
    base_url = request.build_absolute_uri("/")
    text = matelas.to_csv(result, base_url)
    response = render(request, "qualification/matelas_generated.html", {
        "matelas": result, "rows": matelas.rows(result, base_url),
        "token_url": base_url.rstrip("/") + "/api/oauth/token", "api_url": base_url.rstrip("/"),
        # The CSV with its secrets travels in this answer only (nothing keeps them server-side).
        "csv_href": "data:text/csv;charset=utf-8;base64,"
                    + base64.b64encode(text.encode()).decode(),
    })
    response["Cache-Control"] = "no-store, private"
    return response


@_qualification_only
@login_required
@require_safe
def matelas_csv(request):
    """The user's last data set as CSV, without the secrets (shown once, at generation)."""
    result = matelas.latest(request.user)
    if result is None:
        raise Http404()
    response = HttpResponse(matelas.to_csv(result, request.build_absolute_uri("/"),
                                           with_secrets=False), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="matelas-{result.seed}.csv"'
    return response


@_qualification_only
@login_required
@require_safe
def matelas_samples(request):
    """The sample invoices of the user's last data set and their index, as one ZIP."""
    result = matelas.latest(request.user)
    if result is None:
        raise Http404()
    try:
        with transaction.atomic():  # the drafts the files are written from are rolled back
            built = samples.build(result)
    except ChoeurError as exc:  # e.g. the supplier's bank details were removed since
        messages.error(request, f"{exc.message()} [{exc.code}]")
        return redirect("qualification:matelas")
    response = HttpResponse(samples.as_zip(built), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="echantillons-matelas-{result.seed}.zip"')
    return response
@_qualification_only
@login_required
def faults_page(request, account_id):
    """« Injection de pannes » of one technical account: whoever sees the structure's
    Raccordements page sees it; its gestionnaires set and stop the fault (the service
    checks). Another structure's account, or a forged id: not found."""
    account = TechnicalAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise Http404()
    structure = permissions.structure_for(request.user, account.structure_id)
    is_gestionnaire = permissions.is_gestionnaire(request.user, structure)
    if not is_gestionnaire:
        permissions.require_espace(request.user, structure, Espace.RACCORDEMENTS)
    if request.method == "POST":
        if request.POST.get("action") == "stop":
            ok, _result = attempt(request, faults.stop_fault, structure, account.pk)
            done = _("La panne est arrêtée : les appels sont de nouveau servis normalement.")
        else:
            form = request.POST
            ok, _result = attempt(
                request, faults.set_fault, structure, account.pk, kind=form.get("kind", ""),
                every=form.get("every", ""), delay_seconds=form.get("delay_seconds"),
                retry_after_seconds=form.get("retry_after_seconds"),
                flux_outcome=form.get("flux_outcome"),
                flux_after_seconds=form.get("flux_after_seconds") or 0)
            done = _("La panne est active pour ce compte technique.")
        if ok:
            messages.success(request, done)
            return redirect("qualification:faults", account.pk)
    return render(request, "qualification/faults.html", {
        "structure": structure, "account": account, "fault": faults.fault_of(account),
        "is_gestionnaire": is_gestionnaire, "kinds": faults.Kind.choices,
        "outcomes": faults.Outcome.choices, "initial": _initial(account, request.POST),
        "bounds": {"every": faults.EVERY, "delay": faults.DELAY,
                   "retry_after": faults.RETRY_AFTER, "flux_after": faults.FLUX_AFTER},
    })


#: What the form proposes for a fault never set: a retry every other call, short delays.
DEFAULTS = {"kind": "", "every": 1, "delay_seconds": 5, "retry_after_seconds": 30,
            "flux_outcome": faults.Outcome.REJETE, "flux_after_seconds": 60}


def _initial(account, posted) -> dict:
    """The form's values: what was just posted (shown again with its error), else the
    account's fault's settings, else the defaults."""
    values = dict(DEFAULTS)
    fault = faults.fault_of(account)
    if fault is not None:
        values.update({name: getattr(fault, name) or values[name] for name in values})
    values.update({name: posted[name] for name in values if name in posted})
    return values


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


# --- Tester un fichier ---------------------------------------------------------------------------


@_qualification_only
@login_required
def file_test_page(request):
    """« Tester un fichier »: the whole report of what a deposit of a file would meet, on the
    same page; nothing deposited, nothing recorded."""
    structures = [s for s in permissions.visible_structures(request.user)
                  if s.is_active and permissions.can_modify(request.user, s,
                                                           Espace.FACTURES_EMISES)]
    result, status = None, 200
    if request.method == "POST":
        form = forms.FileTestForm(request.POST, request.FILES, structures=structures)
        if form.is_valid():
            data = form.cleaned_data
            # Another structure's id is not among the choices: refused by the form; the
            # service checks the rights again (organisations.permissions).
            structure = permissions.structure_for(request.user, data["structure"])
            upload = data["document"]
            # Outside any transaction: the check writes nothing, and on SQLite a transaction
            # would hold the instance's write lock for the whole validation (seconds at 10 MB).
            try:
                outcome = file_test.check(
                    request.user, structure, upload.read(), upload.name, cadre=data["cadre"],
                    recipient_identifier=data["recipient_identifier"],
                    recipient_service_code=data["recipient_service_code"],
                    engagement_number=data["engagement_number"],
                    validator_identifier=data["validator_identifier"],
                    validator_service_code=data["validator_service_code"])
            except ChoeurError as exc:
                if exc.http_status in (403, 404):
                    raise
                form.add_error(None, f"{exc.message()} [{exc.code}]")
                status = 400
            else:
                result = _report_context(outcome, structure)
        else:
            status = 400
    else:
        # The structure chosen in the header, else a supplier (private) before the public
        # ones: a trainee's matelas gives both kinds.
        chosen = current_structure.current(request)
        preferred = (chosen if chosen is not None and chosen in structures
                     else next((s for s in structures if not s.is_public), None))
        initial = {"structure": preferred.pk} if preferred is not None else {}
        form = forms.FileTestForm(initial=initial, structures=structures)
    return render(request, "qualification/file_test.html", {
        "form": form, "structures": structures, "result": result}, status=status)


def _report_context(result: file_test.FileTestReport, structure) -> dict:
    language = translation.get_language() or "fr"
    checks = [{"key": c.key, "status": c.status, "label": c.label(language), "code": c.code,
               "bt": c.bt, "message": c.message(language), "hint": c.hint(language)}
              for c in result.checks]
    return {
        "structure": structure, "filename": result.filename, "size": result.size,
        "kind": result.kind, "accepted": result.accepted, "verdict": result.verdict(language),
        "checks": checks,
        "failed": sum(1 for c in checks if c["status"] == file_test.FAILED),
        "skipped": sum(1 for c in checks if c["status"] == file_test.SKIPPED),
        "passed": sum(1 for c in checks if c["status"] == file_test.PASSED),
        "report": structured_views.report_context(result.report),
        "read": (read_summary(result.data, result.seller_siret)
                 if result.data is not None and result.kind == file_test.STRUCTURED else None),
    }
