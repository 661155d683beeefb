"""The organisation pages through the Django test client: forms, messages, redirects."""

import pytest

from choeur.organisations.models import BankAccount, Rattachement, Service, Structure

from .conftest import SIRET, make_user

pytestmark = pytest.mark.django_db


def test_create_structure_form(client, gp):
    client.force_login(gp)
    bad = client.post("/structures/creer/", {"identifier_type": "SIRET",
                                             "identifier": "73282932000075",
                                             "company_name": "ACME", "country": "FR"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "ORG_INVALID_IDENTIFIER" in body and "clé de contrôle" in body
    assert not Structure.objects.exists()
    good = client.post("/structures/creer/", {"identifier_type": "SIRET", "identifier": SIRET,
                                              "company_name": "ACME", "country": "FR"})
    structure = Structure.objects.get()
    assert good.status_code == 302 and good.url == f"/structures/{structure.pk}/"
    page = client.get(good.url).content.decode()
    assert "Gestionnaire principal" in page and "vous en êtes le gestionnaire principal" in page
    again = client.post("/structures/creer/", {"identifier_type": "SIRET", "identifier": SIRET,
                                               "company_name": "ACME", "country": "FR"})
    assert "ORG_STRUCTURE_EXISTS" in again.content.decode()


def test_service_forms(client, gp, structure):
    client.force_login(gp)
    response = client.post(f"/structures/{structure.pk}/services/nouveau/",
                           {"code": "DSI", "name": "Informatique",
                            "payment_status_reported": "on"})
    assert response.status_code == 302
    service = structure.services.get(code="DSI")
    dup = client.post(f"/structures/{structure.pk}/services/nouveau/",
                      {"code": "dsi", "name": "Encore"})
    assert "ORG_SERVICE_CODE_TAKEN" in dup.content.decode()
    client.post(f"/structures/{structure.pk}/services/{service.pk}/modifier/",
                {"name": "DSI Groupe", "engagement_required": "on",
                 "valid_from": "2026-01-01", "valid_until": "2050-12-31"})
    client.post(f"/structures/{structure.pk}/services/{service.pk}/activation/",
                {"active": "0"})
    service.refresh_from_db()
    assert service.name == "DSI Groupe" and service.engagement_required
    assert not service.is_active
    assert str(service.valid_until) == "2050-12-31"


def test_request_and_approve_through_the_pages(client, gp, structure):
    requester = make_user("demandeur@example.fr", first_name="Denis", last_name="D")
    client.force_login(requester)
    found = client.get("/rattachements/demande/", {"q": SIRET[:5]}).content.decode()
    assert "ACME Fournitures" in found
    chosen = client.post("/rattachements/demande/", {"structure": structure.pk,
                                                     "q": SIRET[:5]})
    assert "COMPTA" in chosen.content.decode()
    compta = structure.services.get(code="COMPTA")
    sent = client.post("/rattachements/demande/", {"structure": structure.pk, "confirm": "1",
                                                   "q": SIRET[:5], "services": [compta.pk]})
    assert sent.status_code == 302
    assert "En cours de validation" in client.get("/structures/").content.decode()
    assert client.get(f"/structures/{structure.pk}/").status_code == 404

    client.force_login(gp)
    pending = Rattachement.objects.get(user=requester)
    users_page = client.get(f"/structures/{structure.pk}/utilisateurs/").content.decode()
    assert "demandeur@example.fr" in users_page
    missing_reason = client.post(f"/structures/{structure.pk}/utilisateurs/",
                                 {"action": "refuse", "ids": [pending.pk], "reason": ""})
    assert "ORG_REFUSAL_REASON_REQUIRED" in missing_reason.content.decode()
    client.post(f"/structures/{structure.pk}/utilisateurs/",
                {"action": "validate", "ids": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == "VALIDEE"
    assert list(pending.services.all()) == [compta]

    client.force_login(requester)
    assert client.get(f"/structures/{structure.pk}/").status_code == 200


def test_bank_account_form(client, gp, structure):
    client.force_login(gp)
    bad = client.post(f"/structures/{structure.pk}/coordonnees-bancaires/",
                      {"label": "Principal", "holder": "ACME",
                       "iban": "FR1420041010050500013M02607"})
    assert "ORG_INVALID_IBAN" in bad.content.decode()
    client.post(f"/structures/{structure.pk}/coordonnees-bancaires/",
                {"label": "Principal", "holder": "ACME", "iban": "FR1420041010050500013M02606"})
    account = BankAccount.objects.get()
    assert account.bic == "PSSTFRPP"


def test_espaces_page(client, gp, member, structure):
    client.force_login(gp)
    client.post(f"/structures/{structure.pk}/espaces/",
                {"action": "open", "espace": "FACTURES_TRAVAUX"})
    mine = Rattachement.objects.get(user=member, status="VALIDEE")
    client.post(f"/structures/{structure.pk}/espaces/",
                {"action": "habilitation", "id": mine.pk, "espace": "FACTURES_TRAVAUX",
                 "mode": "CONSULTATION"})
    assert mine.habilitations.get(espace="FACTURES_TRAVAUX").mode == "CONSULTATION"
    forged = client.post(f"/structures/{structure.pk}/espaces/",
                         {"action": "open", "espace": "NIMPORTE_QUOI"})
    assert forged.status_code == 404


def test_history_of_gestionnaire_actions(client, gp, member, structure):
    client.force_login(gp)
    page = client.get(f"/structures/{structure.pk}/historique/").content.decode()
    assert "gp@acme.fr a rattaché membre@acme.fr à la structure (rôle : Utilisateur)." in page
    assert "gp@acme.fr a créé le service COMPTA — Comptabilité." in page
    assert "organisations." not in page  # sentences, never the internal codes
    assert Service.objects.filter(structure=structure).count() == 2
