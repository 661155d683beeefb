"""The dashboards' tables: each figure as (headers, rows) of plain values, shown beside its
chart on the page and downloaded as CSV.

CSV: UTF-8 with a byte order mark, `;` between fields, CRLF line ends, decimal comma, dates
as YYYY-MM-DD (months as YYYY-MM): what a French Excel opens with a double click, and what
the house's other CSV files (annuaire, flux rejections) use. Cells that a spreadsheet would
take for a formula (=, +, -, @ first) are prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from choeur.invoicing.statuses import Status
from choeur.reporting import errors, queries

#: Rows a table shows on the page; the rest are in its CSV (a supplier's payment delays have
#: a row per recipient: thousands for a big one, 200 ms of HTML at 10 M invoices).
PAGE_ROWS = 50


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)

    @property
    def shown(self) -> list[list]:
        return self.rows[:PAGE_ROWS]

    @property
    def not_shown(self) -> int:
        return max(len(self.rows) - PAGE_ROWS, 0)


def step_label(key: str) -> str:
    return {
        "mise_a_disposition": _("Dépôt → mise à disposition"),
        "premiere_action": _("Dépôt → première action du destinataire"),
        "mise_en_paiement": _("Dépôt → mise en paiement"),
    }[key]


def reason_label(reason: str) -> str:
    return {queries.NO_REASON: _("(sans motif)"),
            queries.OTHER_REASONS: _("(autres motifs)")}.get(reason, reason)


def recipient_tables(figures: dict) -> dict[str, Table]:
    tables = {
        "volumes": Table("volumes", _("Factures reçues par mois"),
                         [_("Mois"), _("Factures reçues"), _("Montant TTC (EUR)")],
                         [[row["month"], row["count"], row["amount"]]
                          for row in figures["volumes"]]),
        "delais": Table("delais", _("Délais de traitement (médianes)"),
                        [_("Étape"), _("Factures concernées"), _("Médiane (jours)")],
                        [[step_label(row["step"]), row["count"], row["median_days"]]
                         for row in figures["processing_times"]]),
    }
    rates = figures["rejection_rates"]
    motifs = Table("motifs", _("Rejets et suspensions par motif"),
                   [_("Statut"), _("Motif"), _("Factures"), _("Part des factures reçues (%)")])
    for status, part in rates["statuses"].items():
        label = str(Status(status).label)
        motifs.rows.append([label, _("(tous motifs)"), part["count"], part["rate"]])
        for reason in part["reasons"]:
            motifs.rows.append([label, reason_label(reason["reason"]), reason["count"],
                                reason["rate"]])
    tables["motifs"] = motifs
    late = figures["late_payments"]
    if late is not None:
        tables["retards"] = Table(
            "retards", _("Retards de paiement"),
            [_("Catégorie"), _("Factures"), _("Montant dû (EUR)"), _("Retard moyen (jours)"),
             _("Retard maximal (jours)")],
            [[label, late[key]["count"], late[key]["amount"], late[key]["mean_days"],
              late[key]["max_days"]]
             for key, label in (("paid_late", _("Payées en retard")),
                                ("unpaid_overdue", _("Échues, non payées")))])
    return tables


def supplier_tables(figures: dict) -> dict[str, Table]:
    return {
        "statuts": Table("statuts", _("Factures par statut"),
                         [_("Statut"), _("Factures"), _("Montant TTC (EUR)")],
                         [[row["label"], row["count"], row["amount"]]
                          for row in figures["by_status"]]),
        "paiements": Table("paiements", _("Délai moyen de paiement par destinataire"),
                           [_("Destinataire"), _("Identifiant"), _("Factures payées"),
                            _("Délai moyen (jours)")],
                           [[row["recipient"], row["identifier"], row["count"],
                             row["mean_days"]] for row in figures["payment_times"]]),
    }


def recipient_figures(actor, f: queries.Filters) -> dict:
    return {"volumes": queries.volumes(actor, f),
            "processing_times": queries.processing_times(actor, f),
            "rejection_rates": queries.rejection_rates(actor, f),
            "late_payments": queries.late_payments(actor, f)}


def supplier_figures(actor, f: queries.Filters) -> dict:
    return {"by_status": queries.by_status(actor, f),
            "payment_times": queries.payment_times(actor, f)}


def table(actor, f: queries.Filters, name: str) -> Table:
    """One table only (the CSV download): its figure alone is computed."""
    one = {
        queries.RECIPIENT: {
            "volumes": lambda: {"volumes": queries.volumes(actor, f)},
            "delais": lambda: {"processing_times": queries.processing_times(actor, f)},
            "motifs": lambda: {"rejection_rates": queries.rejection_rates(actor, f)},
            "retards": lambda: {"late_payments": queries.late_payments(actor, f)},
        },
        queries.SUPPLIER: {
            "statuts": lambda: {"by_status": queries.by_status(actor, f)},
            "paiements": lambda: {"payment_times": queries.payment_times(actor, f)},
        },
    }[f.side]
    if name not in one:
        raise errors.TableUnknown(name=name[:40])
    figures = {"volumes": [], "processing_times": [],
               "rejection_rates": {"total": 0, "statuses": {}}, "late_payments": None,
               "by_status": [], "payment_times": [], **one[name]()}
    built = (recipient_tables if f.side == queries.RECIPIENT else supplier_tables)(figures)
    if name not in built:
        raise errors.TableUnknown(name=name[:40])
    return built[name]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.strftime("%Y-%m") if value.day == 1 else value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}".replace(".", ",")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(t: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(t.headers)
    for row in t.rows:
        writer.writerow([_cell(v) for v in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
