"""The qualification pages (404 in production: they do not exist there)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from choeur.core.permissions import is_platform_admin, require
from choeur.invoicing.views import structured as structured_views
from choeur.invoicing.views.deposit import read_summary
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.organisations.views import attempt
from choeur.qualification import clock_control, errors, file_test, forms


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
            ok, outcome = attempt(
                request, file_test.check, structure, upload.read(), upload.name,
                form=form, cadre=data["cadre"],
                recipient_identifier=data["recipient_identifier"],
                recipient_service_code=data["recipient_service_code"],
                engagement_number=data["engagement_number"],
                validator_identifier=data["validator_identifier"],
                validator_service_code=data["validator_service_code"])
            if ok:
                result = _report_context(outcome, structure)
            else:
                status = 400
        else:
            status = 400
    else:
        initial = {"structure": structures[0].pk} if len(structures) == 1 else {}
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
