"""The help articles' Markdown subset, rendered without ever passing raw HTML through.

Blocks: paragraphs (separated by a blank line), `## ` and `### ` headings, bullet lists
(`- ` or `* `), numbered lists (`1. `); a line indented by two spaces or more continues the
list item above. Inline: `**bold**`, `` `code` ``, links `[text](target)`. A target is one of
`url:<URL name>` (a portal page, reversed when rendered: a renamed path never breaks an
article), `aide:<slug>` (another article) or a local path (`/factures/emises/`); anything else
(another site, `javascript:`, `//host`) is shown as plain text. Every character of the source
is escaped, so an article can hold `<script>` and show it as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"^(#{2,3})\s+(.*)$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\[(?P<text>[^\]\n]+)\]\((?P<target>[^)\s]+)\)"
    r"|\*\*(?P<bold>[^*\n]+?)\*\*"
)
_LOCAL_PATH = re.compile(r"^/(?!/)[A-Za-z0-9/_\-.~%]*(?:[?#][A-Za-z0-9/_\-.~%=&#]*)?$")


@dataclass(frozen=True)
class Block:
    kind: str  # "p", "h2", "h3", "ul", "ol"
    items: tuple[str, ...]  # the paragraph's or heading's text alone, or the list's items


def blocks(source: str) -> Iterator[Block]:
    """The source's blocks, in order."""
    kind: str | None = None
    items: list[str] = []

    def flush() -> Iterator[Block]:
        nonlocal kind, items
        if kind and items:
            yield Block(kind, tuple(" ".join(i.split()) for i in items))
        kind, items = None, []

    for raw in source.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            yield from flush()
            continue
        heading = _HEADING.match(stripped)
        bullet = _BULLET.match(stripped)
        numbered = _NUMBERED.match(stripped)
        if heading:
            yield from flush()
            yield Block("h2" if len(heading.group(1)) == 2 else "h3", (heading.group(2),))
        elif kind in ("ul", "ol") and line.startswith("  ") and items:
            items[-1] += " " + stripped  # continues the item above
        elif bullet or numbered:
            wanted = "ul" if bullet else "ol"
            if kind != wanted:
                yield from flush()
                kind = wanted
            items.append((bullet or numbered).group(1))
        else:
            if kind != "p":
                yield from flush()
                kind = "p"
                items = [""]
            items[0] += " " + stripped
    yield from flush()


def default_link(target: str) -> str | None:
    """The href of a link target, or None when it is not one an article may link to."""
    from django.urls import NoReverseMatch, reverse

    try:
        if target.startswith("url:"):
            return reverse(target[4:])
        if target.startswith("aide:"):
            return reverse("aide:article", args=[target[5:]])
    except NoReverseMatch:
        return None
    if _LOCAL_PATH.match(target):
        return target
    return None


def inline(text: str, link: Callable[[str], str | None] = default_link) -> str:
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[position:match.start()]))
        position = match.end()
        if match.group("code") is not None:
            out.append(f"<code>{escape(match.group('code'))}</code>")
        elif match.group("bold") is not None:
            out.append(f"<strong>{inline(match.group('bold'), link)}</strong>")
        else:
            href = link(match.group("target"))
            label = escape(match.group("text"))
            out.append(f'<a href="{escape(href)}">{label}</a>' if href else label)
    out.append(escape(text[position:]))
    return "".join(out)


def render(source: str, link: Callable[[str], str | None] = default_link) -> SafeString:
    html: list[str] = []
    for block in blocks(source):
        if block.kind in ("ul", "ol"):
            items = "".join(f"<li>{inline(i, link)}</li>" for i in block.items)
            html.append(f"<{block.kind}>{items}</{block.kind}>")
        else:
            html.append(f"<{block.kind}>{inline(block.items[0], link)}</{block.kind}>")
    return mark_safe("\n".join(html))  # noqa: S308 (every piece of the source is escaped)


def plain(source: str) -> str:
    """The text a reader sees, without markup: what the full-text index holds."""

    def strip(text: str) -> str:
        def one(match: re.Match) -> str:
            if match.group("code") is not None:
                return match.group("code")
            if match.group("bold") is not None:
                return strip(match.group("bold"))
            return match.group("text")

        return _INLINE.sub(one, text)

    return "\n".join(strip(item) for block in blocks(source) for item in block.items)


def targets(source: str) -> list[str]:
    """Every link target of the source (the tests check that each one leads somewhere)."""
    return [m.group("target") for m in _INLINE.finditer(source) if m.group("target")]
