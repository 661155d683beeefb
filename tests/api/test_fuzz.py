"""schemathesis against the served OpenAPI (`/cpro/openapi.json`), through the Django WSGI
application, authenticated as a real client is (a token from `/api/oauth/token` and the
`cpro-account` of a technical account): whatever the body, no operation answers a 5xx, and
every answer matches the response schema the OpenAPI declares for its status.

Bounded: a few examples per operation, fixed seed (the suite runs twice in CI, on SQLite and
PostgreSQL, on a 2-core machine). `CHOEUR_FUZZ_EXAMPLES=200` fuzzes harder by hand; a 500
found that way becomes a regular test in `test_fuzz_findings.py`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api.conftest import Wire

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CHOEUR_FUZZ_EXAMPLES", "10"))


def _served_schema():
    """The OpenAPI as the WSGI application serves it (a public, database-free page: it can be
    read while pytest collects)."""
    from choeur.wsgi import application

    return schemathesis.openapi.from_wsgi("/cpro/openapi.json", application)


schema = _served_schema()


@pytest.fixture
def auth_headers(client, supplier, buyer, victim, engagements, settings) -> dict[str, str]:
    """A real token and technical account (the supplier's), in a world with other
    structures in it, so that ids the fuzzer makes up may name something.

    As Django's test client does, the connection is not closed at the end of each request
    (the test's transaction holds that world); the test client itself reconnects the signal
    after each of its requests, hence the token first."""
    headers = Wire(client, supplier).headers()
    del headers["Accept"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_answers_as_declared(case, auth_headers):
    case.call_and_validate(headers=auth_headers,
                           checks=[not_a_server_error, response_schema_conformance])
