"""Status diagrams drawn from the transition table itself (invoicing/statuses.py `TABLE`), as
server-rendered SVG: the lifecycle of an ordinary invoice and the circuit of a works piece
between supplier, maître d'œuvre and maître d'ouvrage. Whatever the table says, the drawing
says; nothing is placed by hand.

The layout is a small layered (Sugiyama-style) drawing:
1. the edges: the table's moves between the diagram's statuses, one per (source, target) with
   the roles that make it, self-moves left out; a move that the same role can also make in
   two steps (the recipient's optional processing steps, which « may be skipped ») is left
   out too (`reduce`), said in the legend;
2. the cycles broken by an order of the statuses (`_back_edges`): the moves against it are
   drawn back up, dashed — the supplier's answers and corrections, the processing taken up
   again after a completion; the main path goes down;
3. each status on the layer of its longest path from the start; a move spanning several
   layers passes down a lane on each layer it crosses (its « dummies »), and bends only
   between layers, so it never crosses a box; a move back up goes round on the right of
   every box between its ends;
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
    """Leave out a move a role can also make in two or more of its own steps, unless it needs
    a reason (a suspension or a rejection is a decision of its own, drawn from every status
    it leaves): what remains shows the chain, and the legend says its steps may be skipped.
    A move is left out only while its target stays reachable by that role through the moves
    still drawn, so that nothing the table allows disappears from the drawing."""
    from choeur.invoicing.statuses import find

    by_role: dict[Role, set[tuple[str, str]]] = defaultdict(set)
    for edge in edges:
        for role in edge.roles:
            by_role[role].add((edge.source, edge.target))
    kept = []
    for edge in edges:
        roles = []
        for role in edge.roles:
            rule = find(edge.source, edge.target, role)
            moves = by_role[role]
            if (rule is None or not rule.reason_required) and _reachable_without(
                    moves, edge.source, edge.target):
                moves.discard((edge.source, edge.target))
            else:
                roles.append(role)
        if roles:
            kept.append(Edge(edge.source, edge.target, tuple(roles)))
    return kept


def _reachable_without(moves: set[tuple[str, str]], source: str, target: str) -> bool:
    """`target` from `source` in two steps or more, without the move source → target."""
    seen, todo = {source}, [source]
    while todo:
        here = todo.pop()
        for start, end in moves:
            if start == here and (start, end) != (source, target) and end not in seen:
                if end == target:
                    return True
                seen.add(end)
                todo.append(end)
    return False


@dataclass
class Layout:
    nodes: dict[str, tuple[float, float]]  # status → centre of its box
    points: dict[str, tuple[float, float]]  # every box's and lane's centre
    forward: list[tuple[Edge, list[tuple[float, float]]]]  # an edge and the points it passes
    backward: list[Edge]
    width: float
    height: float


def layout(start: str, statuses: tuple[str, ...], edges: list[Edge]) -> Layout:
    if start not in statuses:
        raise ValueError("the start must be one of the statuses drawn")
    edges = [e for e in edges if e.source in statuses and e.target in statuses]
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
        nodes={s: centres[s] for s in statuses}, points=centres,
        forward=[(e, [centres[n] for n in chains[(e.source, e.target)]]) for e in dag],
        backward=[e for e in edges if (e.source, e.target) in back],
        width=width, height=2 * MARGIN + (max(levels) + 1) * LAYER_H - (LAYER_H - BOX_H))


def _back_edges(start: str, statuses, successors) -> set[tuple[str, str]]:
    """The moves drawn back up: those that go backwards in an order of the statuses made by
    the greedy heuristic of Eades, Lin and Smyth (statuses without a move in are placed next,
    those without a move out last), started from `start` and, when every remaining status
    has a move in, going on with the reached status that has the most moves out over moves
    in (the table's order between equals). Its result on the table: the supplier's answers
    and the corrections (recycle, correct the validator, answer a recycling), and the
    processing taken up again after a completion, go back up; the main path goes down."""
    predecessors: dict[str, set[str]] = defaultdict(set)
    for source, targets in successors.items():
        for target in targets:
            predecessors[target].add(source)
    alive = [s for s in statuses if s != start]
    head, tail = [start], []

    def moves(status, table) -> int:
        return sum(1 for other in table[status] if other in alive)

    while alive:
        while True:
            sinks = [s for s in alive if not moves(s, successors)]
            sources = [s for s in alive if not moves(s, predecessors)]
            if not sinks and not sources:
                break
            for status in sinks:
                alive.remove(status)
            tail[:0] = sinks
            for status in sources:
                if status in alive:
                    alive.remove(status)
                    head.append(status)
        if alive:
            placed = set(head)
            reached = [s for s in alive if predecessors[s] & placed] or alive
            chosen = max(reached, key=lambda s: (moves(s, successors) - moves(s, predecessors),
                                                 -alive.index(s)))
            alive.remove(chosen)
            head.append(chosen)
    order = {status: index for index, status in enumerate(head + tail)}
    return {(source, target) for source, targets in successors.items() for target in targets
            if order[target] <= order[source]}


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
             f'role="img" aria-labelledby="{ident}-t" aria-describedby="{ident}-d" '
             f'data-testid="{ident}">'
             f'<title id="{ident}-t">{escape(title)}</title>'
             f'<desc id="{ident}-d">{escape(description)}</desc>'
             '<defs>' + "".join(
                 f'<marker id="{ident}-arrow-{role.value.lower()}" viewBox="0 0 10 10" refX="9" '
                 f'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                 f'<path d="M0,0 L10,5 L0,10 z" class="diagram-head diagram-role-'
                 f'{role.value.lower()}"/></marker>' for role in roles) + '</defs>']
    for edge, points in placed.forward:
        # A move several roles make: a line of each one's colour, side by side.
        for index, role in enumerate(edge.roles):
            shift = (index - (len(edge.roles) - 1) / 2) * 3.5
            parts.append(_edge(ident, edge, _down([(x + shift, y) for x, y in points]),
                               language, role=role))
    width = placed.width
    for index, edge in enumerate(placed.backward):
        path, reach = _up(placed, edge, index)
        width = max(width, reach + MARGIN)
        parts.append(_edge(ident, edge, path, language, back=True))
    parts[0] = parts[0].replace(f'viewBox="0 0 {placed.width:.0f} ', f'viewBox="0 0 {width:.0f} ')
    for status, (x, y) in placed.nodes.items():
        lines = _lines(_label(status, language))
        kind = " diagram-final" if status in final else (" diagram-start" if status == start
                                                         else "")
        text = "".join(
            f'<tspan x="{x:.1f}" dy="{0 if index == 0 else 13}">{escape(line)}</tspan>'
            for index, line in enumerate(lines))
        top = y - (6 if len(lines) == 2 else 0) + 4
        parts.append(f'<g class="diagram-status{kind}" data-status="{escape(status)}">'
                     f'<title>{escape(_label(status, language))} ({escape(status)})</title>'
                     f'<rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="7"/>'
                     f'<text x="{x:.1f}" y="{top:.1f}" text-anchor="middle">{text}</text></g>')
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="diagram-swatch diagram-role-{role.value.lower()}"></span> '
        f'{escape(ROLE_NAMES[role][1 if english else 0])}</li>' for role in roles)
    dashed = ("Dashed: a move back up the circuit — an answer or a correction, a new routing, "
              "processing taken up again." if english else
              "En pointillés : un passage qui remonte le circuit — une réponse ou une "
              "correction, un nouvel acheminement, un traitement repris.")
    notes = f"<p class='diagram-note'>{escape(dashed)}{' ' + escape(note) if note else ''}</p>"
    # The same moves as text, for whoever does not see the drawing.
    listed = "".join(
        f"<li>{escape(_label(edge.source, language))} → {escape(_label(edge.target, language))}"
        f" ({escape(', '.join(ROLE_NAMES[r][1 if english else 0] for r in edge.roles))})</li>"
        for edge in edges)
    notes += (f"<details class='diagram-moves'><summary>"
              f"{'The moves, as text' if english else 'Les passages, en texte'}</summary>"
              f"<ul>{listed}</ul></details>")
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'<figure class="formation-figure diagram-figure">{"".join(parts)}'
        f'<figcaption><ul class="diagram-legend">{legend}</ul>{notes}</figcaption></figure>')


def _down(points: list[tuple[float, float]]) -> str:
    """A move down: from the source's bottom to the target's top, straight down each lane it
    passes, bending only in the gaps between layers (where there is no box)."""
    (x, y), *middle, (x1, y1) = points
    path, y = [f"M{x:.1f},{y + BOX_H / 2:.1f}"], y + BOX_H / 2
    for bx, by in [*middle, (x1, y1)]:
        top = by - BOX_H / 2
        gap = (y + top) / 2
        path.append(f"C{x:.1f},{gap:.1f} {bx:.1f},{gap:.1f} {bx:.1f},{top:.1f}")
        x, y = bx, by + BOX_H / 2
        if (bx, by) != (x1, y1):
            path.append(f"L{x:.1f},{y:.1f}")
    return " ".join(path)


def _up(placed: Layout, edge: Edge, index: int) -> tuple[str, float]:
    """A move back up: out of the source's bottom into the gap below it, right beyond every
    box and lane between the two layers, up, left in the gap above the target, into its top.
    Each move back gets its own distance to the right (`index`)."""
    (x0, y0), (x1, y1) = placed.nodes[edge.source], placed.nodes[edge.target]
    low, high = sorted((y0, y1))
    reach = max(x + (BOX_W / 2 if name in placed.nodes else LANE_W / 2)
                for name, (x, y) in placed.points.items() if low <= y <= high)
    reach += 14 + 9 * index
    start_x, end_x = x0 + BOX_W / 2 - 14, x1 + BOX_W / 2 - 14
    below, above = y0 + LAYER_H / 2, y1 - LAYER_H / 2
    r = 6
    path = (f"M{start_x:.1f},{y0 + BOX_H / 2:.1f} L{start_x:.1f},{below - r:.1f} "
            f"Q{start_x:.1f},{below:.1f} {start_x + r:.1f},{below:.1f} "
            f"L{reach - r:.1f},{below:.1f} Q{reach:.1f},{below:.1f} {reach:.1f},{below - r:.1f} "
            f"L{reach:.1f},{above + r:.1f} Q{reach:.1f},{above:.1f} {reach - r:.1f},{above:.1f} "
            f"L{end_x + r:.1f},{above:.1f} Q{end_x:.1f},{above:.1f} {end_x:.1f},{above + r:.1f} "
            f"L{end_x:.1f},{y1 - BOX_H / 2:.1f}")
    return path, reach


def _edge(ident: str, edge: Edge, path: str, language: str, back: bool = False,
          role: Role | None = None) -> str:
    role = (role or edge.roles[0]).value.lower()
    who = ", ".join(ROLE_NAMES[r][1 if language == "en" else 0] for r in edge.roles)
    return (f'<path d="{path}" class="diagram-edge diagram-role-{role}'
            f'{" diagram-back" if back else ""}" marker-end="url(#{ident}-arrow-{role})" '
            f'data-from="{escape(edge.source)}" data-to="{escape(edge.target)}">'
            f'<title>{escape(_label(edge.source, language))} → '
            f'{escape(_label(edge.target, language))} ({escape(who)})</title></path>')
