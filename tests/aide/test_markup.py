"""The articles' Markdown subset: what it renders, and that nothing in a source becomes HTML."""

import pytest

from choeur.aide import markup

pytestmark = pytest.mark.django_db


def test_blocks_and_inline_markup():
    html = markup.render(
        "Un paragraphe\nsur deux lignes avec **gras** et `code`.\n\n"
        "## Étapes\n\n1. ouvrir\n2. cliquer\n  sur le bouton\n\n- un\n- deux\n")
    assert html == (
        "<p>Un paragraphe sur deux lignes avec <strong>gras</strong> et <code>code</code>.</p>\n"
        "<h2>Étapes</h2>\n"
        "<ol><li>ouvrir</li><li>cliquer sur le bouton</li></ol>\n"
        "<ul><li>un</li><li>deux</li></ul>")


def test_raw_html_is_shown_as_text():
    html = markup.render('<script>alert(1)</script> **<b onclick="x">gras</b>** `<i>`')
    assert "<script" not in html and "<b " not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>&lt;b onclick=&quot;x&quot;&gt;gras&lt;/b&gt;</strong>" in html


@pytest.mark.parametrize("target,href", [
    ("url:invoicing:deposit_start", "/factures/deposer/"),
    ("aide:creer-son-compte", "/aide/creer-son-compte/"),
    ("/factures/emises/", "/factures/emises/"),
])
def test_links_to_the_portal_are_links(target, href):
    assert markup.render(f"[là]({target})") == f'<p><a href="{href}">là</a></p>'


@pytest.mark.parametrize("target", [
    "https://evil.example/", "javascript:alert(1)", "//evil.example/x", "url:no-such-page",
    "data:text/html,x", "/a\"onmouseover=x",
])
def test_other_links_are_plain_text(target):
    html = markup.render(f"[texte]({target})")
    assert "<a" not in html and "texte" in html


def test_plain_text_drops_the_markup():
    assert markup.plain("## Titre\n\nUn **mot** et [un lien](url:home).\n\n- `x`") == (
        "Titre\nUn mot et un lien.\nx")
