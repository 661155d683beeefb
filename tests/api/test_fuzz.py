"""schemathesis against the served OpenAPI (`/cpro/openapi.json`), through the Django WSGI
application, authenticated as a real client is (a token from `/api/oauth/token` and the
`cpro-account` of a technical account): whatever the body, no operation answers a 5xx, and
every answer matches the response schema the OpenAPI declares for its status.

With data to find: the account's structure has an invoice (deposited through the wire and
routed), its PDF, a flux and a sollicitation; the bodies schemathesis makes (positive and
negative) are given, one time in two, the ids, numbers and SIRETs of that world in the
fields that name them (`KNOWN`), and the referential's paths the uuids of its structures
and services — so operations reach their real logic, not only « not found ». A body the
schema allows is never refused for its form (`API_INVALID_FIELD`...: the schema would have
said it, tests/api/test_openapi_exact.py).

Bounded: a few examples per operation, fixed seed (the suite runs twice in CI, on SQLite and
PostgreSQL, on a 2-core machine). `CHOEUR_FUZZ_EXAMPLES=200` fuzzes harder by hand; a 500
found that way becomes a regular test in `test_fuzz_findings.py`.
"""

from __future__ import annotations

import base64
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from choeur.organisations.models import Espace
from tests.api.conftest import Wire, make_party
from tests.api.test_factures_scenario import deposer_pdf, deposit_invoice
from tests.api.test_openapi_exact import FORM_CODES

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CHOEUR_FUZZ_EXAMPLES", "10"))


def _served_schema():
    """The OpenAPI as the WSGI application serves it (a public, database-free page: it can be
    read while pytest collects)."""
    from choeur.wsgi import application

    return schemathesis.openapi.from_wsgi("/cpro/openapi.json", application)


schema = _served_schema()

#: Wire field → values of the world the test builds (filled by the `world` fixture, read by
#: the hooks while hypothesis generates).
KNOWN: dict[str, list] = {}
#: The referential's path parameter `uuid`, per path.
KNOWN_PATHS: dict[str, list[str]] = {}


def _with_known(value, index: int):
    """`value` with every field `KNOWN` names set to its `index`-th value (nested too) where
    it holds a plain value (the referential's criteria of the same names are objects)."""
    if isinstance(value, dict):
        return {key: (KNOWN[key][index % len(KNOWN[key])]
                      if KNOWN.get(key) and not isinstance(item, dict | list)
                      else _with_known(item, index)) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_known(item, index) for item in value]
    return value


@schema.hook
def flatmap_body(context, body):
    """As generated, or with the world's ids in it."""
    if not KNOWN or not isinstance(body, dict):
        return st.just(body)
    return st.sampled_from([body, _with_known(body, 0), _with_known(body, 1)])


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    known = KNOWN_PATHS.get(context.operation.path) if context.operation else None
    if not known or not path_parameters or "uuid" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters,
                            *({**path_parameters, "uuid": uuid} for uuid in known)])


def positive_data_not_refused_for_its_form(ctx, response, case):
    """A body generated within the schema is never refused for its form: the schema would
    have announced the rule (required, enum, pattern, bound)."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return None
    if response.status_code != 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    codes = ([str(e.get("code")) for e in body] if isinstance(body, list)
             else [str(body.get("libelle"))])
    # « At most 6 decimals » (19 digits) of an amount sent as a JSON number: JSON Schema has
    # no reliable way to say it for floats (multipleOf 0.000001 fails on 12.5 in binary
    # floating point); the schema says it in the amount's description.
    refused = [code for code in codes if code.startswith(FORM_CODES)
               and "decimal places" not in code and "digits in total" not in code]
    assert not refused, f"a body the schema allows was refused for its form: {refused}"
    return None


@pytest.fixture(scope="module")
def world_files(tmp_path_factory):
    """The blob storage of the module's world (tests/conftest.py gives each test its own)."""
    location = tmp_path_factory.mktemp("fuzz-files")
    return {"BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location}}


@pytest.fixture(autouse=True)
def _isolated_files(settings, world_files):
    settings.STORAGES = {**settings.STORAGES, "default": world_files, "blobs": world_files}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, world_files):
    """Built once for the module (each operation's test runs in a savepoint of it, rolled
    back at the end): a public buyer, a private supplier and another private structure, as
    tests/api/conftest.py makes them; an invoice of the supplier to the buyer (deposited
    through the wire and routed), an upload, a flux and a sollicitation of the supplier; the
    ids that name them in `KNOWN`."""
    from django.conf import settings as django_settings
    from django.test import Client, override_settings

    from choeur.invoicing.models import Engagement
    from choeur.organisations.models import BankAccount, Service, Structure

    with (django_db_blocker.unblock(), transaction.atomic(),
          override_settings(PASSWORD_HASHERS=[
              "django.contrib.auth.hashers.MD5PasswordHasher"],
              STORAGES={**django_settings.STORAGES, "default": world_files,
                        "blobs": world_files})):
        buyer = make_party("11000201100044", "Ministère des Essais", Structure.Kind.PUBLIQUE,
                           [Espace.FACTURES_RECUES, Espace.ENGAGEMENTS])
        service = Service.objects.create(structure=buyer.structure, code="SERV-ACHATS",
                                         name="Achats")
        supplier = make_party("73282932000074", "Fournisseur SARL", Structure.Kind.PRIVEE,
                              [Espace.FACTURES_EMISES, Espace.SOLLICITATIONS_EMISES])
        BankAccount.objects.create(structure=supplier.structure, label="Compte principal",
                                   holder="Fournisseur SARL", bic="AGRIFRPP",
                                   iban="FR7630006000011234567890189")
        make_party("54205118000066", "Victime Secrète SA", Structure.Kind.PRIVEE,
                   [Espace.FACTURES_EMISES])
        engagement = Engagement.objects.create(
            structure=buyer.structure, service=service, number="EJ-2026-001",
            supplier=supplier.structure, label="Ramettes", amount_ht=100, amount_ttc=120)
        wire = Wire(Client(), supplier)
        invoice_id = deposit_invoice(wire, buyer)
        upload_id = deposer_pdf(wire, "Pièce jointe")
        flux = wire.post("factures/v1/deposer/flux", {
            "fichierFlux": base64.b64encode(b"<Invoice/>").decode(), "nomFichier": "f.xml",
            "syntaxeFlux": "IN_DP_E1_CII_16B"})
        assert flux.status_code == 200, flux.content
        ticket = wire.post("sollicitations/v1/creer", {
            "codeCategorie": "FACTURE", "codeSousCategorie": "SUIVI",
            "titre": "Facture F-2026-001", "message": "Où en est le paiement ?",
            "idFacture": invoice_id})
        structures = [supplier.structure, buyer.structure]
        ids = [s.pk for s in structures]
        KNOWN.update({
            "idFacture": [invoice_id], "identifiantFactureCPP": [invoice_id],
            "idDemandePaiement": [invoice_id],
            "idStructure": ids, "idStructureCPP": ids, "idFournisseur": [ids[0]],
            "idDestinataire": [ids[1]], "idService": [service.pk],
            "idServiceExecutant": [service.pk],
            "pieceJointeId": [upload_id], "pieceJointePrincipaleId": [upload_id],
            "numeroFluxDepot": [flux.json()["numeroFluxDepot"]],
            "numeroFacture": ["F-2026-001"], "numeroFactureSaisi": ["F-2026-001"],
            "identifiantStructure": [s.identifier for s in structures],
            "siretStructure": [s.identifier for s in structures],
            "codeDestinataire": [buyer.structure.identifier],
            "codeServiceExecutant": [service.code],
            "numeroEngagementJuridique": [engagement.number],
        })
        if ticket.status_code == 200:  # a ticket to find too, when the catalogue allows
            created = ticket.json()["sollicitation"]
            KNOWN.update({"idSollicitation": [created["idSollicitation"]],
                          "numeroSollicitation": [created["numeroSollicitation"]]})
        structure_uuids = [s.public_id.hex for s in structures]
        KNOWN_PATHS.update({
            "/cpro/organisations/v1/structures/{uuid}": structure_uuids,
            "/cpro/organisations/v1/structures/{uuid}/services": structure_uuids,
            "/cpro/organisations/v1/services/{uuid}": [service.public_id.hex]})
        yield supplier
        KNOWN.clear()
        KNOWN_PATHS.clear()
        transaction.set_rollback(True)


@pytest.fixture
def auth_headers(world, client, settings) -> dict[str, str]:
    """A real token and technical account (the supplier's), in a world with other
    structures in it, so that ids the fuzzer makes up may name something.

    As Django's test client does, the connection is not closed at the end of each request
    (the test's transaction holds that world); the test client itself reconnects the signal
    after each of its requests, hence the token first."""
    headers = Wire(client, world).headers()
    del headers["Accept"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_answers_as_declared(case, auth_headers):
    case.call_and_validate(headers=auth_headers,
                           checks=[not_a_server_error, response_schema_conformance,
                                   positive_data_not_refused_for_its_form])
