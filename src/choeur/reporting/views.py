"""The dashboards' pages (« Tableau de bord »), linked from the lists « Factures reçues » and
« Factures émises »: filters in the query string (GET: nothing changes), the figures as SVG
charts beside their tables, each table as CSV. Bad filters show their coded error, no figure.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from choeur.core.errors import ChoeurError
from choeur.reporting import charts, queries, tables

TEMPLATES = {queries.RECIPIENT: "reporting/recipient.html",
             queries.SUPPLIER: "reporting/supplier.html"}


def _filters(request, side):
    from choeur.web import current_structure

    get = request.GET
    structure = get.get("structure")
    if structure is None:
        chosen = current_structure.current(request)
        structure = chosen.pk if chosen is not None else None
    return queries.filters(request.user, side, structure=structure, start=get.get("du"),
                           end=get.get("au"), service=get.get("service"),
                           partner=get.get("partenaire"))


def _number(value, places=0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{places}f}".replace(",", "\u202f").replace(".", ",")
    return text


def _charts(side, figures) -> dict:
    if side == queries.RECIPIENT:
        months = [charts.Bar(row["month"].strftime("%m/%y"), row["count"],
                             _number(row["count"])) for row in figures["volumes"]]
        rates = figures["rejection_rates"]
        bars = []
        for status, part in rates["statuses"].items():
            label = str(queries.Status(status).label)
            bars.append(charts.Bar(label, part["rate"], f"{_number(part['rate'], 1)} %"))
            for reason in part["reasons"]:
                bars.append(charts.Bar(f"{label} : {tables.reason_label(reason['reason'])}",
                                       reason["rate"], f"{_number(reason['rate'], 1)} %"))
        steps = [charts.Bar(tables.step_label(row["step"]), row["median_days"] or 0,
                            _("{days} j").format(days=_number(row["median_days"], 1)))
                 for row in figures["processing_times"]]
        return {
            "volumes": charts.columns(
                months, title=_("Factures reçues par mois"),
                desc=_("Diagramme en barres : nombre de factures reçues chaque mois de la "
                       "période ; les valeurs figurent aussi dans le tableau qui suit.")),
            "delais": charts.rows(
                steps, title=_("Délais de traitement (médianes, en jours)"),
                desc=_("Barres horizontales : médiane en jours du dépôt à chaque étape.")),
            "motifs": charts.rows(
                bars, maximum=100, title=_("Taux de rejet et de suspension par motif (%)"),
                desc=_("Barres horizontales : part des factures reçues rejetées ou "
                       "suspendues, au total puis par motif.")),
        }
    statuses = [charts.Bar(row["label"], row["count"], _number(row["count"]))
                for row in figures["by_status"]]
    payments = [charts.Bar(row["recipient"], row["mean_days"],
                           _("{days} j").format(days=_number(row["mean_days"], 1)))
                for row in figures["payment_times"][:15]]
    return {
        "statuts": charts.rows(statuses, title=_("Factures par statut"),
                               desc=_("Barres horizontales : nombre de factures par statut.")),
        "paiements": charts.rows(
            payments, title=_("Délai moyen de paiement par destinataire (jours)"),
            desc=_("Barres horizontales : délai moyen du dépôt à la mise en paiement, "
                   "destinataires les plus lents d'abord (15 au plus ; tous dans le fichier "
                   "CSV).")),
    }


@login_required
@require_safe
def dashboard(request, side):
    if side not in queries.SIDES:
        raise Http404
    actor = request.user
    context = {"side": side, "structures": queries.structures(actor, side),
               "query": request.GET.urlencode()}
    try:
        f = _filters(request, side)
    except ChoeurError as error:
        context["error"] = error
        status = error.http_status
        return render(request, TEMPLATES[side], context, status=status)
    figures = (tables.recipient_figures if side == queries.RECIPIENT
               else tables.supplier_figures)(actor, f)
    built = (tables.recipient_tables if side == queries.RECIPIENT
             else tables.supplier_tables)(figures)
    pictures = _charts(side, figures)
    context.update({
        "filters": f, "services": queries.services(actor, f.structure, side),
        "tables": [(t, pictures.get(name)) for name, t in built.items()],
        "late_unavailable": side == queries.RECIPIENT and figures["late_payments"] is None,
        "total": (figures["rejection_rates"]["total"] if side == queries.RECIPIENT
                  else sum(row["count"] for row in figures["by_status"])),
    })
    return render(request, TEMPLATES[side], context)


@login_required
@require_safe
def table_csv(request, side, name):
    if side not in queries.SIDES:
        raise Http404
    f = _filters(request, side)  # a ChoeurError is rendered by ChoeurErrorMiddleware
    t = tables.table(request.user, f, name)
    response = HttpResponse(tables.to_csv(t), content_type="text/csv; charset=utf-8")
    filename = f"tableau-de-bord-{side}-{name}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
