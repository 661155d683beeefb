"""The official CEN EN 16931 unit tests for UBL, replayed on the engine's compiled CEN UBL
stylesheet: each <test> says which rule must succeed, fail as an error (n times) or warn."""

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from choeur.formats import Severity, default_engine, rules

UNIT = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "cen" / "unit"
VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"


def unit_files():
    for folder in sorted(UNIT.glob("*UBL*")):
        for path in sorted(folder.glob("*.xml")):
            yield pytest.param(path, id=f"{folder.name}/{path.name}")


@pytest.mark.parametrize("path", list(unit_files()))
def test_cen_unit_file(path):
    engine = default_engine()
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    problems = []
    for index, test in enumerate(tree.getroot().iter(f"{VEFA}test")):
        expectation = test.find(f"{VEFA}assert")
        document = next(child for child in test if isinstance(child.tag, str)
                        and not child.tag.startswith(VEFA))
        findings = engine.run_ruleset(etree.tostring(document, encoding="unicode"),
                                      rules.CEN_UBL)
        errors = Counter(f.rule for f in findings
                         if f.severity in (Severity.FATAL, Severity.ERROR))
        warnings = Counter(f.rule for f in findings if f.severity == Severity.WARNING)
        for expected in expectation:
            if not isinstance(expected.tag, str):
                continue
            kind, rule = etree.QName(expected).localname, (expected.text or "").strip()
            if kind == "success" and (errors[rule] or warnings[rule]):
                problems.append(f"test {index}: {rule} fired, expected success")
            elif kind == "error":
                wanted = int(expected.get("number", "0"))
                if not errors[rule] or (wanted and errors[rule] != wanted):
                    problems.append(f"test {index}: {rule} errors {errors[rule]}, expected "
                                    f"{wanted or '≥1'}")
            elif kind == "warning" and not warnings[rule]:
                problems.append(f"test {index}: {rule} did not warn")
    assert problems == []
