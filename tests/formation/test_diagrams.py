"""The status diagrams are drawn from the transition table: every status is a box, every drawn
arrow is a move of the table, and every move of the table is drawn, or made of drawn steps of
the same role (the recipient's optional processing steps)."""

from __future__ import annotations

import re

import pytest

from choeur.formation import blocks, diagrams
from choeur.invoicing.statuses import INVOICE_STATUSES, TABLE, Role, Status, find


def _drawn(svg: str) -> tuple[set[str], set[tuple[str, str]]]:
    boxes = set(re.findall(r'<g class="diagram-status[^"]*" data-status="([A-Z0-9_]+)"', svg))
    moves = set(re.findall(r'data-from="([A-Z0-9_]+)" data-to="([A-Z0-9_]+)"', svg))
    return boxes, moves


def _reachable(source, target, role, drawn_edges) -> bool:
    """`target` from `source` through drawn moves the role makes."""
    seen, todo = {source}, [source]
    while todo:
        here = todo.pop()
        for edge in drawn_edges:
            if edge.source == here and role in edge.roles and edge.target not in seen:
                if edge.target == target:
                    return True
                seen.add(edge.target)
                todo.append(edge.target)
    return False


@pytest.mark.parametrize(("block", "statuses", "roles"), [
    (blocks.cycle_de_vie, INVOICE_STATUSES, blocks.INVOICE_ROLES),
    (blocks.circuit_travaux, blocks._travaux_statuses(), blocks.TRAVAUX_ROLES),
])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_diagram_never_disagrees_with_the_table(block, statuses, roles, language):
    svg = str(block(language))
    boxes, moves = _drawn(svg)
    assert boxes == set(statuses)
    wanted = set(statuses)
    table = {(t.source, t.target) for t in TABLE
             if t.source in wanted and t.target in wanted and t.role in roles
             and t.source != t.target}
    assert moves <= table  # nothing drawn that the table does not allow
    drawn = diagrams.reduce(diagrams.edges_of(tuple(statuses), roles))
    for move in TABLE:
        if (move.source, move.target) in table and move.role in roles:
            assert (move.source, move.target) in moves or _reachable(
                move.source, move.target, move.role, drawn), move


def test_the_recipients_skippable_steps_are_left_out_but_not_its_decisions():
    drawn = {(e.source, e.target) for e in diagrams.reduce(
        diagrams.edges_of(INVOICE_STATUSES, blocks.INVOICE_ROLES))}
    assert (Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT) in drawn
    assert (Status.MISE_A_DISPOSITION, Status.MISE_EN_PAIEMENT) not in drawn  # skippable
    assert (Status.SERVICE_FAIT, Status.SUSPENDUE) in drawn  # a decision, with its reason
    assert find(Status.MISE_A_DISPOSITION, Status.MISE_EN_PAIEMENT, Role.RECIPIENT)


def test_the_main_path_goes_down():
    placed = diagrams.layout(Status.BROUILLON, INVOICE_STATUSES, diagrams.reduce(
        diagrams.edges_of(INVOICE_STATUSES, blocks.INVOICE_ROLES)))
    path = [Status.BROUILLON, Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT,
            Status.MISE_A_DISPOSITION, Status.SERVICE_FAIT, Status.MISE_EN_PAIEMENT]
    heights = [placed.nodes[s][1] for s in path]
    assert heights == sorted(heights) and len(set(heights)) == len(heights)
    back = {(e.source, e.target) for e in placed.backward}
    assert (Status.A_RECYCLER, Status.DEPOSEE) in back
    assert (Status.SUSPENDUE, Status.COMPLETEE) not in back
    # Boxes never overlap.
    for a in placed.nodes.values():
        for b in placed.nodes.values():
            if a != b:
                assert abs(a[0] - b[0]) >= diagrams.BOX_W or abs(a[1] - b[1]) >= diagrams.BOX_H


def test_the_guide_shows_the_lifecycle(client):
    page = client.get("/formation/decouvrir-chorus-pro/").content.decode()
    assert 'data-testid="formation-cycle-de-vie"' in page
    assert "<title id=\"formation-cycle-de-vie-t\">Cycle de vie d&#x27;une facture</title>" in page


def test_the_moves_are_also_given_as_text():
    html = str(blocks.circuit_travaux("fr"))
    assert "<summary>Les passages, en texte</summary>" in html
    assert "Mise à disposition de la MOE → Associée (pièce suivante déposée) (Maîtrise d" in (
        html.replace("&#x27;", "'"))
