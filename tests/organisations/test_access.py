"""House rule 5 for the organisation pages: every URL, with the real ids of a victim
structure, as an anonymous visitor, an unattached user, another structure's gestionnaire and a
CONSULTATION user trying to change things. All are refused, nothing leaks, nothing changes."""

import pytest
from django.urls import URLPattern, get_resolver

from choeur.organisations import raccordements, services
from choeur.organisations.models import BankAccount, Espace, HabilitationRequest, Rattachement
from tests.conftest import PASSWORD

from .conftest import make_user, run

pytestmark = pytest.mark.django_db

# Every action the pages accept, sent at once: whatever the view reads, it gets something.
EVIL_POST = {
    "action": "validate", "ids": [], "id": "", "reason": "x", "active": "0", "espace":
    "COORDONNEES_BANCAIRES", "mode": "MODIFICATION", "company_name": "Pirate", "code": "PIRATE",
    "name": "Pirate", "label": "Pirate", "holder": "Pirate", "iban": "DE89370400440532013000",
    "email": "pirate@example.fr", "structure": "", "confirm": "1",
}


def organisation_routes():
    for entry in get_resolver().url_patterns:
        if getattr(entry, "urlconf_name", None) is not None and getattr(
            entry.urlconf_module, "__name__", ""
        ) == "choeur.organisations.urls":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern)
                if not pattern.name.startswith("annuaire"):  # public: see test_imports.py
                    yield pattern


ACTIONS = ("validate", "refuse", "detach", "grant", "withdraw", "transfer", "open", "close",
           "deactivate", "attach", "habilitation", "approve_request", "refuse_request",
           "create_account", "reset_password", "deactivate_account", "create_client",
           "revoke_client", "lenient_on", "lenient_off", "export", "preview", "import")


@pytest.fixture
def victim(structure, gp, member):
    run(services.add_bank_account, gp, structure, "Principal", "ACME",
        "FR1420041010050500013M02606")
    pending = make_user("pending@example.fr")
    run(services.request_rattachement, pending, structure)
    run(raccordements.create_technical_account, gp, structure)
    run(raccordements.create_api_client, gp, structure, "ERP")
    run(services.set_espace_open, gp, structure, Espace.FACTURES_TRAVAUX, True)
    run(services.request_habilitation, member, structure, Espace.FACTURES_TRAVAUX,
        "CONSULTATION")
    return structure


def foreign_ids(structure):
    """Every id of the victim's objects, to be sent where a form expects one."""
    return [
        *structure.rattachements.values_list("pk", flat=True),
        *structure.bank_accounts.values_list("pk", flat=True),
        *structure.technical_accounts.values_list("pk", flat=True),
        *structure.api_clients.values_list("pk", flat=True),
        *HabilitationRequest.objects.filter(rattachement__structure=structure).values_list(
            "pk", flat=True),
    ]


def snapshot(structure):
    structure.refresh_from_db()
    return (
        structure.company_name, structure.is_active,
        sorted(structure.services.values_list("code", "name", "is_active")),
        sorted(Rattachement.objects.filter(structure=structure).values_list(
            "user__email", "status", "role")),
        sorted(BankAccount.objects.filter(structure=structure).values_list("iban", "is_active")),
        sorted(structure.espaces.values_list("espace", flat=True)),
        sorted(Rattachement.objects.filter(structure=structure).values_list(
            "habilitations__espace", "habilitations__mode"), key=str),
        sorted(structure.technical_accounts.values_list("login", "password", "is_active")),
        sorted(structure.api_clients.values_list("client_id", "secret", "is_active")),
        sorted(HabilitationRequest.objects.filter(rattachement__structure=structure)
               .values_list("espace", "status")),
    )


def urls_for(structure):
    service = structure.services.first()
    rattachement_ids = list(structure.rattachements.values_list("pk", flat=True))
    for pattern in organisation_routes():
        kwargs = {}
        if "pk" in pattern.pattern.converters:
            kwargs["pk"] = structure.pk
        if "service_id" in pattern.pattern.converters:
            kwargs["service_id"] = service.pk
        if "rattachement_id" in pattern.pattern.converters:
            kwargs["rattachement_id"] = rattachement_ids[-1]
        from django.urls import reverse

        yield pattern.name, reverse(pattern.name, kwargs=kwargs), rattachement_ids


def test_routes_are_found():
    names = {p.name for p in organisation_routes()}
    assert {"structure-detail", "structure-users", "bank-accounts", "service-edit"} <= names


@pytest.mark.parametrize("who", ["anonymous", "unattached", "other gestionnaire"])
def test_outsiders_are_refused_everywhere(client, victim, outsider, who):
    if who == "unattached":
        client.force_login(make_user("seul@example.fr"))
    elif who == "other gestionnaire":
        client.force_login(outsider)
    before = snapshot(victim)
    for name, url, rattachement_ids in urls_for(victim):
        if "pk" not in url and name in ("structures", "structure-create", "rattachement-request"):
            continue  # the user's own pages: nothing of the victim's there
        for payload in (None, {**EVIL_POST, "ids": rattachement_ids,
                               "id": rattachement_ids[-1]}):
            response = client.post(url, payload) if payload else client.get(url)
            body = response.content.decode()
            if who == "anonymous":
                assert response.status_code == 302 and "/connexion/" in response.url, url
            elif name.startswith("recipient-"):  # the platform administrator's pages
                assert response.status_code == 403, (url, response.status_code)
            else:  # 405: a POST-only URL asked with GET
                assert response.status_code in (404, 405), (url, response.status_code)
            assert "ACME" not in body and "FR14" not in body, url
    assert snapshot(victim) == before


def test_consultation_user_cannot_modify(client, victim, gp, member):
    mine = Rattachement.objects.get(user=member, structure=victim, status="VALIDEE")
    run(services.set_habilitation, gp, victim, mine.pk, Espace.COORDONNEES_BANCAIRES,
        "CONSULTATION")
    client.force_login(member)
    assert client.get(f"/structures/{victim.pk}/coordonnees-bancaires/").status_code == 200
    before = snapshot(victim)
    for name, url, rattachement_ids in urls_for(victim):
        if name in ("structures", "structure-create", "rattachement-request",
                    "rattachement-leave", "habilitation-request"):
            continue  # a member's own rights: leaving, asking (asking changes no access)
        for action in ACTIONS:
            response = client.post(url, {**EVIL_POST, "action": action, "ids": rattachement_ids,
                                         "id": rattachement_ids[-1]})
            assert response.status_code in (403, 405, 302), (url, action, response.status_code)
            if response.status_code == 302:  # only the structure page after a refusal message
                assert response.url == f"/structures/{victim.pk}/", (url, action)
    assert snapshot(victim) == before


def test_members_see_only_what_their_espaces_allow(client, victim, member):
    client.force_login(member)
    page = client.get(f"/structures/{victim.pk}/")
    assert page.status_code == 200 and "ACME Fournitures" in page.content.decode()
    assert client.get(f"/structures/{victim.pk}/coordonnees-bancaires/").status_code == 403
    assert client.get(f"/structures/{victim.pk}/utilisateurs/").status_code == 403
    assert client.get(f"/structures/{victim.pk}/espaces/").status_code == 403
    assert "pending@example.fr" not in page.content.decode()


def test_login_works_for_these_users(client, member):
    assert client.login(username=member.email, password=PASSWORD)


def test_foreign_ids_on_ones_own_structure_change_nothing_of_the_victim(
    client, victim, outsider
):
    """The other gestionnaire uses the forms of their own structure with the victim's ids."""
    own = outsider.rattachements.get().structure
    run(services.create_service, outsider, own, "MIEN", {"name": "Mien"})
    client.force_login(outsider)
    before = snapshot(victim)
    for _name, url, _ids in urls_for(own):
        if "pk" not in url:
            continue
        for action in ACTIONS:
            for forged in foreign_ids(victim):
                response = client.post(url, {**EVIL_POST, "action": action, "ids": [forged],
                                             "id": forged})
                assert response.status_code in (200, 302, 404, 405, 409), (url, action)
                assert "ACME" not in response.content.decode(), (url, action)
    assert snapshot(victim) == before
