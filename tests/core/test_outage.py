"""A database outage simulated in-process (the connection's cursor raising what psycopg raises
when PostgreSQL is stopped): /healthz names the database as down, the portal answers a short
503 page with Retry-After, the worker's loop and its heartbeat wait instead of dying, and a
task cut short by the outage is handed back to the queue, not failed. SQLite's « database is
locked » stays what it was: not an outage."""

from __future__ import annotations

import logging

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connections
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from choeur.core import clock, health, mail, outage, worker
from choeur.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

LOST = "consuming input failed: server closed the connection unexpectedly"


def pg_error(sqlstate: str, message: str = "") -> OperationalError:
    """Django's OperationalError raised from psycopg's error of that SQLSTATE, as Django's
    error wrapper raises it."""
    try:
        try:
            raise psycopg.errors.lookup(sqlstate)(message or sqlstate)
        except psycopg.Error as driver:
            raise OperationalError(*driver.args) from driver
    except OperationalError as exc:
        return exc


@pytest.fixture
def database_down(monkeypatch):
    """Every new cursor fails as a stopped PostgreSQL makes it fail; `.up()` ends it."""

    class Outage:
        calls = 0

        def __init__(self):
            self.down = True
            self.error = OperationalError(LOST)
            monkeypatch.setattr(wrapper, "cursor", self.cursor)

        def cursor(self, *args, **kwargs):
            if not self.down:
                return real(*args, **kwargs)
            Outage.calls += 1
            raise self.error

        def up(self):
            self.down = False

    wrapper = connections["default"]
    real = wrapper.cursor
    monkeypatch.setattr(outage, "sleep", lambda seconds: None)
    return Outage


# --- Telling an outage from other database errors ------------------------------------------


@pytest.mark.parametrize("error, down", [
    (OperationalError(LOST), True),
    (OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: "
                      "Connection refused"), True),
    (OperationalError("the connection is closed"), True),
    (InterfaceError("connection already closed"), True),
    (pg_error("57P01", "terminating connection due to administrator command"), True),
    (pg_error("57P03", "the database system is starting up"), True),
    (pg_error("08006"), True),
    (OperationalError("database is locked"), False),  # SQLite busy: its own, not an outage
    (OperationalError("no such table: flux_flux"), False),
    (pg_error("40P01", "deadlock detected"), False),
    (pg_error("57014", "canceling statement due to statement timeout"), False),
    (ValueError("connection"), False),
])
def test_what_is_an_outage(error, down):
    assert outage.is_outage(error) is down


def test_an_outage_met_while_handling_another_error_is_one():
    try:
        try:
            raise ValueError("a task's own error")
        except ValueError:
            raise OperationalError(LOST)  # noqa: B904 — the incident could not be written
    except OperationalError as exc:
        assert outage.is_outage(exc)


# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_names_the_database_as_down_without_a_500(client, database_down):
    worker.beat("worker-1", clock.wall_now())
    database_down()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["down"] == ["database"]
    assert body["database"]["ok"] is False and body["database"]["state"] == "down"
    assert body["database"]["outage"] is True and body["database"]["error"] == "OperationalError"
    assert body["worker"]["state"] == "unknown"  # not asked: it lives in the database
    assert body["storage"] == {"ok": True, "state": "up", "backend": body["storage"]["backend"]}


def test_healthz_says_every_dependency_when_all_is_well(client):
    worker.beat("worker-1", clock.wall_now())
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["database"]["state"] == "up" and body["storage"]["ok"]
    assert body["worker"]["alive"] == 1


def test_healthz_names_the_storage_when_it_fails(client, monkeypatch):
    from django.core.files.storage import storages

    worker.beat("worker-1", clock.wall_now())

    def unreachable(name):
        raise ConnectionError("bucket unreachable")

    monkeypatch.setattr(storages["blobs"], "exists", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["storage"]


def test_check_reports_the_outage_line_by_line(database_down):
    database_down()
    report = health.report()
    assert report["database"]["ok"] is False and report["down"] == ["database"]


# --- The portal ---------------------------------------------------------------------------------


def test_the_portal_answers_a_short_503_page(user, database_down):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    database_down()
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Service momentanément indisponible" in page and "réessayez" in page
    assert "CORE_DATABASE_UNAVAILABLE" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_a_view_meeting_the_outage_gets_the_page_too(rf, database_down):
    from choeur.core.middleware import ChoeurErrorMiddleware

    response = ChoeurErrorMiddleware(lambda r: None).process_exception(
        rf.get("/factures/"), OperationalError(LOST))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    # Any other error is left to Django (logged, 500).
    assert ChoeurErrorMiddleware(lambda r: None).process_exception(
        rf.get("/factures/"), OperationalError("database is locked")) is None


# --- The worker ---------------------------------------------------------------------------------


def test_waiting_backs_off_up_to_ten_seconds_and_logs_once(monkeypatch, caplog):
    slept = []
    answers = iter([False] * 6 + [True])
    monkeypatch.setattr(outage, "sleep", slept.append)
    monkeypatch.setattr(outage, "database_answers", lambda alias="default": next(answers))
    with caplog.at_level(logging.WARNING, logger="choeur.outage"):
        assert outage.wait_for_database(OperationalError(LOST), who="worker")
    assert slept == [1, 2, 4, 8, 10, 10, 10]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "database unavailable" in lines[0] and "database back" in lines[1]


def test_waiting_stops_when_the_worker_is_asked_to(monkeypatch):
    monkeypatch.setattr(outage, "sleep", lambda seconds: None)
    monkeypatch.setattr(outage, "database_answers", lambda alias="default": False)
    assert outage.wait_for_database(OperationalError(LOST), stop=lambda: True) is False
    assert outage.wait_for_database(OperationalError(LOST), give_up_after=0) is False


class FlakyWorker:
    """Stands for django-tasks-db's Worker: its loop meets the outage twice, then runs."""

    def __init__(self, error):
        self.running = True
        self.runs = 0
        self.error = error

    def run(self):
        self.runs += 1
        if self.runs <= 2:
            raise self.error


def test_the_worker_loop_waits_for_the_database_instead_of_exiting(monkeypatch):
    waits = []
    monkeypatch.setattr(outage, "wait_for_database",
                        lambda error, **kw: waits.append(type(error).__name__) or True)
    flaky = FlakyWorker(OperationalError(LOST))
    worker.run_loop(flaky)
    assert flaky.runs == 3 and waits == ["OperationalError", "OperationalError"]


def test_the_worker_loop_still_dies_of_a_real_bug(monkeypatch):
    flaky = FlakyWorker(OperationalError("no such table: django_tasks_database_dbtaskresult"))
    with pytest.raises(OperationalError):
        worker.run_loop(flaky)
    assert flaky.runs == 1


def test_the_heartbeat_logs_an_outage_once_and_beats_again_after(database_down, caplog):
    heartbeat = worker.Heartbeat("worker-1")
    heartbeat.next_timers = heartbeat.next_prune = clock.wall_now() + periodic_far()
    outage_ = database_down()
    with caplog.at_level(logging.WARNING, logger="choeur.worker"):
        for _ in range(4):
            heartbeat.tick()  # never raises
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        outage_.up()
        heartbeat.tick()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "database unavailable" in lines[0] and "database back" in lines[1]
    assert WorkerHeartbeat.objects.filter(worker_id="worker-1").exists()


def periodic_far():
    from datetime import timedelta

    return timedelta(days=1)


def test_a_task_cut_short_by_the_outage_is_handed_back_not_failed(monkeypatch, database_down):
    from django.db import transaction

    with transaction.atomic():
        mail.send_mail("a@example.fr", "Objet", "Corps")
    result = DBTaskResult.objects.get()
    result.claim("worker-1")

    def delivering_during_the_outage(email_id):
        raise OperationalError(LOST)

    monkeypatch.setattr(mail, "deliver", delivering_during_the_outage)
    worker._worker("worker-1", "*", 0, True).run_task(result)
    result.refresh_from_db()
    assert result.status == TaskResultStatus.READY  # ready again: the next claim runs it
    assert result.started_at is None and result.traceback == ""

    # Once the database answers, the same task runs to its end.
    monkeypatch.undo()
    done = worker.run_ready()
    assert [r.status for r in done] == [TaskResultStatus.SUCCESSFUL]


def test_a_task_s_own_error_still_fails_it(monkeypatch):
    from django.db import transaction

    with transaction.atomic():
        mail.send_mail("a@example.fr", "Objet", "Corps")
    result = DBTaskResult.objects.get()
    result.claim("worker-1")

    def broken(email_id):
        raise OperationalError("database is locked")

    monkeypatch.setattr(mail, "deliver", broken)
    worker._worker("worker-1", "*", 0, True).run_task(result)
    result.refresh_from_db()
    assert result.status == TaskResultStatus.FAILED
