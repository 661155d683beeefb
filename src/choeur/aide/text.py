"""Text folding and query terms, shared by the index, the search and the excerpts.

The index holds the articles' text folded (accents removed, lower case, « œ » as « oe »), so
that « deposer » finds « déposer » on both databases: PostgreSQL's `french` configuration
keeps accents (and would need the `unaccent` extension otherwise), SQLite's FTS5 tokenizer
removes them too (`remove_diacritics 2`). FTS5 has no French stemmer: each term of a query
is cut to a light stem and matched as a prefix (« factures » → `factur*`, which finds
« facture », « factures », « facturation »); PostgreSQL stems with its own snowball.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss",
                            "’": "'", "ʼ": "'"})
_WORD = re.compile(r"[^\W_]+")

MAX_TERMS = 12

# Words that say nothing about the subject (folded); the French and English ones users type.
STOPWORDS = frozenset("""
a au aux avec ce ces comment dans de des du elle en est et etre il ils je la le les leur lui
ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta
te tes toi ton tu un une vos votre vous y d l j m n s t c quoi quel quelle quels quelles faire
fait peut puis dois doit veux pourquoi
the an and are as at be by can do does for from how i in into is it me my of on or so that
this to what when where which who why with you your
""".split())

# Light French (and English) endings, longest first: enough to meet the other forms of a word
# as a prefix (« déposer », « déposez », « déposé » → « depos »).
_SUFFIXES = (
    "issements", "issement", "ations", "ation", "ements", "ement", "ments", "ment",
    "euses", "euse", "ables", "able", "ances", "ance", "ences", "ence", "ions", "ees", "ies",
    "ing", "ers", "ent", "ant", "iez", "ons", "ee", "es", "er", "ez", "ed", "e", "s", "x",
)


def fold(text: str) -> str:
    """Lower case, accents removed, ligatures spelt out."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """`fold` of one word, remembered: excerpts fold the same words again and again."""
    return fold(word)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def significant(query: str) -> list[str]:
    """The query's words (folded) that say something, in order, without repeats, at most
    MAX_TERMS: what both engines search for, every one of them required."""
    seen: list[str] = []
    for word in words(query):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()) or word in seen:
            continue
        seen.append(word)
        if len(seen) == MAX_TERMS:
            break
    return seen


def terms(query: str) -> list[str]:
    """The significant words as prefixes (light stems), without repeats."""
    return list(dict.fromkeys(stem(word) for word in significant(query)))
