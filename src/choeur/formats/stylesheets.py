"""Prepare an official Schematron stylesheet (ISO skeleton output) for fast execution.

The compiled Schematron stylesheets are correct but slow: for each pattern (66 in Factur-X
EN 16931, 82 in EXTENDED) they walk the whole document twice, once in the pattern's mode
applying templates to every element and attribute, once in the default mode doing nothing
(the `<svrl:active-pattern><xsl:apply-templates/></svrl:active-pattern>` block). On an
ordinary invoice this walking, not the rules, is most of the time.

`prepare()` rewrites the stylesheet so that every verdict stays the same:
- the `svrl:active-pattern` and `svrl:fired-rule` output is dropped (it says nothing about
  conformance and makes the report megabytes long on a large invoice);
- in each pattern mode, instead of walking the tree, the root template selects at once the
  nodes that one of the mode's rules matches: the union of the rules' match patterns read as
  path expressions (a node N matches pattern P when N is in `root(N)//(P)`). The nodes are
  dispatched in the same mode, in the same (document) order, so each fires the same single
  rule with the same priority as before, and the rule templates no longer recurse. The union
  is written `((P1, P2, …)/.)` — a sequence that the `/.` step puts in document order without
  duplicates — not `(P1 | P2 | …)`: Saxon compiles a chain of n `|` operators in time that
  grows with n² (it re-examines the nested unions it tries to merge), which made the Factur-X
  EN 16931 stylesheet (one mode of 308 paths) compile 4× slower than the shipped one;
- the Factur-X code lists, read with document('…_codedb.xml') in a hundred places (the file
  re-read on each transform), become one global parameter fed once, parsed.

A mode whose shape differs from the skeleton's is left as it is (slower, never wrong). The
corpus manifest and the CEN unit tests check that every verdict is unchanged.
"""

from __future__ import annotations

import re

from lxml import etree

XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
CODEDB_PARAM = "choeur_codedb"

# Patterns that could match something the skeleton's walk never visits (text, comments...)
# or whose meaning depends on the matching context: left to the walk.
_UNSAFE_PATTERN = re.compile(r"current\(|text\(|node\(|comment\(|processing-instruction\(|key\(")
_WALKS = {"@*|*": "", "*": "[not(. instance of attribute())]"}
_NAME_TEST = re.compile(r"^(?:\*|[\w.-]+(?::[\w.-]+)?)$")


def prepare(text: str, codedb_name: str | None = None) -> str:
    if codedb_name:
        text = text.replace(f"document('{codedb_name}')", f"${CODEDB_PARAM}")
    if "document(" in text:
        raise ValueError("the stylesheet reads another document: not supported")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                             remove_blank_text=False)
    stylesheet = etree.fromstring(text.encode("utf-8"), parser)
    if codedb_name:
        param = etree.Element(f"{{{XSL}}}param", name=CODEDB_PARAM)
        stylesheet.insert(0, param)
    for element in list(stylesheet.iter(f"{{{SVRL}}}active-pattern", f"{{{SVRL}}}fired-rule")):
        _remove(element)
    _select_instead_of_walking(stylesheet)
    return etree.tostring(stylesheet, encoding="unicode")


def _remove(element) -> None:
    """Remove an element, keeping the text that followed it (lxml keeps it on `tail`)."""
    parent = element.getparent()
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _select_instead_of_walking(stylesheet) -> None:
    templates_by_mode: dict[str, list] = {}
    for template in stylesheet.iter(f"{{{XSL}}}template"):
        mode = template.get("mode")
        if mode:
            templates_by_mode.setdefault(mode, []).append(template)
    root_template = next((t for t in stylesheet.iter(f"{{{XSL}}}template")
                          if t.get("match") == "/" and not t.get("mode")), None)
    if root_template is None:
        return
    for start in root_template.iter(f"{{{XSL}}}apply-templates"):
        mode = start.get("mode")
        if start.get("select") != "/" or not mode or mode not in templates_by_mode:
            continue
        plan = _plan(mode, templates_by_mode[mode])
        if plan is None:
            continue
        select, recursions = plan
        for recursion in recursions:
            _remove(recursion)
        start.set("select", select)


def _plan(mode: str, templates: list):
    """The select expression for a pattern mode and the rule templates' recursive calls to
    drop, or None when the mode does not have the skeleton's shape."""
    walk = None
    patterns: list[str] = []
    recursions = []
    for template in templates:
        match = template.get("match") or ""
        calls = [c for c in template if c.tag == f"{{{XSL}}}apply-templates"
                 and c.get("mode") == mode]
        if match == "text()":
            continue
        if match == "@*|node()":  # the default: walk on
            if len(calls) != 1 or (walk is not None and calls[0].get("select") != walk):
                return None
            walk = calls[0].get("select")
            continue
        if len(calls) != 1 or calls[0] is not _last_element(template):
            return None
        if walk is not None and calls[0].get("select") != walk:
            return None
        walk = calls[0].get("select")
        if _UNSAFE_PATTERN.search(match):
            return None
        patterns.extend(_split_union(match))
        recursions.append(calls[0])
    if walk not in _WALKS or not patterns:
        return None
    expressions = [p if p.startswith("/") else f"//{p}" for p in patterns]
    return f"(({_sequence(expressions)})/.){_WALKS[walk]}", recursions


def _sequence(expressions: list[str]) -> str:
    """The expressions as one comma sequence, the paths from the root (`/a/b`, `/a/c`, and
    `//x/y`, `//x/z` read as `/descendant::x/…`) factored on their common leading steps
    (`/(a/(b, c), descendant::x/(y, z))`): fewer steps for Saxon to compile, the same nodes
    once the caller's `/.` has put them in document order."""
    trie: dict = {}
    others = []
    for expression in expressions:
        steps = []
        if expression.startswith("//"):
            # `//a/b` is `/descendant::a/b` when `a` is a plain name test (no predicate, whose
            # position would then count among all descendants, not among siblings).
            steps = [step.strip() for step in _split(expression[2:], "/")]
            if steps and _NAME_TEST.match(steps[0]):
                steps[0] = f"descendant::{steps[0]}"
            else:
                steps = []
        elif expression.startswith("/"):
            steps = [step.strip() for step in _split(expression[1:], "/")]
        if not steps or not all(steps):
            others.append(expression)
            continue
        node = trie
        for step in steps:
            node = node.setdefault(step, {})
        node[""] = {}  # the path ends here: the node itself is selected
    factored = [f"/({_branches(trie)})"] if trie else []
    return ", ".join(factored + others)


def _branches(trie: dict) -> str:
    parts = []
    for step, below in trie.items():
        if step == "":
            parts.append(".")
        elif list(below) == [""]:
            parts.append(step)
        else:
            parts.append(f"{step}/({_branches(below)})")
    return ", ".join(parts)


def _last_element(template):
    children = [c for c in template if isinstance(c.tag, str)]
    return children[-1] if children else None


def _split_union(pattern: str) -> list[str]:
    """Split a pattern on its top-level '|' (not inside brackets, parentheses or quotes)."""
    return [p for p in (part.strip() for part in _split(pattern, "|")) if p]


def _split(text: str, separator: str) -> list[str]:
    """Split on a separator outside brackets, parentheses and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts
