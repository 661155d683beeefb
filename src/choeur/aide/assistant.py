"""The assistant of « Besoin d'aide ? » (Chorus Pro's ClaudIA; docs/SOLLICITATIONS.md,
« Assistant and live agent »): rule-based, no external service.

A question is folded (aide/text.py: lower case, accents removed) and read by a few rules, in
this order; the first that recognises it answers:

1. `code` — an error code of Choeur (`INV_SERVICE_REQUIRED`), a Chorus Pro message code that
   maps to one (`GDP_MSG_11.001`, the invoicing errors' `cpro`) or a Chorus Pro message
   known to mean one (« …BuyerReference… est obligatoire » is the service code): the code's
   article (its message and what to do) and its page;
2. `statut` — an invoice status (`MISE_A_DISPOSITION`; or « que veut dire le statut
   Suspendue », after the invoice numbers) : its label and its line of the statuses' article;
3. `activation` — « je n'ai pas reçu l'e-mail d'activation »: signed in, the account is
   active already; signed out, the re-sending of the link (accounts.services.resend_activation,
   its throttling and its neutral answer) to the address in the question, or asked for;
4. `facture` — an invoice number: its status, recipient and last change, looked up only among
   the invoices the user may see (invoicing.queries, issued and received); any other number
   gets the same answer as an unknown one;
5. `a_traiter` — « quelles factures dois-je traiter ? », « ai-je des factures à valider ? »:
   what waits for the user's action (`waiting_for`), read through the portal lists' own
   scoped queries and their « à traiter » tab — received invoices to process, issued ones to
   complete or correct, invoices to validate, works dossiers waiting for one of its roles:
   how many in each list (with its link) and the MAX_PENDING most urgent; signed out, nothing
   but an invitation to sign in;
6. `comment` — a how-to: the articles of the topics its words name (a table below), then the
   full-text search (aide.search) for the rest;
7. `inconnu` — the best articles the search finds for any of its words. Two such answers in a
   session, or a negative vote, offer « Contacter un agent » (a sollicitation pre-filled with
   the exchange: `handover`).

`answer()` reads only; the use cases (asking, re-sending, rating) are aide/services.py's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from choeur.aide import markup, queries, search, text
from choeur.aide.errors import AideError, QuestionEmpty, QuestionTooLong
from choeur.aide.models import Article

MAX_QUESTION = 500
ARTICLES = 3  # articles offered in one answer
MISUNDERSTOOD_BEFORE_AGENT = 2
KEPT = 10  # exchanges kept in the session
STATE_KEY = "aide.assistant"

# Intents.
CODE, STATUT, ACTIVATION, FACTURE, PENDING, COMMENT, INCONNU = (
    "code", "statut", "activation", "facture", "a_traiter", "comment", "inconnu")
INTENTS = (CODE, STATUT, ACTIVATION, FACTURE, PENDING, COMMENT, INCONNU)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Link:
    label: str
    url: str
    page_url: str | None = None  # an article's portal page


@dataclass
class Answer:
    intent: str
    question: str
    text: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    articles: list[Link] = field(default_factory=list)
    article_slugs: list[str] = field(default_factory=list)
    ask_email: bool = False  # signed out, activation: the address is asked
    offer_agent: bool = False
    invoice_id: int | None = None
    waiting: list = field(default_factory=list)  # PENDING: the items waiting (Waiting)
    number: int = 0  # the exchange's number in the session (for the rating)

    @property
    def understood(self) -> bool:
        return self.intent != INCONNU


# --- The question ------------------------------------------------------------------------------


def clean(question: str) -> str:
    """The question as it will be read: control characters out, spaces collapsed. Empty or
    longer than MAX_QUESTION is a coded error (nothing is answered, nothing kept)."""
    question = " ".join(_CONTROL.sub(" ", question or "").split())
    if not question:
        raise QuestionEmpty()
    if len(question) > MAX_QUESTION:
        raise QuestionTooLong(limit=MAX_QUESTION)
    return question


def folded(question: str) -> str:
    """Lower case, no accents, apostrophes as spaces: what the rules' patterns read."""
    return " ".join(re.sub(r"['’`]", " ", text.fold(question)).split())


# --- Articles ----------------------------------------------------------------------------------


def article_link(article: Article, language: str | None = None) -> Link:
    return Link(article.title(language), reverse("aide:article", args=[article.slug]),
                queries.page_url(article))


def _articles(slugs: list[str]) -> list[Article]:
    found = Article.objects.in_bulk(slugs, field_name="slug")
    return [found[s] for s in slugs if s in found]


# Words of a question that say nothing about its subject, besides aide/text.py's STOPWORDS.
QUESTION_WORDS = frozenset("""
ai as avez avoir suis sont veut veux voudrais aimerais dire faut besoin aide aider svp merci
bonjour bonsoir madame monsieur peux pouvez possible ici cela ca quand toujours encore deja
have has get need please hello
""".split())


def best_articles(question: str, language: str | None = None, limit: int = ARTICLES,
                  exclude: tuple[str, ...] = ()) -> list[Article]:
    """The articles for a question's words: those holding all of them first (aide.search),
    then those holding the most of them (one search per word, ranks summed)."""
    words = [w for w in text.significant(question) if w not in QUESTION_WORDS]
    if not words:
        return []
    query = " ".join(words)[:search.MAX_QUERY]
    chosen: list[Article] = []
    for hit in search.search(query, language, limit=limit + len(exclude)):
        if hit.article.slug not in exclude:
            chosen.append(hit.article)
    if len(chosen) >= limit or len(words) == 1:
        return chosen[:limit]
    scores: dict[int, float] = {}
    by_id: dict[int, Article] = {}
    for word in words:
        for rank, hit in enumerate(search.search(word, language, limit=20)):
            scores[hit.article.pk] = scores.get(hit.article.pk, 0) + 1 + 1 / (rank + 1)
            by_id[hit.article.pk] = hit.article
    seen = {a.pk for a in chosen} | {pk for pk, a in by_id.items() if a.slug in exclude}
    for pk in sorted(scores, key=lambda pk: (-scores[pk], pk)):
        if pk not in seen and len(chosen) < limit:
            chosen.append(by_id[pk])
    return chosen


# --- 1. Error codes ----------------------------------------------------------------------------

_CODE_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?:\.[0-9]+)?\b")

# Chorus Pro's messages known to mean one of Choeur's errors (reference §4.4: the structured
# flow's XPath-like messages), as patterns on the folded question.
CPRO_PHRASES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"buyerreference"), "INV_SERVICE_REQUIRED"),
    (re.compile(r"code service.{0,40}\b(obligatoire|exige|requis|manquant|absent|required|"
                r"missing|mandatory)"), "INV_SERVICE_REQUIRED"),
    (re.compile(r"(obligatoire|exige|requis|manquant|absent|required|missing).{0,20}"
                r"code service"), "INV_SERVICE_REQUIRED"),
    (re.compile(r"buyerorderreferenceddocument"), "INV_ENGAGEMENT_REQUIRED"),
)


@functools.lru_cache(maxsize=1)
def _classes() -> dict[str, type]:
    """Every error class of Choeur by code (aide.loader imports the modules defining them)."""
    from choeur.aide.loader import error_classes

    return {cls.code: cls for cls in error_classes()}


@functools.lru_cache(maxsize=1)
def _cpro_codes() -> dict[str, str]:
    """Chorus Pro message codes (`GDP_MSG_11.001`) → the Choeur code answering with it, when
    only one does (the invoicing errors' `cpro`)."""
    found: dict[str, list[str]] = {}
    for cls in _classes().values():
        cpro = getattr(cls, "cpro", "")
        if cpro and not cpro.endswith("00.000"):
            found.setdefault(cpro.upper(), []).append(cls.code)
    return {cpro: codes[0] for cpro, codes in found.items() if len(codes) == 1}


def find_code(question: str) -> str | None:
    """The error code the question names (an existing article's key), or None."""
    tokens = [t.upper() for t in _CODE_TOKEN.findall(question)]
    if tokens:
        keys = set(Article.objects.filter(kind=Article.Kind.ERROR, key__in=tokens)
                   .values_list("key", flat=True))
        for token in tokens:
            if token in keys:
                return token
        cpro = _cpro_codes()
        for token in tokens:
            if token in cpro:
                return cpro[token]
    plain = folded(question)
    for pattern, code in CPRO_PHRASES:
        if pattern.search(plain) and Article.objects.filter(key=code).exists():
            return code
    return None


def answer_code(question: str, code: str, language: str | None) -> Answer:
    article = Article.objects.get(kind=Article.Kind.ERROR, key=code)
    cls = _error_class(code)
    message = (cls.message_en if Article.english(language) else cls.message_fr) if cls else ""
    message = re.sub(r"\{[^}]*\}", "…", message)
    what = _section(article.body(language), ("## Que faire ?", "## What to do"))
    answer = Answer(CODE, question, _("Le code %(code)s signifie : %(message)s") % {
        "code": code, "message": message or article.title(language)})
    if what:
        answer.facts.append((_("Que faire"), what))
    answer.articles = [article_link(article, language)]
    answer.article_slugs = [article.slug]
    return answer


def _error_class(code: str):
    return _classes().get(code)


def _section(body: str, headings: tuple[str, ...]) -> str:
    """The plain text of the section under one of `headings`, up to the next heading."""
    lines, inside = [], False
    for line in body.splitlines():
        if line.strip() in headings:
            inside = True
            continue
        if inside and line.startswith("#"):
            break
        if inside and line.strip():
            lines.append(line.strip().lstrip("-* ").strip())
    return markup.plain("\n\n".join(lines)).strip()


# --- 2. Statuses -------------------------------------------------------------------------------

_STATUS_CUE = re.compile(r"\b(statut|statuts|status|veut dire|signifie|signification|"
                         r"mean|means)\b")
STATUS_ARTICLES = ("suivre-une-facture-et-ses-statuts", "traiter-une-facture-recue",
                   "factures-de-travaux-moe-moa", "valider-une-facture-valideur")


def find_status(question: str, by_label: bool = True) -> str | None:
    """A status the question names: its code as written (`MISE_A_DISPOSITION`), or, when
    `by_label` and the question asks about a status, its label or code in words."""
    from choeur.invoicing.statuses import Status

    codes = {s.value for s in Status}
    for token in re.findall(r"\b[A-Z][A-Z0-9_]{3,}\b", question):
        if token in codes:
            return token
    if not by_label:
        return None
    plain = folded(question)
    if not _STATUS_CUE.search(plain):
        return None
    with translation.override("fr"):
        names = [(folded(str(s.label)), s.value) for s in Status]
    names += [(s.value.lower().replace("_", " "), s.value) for s in Status]
    for name, value in sorted(names, key=lambda pair: -len(pair[0])):
        if re.search(rf"\b{re.escape(name)}\b", plain):
            return value
    return None


def answer_status(question: str, code: str, language: str | None) -> Answer:
    from choeur.invoicing.statuses import Status

    status = Status(code)
    with translation.override("fr"):
        french = str(status.label)
    explanation, article = "", None
    for candidate in _articles(list(STATUS_ARTICLES)):
        explanation = _status_line(candidate.body(language), french)
        if explanation:
            article = candidate
            break
    answer = Answer(STATUT, question, _("Le statut « %(label)s » (%(code)s) : %(text)s") % {
        "label": status.label, "code": code,
        "text": explanation or _("voyez l'article sur les statuts des factures.")})
    article = article or next(iter(_articles([STATUS_ARTICLES[0]])), None)
    if article is not None:
        answer.articles = [article_link(article, language)]
        answer.article_slugs = [article.slug]
    return answer


def _status_line(body: str, french_label: str) -> str:
    """The explanation of a status in a list item naming it in bold: what follows « : »."""
    for line in body.splitlines():
        if line.lstrip().startswith(("-", "*")) and f"**{french_label}**" in line:
            _names, sep, rest = line.partition(" : ")
            if not sep:
                _names, sep, rest = line.partition(": ")
            if sep and rest.strip():
                return markup.plain(rest.strip()).strip()
    return ""


# --- 3. Activation -----------------------------------------------------------------------------

_ACTIVATION = re.compile(
    r"\bactiv(ation|er|e|ez)\b.{0,60}\b(mail|e mail|email|courriel|lien|message|recu|recois)"
    r"|\b(mail|e mail|email|courriel|lien|message)\b.{0,60}\bactiv(ation|er|e|ez)\b"
    r"|\bactivation (link|email|e mail)\b")
_EMAIL = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+\.[A-Za-z]{2,}")


def is_activation(question: str) -> bool:
    return bool(_ACTIVATION.search(folded(question)))


def email_in(question: str) -> str | None:
    match = _EMAIL.search(question)
    if match is None:
        return None
    try:
        validate_email(match.group())
    except ValidationError:
        return None
    return match.group()


def activation_sent_text() -> str:
    return _("Si cette adresse correspond à un compte en attente d'activation, un nouveau lien "
             "d'activation, valable 60 minutes, vient d'y être envoyé. Pensez à regarder dans "
             "vos courriers indésirables.")


def answer_activation(question: str, user, language: str | None) -> Answer:
    article = next(iter(_articles(["creer-son-compte"])), None)
    if user.is_authenticated:
        answer = Answer(ACTIVATION, question, _(
            "Votre compte est déjà activé : vous êtes connecté avec l'adresse %(email)s. Il n'y "
            "a pas de lien d'activation à renvoyer.") % {"email": user.email})
    elif email_in(question):
        answer = Answer(ACTIVATION, question, activation_sent_text())
    else:
        answer = Answer(ACTIVATION, question, _(
            "Je peux vous renvoyer le lien d'activation : indiquez l'adresse électronique de "
            "connexion de votre compte."), ask_email=True)
    if article is not None:
        answer.articles = [article_link(article, language)]
        answer.article_slugs = [article.slug]
    return answer


# --- 4. Invoices -------------------------------------------------------------------------------

_INVOICE_WORD = re.compile(r"\b(facture|factures|avoir|invoice|invoices|credit note)\b")
# An invoice number: 3 to 20 letters, digits and inner separators, with a digit.
_NUMBER = re.compile(r"(?<![\w@./-])([A-Za-z0-9](?:[A-Za-z0-9]|[-/_.](?=[A-Za-z0-9])){2,19})"
                     r"(?![\w@/-])")
MAX_FOUND = 5


_DATE_OR_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|(19|20)\d\d")


def invoice_numbers(question: str) -> list[str]:
    """The tokens of the question that may be invoice numbers, in order: three digits or
    more (« A4 », « BT-10 » are not), or any digit when the question speaks of an invoice;
    never a date or a year."""
    mentions = bool(_INVOICE_WORD.search(folded(question)))
    found = []
    for token in _NUMBER.findall(question):
        digits = sum(c.isdigit() for c in token)
        if not digits or _DATE_OR_YEAR.fullmatch(token):
            continue
        if (digits >= 3 or mentions) and token not in found:
            found.append(token)
    return found[:3]


def answer_invoice(question: str, numbers: list[str], user, language: str | None) -> Answer:
    if not user.is_authenticated:
        return Answer(FACTURE, question, _(
            "Connectez-vous : je ne peux retrouver que les factures de vos structures."),
            links=[Link(_("Se connecter"), reverse("login"))])
    from choeur.invoicing import queries as invoicing

    for number in numbers:
        issued = list(invoicing.issued_invoices(user).filter(number__iexact=number)
                      .select_related("recipient", "recipient_service", "supplier")
                      .order_by("-status_changed_at", "-id")[:MAX_FOUND])
        received = [i for i in invoicing.received_invoices(user).filter(number__iexact=number)
                    .select_related("recipient", "recipient_service", "supplier")
                    .order_by("-status_changed_at", "-id")[:MAX_FOUND]
                    if i.pk not in {j.pk for j in issued}]
        found = [(i, "invoicing:issued_detail") for i in issued] + [
            (i, "invoicing:received_detail") for i in received]
        if found:
            return _invoice_found(question, found[:MAX_FOUND], language)
    return Answer(FACTURE, question, _(
        "Je ne trouve pas de facture numéro %(number)s parmi celles que vous pouvez consulter. "
        "Vérifiez le numéro, ou cherchez-la dans « Factures émises » ou « Factures reçues ».")
        % {"number": numbers[0]},
        links=[Link(_("Factures émises"), reverse("invoicing:issued_list")),
               Link(_("Factures reçues"), reverse("invoicing:received_list"))])


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _invoice_found(question: str, found: list, language: str | None) -> Answer:
    invoice, _route = found[0]
    recipient = invoice.recipient.company_name
    if invoice.recipient_service_id:
        recipient += f" ({invoice.recipient_service.code})"
    answer = Answer(FACTURE, question, _(
        "La facture %(number)s est au statut « %(status)s » depuis le %(when)s.") % {
        "number": invoice.number, "status": invoice.get_status_display(),
        "when": _when(invoice.status_changed_at)}, invoice_id=invoice.pk)
    answer.facts = [(_("Statut"), invoice.get_status_display()),
                    (_("Destinataire"), recipient),
                    (_("Fournisseur"), invoice.supplier.company_name),
                    (_("Dernier changement"), _when(invoice.status_changed_at))]
    if invoice.status_comment:
        answer.facts.append((_("Motif ou commentaire"), invoice.status_comment))
    for each, route in found:
        answer.links.append(Link(
            _("Voir la facture %(number)s (%(year)s, %(partner)s)") % {
                "number": each.number, "year": each.number_year,
                "partner": each.supplier.company_name if route.endswith("received_detail")
                else each.recipient.company_name},
            reverse(route, args=[each.pk])))
    article = next(iter(_articles([STATUS_ARTICLES[0]])), None)
    if article is not None:
        answer.articles = [article_link(article, language)]
        answer.article_slugs = [article.slug]
    return answer


# --- 5. What waits for the user ----------------------------------------------------------------

# « Quelles factures dois-je traiter ? », « ai-je des factures à valider ? », « factures en
# attente de ma validation », "which invoices are waiting for me": something to act on (an
# invoice, a dossier, a piece), waiting for the one who asks. Read on the question's words
# (`_plain`: folded, punctuation and hyphens as spaces).
_PENDING_OBJECT = re.compile(
    r"\b(factures?|avoirs?|dossiers?|pieces?|decomptes?|etats? d acompte|travaux|invoices?|"
    r"credit notes?|bills?|documents?|dossiers? de facturation)\b")
_PENDING_WAITING = re.compile(
    r"\ba (traiter|valider|completer|recycler|corriger|signer|approuver|viser)\b"
    r"|\ben attente de (ma|mon|mes|notre|nos|moi|nous)\b"
    r"|\b(m|nous) attend(ent|ait|aient)?\b"
    r"|\battend(ent|ait|aient)? (ma|mon|notre|nos|mes|une|un) (action|validation|traitement|"
    r"decision|signature|reponse|visa)\b"
    r"|\b(dois je|je dois|devons nous|nous devons|ai je|avons nous|j ai|me reste)\b.{0,40}"
    r"\b(traiter|valider|completer|recycler|corriger|signer|approuver)\b"
    r"|\b(waiting|pending) (for|on) (me|us|my|our)\b|\bawaiting (me|us|my|our)\b"
    r"|\b(to|must i|should i|do i need to|i need to|i must|i have to) (process|validate|"
    r"approve|handle|review|complete|sign)\b"
    r"|\b(needs?|requires?|requiring|needing) (my|our) (action|approval|validation|review)\b")
# Waiting for the one who asks, whatever the object ("what's pending for me?").
_PENDING_FOR_ME = re.compile(
    r"\b(waiting|pending) (for|on) (me|us)\b|\bawaiting me\b|\b(qui|que) (m|nous) "
    r"attend(ent)?\b|\b(dois je|je dois|devons nous|nous devons) (traiter|valider)\b")
# Asking for a list (« quelles », « combien », « ai-je », "which"), as opposed to asking how
# to do something (« comment déposer une facture à valider par le titulaire ? »).
_PENDING_ASKING = re.compile(
    r"\b(quelles?|quels?|combien|lesquel\w*|ai je|avons nous|y a t il|y en a t il|est ce que j|"
    r"est ce qu il y a|liste\w*|montre\w*|voir|affiche\w*|ou (sont|trouver|voir)|mes|nos|"
    r"which|what|how many|any|do i have|have i|list|show|where (are|can i (find|see))|my|our)\b")
_PENDING_HOWTO = re.compile(r"\b(comment|que faire|quoi faire|how|procedure)\b")

MAX_PENDING = 5  # the waiting items shown in one answer


def _plain(question: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", folded(question)))


def is_pending(question: str) -> bool:
    """A question asking what waits for the user's action (an invoice, a works piece)."""
    plain = _plain(question)
    if not (_PENDING_OBJECT.search(plain) and _PENDING_WAITING.search(plain)
            or _PENDING_FOR_ME.search(plain)):
        return False
    return bool(_PENDING_ASKING.search(plain)) or not _PENDING_HOWTO.search(plain)


@dataclass
class Waiting:
    """One thing waiting for the user: an invoice or a works dossier."""

    number: str
    partner: str
    amount: str
    status: str
    url: str
    since: object  # datetime: waiting since (its last change)
    due: object = None  # datetime: to be done before (a validation, a works timer)
    kind: str = ""

    @property
    def overdue(self) -> bool:
        from choeur.core import clock

        return self.due is not None and self.due < clock.now()


@dataclass
class WaitingList:
    """One list of the portal with its « à traiter » tab, and how much waits there."""

    label: str
    url: str
    count: int


def _money(value, currency: str | None = None) -> str:
    from choeur.formats import display

    return display.money(value, translation.get_language() or "fr", currency or None) or "—"


def waiting_for(user) -> tuple[list[WaitingList], list[Waiting]]:
    """What waits for `user`'s action, read through the portal lists' own queries and their
    « à traiter » tab (so the count is what the list shows): received invoices to process
    (invoicing.queries.received_invoices, statuses.RECIPIENT_TO_PROCESS), issued ones to
    complete or correct (issued_invoices, SUPPLIER_TO_PROCESS), invoices to validate
    (invoices_to_validate, VALIDATOR_TO_PROCESS) and works dossiers waiting for one of the
    user's roles (travaux.queries.to_process). The lists holding some, and at most MAX_PENDING
    items: overdue first (by due date), then the longest waiting."""
    from django.db.models import F

    from choeur.invoicing import queries as invoicing
    from choeur.invoicing import statuses
    from choeur.travaux import queries as travaux
    from choeur.travaux.models import Actor

    lists: list[WaitingList] = []
    items: list[Waiting] = []
    related = ("supplier", "recipient", "recipient_service")
    for label, route, queryset, received, order in (
        (_("Factures reçues à traiter"), "invoicing:received_list",
         invoicing.received_invoices(user).filter(status__in=statuses.RECIPIENT_TO_PROCESS),
         True, ("status_changed_at", "id")),
        (_("Factures émises à traiter"), "invoicing:issued_list",
         invoicing.issued_invoices(user).filter(status__in=statuses.SUPPLIER_TO_PROCESS),
         False, ("status_changed_at", "id")),
        (_("Factures à valider"), "invoicing:to_validate_list",
         invoicing.invoices_to_validate(user).filter(
             status__in=statuses.VALIDATOR_TO_PROCESS),
         True, (F("validation_due_at").asc(nulls_last=True), "status_changed_at", "id")),
    ):
        count = queryset.count()
        if not count:
            continue
        lists.append(WaitingList(label, reverse(route) + "?onglet=a-traiter", count))
        detail = {"invoicing:received_list": "invoicing:received_detail",
                  "invoicing:issued_list": "invoicing:issued_detail",
                  "invoicing:to_validate_list": "invoicing:to_validate_detail"}[route]
        for invoice in queryset.select_related(*related).order_by(*order)[:MAX_PENDING]:
            partner = invoice.supplier.company_name if received else \
                invoice.recipient.company_name
            due = invoice.validation_due_at if route == "invoicing:to_validate_list" else None
            items.append(Waiting(
                invoice.number, partner, _money(invoice.total_ttc, invoice.currency),
                invoice.get_status_display(), reverse(detail, args=[invoice.pk]),
                invoice.status_changed_at, due, label))
    dossiers = travaux.to_process(user, travaux.listed(user))
    count = dossiers.count()
    if count:
        label = _("Factures de travaux à traiter")
        lists.append(WaitingList(label, reverse("travaux:list") + "?onglet=a-traiter", count))
        for dossier in dossiers.order_by(F("due_at").asc(nulls_last=True), "updated_at",
                                         "pk")[:MAX_PENDING]:
            pieces = list(dossier.pieces.all())
            last = pieces[-1].invoice if pieces else None
            partner = (dossier.moa.company_name if dossier.next_actor == Actor.FOURNISSEUR
                       else dossier.supplier.company_name)
            items.append(Waiting(
                dossier.number, partner,
                _money(last.total_ttc, last.currency) if last else "—",
                last.get_status_display() if last else dossier.get_next_actor_display(),
                reverse("travaux:detail", args=[dossier.pk]), dossier.updated_at,
                dossier.due_at, label))
    items.sort(key=lambda w: (0, w.due, w.since) if w.overdue else (1, w.since, w.since))
    return lists, items[:MAX_PENDING]


def answer_pending(question: str, user, language: str | None) -> Answer:
    if not user.is_authenticated:
        return Answer(PENDING, question, _(
            "Connectez-vous : je ne peux vous dire ce qui attend votre action que dans les "
            "structures auxquelles vous êtes rattaché."),
            links=[Link(_("Se connecter"), reverse("login"))])
    lists, items = waiting_for(user)
    total = sum(each.count for each in lists)
    if not total:
        answer = Answer(PENDING, question, _(
            "Rien n'attend votre action : aucune facture ni aucun dossier de travaux n'est à "
            "traiter dans les structures et services auxquels vous avez accès."))
    else:
        if total > len(items):
            sentence = _("%(count)s éléments attendent votre action ; voici les %(shown)s plus "
                         "urgents (les listes ci-dessous les montrent tous) :") % {
                "count": total, "shown": len(items)}
        else:
            sentence = ngettext("%(count)s élément attend votre action :",
                                "%(count)s éléments attendent votre action, les plus urgents "
                                "d'abord :", total) % {"count": total}
        answer = Answer(PENDING, question, sentence)
        answer.waiting = items
        answer.facts = [(each.label, str(each.count)) for each in lists]
        answer.links = [Link(_("Voir la liste : %(list)s (%(count)s)") % {
            "list": each.label, "count": each.count}, each.url) for each in lists]
    article = next(iter(_articles(["traiter-une-facture-recue"])), None)
    if article is not None:
        answer.articles = [article_link(article, language)]
        answer.article_slugs = [article.slug]
    return answer


# --- 6. How-to, 7. the rest --------------------------------------------------------------------

# Topics a question's words name (folded patterns) → the articles answering them, best first.
TOPICS: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), slugs) for pattern, slugs in (
        (r"\btravaux\b|\bdecompte|\bmoe\b|\bmoa\b|maitr\w* d\w* ?(oeuvre|ouvrage)|"
         r"etat d acompte", ("factures-de-travaux-fournisseur", "factures-de-travaux-moe-moa")),
        (r"sous traitan|co traitan|cotraitan", ("sous-traitance-et-co-traitance",
                                                "valider-une-facture-valideur")),
        (r"mot de passe|\bpassword\b|\bmdp\b", ("se-connecter-second-facteur", "mon-compte")),
        (r"second facteur|double authentification|\b2fa\b|code (de connexion|a usage)|"
         r"\bverrouill", ("se-connecter-second-facteur",)),
        (r"coordonnees bancaires|\brib\b|\biban\b|\bbic\b|compte bancaire|bank",
         ("coordonnees-bancaires",)),
        (r"engagement|bon de commande|\bej\b|purchase order|\bcommandes?\b",
         ("engagements-et-commandes",)),
        (r"\b(ajout\w*|invit\w*|rattach\w*|add\w*|inscri\w*)\b.{0,40}\b(utilisateurs?|"
         r"collegues?|collaborat\w*|users?|personnes?|salaries?|comptable)\b|rattachement|"
         r"rejoindre",
         ("rattachement-a-une-structure", "gerer-services-et-habilitations")),
        (r"habilitation|\bespaces?\b|\bdroits?\b", ("gerer-services-et-habilitations",)),
        (r"code service|service code|annuaire", ("erreur-inv-service-required",
                                                "gerer-services-et-habilitations")),
        (r"creer (un|mon) compte|inscription|create (an|my) account",
         ("creer-son-compte",)),
        (r"creer (une|ma) structure|nouvelle structure|\bsiret\b", ("creer-une-structure",)),
        (r"\brejet|\bsuspen|\brecycl|\bacquitt", ("rejet-suspension-recyclage",)),
        (r"factur x|\bubl\b|\bcii\b|\bxml\b", ("deposer-un-fichier-structure",)),
        (r"\bpdf\b", ("deposer-une-facture-pdf",)),
        (r"\bsaisi", ("deposer-une-facture-saisie",)),
        (r"\bflux\b|\bedi\b|compte rendu", ("deposer-un-flux",)),
        (r"\bapi\b|compte technique|oauth", ("comptes-techniques-et-clients-oauth2",)),
        (r"valid\w* .{0,30}(sous traitant|co traitant)|\bvalideur",
         ("valider-une-facture-valideur",)),
        (r"factures? recues?|traiter (une|la|les) factures?|service fait|mandat",
         ("traiter-une-facture-recue",)),
        (r"qualification|matelas", ("environnement-de-qualification", "matelas-de-donnees")),
        (r"deposer (une|ma|mes|des|la) factur|envoyer (une|ma|mes|des) factur|deposit",
         ("deposer-une-facture-pdf", "deposer-une-facture-saisie")),
        (r"suivre|\bsuivi\b|ou en est", ("suivre-une-facture-et-ses-statuts",)),
        (r"mon compte|adresse (de connexion|electronique)|desactiver", ("mon-compte",)),
    ))

_HOWTO = re.compile(r"\b(comment|ou trouver|ou se trouve|ou puis je|que faire|quoi faire|"
                    r"puis je|peut on|how|where)\b")


def topic_slugs(question: str) -> list[str]:
    plain = folded(question)
    slugs: list[str] = []
    for pattern, answers in TOPICS:
        if pattern.search(plain):
            slugs += [s for s in answers if s not in slugs]
    return slugs


def answer_howto(question: str, language: str | None) -> Answer:
    topical = _articles(topic_slugs(question))[:ARTICLES]
    found = list(topical)
    if len(found) < ARTICLES:
        found += best_articles(question, language, ARTICLES - len(found),
                               exclude=tuple(a.slug for a in topical))
    howto = bool(_HOWTO.search(folded(question)))
    if topical or (howto and found):
        intent, sentence = COMMENT, _("Voici ce qui répond à votre question :")
    else:
        intent = INCONNU
        sentence = (_("Je n'ai pas bien compris votre question. Ces articles peuvent vous "
                      "aider :") if found else
                    _("Je n'ai pas compris votre question. Reformulez-la en quelques mots, "
                      "ou parcourez le centre d'aide."))
    answer = Answer(intent, question, sentence)
    answer.articles = [article_link(a, language) for a in found]
    answer.article_slugs = [a.slug for a in found]
    if not found:
        answer.links = [Link(_("Centre d'aide"), reverse("aide:index"))]
    return answer


# --- The whole ---------------------------------------------------------------------------------


def answer(question: str, user, language: str | None = None) -> Answer:
    """The answer to `question` for `user` (read only). `question` is checked (`clean`)."""
    question = clean(question)
    code = find_code(question)
    if code:
        return answer_code(question, code, language)
    status = find_status(question, by_label=False)
    if status:
        return answer_status(question, status, language)
    if is_activation(question):
        return answer_activation(question, user, language)
    numbers = invoice_numbers(question)
    if numbers:  # « ma facture FA-1 est suspendue, pourquoi ? » is about that invoice
        return answer_invoice(question, numbers, user, language)
    status = find_status(question)
    if status:
        return answer_status(question, status, language)
    if is_pending(question):
        return answer_pending(question, user, language)
    try:
        return answer_howto(question, language)
    except AideError:  # a search refused (cannot happen: the words are cut to MAX_QUERY)
        return Answer(INCONNU, question, _("Je n'ai pas compris votre question."))


# --- The exchange, kept in the session ---------------------------------------------------------


def new_state() -> dict:
    return {"exchange": [], "misunderstood": 0, "next": 1}


def remember(state: dict, answer: Answer, page: str = "") -> None:
    """Keep the exchange (the last KEPT answers) and count the questions not understood;
    the second one offers an agent."""
    answer.number = state.get("next", 1)
    state["next"] = answer.number + 1
    if answer.understood:
        state["misunderstood"] = 0
    else:
        state["misunderstood"] = state.get("misunderstood", 0) + 1
        if state["misunderstood"] >= MISUNDERSTOOD_BEFORE_AGENT:
            answer.offer_agent = True
    state.setdefault("exchange", []).append({
        "n": answer.number, "question": answer.question, "intent": answer.intent,
        "answer": summary(answer), "articles": answer.article_slugs,
        "invoice_id": answer.invoice_id, "page": page, "rating": None})
    state["exchange"] = state["exchange"][-KEPT:]


def summary(answer: Answer) -> str:
    """The answer in plain text, for the sollicitation that may follow."""
    lines = [answer.text]
    lines += [f"{w.number} — {w.partner} — {w.amount} — {w.status}" for w in answer.waiting]
    lines += [f"{label} : {value}" for label, value in answer.facts]
    lines += [link.label for link in answer.articles]
    return "\n".join(lines)


def exchange_entry(state: dict, number) -> dict | None:
    for entry in state.get("exchange", []):
        if str(entry.get("n")) == str(number):
            return entry
    return None


def handover(state: dict, logged_out: bool = False) -> dict:
    """The sollicitation form's initial values from the exchange: a title, the questions and
    answers with the page they were asked on, a category matching what was asked."""
    from choeur.sollicitations.models import MAX_TEXT, MAX_TITLE

    exchange = state.get("exchange", [])
    if not exchange:
        return {}
    intents = [e["intent"] for e in exchange]
    lines = [_("Échange avec l'assistant « Besoin d'aide ? » :"), ""]
    for entry in exchange:
        if entry.get("page"):
            lines.append(_("Page : %(page)s") % {"page": entry["page"]})
        lines.append(_("Question : %(q)s") % {"q": entry["question"]})
        lines.append(_("Réponse : %(a)s") % {"a": entry["answer"]})
        lines.append("")
    title = _("Demande d'aide : %(q)s") % {"q": exchange[-1]["question"]}
    if ACTIVATION in intents:
        category = "COMPTE/ACTIVATION"
    elif logged_out:
        category = "COMPTE/CONNEXION"
    elif FACTURE in intents and any(e.get("invoice_id") for e in exchange):
        category = "FACTURE/SUIVI"
    else:
        category = "GENERAL/PLATEFORME"
    initial = {"title": title[:MAX_TITLE], "description": "\n".join(lines)[:MAX_TEXT],
               "categorie": category}
    invoice_ids = [e["invoice_id"] for e in exchange if e.get("invoice_id")]
    if invoice_ids and not logged_out:
        initial["invoice_id"] = str(invoice_ids[-1])
    return initial
