"""The stylesheet preparation keeps every verdict (the corpus and CEN unit tests check it on
the official artefacts; this checks the tricky cases on a small skeleton-shaped stylesheet)."""

from __future__ import annotations

import pytest
from lxml import etree

from choeur.formats import rules, stylesheets
from choeur.formats.engine import SVRL_NS, default_engine

# Two patterns (modes M1, M2) as the ISO skeleton writes them: in M1 an element matches two
# rules (only the higher priority fires), unions, a positional pattern, an attribute rule.
SKELETON = """<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <xsl:template match="text()" priority="-1"/>
  <xsl:template match="/">
    <svrl:schematron-output>
      <svrl:active-pattern><xsl:apply-templates/></svrl:active-pattern>
      <xsl:apply-templates select="/" mode="M1"/>
      <svrl:active-pattern><xsl:apply-templates/></svrl:active-pattern>
      <xsl:apply-templates select="/" mode="M2"/>
    </svrl:schematron-output>
  </xsl:template>
  <xsl:template match="line[@kind='special']" mode="M1" priority="1001">
    <svrl:fired-rule context="line"/>
    <svrl:failed-assert id="SPECIAL"><svrl:text><xsl:value-of select="@n"/></svrl:text>
    </svrl:failed-assert>
    <xsl:apply-templates select="@*|*" mode="M1"/>
  </xsl:template>
  <xsl:template match="line" mode="M1" priority="1000">
    <svrl:failed-assert id="LINE"><svrl:text><xsl:value-of select="@n"/></svrl:text>
    </svrl:failed-assert>
    <xsl:apply-templates select="@*|*" mode="M1"/>
  </xsl:template>
  <xsl:template match="group/line[1] | note" mode="M1" priority="999">
    <svrl:failed-assert id="NOTE_OR_FIRST"/>
    <xsl:apply-templates select="@*|*" mode="M1"/>
  </xsl:template>
  <xsl:template match="text()" priority="-1" mode="M1"/>
  <xsl:template match="@*|node()" priority="-2" mode="M1">
    <xsl:apply-templates select="@*|*" mode="M1"/>
  </xsl:template>
  <xsl:template match="group/line[1] | note | @n[. = '3']" mode="M2" priority="1000">
    <svrl:failed-assert id="FIRST"><svrl:text><xsl:value-of select="name()"/>
    <xsl:value-of select="."/></svrl:text></svrl:failed-assert>
    <xsl:apply-templates select="@*|*" mode="M2"/>
  </xsl:template>
  <xsl:template match="text()" priority="-1" mode="M2"/>
  <xsl:template match="@*|node()" priority="-2" mode="M2">
    <xsl:apply-templates select="@*|*" mode="M2"/>
  </xsl:template>
</xsl:stylesheet>"""

DOCUMENT = """<invoice><note>n</note>
  <group><line n="1"/><line n="2" kind="special"/></group>
  <group><line n="3"/></group><line n="4"/></invoice>"""


def _asserts(stylesheet_text: str) -> list[tuple[str, str]]:
    processor = default_engine().processor
    exe = processor.new_xslt30_processor().compile_stylesheet(stylesheet_text=stylesheet_text)
    svrl = exe.transform_to_string(xdm_node=processor.parse_xml(xml_text=DOCUMENT))
    document = etree.fromstring(svrl.encode())
    return [(a.get("id"), "".join(a.itertext()).strip())
            for a in document.iter(f"{{{SVRL_NS}}}failed-assert")]


def test_prepared_stylesheet_fires_the_same_rules_in_the_same_order():
    prepared = stylesheets.prepare(SKELETON)
    assert "active-pattern" not in prepared and "fired-rule" not in prepared
    assert 'select="/"' not in prepared  # both modes select instead of walking
    assert _asserts(prepared) == _asserts(SKELETON) == [
        ("NOTE_OR_FIRST", ""), ("LINE", "1"), ("SPECIAL", "2"), ("LINE", "3"), ("LINE", "4"),
        ("FIRST", "noten"), ("FIRST", "line"), ("FIRST", "line"), ("FIRST", "n3")]


def test_a_mode_of_another_shape_is_left_to_its_walk():
    # One M1 rule walks elements only: M1's walk is not the skeleton's uniform one.
    odd = SKELETON.replace('<xsl:apply-templates select="@*|*" mode="M1"/>\n  </xsl:template>\n'
                           '  <xsl:template match="line" mode="M1"',
                           '<xsl:apply-templates select="*" mode="M1"/>\n  </xsl:template>\n'
                           '  <xsl:template match="line" mode="M1"')
    assert odd != SKELETON
    prepared = stylesheets.prepare(odd)
    assert prepared.count('select="/"') == 1  # M1 kept its walk, M2 still selects
    assert _asserts(prepared) == _asserts(odd)


@pytest.mark.parametrize("pattern, parts", [
    ("a | b", ["a", "b"]),
    ("(x|y)/c[d = 'p|q']", ["(x|y)/c[d = 'p|q']"]),
    ('a[b="|"] | c[e|f]', ['a[b="|"]', "c[e|f]"]),
])
def test_top_level_union_split(pattern, parts):
    assert stylesheets._split_union(pattern) == parts


def test_every_official_pattern_mode_is_prepared():
    """A new version of the artefacts with another shape would silently be slow again."""
    for ruleset in ([rules.facturx_rules(p) for p in rules.PROFILES]
                    + [rules.CEN_UBL, rules.BR_FR_UBL, rules.BR_FR_CII]):
        prepared = stylesheets.prepare(ruleset.xslt.read_text(encoding="utf-8"),
                                       ruleset.codedb.name if ruleset.codedb else None)
        walks = prepared.count('select="/"')
        assert walks <= (1 if ruleset.name.endswith("EXTENDED") else 0), ruleset.name


# Absolute patterns, as the Factur-X stylesheets write their "not used in this profile" rules
# (308 of them in one EN 16931 mode), some sharing leading steps, one with a predicate.
ABSOLUTE = (SKELETON
            .replace('match="group/line[1] | note" mode="M1"',
                     'match="/invoice/group/line[1] | /invoice/note | /invoice/group[line]'
                     ' | /invoice/group/line/@n" mode="M1"'))


def test_absolute_patterns_are_factored_and_fire_the_same_rules():
    prepared = stylesheets.prepare(ABSOLUTE)
    # Paths from the root share their leading steps; `//line` is `/descendant::line`, but not
    # `//line[@kind='special']` (a predicate after `descendant::` would count otherwise).
    assert ("((/(descendant::line, invoice/(group/(line[1], line/(@n)), note, group[line])), "
            "//line[@kind='special'])/.)") in prepared
    assert "((/(descendant::group/(line[1]), descendant::note), //@n[. = '3'])/.)" in prepared
    assert _asserts(prepared) == _asserts(ABSOLUTE)
    assert ("NOTE_OR_FIRST", "") in _asserts(prepared)


def test_the_prepared_selects_are_no_long_unions():
    """Saxon compiles a chain of n `|` in time that grows with n²: the EN 16931 stylesheet's
    308-path mode made the prepared copy compile 4× slower than the shipped one. The rewrite
    writes comma lists put back in document order by `/.` instead: no `select` of the prepared
    copy holds more `|` than the shipped file's own (its compile time is `bench/validate.py`'s
    business, not a timed test's)."""
    from lxml import etree

    def most_bars(text):
        tree = etree.fromstring(text.encode("utf-8"))
        return max((el.get("select").count("|") for el in tree.iter()
                    if isinstance(el.tag, str) and el.get("select")), default=0)

    ruleset = rules.facturx_rules("en16931")
    shipped = ruleset.xslt.read_text(encoding="utf-8")
    prepared = stylesheets.prepare(shipped, ruleset.codedb.name)
    assert most_bars(prepared) <= max(1, most_bars(shipped))
    assert "/.)" in prepared  # the rewrite's selects are there, in their comma form
