"""The flux tests' world: the invoicing world (a supplier with its bank account, a public
recipient with services) plus a technical account and OAuth2 client for the supplier, a
victim structure with its own, and helpers that build invoice files and batches."""

from __future__ import annotations

import base64
import io
import re
import tarfile
import zipfile
from datetime import timedelta

import pytest

from choeur.core import clock
from choeur.organisations.credentials import hash_secret
from choeur.organisations.models import ApiClient, TechnicalAccount
from tests.api import conftest as api_world
from tests.api.conftest import TECH_PASSWORD, Party, Wire
from tests.invoicing import conftest as invoicing_world
from tests.invoicing.test_deposit_pages import written

# The fixtures of the two worlds this one is made of (their `supplier` fixtures differ:
# the invoicing one is used, with a technical account added by `party`).
_fast_hashes = api_world._fast_hashes
victim = api_world.victim
bank_account = invoicing_world.bank_account
platform_admin = invoicing_world.platform_admin
recipient = invoicing_world.recipient
recipient_user = invoicing_world.recipient_user
supplier = invoicing_world.supplier
supplier_user = invoicing_world.supplier_user

FLUX_NUMBER = re.compile(r"CPP\d{22}")


@pytest.fixture
def party(supplier, bank_account, recipient):
    """The supplier's technical account and OAuth2 client (its ERP)."""
    account = TechnicalAccount.objects.create(
        structure=supplier, login="TECH_1_LUMIERE@cpro.fr",
        password=hash_secret(TECH_PASSWORD), created_at=clock.now(),
        password_expires_at=clock.now() + timedelta(days=424))
    client_ = ApiClient.objects.create(
        structure=supplier, label="ERP", client_id="client-lumiere",
        secret=hash_secret("client-secret-0123456789_abcdef-XYZ"), created_at=clock.now())
    return Party(supplier, account, client_)


@pytest.fixture
def wire(client, party):
    return Wire(client, party)


@pytest.fixture
def invoice_file(supplier_user, supplier, bank_account, recipient):
    """`invoice_file(kind="cii", number="FA-1")`: an invoice as the supplier's software
    writes it."""

    def make(kind: str = "cii", **overrides) -> bytes:
        return written(supplier_user, supplier, bank_account, kind, **overrides)

    return make


def broken(content: bytes) -> bytes:
    """A CII whose grand total disagrees with its lines (EN 16931 rule BR-CO-15 fails)."""
    fixed, count = re.subn(rb"(<ram:GrandTotalAmount[^>]*>)[^<]+", rb"\g<1>99999.99", content)
    assert count
    return fixed


def tar_gz(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def deposit_body(content: bytes, name: str, syntaxe: str = "IN_DP_E1_CII_16B") -> dict:
    """What OCA / chorus-api send (reference §4.2)."""
    return {"idUtilisateurCourant": 0, "fichierFlux": b64(content), "nomFichier": name,
            "syntaxeFlux": syntaxe, "avecSignature": False}
