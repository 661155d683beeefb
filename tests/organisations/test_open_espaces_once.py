"""A structure's open espaces are read once per request (permissions.open_espaces), and an
espace opened or closed in the request is seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from choeur.organisations import permissions, services
from choeur.organisations.models import Espace, Structure

from .conftest import run

pytestmark = pytest.mark.django_db


def _espace_reads(captured) -> int:
    return sum("organisations_openespace" in q["sql"] and q["sql"].lstrip().startswith("SELECT")
               for q in captured)


@pytest.mark.parametrize("page", ["", "raccordements/", "utilisateurs/", "espaces/"])
def test_a_structure_page_reads_the_open_espaces_once(client, gp, structure, page):
    client.force_login(gp)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/structures/{structure.pk}/{page}")
    assert response.status_code == 200
    assert _espace_reads(captured) <= 1


def test_an_espace_opened_or_closed_in_the_request_is_seen_at_once(gp, structure):
    structure = Structure.objects.get(pk=structure.pk)
    assert Espace.ENGAGEMENTS not in permissions.open_espaces(structure)
    run(services.set_espace_open, gp, structure, Espace.ENGAGEMENTS, True)
    assert Espace.ENGAGEMENTS in permissions.open_espaces(structure)
    run(services.set_espace_open, gp, structure, Espace.ENGAGEMENTS, False)
    assert Espace.ENGAGEMENTS not in permissions.open_espaces(structure)
