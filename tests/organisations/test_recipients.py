"""Administration → Destinataires publics: the platform administrator creates public
recipients, sets their requirements, adds their services; nobody else may (403, nothing
changed), however they try."""

import pytest
from django.core.exceptions import PermissionDenied

from choeur.core.errors import PermissionRefused
from choeur.core.models import AuditEvent
from choeur.organisations import recipients
from choeur.organisations.models import Service, Structure

from .conftest import make_user, run

pytestmark = pytest.mark.django_db

PUBLIC_SIRET = "11000201100044"


@pytest.fixture
def platform_admin(db):
    return make_user("admin@choeur.test", is_superuser=True, is_staff=True)


def create(client):
    return client.post("/administration/destinataires/creer/", {
        "identifier": "110 002 011 00044", "company_name": "DRFIP Gironde",
        "address_line1": "3 quai de la Douane", "postcode": "33000", "city": "Bordeaux",
        "service_code_required": "on", "engagement_required": "on"})


def test_the_administrator_creates_a_public_recipient_with_its_requirements(
        client, platform_admin):
    client.force_login(platform_admin)
    assert client.get("/administration/").status_code == 200
    response = create(client)
    structure = Structure.objects.get(identifier=PUBLIC_SIRET)
    assert response.status_code == 302 and response.url == \
        f"/administration/destinataires/{structure.pk}/"
    assert structure.is_public and structure.service_code_required
    assert structure.engagement_required and not structure.engagement_or_service_required
    # As the import makes it: the default service, no gestionnaire yet.
    assert list(structure.services.values_list("code", flat=True)) == ["FACTURES_PUBLIQUES"]
    assert not structure.rattachements.exists() and structure.principal_assigned_at is None
    assert AuditEvent.objects.filter(action="organisations.structure_created",
                                     object_id=str(structure.pk)).exists()
    listing = client.get("/administration/destinataires/?q=gironde").content.decode()
    assert "DRFIP Gironde" in listing and PUBLIC_SIRET in listing
    # The same SIRET again: a coded refusal, nothing created.
    again = create(client)
    assert again.status_code == 200 and "ORG_STRUCTURE_EXISTS" in again.content.decode()
    bad = client.post("/administration/destinataires/creer/",
                      {"identifier": "11000201100045", "company_name": "Faux"})
    assert "ORG_INVALID_IDENTIFIER" in bad.content.decode()
    assert Structure.objects.count() == 1


def test_the_administrator_edits_and_adds_services(client, platform_admin):
    client.force_login(platform_admin)
    create(client)
    structure = Structure.objects.get()
    detail = f"/administration/destinataires/{structure.pk}/"
    page = client.get(detail).content.decode()
    assert "Code service obligatoire" in page and "codeServiceDoitEtreRenseigne" not in page
    edited = client.post(detail, {"company_name": "DRFIP de la Gironde", "city": "Bordeaux",
                                  "engagement_or_service_required": "on"})
    assert edited.status_code == 302
    structure.refresh_from_db()
    assert structure.company_name == "DRFIP de la Gironde"
    assert structure.engagement_or_service_required and not structure.service_code_required
    added = client.post(f"{detail}services/nouveau/", {
        "code": "COMPTA", "name": "Comptabilité", "engagement_required": "on",
        "payment_status_reported": "on"})
    assert added.status_code == 302
    service = structure.services.get(code="COMPTA")
    assert service.engagement_required
    changed = client.post(f"{detail}services/{service.pk}/", {
        "name": "Service comptable", "payment_status_reported": "on"})
    assert changed.status_code == 302
    service.refresh_from_db()
    assert service.name == "Service comptable" and not service.engagement_required
    bad = client.post(f"{detail}services/nouveau/", {"code": "pas un code !", "name": "X"})
    assert bad.status_code == 200 and "ORG_INVALID_SERVICE_CODE" in bad.content.decode()
    assert structure.services.count() == 2


def test_nobody_else_may(client, platform_admin, gp, structure):
    """A plain user, a structure's gestionnaire and staff who is not a platform administrator:
    403 on every page and every POST, nothing changed. The services refuse them too."""
    run(recipients.create, platform_admin, PUBLIC_SIRET, {"company_name": "DRFIP"})
    public = Structure.objects.get(identifier=PUBLIC_SIRET)
    service = public.services.get()
    staff = make_user("staff@choeur.test", is_staff=True)
    urls = ["/administration/", "/administration/destinataires/",
            "/administration/destinataires/creer/", f"/administration/destinataires/{public.pk}/",
            f"/administration/destinataires/{public.pk}/services/nouveau/",
            f"/administration/destinataires/{public.pk}/services/{service.pk}/",
            f"/administration/destinataires/{structure.pk}/"]
    for outsider in (gp, staff):
        client.force_login(outsider)
        for url in urls:
            assert client.get(url).status_code == 403, (outsider, url)
            assert client.post(url, {"identifier": "21330063500017", "company_name": "X",
                                     "code": "PIRATE", "name": "X"}).status_code == 403
        with pytest.raises((PermissionRefused, PermissionDenied)):
            run(recipients.update, outsider, public, {"company_name": "Piraté"})
        with pytest.raises(PermissionRefused):
            run(recipients.add_service, outsider, public, "PIRATE", {"name": "X"})
    client.logout()
    assert client.get("/administration/destinataires/").status_code == 302  # to the login
    public.refresh_from_db()
    assert public.company_name == "DRFIP" and Structure.objects.count() == 2
    assert not Service.objects.filter(code="PIRATE").exists()


def test_a_private_structure_is_not_administered_here(client, platform_admin, structure):
    client.force_login(platform_admin)
    assert client.get(f"/administration/destinataires/{structure.pk}/").status_code == 404
    with pytest.raises(Exception) as refused:
        run(recipients.update, platform_admin, structure, {"company_name": "X"})
    assert getattr(refused.value, "http_status", None) == 404
