import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_home_in_french_by_default(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Bienvenue sur Choeur" in html
    assert 'href="#contenu"' in html  # skip link for keyboard users
    assert '/static/choeur/choeur.css' in html


def test_french_even_for_a_browser_set_to_english(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html


def test_english_when_chosen(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Welcome to Choeur" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"  # forged: back to French
    assert '<html lang="fr">' in client.get("/").content.decode()


def test_language_switch_keeps_the_choice(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Welcome to Choeur" in client.get("/").content.decode()


def test_static_files_served_by_the_app(live_server):
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/static/choeur/choeur.css") as r:  # noqa: S310
        assert r.status == 200
        assert b"--blue" in r.read()


def test_qualification_banner(client, settings):
    settings.CHOEUR_ENVIRONMENT = "qualification"
    assert "Environnement de qualification" in client.get("/").content.decode()
    settings.CHOEUR_ENVIRONMENT = "production"
    assert "Environnement de qualification" not in client.get("/").content.decode()


def test_login_and_logout(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert "Marie Curie" in client.get("/").content.decode()
    assert client.post(reverse("logout")).status_code == 302
    assert "Marie Curie" not in client.get("/").content.decode()


def test_login_ignores_the_case_of_the_address(client, user):
    response = client.post(reverse("login"), {"username": "  Marie.Curie@Example.FR ",
                                              "password": PASSWORD})
    assert response.status_code == 302


def test_one_account_per_address_whatever_the_case(user):
    from django.core.exceptions import ValidationError

    from choeur.accounts.models import User

    twin = User(email="MARIE.CURIE@example.fr")
    twin.set_password(PASSWORD)
    with pytest.raises(ValidationError):
        twin.full_clean()


def test_wrong_password_gives_a_clear_message(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_forms_refuse_a_missing_csrf_token(user):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "CORE_CSRF_FAILED" in response.content.decode()
    assert "_auth_user_id" not in strict.session


def test_passwords_are_hashed_with_argon2(user):
    assert user.password.startswith("argon2")


def test_typed_errors_render_with_their_code(rf, user):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from choeur.core.errors import PermissionRefused
    from choeur.core.middleware import ChoeurErrorMiddleware

    request = rf.get("/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    middleware = ChoeurErrorMiddleware(lambda r: None)
    response = middleware.process_exception(request, PermissionRefused())
    assert response.status_code == 403
    assert "CORE_PERMISSION_REFUSED" in response.content.decode()


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
