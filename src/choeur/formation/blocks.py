"""The guides' generated parts (a line `[[name]]` in a guide, formation/guides.py): drawn from
the code's own tables, so that a guide never disagrees with the software it teaches.

Each block is a function of the language (« fr » or « en ») returning HTML; every text is
escaped. A chart comes with its figures as a list or a table (the reader of a screen reader,
or of a printed page, gets the same facts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from choeur.invoicing.models import Cadre, TravauxCadre
from choeur.invoicing.statuses import (
    INVOICE_STATUSES,
    TABLE,
    TERMINAL,
    TRAVAUX_ONLY,
    Role,
    Status,
)


def _in(language: str, text) -> str:
    """A lazy translation (a status's, a cadre's label) in the guide's language."""
    with translation.override(language):
        return str(text)


# --- The échéancier (reference §7.2 and §7.6) ----------------------------------------------

@dataclass(frozen=True)
class Milestone:
    day: date
    fr: str
    en: str


ECHEANCIER = (
    Milestone(date(2017, 1, 1),
              "L'État, les collectivités et les établissements publics acceptent les factures "
              "électroniques ; les grandes entreprises (5 000 salariés et plus) et les "
              "personnes publiques les émettent",
              "The State, local authorities and public bodies accept electronic invoices; "
              "large companies (5,000 employees or more) and public persons issue them"),
    Milestone(date(2018, 1, 1), "Les entreprises de taille intermédiaire (250 à 4 999 "
              "salariés) émettent", "Intermediate-sized companies (250 to 4,999) issue"),
    Milestone(date(2019, 1, 1), "Les PME (10 à 249 salariés) émettent",
              "Small and medium companies (10 to 249) issue"),
    Milestone(date(2020, 1, 1), "Les microentreprises (moins de 10 salariés) émettent : "
              "toutes les factures aux entités publiques sont électroniques",
              "Micro-companies (fewer than 10) issue: every invoice to a public body is "
              "electronic"),
    Milestone(date(2026, 9, 1), "Réforme B2B : toutes les entreprises reçoivent ; les "
              "grandes entreprises et les ETI émettent (plateformes agréées)",
              "B2B reform: every company receives; large and intermediate-sized companies "
              "issue (approved platforms)"),
    Milestone(date(2027, 9, 1), "Réforme B2B : les PME et les microentreprises émettent",
              "B2B reform: small, medium and micro-companies issue"),
)


def _day(day: date, language: str) -> str:
    if language == "en":
        return day.strftime("%-d %B %Y")
    months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {months[day.month - 1]} {day.year}"


def echeancier(language: str) -> SafeString:
    """The schedule as a timeline (SVG, one mark a milestone on a line of years), then as a
    list."""
    first, last = 2016, 2028
    width, left, right, axis = 760, 30, 30, 70
    scale = (width - left - right) / (last - first)

    def x(day: date) -> float:
        return left + (day.year - first + (day.timetuple().tm_yday - 1) / 365) * scale

    title = "Échéancier de la facturation électronique" if language == "fr" else \
        "Electronic invoicing schedule"
    desc = ("Frise : les dates de l'obligation, de 2017 à 2027 ; la liste qui suit les "
            "détaille." if language == "fr" else
            "Timeline: the obligation's dates, 2017 to 2027; the list below details them.")
    parts = [f'<svg class="timeline" viewBox="0 0 {width} 120" role="img" '
             f'aria-labelledby="echeancier-t echeancier-d" data-testid="formation-echeancier">'
             f'<title id="echeancier-t">{escape(title)}</title>'
             f'<desc id="echeancier-d">{escape(desc)}</desc>',
             f'<line x1="{left}" y1="{axis}" x2="{width - right}" y2="{axis}" '
             f'class="timeline-axis"/>']
    for year in range(first, last + 1):
        at = left + (year - first) * scale
        parts.append(f'<line x1="{at:.1f}" y1="{axis - 4}" x2="{at:.1f}" y2="{axis + 4}" '
                     f'class="timeline-tick"/><text x="{at:.1f}" y="{axis + 20}" '
                     f'text-anchor="middle" class="timeline-year">{year}</text>')
    for index, milestone in enumerate(ECHEANCIER):
        at = x(milestone.day)
        label = milestone.day.strftime("%m/%Y")
        up = index % 2 == 0
        parts.append(f'<circle cx="{at:.1f}" cy="{axis}" r="6" class="timeline-mark"/>'
                     f'<text x="{at:.1f}" y="{axis - 16 if up else axis + 40}" '
                     f'text-anchor="middle" class="timeline-label">{escape(label)}</text>')
    parts.append("</svg>")
    items = "".join(
        f"<li><strong>{escape(_day(m.day, language))}</strong> : {escape(getattr(m, language))}"
        "</li>" if language == "fr" else
        f"<li><strong>{escape(_day(m.day, language))}</strong>: {escape(getattr(m, language))}"
        "</li>" for m in ECHEANCIER)
    return mark_safe(f'<figure class="formation-figure">{"".join(parts)}'  # noqa: S308 (escaped above)
                     f'<ul class="timeline-list">{items}</ul></figure>')


# --- Statuses and cadres (invoicing/statuses.py, invoicing/models.py) ---------------------

ROLES = {Role.SUPPLIER: ("le fournisseur", "the supplier"),
         Role.RECIPIENT: ("le destinataire", "the recipient"),
         Role.VALIDATOR: ("le valideur", "the validator"),
         Role.MOE: ("la maîtrise d'œuvre", "the maître d'œuvre"),
         Role.MOA: ("la maîtrise d'ouvrage", "the maître d'ouvrage"),
         Role.SYSTEM: ("Chorus Pro (automatique)", "Chorus Pro (automatic)")}


#: Who acts on an ordinary invoice (the maîtrises d'œuvre and d'ouvrage act on works pieces).
INVOICE_ROLES = (Role.SUPPLIER, Role.VALIDATOR, Role.RECIPIENT, Role.SYSTEM)


def next_moves(status: str) -> list[tuple[Role, list[str]]]:
    """Who may move an invoice out of `status`, and to which statuses, in the table's order."""
    moves: dict[Role, list[str]] = {}
    for transition in TABLE:
        if transition.source == status and transition.role in INVOICE_ROLES \
                and transition.target in INVOICE_STATUSES \
                and transition.target not in moves.get(transition.role, []):
            moves.setdefault(transition.role, []).append(transition.target)
    return list(moves.items())


def statuts(language: str) -> SafeString:
    """Every status of an invoice (INVOICE_STATUSES), with who acts next and towards what."""
    english = language == "en"
    head = ("<tr><th scope='col'>Code</th><th scope='col'>Status</th>"
            "<th scope='col'>Next</th></tr>" if english else
            "<tr><th scope='col'>Code</th><th scope='col'>Statut</th>"
            "<th scope='col'>Ensuite</th></tr>")
    rows = []
    for status in INVOICE_STATUSES:
        moves = next_moves(status)
        if status in TERMINAL or not moves:
            after = "Final status." if english else "Statut final."
        else:
            after = "; ".join(
                f"{ROLES[role][1 if english else 0]} → "
                + ", ".join(_in(language, Status(target).label) for target in targets)
                for role, targets in moves)
        rows.append(f"<tr data-status='{escape(status)}'><td><code>{escape(status)}</code></td>"
                    f"<td>{escape(_in(language, Status(status).label))}</td>"
                    f"<td>{escape(after)}</td></tr>")
    return mark_safe(  # noqa: S308 (every value escaped above)
        f"<table class='table formation-table' data-testid='formation-statuts'><thead>{head}"
        f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _cadres(language: str, choices, testid: str) -> SafeString:
    english = language == "en"
    head = ("<tr><th scope='col'>Code</th><th scope='col'>Framework</th></tr>" if english else
            "<tr><th scope='col'>Code</th><th scope='col'>Cadre de facturation</th></tr>")
    rows = "".join(f"<tr data-cadre='{escape(value)}'><td><code>{escape(value)}</code></td>"
                   f"<td>{escape(_in(language, label))}</td></tr>"
                   for value, label in choices.choices)
    return mark_safe(  # noqa: S308 (every value escaped above)
        f"<table class='table formation-table' data-testid='{testid}'><thead>{head}</thead>"
        f"<tbody>{rows}</tbody></table>")


def cadres(language: str) -> SafeString:
    """The cadres of an ordinary invoice (invoicing.models.Cadre)."""
    return _cadres(language, Cadre, "formation-cadres")


def cadres_travaux(language: str) -> SafeString:
    """The cadres of the works pieces (invoicing.models.TravauxCadre)."""
    return _cadres(language, TravauxCadre, "formation-cadres-travaux")


# --- Diagrams from the transition table (formation/diagrams.py) -----------------------------


def cycle_de_vie(language: str) -> SafeString:
    """The lifecycle of an ordinary invoice: every status of INVOICE_STATUSES, every move of
    the table between them."""
    from choeur.formation import diagrams

    english = language == "en"
    return diagrams.draw(
        "formation-cycle-de-vie",
        "Invoice lifecycle" if english else "Cycle de vie d'une facture",
        ("Diagram: each status of an invoice and the moves between them, by who makes them; "
         "the table below lists the same." if english else
         "Schéma : chaque statut d'une facture et les passages de l'un à l'autre, selon qui "
         "les fait ; le tableau qui suit donne les mêmes."),
        Status.BROUILLON, INVOICE_STATUSES, INVOICE_ROLES, language, final=TERMINAL,
        note=("The recipient may skip processing steps: from « Made available » straight to "
              "« Payment made », for instance." if english else
              "Le destinataire peut sauter des étapes du traitement : de « Mise à disposition "
              "» directement à « Mise en paiement », par exemple."))


#: The works pieces' statuses the table moves (a status it never names is not drawn).
def _travaux_statuses() -> tuple[str, ...]:
    named = {s for t in TABLE if t.role in TRAVAUX_ROLES for s in (t.source, t.target)}
    return tuple(s for s in (Status.BROUILLON, *TRAVAUX_ONLY, Status.DEPOSEE) if s in named)


TRAVAUX_ROLES = (Role.SUPPLIER, Role.MOE, Role.MOA, Role.SYSTEM)


def circuit_travaux(language: str) -> SafeString:
    """A works piece between the supplier, the maître d'œuvre and the maître d'ouvrage: the
    table's moves among the works statuses, from the draft to its deposit to the paying
    service."""
    from choeur.formation import diagrams

    english = language == "en"
    return diagrams.draw(
        "formation-circuit-travaux",
        "A works piece's circuit" if english else "Circuit d'une pièce de travaux",
        ("Diagram: the statuses of a works piece (projet de décompte, état d'acompte, "
         "décompte général) and the moves between them, by who makes them." if english else
         "Schéma : les statuts d'une pièce de travaux (projet de décompte, état d'acompte, "
         "décompte général) et les passages de l'un à l'autre, selon qui les fait."),
        Status.BROUILLON, _travaux_statuses(), TRAVAUX_ROLES, language,
        final=(Status.ASSOCIEE, Status.DEPOSEE, Status.REFUSEE_MOE, Status.REFUSEE_MOA,
               Status.REFUSEE_FOURNISSEUR, Status.REMPLACEE_PAR_A22),
        note=("« Associated »: the next piece (the MOE's état d'acompte, the MOA's) answers "
              "it; the last piece is deposited to the paying service as an invoice." if english
              else "« Associée » : la pièce suivante (l'état d'acompte de la MOE, celui de la "
                   "MOA) lui répond ; la dernière pièce est déposée au service payeur comme "
                   "une facture."))


BLOCKS: dict[str, Callable[[str], SafeString]] = {
    "cycle-de-vie": cycle_de_vie,
    "circuit-travaux": circuit_travaux,
    "echeancier": echeancier,
    "statuts": statuts,
    "cadres": cadres,
    "cadres-travaux": cadres_travaux,
}
