"""Loading the help articles: the written ones (`aide/articles/*.md`) and one per error code.

An article file is a front matter between two `---` lines (`key: value`: slug, kind TASK or
ERROR, key, theme, position, page, title_fr, title_en), the French text, a line `::: en`, the
English text (the Markdown subset of aide/markup.py). The error articles are generated from
every `ChoeurError` subclass of Choeur (code, messages, HTTP status, BT, hint when the class
has one): a new code gets its article at the next load. A written article of kind ERROR whose
key is a code completes that code's generated article (its text follows the generated facts).

`load()` is idempotent: it creates what is missing, updates what changed (and only that, so
`updated_at` says when an article last changed) and removes the articles no source holds
anymore. Migration 0002, `choeur migrate` and `choeur aide-charger` run it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from choeur.aide import markup, text, themes
from choeur.aide.errors import ArticleInvalid

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
FIELDS = {"slug", "kind", "key", "theme", "position", "page", "title_fr", "title_en"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DEFINES_CODE = re.compile(r'^    code = "[A-Z]', re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass
class Source:
    slug: str
    kind: str
    key: str
    theme: str
    title_fr: str
    title_en: str
    body_fr: str
    body_en: str
    page: str = ""
    position: int = 100
    source: str = "WRITTEN"
    extra: dict = field(default_factory=dict)

    def values(self) -> dict:
        return {
            "kind": self.kind, "key": self.key, "theme": self.theme, "page": self.page,
            "position": self.position, "source": self.source,
            "title_fr": self.title_fr, "title_en": self.title_en,
            "body_fr": self.body_fr, "body_en": self.body_en,
            **index_fields(self.title_fr, self.body_fr, self.title_en, self.body_en),
        }


def index_fields(title_fr: str, body_fr: str, title_en: str, body_en: str) -> dict[str, str]:
    """What the full-text index reads: the text without markup, folded (aide/text.py)."""
    return {
        "search_title_fr": text.fold(title_fr), "search_body_fr": text.fold(markup.plain(body_fr)),
        "search_title_en": text.fold(title_en), "search_body_en": text.fold(markup.plain(body_en)),
    }


def parse(content: str, name: str) -> Source:
    lines = content.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---" or "---" not in [x.strip() for x in lines[1:]]:
        raise ArticleInvalid(name=name, reason="no front matter between two « --- » lines")
    end = 1 + [x.strip() for x in lines[1:]].index("---")
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in FIELDS:
            raise ArticleInvalid(name=name, reason=f"unknown front matter line « {line} »")
        meta[key.strip()] = value.strip()
    body = "\n".join(lines[end + 1:])
    parts = re.split(r"^::: en\s*$", body, flags=re.MULTILINE)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise ArticleInvalid(name=name, reason="a French text, a line « ::: en », an English text")
    for needed in ("slug", "key", "theme", "title_fr", "title_en"):
        if not meta.get(needed):
            raise ArticleInvalid(name=name, reason=f"« {needed} » missing")
    if not _SLUG.match(meta["slug"]):
        raise ArticleInvalid(name=name, reason="the slug is lower-case words joined by « - »")
    if meta["theme"] not in themes.BY_SLUG:
        raise ArticleInvalid(name=name, reason=f"unknown theme « {meta['theme']} »")
    kind = meta.get("kind", "TASK")
    if kind not in ("TASK", "ERROR"):
        raise ArticleInvalid(name=name, reason="kind is TASK or ERROR")
    return Source(slug=meta["slug"], kind=kind, key=meta["key"], theme=meta["theme"],
                  title_fr=meta["title_fr"], title_en=meta["title_en"],
                  body_fr=parts[0].strip() + "\n", body_en=parts[1].strip() + "\n",
                  page=meta.get("page", ""), position=int(meta.get("position") or 100))


def written(directory: Path = ARTICLES_DIR) -> list[Source]:
    return [parse(path.read_text(encoding="utf-8"), path.name)
            for path in sorted(directory.glob("*.md"))]


# --- error articles --------------------------------------------------------------------------


def error_classes() -> list[type]:
    """Every concrete `ChoeurError` of Choeur: each module that defines a code is imported
    (some are imported only by the views or the API), then the registry is read."""
    from choeur.core import errors

    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
        if "migrations" in relative.parts or "management" in relative.parts:
            continue
        if _DEFINES_CODE.search(path.read_text(encoding="utf-8")):
            importlib.import_module(".".join(relative.parts))
    return errors.catalogue()


@dataclass(frozen=True)
class Family:
    fr: str
    en: str
    see: tuple[str, ...]  # slugs of the task articles to read next


FAMILIES = {
    "ACCOUNTS": Family("votre compte et la connexion", "your account and signing in",
                       ("creer-son-compte", "se-connecter-second-facteur")),
    "ORG": Family("les structures, services, rattachements et habilitations",
                  "structures, services, rattachements and habilitations",
                  ("creer-une-structure", "rattachement-a-une-structure",
                   "gerer-services-et-habilitations")),
    "INV": Family("le dépôt et le traitement des factures",
                  "depositing and processing invoices",
                  ("deposer-une-facture-saisie", "deposer-un-fichier-structure",
                   "suivre-une-facture-et-ses-statuts")),
    "TRAV": Family("les factures de travaux", "works invoices",
                   ("factures-de-travaux-fournisseur", "factures-de-travaux-moe-moa")),
    "FLUX": Family("les flux (dépôts par API, EDI ou sur le portail)",
                   "flux (deposits through the API, EDI or the portal)",
                   ("deposer-un-flux", "comptes-techniques-et-clients-oauth2")),
    "API": Family("l'API de Choeur (compatible Chorus Pro)",
                  "Choeur's API (Chorus Pro compatible)",
                  ("comptes-techniques-et-clients-oauth2",)),
    "QUAL": Family("l'environnement de qualification", "the qualification environment",
                   ("environnement-de-qualification", "matelas-de-donnees")),
    "WEBHOOK": Family("les webhooks", "webhooks", ("comptes-techniques-et-clients-oauth2",)),
    "FORM": Family("la formation et ses sessions", "training and its sessions",
                   ("sessions-de-formation",)),
    "AIDE": Family("le centre d'aide", "the help centre", ()),
    "CORE": Family("le fonctionnement général du portail", "the portal in general", ()),
}
_OTHER = Family("le portail", "the portal", ())

STATUS_ADVICE = {
    400: ("Corrigez la donnée signalée puis recommencez : rien n'a été enregistré.",
          "Correct the data reported and try again: nothing was saved."),
    401: ("L'authentification a échoué : vérifiez vos identifiants (ou, par l'API, le jeton "
          "OAuth2 et le compte technique) puis recommencez.",
          "Authentication failed: check your credentials (or, through the API, the OAuth2 "
          "token and the technical account) and try again."),
    403: ("Vous n'avez pas le droit nécessaire : demandez au gestionnaire de votre structure "
          "l'habilitation qui convient (voir [Gérer les services et les habilitations]"
          "(aide:gerer-services-et-habilitations)).",
          "You lack the right this needs: ask your structure's gestionnaire for the "
          "habilitation (see [Manage services and habilitations]"
          "(aide:gerer-services-et-habilitations))."),
    404: ("L'objet n'existe pas, ou vous n'y avez pas accès : Choeur ne distingue pas les deux "
          "cas. Vérifiez le numéro et la structure choisie.",
          "The object does not exist, or you have no access to it: Choeur does not tell the "
          "two apart. Check the number and the structure chosen."),
    405: ("Cette opération existe, mais pas avec cette méthode HTTP.",
          "This operation exists, but not with this HTTP method."),
    409: ("L'action n'est pas possible dans l'état actuel de l'objet (il a pu changer "
          "entre-temps) : rechargez la page, vérifiez son statut et recommencez si l'action "
          "est encore proposée.",
          "The action is not possible in the object's current state (it may have changed in "
          "the meantime): reload the page, check its status and try again if the action is "
          "still offered."),
    413: ("Le fichier ou la demande est trop volumineux : réduisez-le ou découpez l'envoi.",
          "The file or request is too large: make it smaller or split the sending."),
    429: ("Trop de tentatives : attendez le délai indiqué avant de recommencer.",
          "Too many attempts: wait for the delay given before trying again."),
    500: ("Erreur interne de la plateforme : réessayez plus tard ; si elle persiste, "
          "contactez le support en citant le code.",
          "An internal error of the platform: try again later; if it persists, contact the "
          "support quoting the code."),
}


# Where a family's errors mean something else than the status's general advice.
FAMILY_ADVICE = {
    ("ACCOUNTS", 403): (
        "L'accès est refusé pour protéger le compte : le message dit pourquoi et jusqu'à "
        "quand. Attendez la fin du verrouillage, ou passez par [mot de passe oublié]"
        "(url:password-forgotten) ; un accès désactivé se règle avec l'administrateur de la "
        "plateforme.",
        "Access is refused to protect the account: the message says why and until when. Wait "
        "for the end of the lock, or go through [forgotten password](url:password-forgotten); "
        "a deactivated access is a matter for the platform's administrator."),
}


def _shown(message: str) -> str:
    """A message template as a reader meets it: its parameters as « … »."""
    return " ".join(_PLACEHOLDER.sub("…", message).split())


def _md(value: str) -> str:
    """A message put in an article's text: nothing in it is taken for markup."""
    return value.replace("`", "'").replace("**", "*").replace("[", "(").replace("]", ")")


def error_slug(code: str) -> str:
    return "erreur-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def error_source(cls: type, written_article: Source | None = None,
                 titles: dict[str, tuple[str, str]] | None = None) -> Source:
    from choeur.api.errors import CODE_RETOUR

    code = cls.code
    family = FAMILIES.get(code.split("_", 1)[0], _OTHER)
    status = int(getattr(cls, "http_status", 400))
    advice_fr, advice_en = FAMILY_ADVICE.get(
        (code.split("_", 1)[0], status), STATUS_ADVICE.get(status, STATUS_ADVICE[400]))
    message_fr, message_en = _md(_shown(cls.message_fr)), _md(_shown(cls.message_en))
    hint_fr = getattr(cls, "hint_fr", "") or ""
    hint_en = getattr(cls, "hint_en", "") or ""
    bt = getattr(cls, "bt", None)
    retour = CODE_RETOUR.get(status, CODE_RETOUR[400])
    fr = [f"**Code :** `{code}`", "", f"**Message :** {message_fr}", "",
          f"Cette erreur concerne {family.fr}. Choeur l'affiche sur le portail et la renvoie "
          f"par l'API (statut HTTP {status}, `codeRetour` {retour}) ; l'action demandée n'a "
          "rien modifié."]
    en = [f"**Code:** `{code}`", "", f"**Message:** {message_en}", "",
          f"This error concerns {family.en}. Choeur shows it on the portal and returns it "
          f"through the API (HTTP status {status}, `codeRetour` {retour}); the action asked "
          "for changed nothing."]
    if bt:
        fr += ["", f"Donnée de la facture concernée : **{bt}** (norme EN 16931)."]
        en += ["", f"Invoice data concerned: **{bt}** (EN 16931 standard)."]
    fr += ["", "## Que faire ?", ""]
    en += ["", "## What to do", ""]
    if hint_fr:
        fr += [f"- {_md(_shown(hint_fr))}"]
        en += [f"- {_md(_shown(hint_en or hint_fr))}"]
    fr += [f"- {advice_fr}"]
    en += [f"- {advice_en}"]
    for slug in family.see:
        if titles and slug in titles:
            fr += [f"- Voir aussi : [{titles[slug][0]}](aide:{slug})"]
            en += [f"- See also: [{titles[slug][1]}](aide:{slug})"]
    page = ""
    if written_article is not None:
        fr += ["", written_article.body_fr.strip()]
        en += ["", written_article.body_en.strip()]
        page = written_article.page
    title_fr = written_article.title_fr if written_article else message_fr
    title_en = written_article.title_en if written_article else message_en
    return Source(
        slug=error_slug(code), kind="ERROR", key=code, theme=themes.ERRORS,
        title_fr=f"{code} — {title_fr}"[:300], title_en=f"{code} — {title_en}"[:300],
        body_fr="\n".join(fr) + "\n", body_en="\n".join(en) + "\n", page=page, position=0,
        source="GENERATED")


def sources() -> list[Source]:
    """Every article the repository and the error classes hold, checked (unique slugs)."""
    articles = written()
    by_code = {a.key: a for a in articles if a.kind == "ERROR"}
    result = [a for a in articles if a.kind == "TASK"]
    titles = {a.slug: (a.title_fr, a.title_en) for a in result}
    codes = set()
    for cls in error_classes():
        codes.add(cls.code)
        result.append(error_source(cls, by_code.get(cls.code), titles))
    unknown = set(by_code) - codes
    if unknown:
        raise ArticleInvalid(name=", ".join(sorted(unknown)), reason="no such error code")
    slugs = [a.slug for a in result]
    duplicates = {s for s in slugs if slugs.count(s) > 1}
    if duplicates:
        raise ArticleInvalid(name=", ".join(sorted(duplicates)), reason="slug used twice")
    return result


@dataclass(frozen=True)
class Outcome:
    created: int
    updated: int
    removed: int
    unchanged: int


def load(article_model=None) -> Outcome:
    """Bring the articles table to what the sources hold (idempotent). The caller owns the
    transaction; a migration passes its historical model."""
    from choeur.core import clock

    if article_model is None:
        from choeur.aide.models import Article as article_model
    wanted = {s.slug: s for s in sources()}
    existing = {a.slug: a for a in article_model.objects.all()}
    created = updated = unchanged = 0
    now = clock.now()
    # A migration's historical model may lack fields added since: only its own are written.
    known = {f.name for f in article_model._meta.concrete_fields}
    for slug, source in wanted.items():
        values = {k: v for k, v in source.values().items() if k in known}
        article = existing.get(slug)
        if article is None:
            article_model.objects.create(slug=slug, updated_at=now, **values)
            created += 1
        elif any(getattr(article, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(article, k, v)
            article.updated_at = now
            article.save()
            updated += 1
        else:
            unchanged += 1
    gone = [a.pk for slug, a in existing.items() if slug not in wanted]
    article_model.objects.filter(pk__in=gone).delete()
    return Outcome(created, updated, len(gone), unchanged)
