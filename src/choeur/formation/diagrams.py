"""Status diagrams drawn from the transition table itself (invoicing/statuses.py `TABLE`), as
server-rendered SVG: the lifecycle of an ordinary invoice and the circuit of a works piece
between supplier, maître d'œuvre and maître d'ouvrage. Whatever the table says, the drawing
says; nothing is placed by hand.

The layout is a small layered (Sugiyama-style) drawing:
1. the edges: the table's moves between the diagram's statuses, one per (source, target) with
   the roles that make it, self-moves left out; a move that the same role can also make in
   two steps (the recipient's optional processing steps, which « may be skipped ») is left
   out too (`reduce`), said in the legend;
2. the cycles broken by a depth-first walk from the first status, the later moves first (so
   that the main path goes down and the answers — recycle, complete, correct — go back up);
3. each status on the layer of its longest path from the start; a move spanning several
   layers passes through a point on each (its « dummies »), so it never crosses a box;
4. the order within a layer by the mean position of its predecessors, a few sweeps.
Moves that go back up are drawn dashed on the right of the boxes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from choeur.invoicing.statuses import TABLE, Role, Status

BOX_W, BOX_H = 184, 36
LAYER_H = 64
COLUMN_W = 204
LANE_W = 22
MARGIN = 24
SWEEPS = 6

#: One colour a role (the CSS classes `diagram-role-<role>` in choeur.css), named in the legend.
ROLE_NAMES = {Role.SUPPLIER: ("Fournisseur", "Supplier"), Role.VALIDATOR: ("Valideur", "Validator"),
              Role.RECIPIENT: ("Destinataire", "Recipient"),
              Role.MOE: ("Maîtrise d'œuvre", "Maître d'œuvre"),
              Role.MOA: ("Maîtrise d'ouvrage", "Maître d'ouvrage"),
              Role.SYSTEM: ("Chorus Pro (automatique)", "Chorus Pro (automatic)")}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    roles: tuple[Role, ...]


def edges_of(statuses: tuple[str, ...], roles: tuple[Role, ...]) -> list[Edge]:
    """The table's moves between `statuses` by `roles`, one edge per (source, target), in the
    table's order; self-moves (a piece moved to another service) left out."""
    wanted, found = set(statuses), {}
    for move in TABLE:
        if move.source in wanted and move.target in wanted and move.role in roles \
                and move.source != move.target:
            key = (move.source, move.target)
            if move.role not in found.setdefault(key, []):
                found[key].append(move.role)
    return [Edge(s, t, tuple(r)) for (s, t), r in found.items()]


def reduce(edges: list[Edge]) -> list[Edge]:
    """Leave out a move a role can also make in two of its own steps, unless it needs a reason
    (a suspension or a rejection is a decision of its own, drawn from every status it leaves):
    what remains shows the chain, and the legend says its steps may be skipped."""
    from choeur.invoicing.statuses import find

    by_role: dict[Role, set[tuple[str, str]]] = defaultdict(set)
    for edge in edges:
        for role in edge.roles:
            by_role[role].add((edge.source, edge.target))
    kept = []
    for edge in edges:
        roles = tuple(role for role in edge.roles if not _skippable(edge, role, by_role[role],
                                                                    find))
        if roles:
            kept.append(Edge(edge.source, edge.target, roles))
    return kept


def _skippable(edge: Edge, role: Role, moves: set[tuple[str, str]], find) -> bool:
    rule = find(edge.source, edge.target, role)
    if rule is not None and rule.reason_required:
        return False
    return any((edge.source, middle) in moves and (middle, edge.target) in moves
               for middle in {t for s, t in moves if s == edge.source} - {edge.target})


@dataclass
class Layout:
    nodes: dict[str, tuple[float, float]]  # status → centre of its box
    forward: list[tuple[Edge, list[tuple[float, float]]]]  # an edge and the points it passes
    backward: list[Edge]
    width: float
    height: float


def layout(start: str, statuses: tuple[str, ...], edges: list[Edge]) -> Layout:
    successors: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        successors[edge.source].append(edge.target)
    back = _back_edges(start, statuses, successors)
    dag = [e for e in edges if (e.source, e.target) not in back]

    layer = dict.fromkeys(statuses, 0)
    for _ in statuses:  # longest path: at most as many rounds as statuses
        changed = False
        for edge in dag:
            if layer[edge.target] < layer[edge.source] + 1:
                layer[edge.target], changed = layer[edge.source] + 1, True
        if not changed:
            break

    # Dummies: a long move passes a point on each layer between its ends.
    rows: dict[int, list[str]] = defaultdict(list)
    for status in statuses:
        rows[layer[status]].append(status)
    chains: dict[tuple[str, str], list[str]] = {}
    parents: dict[str, list[str]] = defaultdict(list)
    for edge in dag:
        chain = [edge.source]
        for level in range(layer[edge.source] + 1, layer[edge.target]):
            dummy = f"·{edge.source}>{edge.target}@{level}"
            rows[level].append(dummy)
            chain.append(dummy)
        chain.append(edge.target)
        chains[(edge.source, edge.target)] = chain
        for upper, lower in zip(chain, chain[1:], strict=False):
            parents[lower].append(upper)

    children: dict[str, list[str]] = defaultdict(list)
    for lower, uppers in parents.items():
        for upper in uppers:
            children[upper].append(lower)
    levels = sorted(rows)
    position = {name: float(index) for level in levels for index, name in enumerate(rows[level])}

    def sort(level, neighbours):
        rows[level].sort(key=lambda name: (
            sum(position[n] for n in neighbours[name]) / len(neighbours[name])
            if neighbours[name] else position[name]))
        for index, name in enumerate(rows[level]):
            position[name] = float(index)

    for _ in range(SWEEPS):  # down by the predecessors, then up by the successors
        for level in levels[1:]:
            sort(level, parents)
        for level in reversed(levels[:-1]):
            sort(level, children)

    # A status takes a column, a long move's point a narrow lane: each row centred.
    def span(name):
        return COLUMN_W if name in layer else LANE_W

    widest = max(sum(map(span, rows[level])) for level in levels)
    width = 2 * MARGIN + widest + 60  # room on the right for the moves back up
    centres: dict[str, tuple[float, float]] = {}
    for level in levels:
        x = MARGIN + (widest - sum(map(span, rows[level]))) / 2
        for name in rows[level]:
            centres[name] = (x + span(name) / 2, MARGIN + level * LAYER_H + BOX_H / 2)
            x += span(name)
    return Layout(
        nodes={s: centres[s] for s in statuses},
        forward=[(e, [centres[n] for n in chains[(e.source, e.target)]]) for e in dag],
        backward=[e for e in edges if (e.source, e.target) in back],
        width=width, height=2 * MARGIN + (max(levels) + 1) * LAYER_H - (LAYER_H - BOX_H))


def _back_edges(start: str, statuses, successors) -> set[tuple[str, str]]:
    """The moves that close a cycle, found by a depth-first walk from `start` visiting the
    later moves of the table first; statuses it does not reach are walked from afterwards."""
    state: dict[str, int] = {}  # 1 on the walk's path, 2 done
    back: set[tuple[str, str]] = set()

    def walk(node):
        state[node] = 1
        for target in reversed(successors[node]):
            if state.get(target) == 1:
                back.add((node, target))
            elif target not in state:
                walk(target)
        state[node] = 2

    for root in (start, *statuses):
        if root not in state:
            walk(root)
    return back


# --- Drawing -------------------------------------------------------------------------------


def _label(status: str, language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return str(Status(status).label)


def _lines(text: str, limit: int = 26) -> list[str]:
    """A label on two lines at most, cut between words."""
    words, lines = text.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            if len(lines) == 2:
                lines[-1] += "…"
                break
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def _role_class(edge: Edge) -> str:
    return f"diagram-role-{edge.roles[0].value.lower()}"


def draw(ident: str, title: str, description: str, start: str, statuses: tuple[str, ...],
         roles: tuple[Role, ...], language: str, *, final: tuple[str, ...] = (),
         note: str = "") -> SafeString:
    """The diagram of `statuses` as an SVG figure: its title and description for screen
    readers, a box a status (its label, its code as a tooltip), an arrow a move coloured by
    the role that makes it, then the legend."""
    edges = reduce(edges_of(statuses, roles))
    placed = layout(start, statuses, edges)
    english = language == "en"
    parts = [f'<svg class="diagram" viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" '
             f'role="img" aria-labelledby="{ident}-t {ident}-d" data-testid="{ident}">'
             f'<title id="{ident}-t">{escape(title)}</title>'
             f'<desc id="{ident}-d">{escape(description)}</desc>'
             '<defs>' + "".join(
                 f'<marker id="{ident}-arrow-{role.value.lower()}" viewBox="0 0 10 10" refX="9" '
                 f'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                 f'<path d="M0,0 L10,5 L0,10 z" class="diagram-head diagram-role-'
                 f'{role.value.lower()}"/></marker>' for role in roles) + '</defs>']
    for edge, points in placed.forward:
        (x0, y0), (x1, y1) = points[0], points[-1]
        path = [f"M{x0:.1f},{y0 + BOX_H / 2:.1f}"]
        route = [(x0, y0 + BOX_H / 2), *points[1:-1], (x1, y1 - BOX_H / 2)]
        for (ax, ay), (bx, by) in zip(route, route[1:], strict=False):
            middle = (ay + by) / 2
            path.append(f"C{ax:.1f},{middle:.1f} {bx:.1f},{middle:.1f} {bx:.1f},{by:.1f}")
        parts.append(_edge(ident, edge, " ".join(path), language))
    for edge in placed.backward:
        (x0, y0), (x1, y1) = placed.nodes[edge.source], placed.nodes[edge.target]
        reach = max(x0, x1) + BOX_W / 2 + 28 + 6 * (abs(y0 - y1) // LAYER_H)
        path = (f"M{x0 + BOX_W / 2:.1f},{y0:.1f} C{reach:.1f},{y0:.1f} {reach:.1f},{y1:.1f} "
                f"{x1 + BOX_W / 2:.1f},{y1:.1f}")
        parts.append(_edge(ident, edge, path, language, back=True))
    for status, (x, y) in placed.nodes.items():
        lines = _lines(_label(status, language))
        kind = " diagram-final" if status in final else (" diagram-start" if status == start
                                                         else "")
        text = "".join(
            f'<tspan x="{x:.1f}" dy="{0 if index == 0 else 13}">{escape(line)}</tspan>'
            for index, line in enumerate(lines))
        top = y - (6 if len(lines) == 2 else 0) + 4
        parts.append(f'<g class="diagram-status{kind}" data-status="{escape(status)}">'
                     f'<title>{escape(status)}</title>'
                     f'<rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="7"/>'
                     f'<text x="{x:.1f}" y="{top:.1f}" text-anchor="middle">{text}</text></g>')
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="diagram-swatch diagram-role-{role.value.lower()}"></span> '
        f'{escape(ROLE_NAMES[role][1 if english else 0])}</li>' for role in roles)
    dashed = ("Dashed: a move back (an answer, a correction, a new routing)." if english else
              "En pointillés : un retour (une réponse, une correction, un nouvel "
              "acheminement).")
    notes = f"<p class='diagram-note'>{escape(dashed)}{' ' + escape(note) if note else ''}</p>"
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'<figure class="formation-figure diagram-figure">{"".join(parts)}'
        f'<figcaption><ul class="diagram-legend">{legend}</ul>{notes}</figcaption></figure>')


def _edge(ident: str, edge: Edge, path: str, language: str, back: bool = False) -> str:
    role = edge.roles[0].value.lower()
    who = ", ".join(ROLE_NAMES[r][1 if language == "en" else 0] for r in edge.roles)
    return (f'<path d="{path}" class="diagram-edge {_role_class(edge)}'
            f'{" diagram-back" if back else ""}" marker-end="url(#{ident}-arrow-{role})" '
            f'data-from="{escape(edge.source)}" data-to="{escape(edge.target)}">'
            f'<title>{escape(_label(edge.source, language))} → '
            f'{escape(_label(edge.target, language))} ({escape(who)})</title></path>')
