"""Fixtures of the wire API tests: a public buyer, a private supplier and a private victim,
each with its technical account and OAuth2 client, and a client that speaks as the real
Chorus Pro clients do (reference §5)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from choeur.core import clock
from choeur.invoicing.models import Engagement
from choeur.organisations.credentials import hash_secret
from choeur.organisations.models import (
    ApiClient,
    BankAccount,
    Espace,
    OpenEspace,
    Service,
    Structure,
    TechnicalAccount,
)

TECH_PASSWORD = "Tech-Password-2026-xyz!"
CLIENT_SECRET = "client-secret-0123456789_abcdef-XYZ"
JSON = "application/json;charset=utf-8"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    """Argon2 is the point of production hashing, not of these tests: a cheap hasher keeps
    the many fixtures' accounts quick to make and check."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Party:
    structure: Structure
    account: TechnicalAccount
    client: ApiClient

    @property
    def cpro_account(self) -> str:
        return base64.b64encode(f"{self.account.login}:{TECH_PASSWORD}".encode()).decode()


def make_party(identifier: str, name: str, kind: str, espaces: list[str]) -> Party:
    structure = Structure.objects.create(
        identifier_type="SIRET", identifier=identifier, kind=kind, company_name=name,
        email=f"contact@{identifier}.example.fr", address_line1="1 rue de la Paix",
        postcode="75002", city="Paris", vat_number="", rcs_number="RCS Paris 123",
    )
    for espace in espaces:
        OpenEspace.objects.create(structure=structure, espace=espace)
    if kind == Structure.Kind.PUBLIQUE:
        Service.objects.create(structure=structure, code=Service.DEFAULT_PUBLIC_CODE,
                               name="Factures publiques")
    account = TechnicalAccount.objects.create(
        structure=structure, login=f"TECH_{identifier}_1_ABCDEF",
        password=hash_secret(TECH_PASSWORD), created_at=clock.now(),
        password_expires_at=clock.now() + timedelta(days=424),
    )
    client = ApiClient.objects.create(
        structure=structure, label="ERP", client_id=f"client-{identifier}",
        secret=hash_secret(CLIENT_SECRET), created_at=clock.now(),
    )
    return Party(structure, account, client)


@pytest.fixture
def buyer(db):
    """A public structure (a recipient), with two services and the Engagements espace."""
    party = make_party("11000201100044", "Ministère des Essais", Structure.Kind.PUBLIQUE,
                       [Espace.FACTURES_RECUES, Espace.ENGAGEMENTS])
    party.structure.engagement_required = True
    party.structure.save()
    Service.objects.create(structure=party.structure, code="SERV-ACHATS", name="Achats",
                           engagement_required=True)
    Service.objects.create(structure=party.structure, code="SERV-FERME", name="Fermé",
                           is_active=False)
    return party


@pytest.fixture
def supplier(db):
    party = make_party("73282932000074", "Fournisseur SARL", Structure.Kind.PRIVEE,
                       [Espace.FACTURES_EMISES])
    BankAccount.objects.create(structure=party.structure, label="Compte principal",
                               holder="Fournisseur SARL", iban="FR7630006000011234567890189",
                               bic="AGRIFRPP")
    return party


@pytest.fixture
def victim(db):
    """Another private structure: nothing of it may ever reach the supplier's account."""
    party = make_party("54205118000066", "Victime Secrète SA", Structure.Kind.PRIVEE,
                       [Espace.FACTURES_EMISES, Espace.COORDONNEES_BANCAIRES])
    BankAccount.objects.create(structure=party.structure, label="Compte secret",
                               holder="Victime", iban="FR7630004000031234567890143",
                               bic="BNPAFRPP")
    Service.objects.create(structure=party.structure, code="SECRET", name="Service secret")
    return party


@pytest.fixture
def engagements(buyer, supplier, victim):
    service = buyer.structure.services.get(code="SERV-ACHATS")
    mine = Engagement.objects.create(
        structure=buyer.structure, service=service, number="EJ-2026-001",
        supplier=supplier.structure, label="Ramettes", amount_ht=Decimal("100.50"),
        amount_ttc=Decimal("120.60"))
    theirs = Engagement.objects.create(
        structure=buyer.structure, service=service, number="EJ-2026-999",
        supplier=victim.structure, label="Secret", amount_ht=Decimal("5000"),
        amount_ttc=Decimal("6000"))
    return mine, theirs


class Wire:
    """Django's test client speaking as a Chorus Pro client: token first, then the two
    headers on every call, JSON bodies with the content type the client uses."""

    def __init__(self, client, party: Party | None = None, content_type: str = JSON):
        self.client = client
        self.party = party
        self.content_type = content_type
        self.token: str | None = None

    def get_token(self, **form) -> dict:
        body = "&".join(f"{k}={v}" for k, v in {
            "grant_type": "client_credentials", "client_id": self.party.client.client_id,
            "client_secret": CLIENT_SECRET, "scope": "openid", **form}.items())
        response = self.client.post("/api/oauth/token", data=body,
                                    content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]
        return response.json()

    def headers(self, bearer: bool = True) -> dict:
        headers = {"cpro-account": self.party.cpro_account, "Accept": JSON}
        if bearer:
            if self.token is None:
                self.get_token()
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def post(self, path: str, body=None, *, raw: bytes | str | None = None, bearer=True,
             headers: dict | None = None):
        data = raw if raw is not None else json.dumps({} if body is None else body)
        return read_whole(self.client.post(
            f"/cpro/{path}", data=data, content_type=self.content_type,
            headers={**self.headers(bearer), **(headers or {})}))

    def get(self, path: str, *, bearer=True):
        return self.client.get(f"/cpro/{path}", headers=self.headers(bearer))


def read_whole(response):
    """A streamed answer (telecharger/groupe) read whole, as a client reads it off the wire,
    its announced Content-Length checked; any other answer as it is."""
    if not getattr(response, "streaming", False):
        return response
    from django.http import HttpResponse

    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content)
    whole = HttpResponse(content, status=response.status_code, headers=dict(response.headers))
    whole.json = lambda: json.loads(content)
    whole.streamed = True
    return whole


@pytest.fixture
def wire(client, supplier):
    return Wire(client, supplier)


@pytest.fixture
def buyer_wire(client, buyer):
    return Wire(client, buyer)


# --- Additions for the acceptance scenario and the fuzzing (tests/api/test_acceptance_*.py,
# test_fuzz.py) -----------------------------------------------------------------------------


def technical_party(structure: Structure, name: str) -> Party:
    """Give any structure (e.g. one of the invoicing world's) a technical account and an
    OAuth2 client, as its gestionnaire would in « Raccordements »."""
    account = TechnicalAccount.objects.create(
        structure=structure, login=f"TECH_1_{name.upper()}@cpro.fr",
        password=hash_secret(TECH_PASSWORD), created_at=clock.now(),
        password_expires_at=clock.now() + timedelta(days=424))
    client = ApiClient.objects.create(
        structure=structure, label="ERP", client_id=f"client-{name.lower()}",
        secret=hash_secret(CLIENT_SECRET), created_at=clock.now())
    return Party(structure, account, client)


def basic_token(wire: Wire) -> dict:
    """A token asked with HTTP Basic client authentication (RFC 6749 §2.3.1), the other way
    `/api/oauth/token` accepts; the wire then uses it."""
    basic = base64.b64encode(
        f"{wire.party.client.client_id}:{CLIENT_SECRET}".encode()).decode()
    response = wire.client.post("/api/oauth/token", data="grant_type=client_credentials",
                                content_type="application/x-www-form-urlencoded",
                                headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.content
    wire.token = response.json()["access_token"]
    return response.json()
