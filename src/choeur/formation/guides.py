"""The course's guides (issue 20): one Markdown file a module in formation/guides/, read and
checked once, rendered in the reader's language.

A guide file is a front matter between two `---` lines (`module`: a slug of modules.MODULES,
`title_fr`, `title_en`), the French text, a line `::: en`, the English text, in the help
articles' Markdown subset (aide/markup.py: headings, lists, links to portal pages by URL
name). A line holding only `[[name]]` is one of formation/blocks.py's generated parts (the
statuses, the cadres, the échéancier), drawn from the code's tables. A file that breaks these
rules is refused with its name, its line and what is wrong (`GuideInvalid`): the guides are
read when the section is first shown, and by the test suite.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.safestring import SafeString, mark_safe

from choeur.aide import markup
from choeur.formation import blocks
from choeur.formation.modules import BY_SLUG, MODULES, Module, english

GUIDES_DIR = Path(__file__).resolve().parent / "guides"
FIELDS = {"module", "title_fr", "title_en"}
_BLOCK = re.compile(r"^\[\[([a-z0-9-]+)\]\]$")
ENGLISH = "::: en"


class GuideInvalid(ValueError):
    """A guide file that cannot be read: which file, which line, what is wrong."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path.name}, ligne {line} : {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass(frozen=True)
class Guide:
    module: Module
    title_fr: str
    title_en: str
    body_fr: str
    body_en: str

    @property
    def slug(self) -> str:
        return self.module.slug

    def title(self, language: str | None = None) -> str:
        return self.title_en if english(language) else self.title_fr

    def render(self, language: str | None = None) -> SafeString:
        """The guide's text as HTML, its blocks generated now (from the code as it runs)."""
        in_english = english(language)
        body = self.body_en if in_english else self.body_fr
        parts, text = [], []
        for line in body.splitlines():
            found = _BLOCK.match(line.strip())
            if found:
                parts.append(markup.render("\n".join(text)))
                parts.append(blocks.BLOCKS[found.group(1)]("en" if in_english else "fr"))
                text = []
            else:
                text.append(line)
        parts.append(markup.render("\n".join(text)))
        return mark_safe("".join(parts))  # noqa: S308 (markup and blocks escape everything)

    def blocks(self) -> set[str]:
        """The generated parts both languages' texts name."""
        return {found.group(1) for body in (self.body_fr, self.body_en)
                for found in map(_BLOCK.match, map(str.strip, body.splitlines())) if found}



def parse(path: Path) -> Guide:
    """One guide file, checked (GuideInvalid otherwise)."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GuideInvalid(path, 0, f"illisible ({exc})") from None
    lines = source.splitlines()
    if not lines or lines[0].strip() != "---":
        raise GuideInvalid(path, 1, "le fichier doit commencer par « --- »")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise GuideInvalid(path, 1, "l'en-tête n'est pas fermé par « --- »") from None
    fields: dict[str, str] = {}
    line_of: dict[str, int] = {}
    for number in range(1, end):
        key, sep, value = lines[number].partition(":")
        key = key.strip()
        if not sep or key not in FIELDS:
            raise GuideInvalid(path, number + 1, f"champ inconnu « {key} » (admis : "
                                                 f"{', '.join(sorted(FIELDS))})")
        if key in fields:
            raise GuideInvalid(path, number + 1, f"champ « {key} » donné deux fois")
        fields[key], line_of[key] = value.strip(), number + 1
    missing = FIELDS - {key for key, value in fields.items() if value}
    if missing:
        raise GuideInvalid(path, end + 1, f"champ(s) manquant(s) : "
                                          f"{', '.join(sorted(missing))}")
    module = BY_SLUG.get(fields["module"])
    if module is None:
        raise GuideInvalid(path, line_of["module"], f"module inconnu « {fields['module']} »")
    if path.stem != module.slug:
        raise GuideInvalid(path, line_of["module"], f"le fichier d'un guide porte le nom de "
                                                    f"son module ({module.slug}.md)")
    body = lines[end + 1:]
    splits = [i for i, line in enumerate(body) if line.strip() == ENGLISH]
    if len(splits) != 1:
        raise GuideInvalid(path, end + 2, f"une ligne « {ENGLISH} » et une seule sépare le "
                                          f"français de l'anglais")
    for offset, line in enumerate(body):
        found = _BLOCK.match(line.strip())
        if found and found.group(1) not in blocks.BLOCKS:
            raise GuideInvalid(path, end + 2 + offset,
                               f"bloc inconnu « {found.group(1)} » (admis : "
                               f"{', '.join(sorted(blocks.BLOCKS))})")
    text_fr, text_en = "\n".join(body[:splits[0]]), "\n".join(body[splits[0] + 1:])
    if not text_fr.strip() or not text_en.strip():
        raise GuideInvalid(path, end + 2, "le texte français et le texte anglais sont "
                                          "obligatoires")
    return Guide(module, fields["title_fr"], fields["title_en"], text_fr.strip(),
                 text_en.strip())


@functools.cache
def all_guides() -> tuple[Guide, ...]:
    """Every guide, in the modules' order (read once a process)."""
    found = {guide.slug: guide for guide in map(parse, sorted(GUIDES_DIR.glob("*.md")))}
    return tuple(found[module.slug] for module in MODULES if module.slug in found)


def guide(slug: str) -> Guide | None:
    return next((g for g in all_guides() if g.slug == slug), None)
