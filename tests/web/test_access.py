"""House rule 5: walk every portal URL as an outsider; nothing private may answer."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Pages anyone may see. Everything else must send an outsider to a login page or refuse.
LOGIN_PAGES = {"/connexion/", "/admin/login/"}
PUBLIC = {
    "/", "/connexion/", "/healthz", "/admin/login/", "/langue/",
    # Accounts: registration, activation, recovery and the login's second step.
    "/inscription/", "/inscription/envoyee/", "/conditions-generales/", "/activation/renvoyer/",
    "/mot-de-passe/oublie/", "/connexion/code/", "/connexion/second-facteur/",
    # The public annuaire of public structures.
    "/annuaire/", "/annuaire.csv",
    # The help centre (articles on tasks and error codes, full-text search).
    "/aide/",
    # The assistant « Besoin d'aide ? » (its page without JavaScript; it looks invoices up only
    # in the asking user's own scope).
    "/aide/assistant/",
    # « Formation »: the course's guides (texts of the law, the platform's own tables).
    "/formation/",
    # The OpenAPI description of the wire API (public, like the Swagger files it follows).
    "/cpro/openapi.json",
    # « Contacter le support » for whoever cannot sign in, and its confirmation (which shows
    # only the number this browser's own session was given, else sends back to the form).
    "/contact/", "/contact/envoyee/",
}
# A logged-in user's own pages (no id in the URL: nobody else's data can be asked for).
# Anonymous visitors must still be sent to the login page. Pages of one structure are walked
# with real ids in tests/organisations/test_access.py.
OWN = {
    "/mon-compte/", "/mon-compte/profil/", "/mon-compte/mot-de-passe/", "/mon-compte/adresse/",
    "/mon-compte/second-facteur/", "/mon-compte/desactiver/", "/mon-compte/notifications/",
    "/structures/", "/structures/creer/", "/rattachements/demande/",
    # Invoicing lists (scoped to the user's structures: empty for an outsider) and the
    # deposit's choice of structure; the user's own notifications.
    "/factures/emises/", "/factures/recues/", "/factures/a-valider/", "/factures/deposer/",
    "/notifications/",
    # The rejections and suspensions to acknowledge (empty: sends the user on).
    "/factures/acquittements/",
    # Engagements and the supplier's orders (scoped lists: empty for an outsider), and the
    # choice of structure before creating an engagement (a notice for who may create none).
    "/engagements/", "/commandes/", "/engagements/creer/",
    # The flux of the user's structures (empty for an outsider).
    "/raccordements/flux/",
    # The dossiers de facturation of the user's structures (empty for an outsider); a
    # dossier, its pieces and actions are walked with real ids in tests/travaux/test_portal.py.
    "/factures/travaux/",
    # The titulaire's list of its sous-traitants' and co-traitants' pieces (empty for an
    # outsider); its actions are walked with real ids in tests/travaux/test_subcontracting.py.
    "/factures/travaux/sous-traitance/",
    # « Contacter un agent »: any signed-in user may ask for one (its own conversations
    # only); a conversation is walked with real ids in tests/chat/test_views.py.
    "/direct/",
    # « Rejoindre une session de formation »: the code form (with the invitation link's code
    # filled in, never looked up), and the sessions the user joined.
    "/formation/rejoindre/", "/formation/rejoindre/1/",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    """Turn a route into a URL: converters get a plausible value, regexes are simplified."""
    import re

    url = re.sub(r"<(?:\w+:)?(\w+)>", "1", route)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "")
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    url = re.sub(r"\([^)]*\)", "", url)
    return "/" + url.replace("\\", "")


def all_urls():
    return sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)})


def test_the_walk_finds_the_private_pages():
    urls = all_urls()
    assert "/administration/courriels/" in urls
    assert "/admin/accounts/user/" in urls
    assert len(urls) > 30


@pytest.mark.parametrize("as_user", [False, True], ids=["anonymous", "non-staff user"])
def test_every_private_url_refuses_an_outsider(client, user, as_user):
    if as_user:
        client.force_login(user)
    leaks = []
    for url in all_urls():
        if url in PUBLIC or (as_user and url in OWN):
            continue
        response = client.get(url, follow=True)
        landed = response.request["PATH_INFO"]
        if response.status_code == 200 and landed not in LOGIN_PAGES:
            leaks.append(f"{url} -> {landed}" if response.redirect_chain else url)
        else:
            # 401: the wire API (/cpro/...) refuses a caller without token and technical
            # account as HTTP authentication says; tests/api walks its routes with POST.
            assert response.status_code in (200, 400, 401, 403, 404, 405), (
                url, response.status_code)
    assert leaks == []
