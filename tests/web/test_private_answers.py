"""Issue 14, section A: a bad Host is one WARNING line; private answers are never cached."""

from __future__ import annotations

import logging

import pytest

from tests.api import conftest as api_world
from tests.api.conftest import Wire

pytestmark = pytest.mark.django_db

supplier = api_world.supplier  # the API world's supplier, with its technical account
_fast_hashes = api_world._fast_hashes


def test_a_bad_host_header_is_one_warning_line_without_traceback(client, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1, [(r.name, r.levelname, r.getMessage()) for r in records]
    record = records[0]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "evil.example.com" in record.getMessage()
    assert "\n" not in record.getMessage() and not record.exc_text


def test_a_huge_bad_host_is_truncated_in_the_log(client, caplog):
    with caplog.at_level(logging.WARNING):
        client.get("/", HTTP_HOST="x" * 5000 + ".example.com")
    assert all(len(r.getMessage()) < 400 for r in caplog.records)


def test_authenticated_pages_are_not_stored(client, django_user_model):
    user = django_user_model.objects.create_user("jean@example.fr", "Correct-Horse-Battery-42")
    anonymous = client.get("/")
    assert "no-store" not in anonymous.get("Cache-Control", "")
    client.force_login(user)
    for url in ("/", "/mon-compte/", "/structures/"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_api_answers_are_not_stored(client, supplier):
    wire = Wire(client, supplier)
    for response in (wire.get("transverses/v1/health-check"),
                     wire.post("factures/v1/rechercher/fournisseur", {}),
                     client.post("/cpro/structures/v1/rechercher", data="{}",
                                 content_type="application/json")):
        assert "no-store" in response["Cache-Control"]
    token = client.post("/api/oauth/token", data="grant_type=client_credentials",
                        content_type="application/x-www-form-urlencoded")
    assert "no-store" in token["Cache-Control"]
