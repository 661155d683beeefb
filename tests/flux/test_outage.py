"""A flux whose integration the database interrupted resumes as soon as the database answers
again — in the same task, without costing an attempt and without the half-hour stale rule —
and nothing it integrated before the outage is integrated twice."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from choeur.core import outage
from choeur.flux import services
from choeur.flux.models import EtatFlux, Flux
from choeur.invoicing.models import Invoice

from .conftest import deposit_body, tar_gz

pytestmark = pytest.mark.django_db

LOST = "consuming input failed: server closed the connection unexpectedly"


def test_an_integration_cut_by_an_outage_resumes_when_the_database_is_back(
        wire, invoice_file, run_tasks, monkeypatch):
    batch = tar_gz([(f"f{i}.xml", invoice_file("cii", number=f"FA-OUT-{i}")) for i in range(3)])
    response = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    assert response.status_code == 200, response.content
    real = services._integrate_batch
    seen = {"batches": 0, "states": []}

    def batch_then_outage(flux, actor, batch):
        seen["batches"] += 1
        if seen["batches"] == 1:
            real(flux, actor, batch[:1])  # one invoice written, then the database goes away
            seen["states"].append(Flux.objects.get(pk=flux.pk).status)
            raise OperationalError(LOST)
        real(flux, actor, batch)

    waits = []
    monkeypatch.setattr(services, "_integrate_batch", batch_then_outage)
    monkeypatch.setattr(outage, "sleep", waits.append)
    [result] = [r for r in run_tasks() if r.task_path.endswith("integrate_flux")]

    assert result.status == "SUCCESSFUL" and result.return_value == EtatFlux.INTEGRE
    assert seen["states"] == [EtatFlux.EN_COURS] and waits == [1]
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INTEGRE and flux.integrated_count == 3
    assert flux.attempts == 1  # the outage cost no attempt
    assert flux.technical_errors == []  # no incident: the platform's, not the flux's, trouble
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "FA-OUT-0", "FA-OUT-1", "FA-OUT-2"]  # the first one once


def test_a_flux_s_own_failure_is_still_an_incident(wire, invoice_file, run_tasks, monkeypatch):
    wire.post("factures/v1/deposer/flux", deposit_body(invoice_file("cii"), "f.xml"))

    def broken(flux, actor, batch):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_integrate_batch", broken)
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INCIDENTE
