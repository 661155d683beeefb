# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""The assistant « Besoin d'aide ? » (aide/assistant.py): the ten questions users ask most,
each with what it must answer; an invoice only for who may see it (anything else answered as
an unknown number); the activation link re-sent through the accounts' throttling; the
exchange kept, two misunderstood questions or a negative vote offering a sollicitation
pre-filled with it; hostile questions; CSRF."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from choeur.accounts.services import EMAIL_THROTTLE_COUNT
from choeur.aide import assistant
from choeur.aide.models import Rating
from choeur.core.models import OutgoingEmail
from choeur.invoicing import services as invoicing
from choeur.invoicing.models import ModeDepot
from choeur.invoicing.statuses import Status
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    invoice_data,
    pdf_bytes,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
    titulaire,
    titulaire_user,
)
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/aide/assistant/"


@pytest.fixture
def invoice(articles, supplier_user, supplier, bank_account, recipient, recipient_user):
    """FA-2026-0117, deposited by the supplier and made available to the recipient."""
    from choeur.core.worker import run_ready

    deposited = run(invoicing.deposit, supplier_user, supplier,
                    invoice_data(bank_account_id=bank_account.pk),
                    mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))
    run_ready()
    deposited.refresh_from_db()
    assert deposited.status == Status.MISE_A_DISPOSITION
    return deposited


@pytest.fixture
def awaiting(db):
    """An account registered but not activated yet."""
    return make_user("attente@exemple.fr", is_active=False, activated_at=None)


def ask(client, question, **extra):
    response = client.post(URL, {"question": question, "page": "/factures/emises/"}, **extra)
    return response, response.context["answer"] if response.context else None


def article_urls(answer):
    return [link.url for link in answer.articles]


def page_urls(answer):
    return [link.page_url for link in answer.articles]


def activation_emails(address):
    return OutgoingEmail.objects.filter(to=[address], subject="Activez votre compte Choeur")


# --- The ten questions users ask most ------------------------------------------------------


def _invoice_status(answer, invoice, client, outbox):
    assert answer.text.startswith("La facture FA-2026-0117 est au statut « Mise à disposition "
                                  "du destinataire » depuis le ")
    facts = dict(answer.facts)
    assert facts["Destinataire"] == "Direction régionale des finances publiques (COMPTA)"
    assert facts["Statut"] == "Mise à disposition du destinataire"
    assert facts["Dernier changement"]
    assert answer.links[0].url == reverse("invoicing:issued_detail", args=[invoice.pk])
    assert client.get(answer.links[0].url).status_code == 200  # the link is the owner's page


def _activation(answer, invoice, client, outbox):
    assert "un nouveau lien d'activation, valable 60 minutes, vient d'y être envoyé" \
        in answer.text
    assert activation_emails("attente@exemple.fr").count() == 1


def _code(answer, invoice, client, outbox):
    assert answer.text.startswith("Le code INV_SERVICE_REQUIRED signifie : Le code service du "
                                  "destinataire (BT-10) est absent")
    assert "Demandez-le à votre acheteur public" in answer.text
    assert dict(answer.facts)["Que faire"]
    assert article_urls(answer) == ["/aide/erreur-inv-service-required/"]
    assert page_urls(answer) == [reverse("annuaire")]


def _travaux(answer, invoice, client, outbox):
    assert article_urls(answer)[0] == "/aide/factures-de-travaux-fournisseur/"
    assert page_urls(answer)[0] == reverse("travaux:list")


def _password(answer, invoice, client, outbox):
    assert article_urls(answer)[0] == "/aide/se-connecter-second-facteur/"
    assert "/aide/mon-compte/" in article_urls(answer)


def _bank(answer, invoice, client, outbox):
    assert article_urls(answer)[0] == "/aide/coordonnees-bancaires/"


def _engagement(answer, invoice, client, outbox):
    assert article_urls(answer)[0] == "/aide/engagements-et-commandes/"
    assert page_urls(answer)[0] == reverse("invoicing:engagement_list")


def _add_user(answer, invoice, client, outbox):
    assert article_urls(answer)[:2] == ["/aide/rattachement-a-une-structure/",
                                        "/aide/gerer-services-et-habilitations/"]


def _status(answer, invoice, client, outbox):
    assert answer.text == ("Le statut « Mise à disposition du destinataire » (MISE_A_DISPOSITION)"
                           " : la facture est arrivée chez le destinataire.")
    assert article_urls(answer) == ["/aide/suivre-une-facture-et-ses-statuts/"]


TEN = [
    ("Où est ma facture FA-2026-0117 ?", assistant.FACTURE, "supplier", _invoice_status),
    ("Je n'ai pas reçu l'e-mail d'activation, mon adresse est attente@exemple.fr",
     assistant.ACTIVATION, None, _activation),
    ("Ma facture est rejetée avec le code INV_SERVICE_REQUIRED, que faire ?", assistant.CODE,
     "supplier", _code),
    ("Comment déposer une facture de travaux ?", assistant.COMMENT, "supplier", _travaux),
    ("J'ai oublié mon mot de passe", assistant.COMMENT, None, _password),
    ("Où enregistrer mes coordonnées bancaires ?", assistant.COMMENT, "supplier", _bank),
    ("Le destinataire exige un code service, que dois-je faire ?", assistant.CODE, "supplier",
     _code),
    ("Où trouver le numéro d'engagement ?", assistant.COMMENT, "supplier", _engagement),
    ("Comment ajouter un utilisateur à ma structure ?", assistant.COMMENT, "supplier",
     _add_user),
    ("Que veut dire le statut MISE_A_DISPOSITION ?", assistant.STATUT, "supplier", _status),
]


@pytest.mark.parametrize(("question", "intent", "who", "check"), TEN,
                         ids=[q[3].__name__.strip("_") for q in TEN])
def test_the_ten_questions_users_ask_most(client, invoice, awaiting, supplier_user, question,
                                          intent, who, check):
    if who == "supplier":
        client.force_login(supplier_user)
    response, answer = ask(client, question)
    assert response.status_code == 200
    assert answer.intent == intent
    check(answer, invoice, client, None)
    # Shown on the page, and kept in the session's exchange.
    assert escape(answer.text.split(" «")[0]) in response.content.decode()
    entry = client.session[assistant.STATE_KEY]["exchange"][-1]
    assert (entry["question"], entry["intent"], entry["page"]) == (
        question, intent, "/factures/emises/")


# --- Invoices: only for who may see them -----------------------------------------------------


def test_the_recipient_finds_the_invoice_it_received(client, invoice, recipient_user):
    client.force_login(recipient_user)
    _response, answer = ask(client, "statut de la facture fa-2026-0117")
    assert answer.intent == assistant.FACTURE
    assert dict(answer.facts)["Fournisseur"] == "Papeterie Lumière"
    assert answer.links[0].url == reverse("invoicing:received_detail", args=[invoice.pk])


def test_an_outsider_gets_the_answer_of_an_unknown_number(client, invoice, titulaire,
                                                          titulaire_user, supplier_user):
    client.force_login(titulaire_user)
    response, outsider = ask(client, "Où est ma facture FA-2026-0117 ?")
    _response, unknown = ask(client, "Où est ma facture FA-2026-9999 ?")
    assert outsider.intent == unknown.intent == assistant.FACTURE
    assert outsider.invoice_id is None
    assert outsider.text == unknown.text.replace("FA-2026-9999", "FA-2026-0117")
    assert outsider.text.startswith("Je ne trouve pas de facture numéro FA-2026-0117 parmi "
                                    "celles que vous pouvez consulter.")
    assert [link.url for link in outsider.links] == [link.url for link in unknown.links]
    page = response.content.decode()
    for secret in ("Papeterie Lumière", "Direction régionale", "Mise à disposition du "
                   "destinataire", f"/factures/emises/{invoice.pk}/"):
        assert secret not in page
    # The owner asking for an unknown number reads the same sentence.
    client.force_login(supplier_user)
    _response, own_unknown = ask(client, "Où est ma facture FA-2026-9999 ?")
    assert own_unknown.text == unknown.text


def test_signed_out_no_invoice_is_looked_up(client, invoice):
    _response, answer = ask(client, "Où est ma facture FA-2026-0117 ?")
    assert answer.intent == assistant.FACTURE
    assert answer.text.startswith("Connectez-vous")
    assert answer.invoice_id is None


# --- Activation ------------------------------------------------------------------------------


def test_activation_resent_with_the_accounts_throttling(client, articles, awaiting):
    answers = []
    for _attempt in range(EMAIL_THROTTLE_COUNT + 2):
        _response, answer = ask(client, "je n'ai pas reçu l'e-mail d'activation de "
                                        "attente@exemple.fr")
        answers.append(answer.text)
    assert len(set(answers)) == 1  # the same answer, throttled or not
    queued = activation_emails("attente@exemple.fr")
    assert queued.count() == EMAIL_THROTTLE_COUNT  # the outbox: the throttle held the rest
    assert all(re.search(r"/activation/[^/\s]+/[^/\s]+/", e.body) for e in queued)
    assert {e.status for e in queued} == {OutgoingEmail.Status.QUEUED}


def test_activation_asks_the_address_and_answers_alike_whatever_it_is(client, articles,
                                                                      awaiting):
    response, answer = ask(client, "Je n'ai pas reçu le mail d'activation")
    assert answer.intent == assistant.ACTIVATION and answer.ask_email
    assert 'name="email"' in response.content.decode()
    known = client.post("/aide/assistant/activation/", {"email": "attente@exemple.fr"})
    unknown = client.post("/aide/assistant/activation/", {"email": "personne@exemple.fr"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["notice"] == unknown.context["notice"]
    assert activation_emails("attente@exemple.fr").count() == 1
    assert not activation_emails("personne@exemple.fr").exists()
    bad = client.post("/aide/assistant/activation/", {"email": "pas une adresse"})
    assert bad.status_code == 400 and "AIDE_EMAIL_INVALID" in bad.content.decode()


def test_a_signed_in_user_is_told_its_account_is_active(client, articles, supplier_user):
    client.force_login(supplier_user)
    _response, answer = ask(client, "je n'ai pas reçu l'email d'activation")
    assert answer.text.startswith("Votre compte est déjà activé")
    assert not answer.ask_email
    assert not OutgoingEmail.objects.filter(subject="Activez votre compte Choeur").exists()


# --- Codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "code"), [
    ("erreur inv_service_required", "INV_SERVICE_REQUIRED"),
    ("L'API répond GDP_MSG_11.001, pourquoi ?", "INV_TRANSITION_REFUSED"),
    ("Rejet : The legal commitment (FichierXml.SupplyChainTradeTransaction."
     "ApplicableHeaderTradeAgreement.BuyerReference.value) is mandatory", "INV_SERVICE_REQUIRED"),
])
def test_codes_of_choeur_and_of_chorus_pro_explain_themselves(client, articles, question, code):
    _response, answer = ask(client, question)
    assert answer.intent == assistant.CODE
    assert answer.text.startswith(f"Le code {code} signifie : ")
    assert answer.article_slugs == ["erreur-" + code.lower().replace("_", "-")]


# --- Not understood, ratings, hand-over -------------------------------------------------------


def test_two_questions_not_understood_offer_a_sollicitation_prefilled(client, invoice,
                                                                     supplier_user):
    client.force_login(supplier_user)
    _response, first = ask(client, "zorglub wibble")
    assert first.intent == assistant.INCONNU and not first.offer_agent
    response, second = ask(client, "blurp frobnicate")
    assert second.intent == assistant.INCONNU and second.offer_agent
    page = response.content.decode()
    assert "Contacter un agent" in page
    url = response.context["handover_url"]
    assert url == "/sollicitations/nouvelle/?depuis=assistant"
    form = client.get(url).context["form"]
    assert form.initial["title"] == "Demande d'aide : blurp frobnicate"
    assert form.initial["categorie"] == "GENERAL/PLATEFORME"
    description = form.initial["description"]
    assert "Question : zorglub wibble" in description
    assert "Question : blurp frobnicate" in description
    assert "Page : /factures/emises/" in description
    # An understood question starts the count again.
    _response, third = ask(client, "Comment déposer une facture de travaux ?")
    assert not third.offer_agent
    assert client.session[assistant.STATE_KEY]["misunderstood"] == 0


def test_a_negative_vote_is_stored_and_offers_a_sollicitation_about_the_invoice(
        client, invoice, supplier_user):
    client.force_login(supplier_user)
    _response, answer = ask(client, "Où est ma facture FA-2026-0117 ?")
    response = client.post("/aide/assistant/avis/", {"reponse": answer.number, "utile": "non"})
    assert response.status_code == 200
    rating = Rating.objects.get()
    assert (rating.user, rating.intent, rating.useful, rating.page) == (
        supplier_user, "facture", False, "/factures/emises/")
    assert rating.question == "Où est ma facture FA-2026-0117 ?"
    assert rating.articles == "suivre-une-facture-et-ses-statuts"
    url = response.context["handover_url"]
    assert url == f"/sollicitations/nouvelle/?depuis=assistant&facture={invoice.pk}"
    new = client.get(url)
    assert new.context["linked"] == invoice
    assert new.context["form"].initial["categorie"] == "FACTURE/SUIVI"
    assert "Contacter un agent" in response.content.decode()
    # A second vote replaces the first; a positive one offers nothing.
    again = client.post("/aide/assistant/avis/", {"reponse": answer.number, "utile": "oui"})
    assert Rating.objects.get().useful is True
    assert "Contacter un agent" not in again.content.decode()


def test_a_signed_out_handover_goes_to_the_contact_form(client, articles, awaiting):
    _response, answer = ask(client, "je n'ai pas reçu le mail d'activation")
    response = client.post("/aide/assistant/avis/", {"reponse": answer.number, "utile": "non"})
    assert response.context["handover_url"] == "/contact/?depuis=assistant"
    form = client.get("/contact/?depuis=assistant").context["form"]
    assert form.initial["categorie"] == "COMPTE/ACTIVATION"
    assert "Question : je n'ai pas reçu le mail d'activation" in form.initial["description"]


@pytest.mark.parametrize(("data", "code", "status"), [
    ({"reponse": "999", "utile": "non"}, "AIDE_EXCHANGE_NOT_FOUND", 404),
    ({"reponse": "1", "utile": "peut-être"}, "AIDE_RATING_INVALID", 400),
])
def test_ratings_of_no_answer_of_this_session_change_nothing(client, articles, data, code,
                                                              status):
    other = Client()
    ask(other, "Comment déposer une facture de travaux ?")  # answer 1 of another session
    response = client.post("/aide/assistant/avis/", data)
    assert response.status_code == status
    assert code in response.content.decode()
    assert not Rating.objects.exists()


# --- Hostile input, CSRF, the panel ----------------------------------------------------------


def test_a_very_long_question_is_a_coded_error_and_keeps_nothing(client, articles):
    response = client.post(URL, {"question": "facture " * 100})
    assert response.status_code == 400
    assert "AIDE_QUESTION_TOO_LONG" in response.content.decode()
    assert assistant.STATE_KEY not in client.session
    empty = client.post(URL, {"question": "   \x00  "})
    assert empty.status_code == 400 and "AIDE_QUESTION_EMPTY" in empty.content.decode()


def test_html_in_the_question_is_escaped(client, articles):
    response, answer = ask(client, '<script>alert("x")</script><img src=x onerror=alert(1)> '
                                   "facture FA-<b>1</b>")
    page = response.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_post_needs_the_csrf_token(articles, supplier_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supplier_user)
    assert client.post(URL, {"question": "Où est ma facture FA-2026-0117 ?"}).status_code == 403
    assert client.post("/aide/assistant/avis/", {"reponse": "1", "utile": "non"}
                       ).status_code == 403
    assert client.post("/aide/assistant/activation/", {"email": "a@b.fr"}).status_code == 403
    assert not Rating.objects.exists()
    # With the token the page's form carries, the question is answered.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      client.get(URL).content.decode()).group(1)
    assert client.post(URL, {"question": "mot de passe oublié", "csrfmiddlewaretoken": token}
                       ).status_code == 200


def test_the_panel_is_on_every_page_and_the_script_gets_the_answer_alone(client, articles):
    home = client.get("/").content.decode()
    assert '<details class="assistant"' in home
    assert 'action="/aide/assistant/"' in home
    assert "/static/aide/assistant.js" in home
    fragment = client.post(URL, {"question": "mot de passe oublié"},
                           headers={"X-Choeur-Fragment": "1"})
    body = fragment.content.decode()
    assert "<html" not in body and 'data-testid="assistant-answer"' in body
    assert fragment["X-Choeur-Fragment"] == "1"
    assert client.get("/static/aide/assistant.js").status_code == 200


@pytest.mark.parametrize(("question", "intent"), [
    ("que signifie le statut suspendue ?", assistant.STATUT),
    ("ma facture FA-2026-0117 est au statut suspendue, pourquoi ?", assistant.FACTURE),
    ("comment déposer un A4 en travaux ?", assistant.COMMENT),  # « A4 » is no invoice number
    ("mes factures du 12/03/2026", assistant.INCONNU),  # a date is no invoice number
])
def test_what_the_assistant_understands(client, articles, supplier_user, question, intent):
    client.force_login(supplier_user)
    assert ask(client, question)[1].intent == intent


def test_ratings_go_after_their_retention(articles):
    from datetime import timedelta

    from django.db import transaction

    from choeur.aide import services as aide_services
    from choeur.aide.models import Rating
    from choeur.core import clock

    old = Rating.objects.create(question="q", intent="FACTURE", useful=False,
                                created_at=clock.now() - aide_services.RATINGS_KEPT
                                - timedelta(days=1))
    kept = Rating.objects.create(question="q", intent="FACTURE", useful=True)
    from choeur.aide.models import Article, ArticleVote

    ArticleVote.objects.create(article=Article.objects.first(), useful=False,
                               created_at=old.created_at)
    with transaction.atomic():
        assert aide_services.purge_ratings() == 2
    assert not ArticleVote.objects.exists()
    assert list(Rating.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Rating.objects.filter(pk=old.pk).exists()
