"""The structured deposit (Factur-X, UBL, CII) as a unit: the whole validation report at
once, the platform checks with their codes, "Vérifier sans envoyer" that writes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from choeur.core.errors import ChoeurError
from choeur.formats import Severity
from choeur.formats import messages as rule_messages
from choeur.invoicing import errors, forms, structured, verified
from choeur.invoicing.models import TypeDemandePaiement
from choeur.invoicing.views.common import error_text, sent_message
from choeur.invoicing.views.deposit import form_options, read_summary, show_error
from choeur.organisations import permissions
from choeur.organisations.models import Espace

#: The structured deposit form's fieldsets after the file's: legend, notice, fields.
STRUCTURED_GROUPS = [
    (gettext_lazy("Cadre de facturation"), "", (
        "cadre", "supplier_service", "validator_identifier", "validator_service_code")),
    (gettext_lazy("Acheminement, seulement si le fichier ne le précise pas"), gettext_lazy(
        "Ces données sont normalement dans le fichier. Renseignez-les seulement s'il ne les "
        "contient pas : s'il les contient, elles doivent être identiques."), (
        "recipient_identifier", "recipient_service_code", "engagement_number")),
    (gettext_lazy("Paiement et commentaire"), "", ("bank_account", "comment")),
]

SEVERITY_LABELS = {
    Severity.FATAL: gettext_lazy("Fatale"), Severity.ERROR: gettext_lazy("Erreur"),
    Severity.WARNING: gettext_lazy("Avertissement"), Severity.INFO: gettext_lazy("Information"),
}
PROFILE_LABELS = {"minimum": "MINIMUM", "basicwl": "BASIC WL", "basic": "BASIC",
                  "en16931": "EN 16931", "extended": "EXTENDED"}


@login_required
def deposit_structured(request, structure_pk):
    """A Factur-X, UBL or CII file deposited as a unit: fully validated before anything is
    sent (the whole report at once, nothing saved when it fails), then the platform checks
    with their codes, then the deposit. "Vérifier sans envoyer" stops after the report."""
    user = request.user
    structure = permissions.structure_for(user, structure_pk)
    permissions.require_espace(user, structure, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(structure)
    options = form_options(user, structure)
    if request.method != "POST":
        form = forms.StructuredDepositForm(**options)
        return _render_structured(request, structure, form)

    form = forms.StructuredDepositForm(request.POST, request.FILES, **options)
    action = request.POST.get("action")
    if not form.is_valid():
        return _render_structured(request, structure, form, status=400)
    if action not in ("check", "deposit"):
        form.add_error(None, _("Choisissez « Vérifier sans envoyer » ou « Déposer la "
                               "facture »."))
        return _render_structured(request, structure, form, status=400)
    upload = form.cleaned_data["document"]
    token = form.cleaned_data["verified"]
    if upload is not None:  # a file chosen now wins over the one checked before
        name, content = upload.name, upload.read()
    else:
        try:
            name, content = verified.take(request.session, structure.pk, token)
        except errors.VerifiedFileUnknown as exc:
            form.add_error("document", error_text(exc))
            return _render_structured(request, structure, form, status=400)
    if action == "check":
        return _check(request, structure, form, name, content)
    try:
        with transaction.atomic():
            invoice = structured.deposit_file(
                user, structure, content, name, cadre=form.cleaned_data["cadre"],
                keyed=form.to_keyed(),
                attachments=forms.read_files(form.cleaned_data["attachments"]))
    except errors.InvoiceFileInvalid as exc:
        form.add_error(None, error_text(exc))
        return _render_structured(request, structure, form, report=exc.report, status=400,
                                  kept=_kept(request, structure, token, upload))
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        show_error(form, exc)
        return _render_structured(request, structure, form, status=400,
                                  kept=_kept(request, structure, token, upload))
    if token:
        verified.forget(request.session, token)
    if invoice.type_demande_paiement == TypeDemandePaiement.FACTURE_TRAVAUX:
        # A works piece (BT-23 names a travaux cadre) joined its dossier de facturation.
        messages.success(request, _("La pièce n° %(number)s a rejoint son dossier de "
                                    "facturation.") % {"number": invoice.number})
        return redirect("travaux:detail", invoice.piece.dossier_id)
    messages.success(request, sent_message(invoice))
    return redirect("invoicing:issued_detail", invoice.pk)


def _kept(request, structure, token: str, upload) -> dict | None:
    """The checked file still kept for a new try (when it was the one deposited)."""
    if upload is not None or not token:
        return None
    entry = verified.describe(request.session, structure.pk, token)
    return {"token": token, "name": entry["name"]} if entry else None


def _check(request, structure, form, name: str, content: bytes):
    """"Vérifier sans envoyer": the report, then every platform check a sending would make,
    nothing recorded. 200 whatever the verdict: the check itself went well. A valid file is
    kept for this session (invoicing.verified): « Déposer la facture » then deposits exactly
    these bytes, without choosing the file again."""
    examined = structured.examine(content)
    if examined.data is None or not examined.report.valid:
        return _render_structured(request, structure, form, report=examined.report,
                                  checked={"read": None})
    kept = {"token": verified.keep(request.session, structure.pk, name, content),
            "name": name}
    checked = {"read": read_summary(examined.data, examined.seller_siret)}
    try:
        with transaction.atomic():
            structured.check_file(request.user, structure, content,
                                  cadre=form.cleaned_data["cadre"], keyed=form.to_keyed())
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        show_error(form, exc)
        checked["refused"] = True
    return _render_structured(request, structure, form, report=examined.report,
                              checked=checked, kept=kept)


def _render_structured(request, structure, form, *, report=None, checked=None, status=200,
                       kept=None):
    return render(request, "invoicing/deposit_structured.html", {
        "structure": structure, "form": form, "kept": kept,
        "groups": [(legend, notice, [form[name] for name in names if name in form.fields])
                   for legend, notice, names in STRUCTURED_GROUPS],
        "report": report_context(report) if report is not None else None,
        "checked": checked,
    }, status=status)


def report_context(report) -> dict:
    """A validation report (choeur.formats) as `invoicing/_report.html` shows it: every
    finding, in the order the layers found them, in the reader's language."""
    english = (translation.get_language() or "fr").startswith("en")
    findings = []
    for finding in report.findings:
        message = finding.message_en if english else finding.message_fr
        rule_text = finding.rule_text if (
            finding.rule == "UNNAMED_RULE" and finding.rule_text
            and finding.rule_text not in message) else ""
        findings.append({
            "severity": str(finding.severity), "blocking": finding.blocking,
            "severity_label": SEVERITY_LABELS.get(finding.severity, finding.severity),
            "rule": finding.rule, "bt": finding.bt, "message": message,
            "location": finding.location, "hint": rule_messages.hint(finding, english),
            "rule_text": rule_text,
        })
    blocking = sum(1 for f in findings if f["blocking"])
    return {
        "valid": report.valid, "readable": report.readable, "findings": findings,
        "blocking": blocking, "others": len(findings) - blocking,
        "syntax": report.syntax, "container": report.container,
        "profile": PROFILE_LABELS.get(report.profile, report.profile),
    }


