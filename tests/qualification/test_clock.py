"""Issue 15, clock control: a qualification instance's date moves forward for every process
(portal page for administrators, `choeur clock`), timers fire, the banner shows the simulated
date; production refuses all of it; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from choeur.cli import main
from choeur.core import clock
from choeur.core.models import AuditEvent
from choeur.qualification import clock_control, errors
from choeur.qualification.models import SimulatedClock
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _ahead() -> float:
    return (clock.now() - clock.wall_now()).total_seconds() / 86400


def test_advancing_moves_business_time_not_infrastructure_time(qualification):
    before = clock.now()
    moved = clock_control.advance("cli", 15)
    assert 14.99 < _ahead() < 15.01
    assert abs((moved - before).total_seconds() - 15 * 86400) < 5
    assert SimulatedClock.objects.get().offset_seconds == 15 * 86400
    assert abs((clock.wall_now() - before).total_seconds()) < 5  # heartbeats stay real
    event = AuditEvent.objects.get(action="qualification.clock_moved")
    assert event.details["days"] == 15


def test_another_process_sees_the_move(qualification):
    """The offset is in the database: a process that did not make the move (here: this one
    with its clock state reset, as a fresh worker's) takes it at its next sync."""
    clock_control.advance("cli", 30)
    clock.reset()
    clock_control.forget_sync()
    assert _ahead() < 0.01
    clock_control.sync()
    assert 29.99 < _ahead() < 30.01
    # Within SYNC_EVERY the row is not read again (a request costs no query for it).
    SimulatedClock.objects.update(offset_seconds=31 * 86400)
    clock_control.sync()
    assert _ahead() < 30.01


def test_each_request_brings_the_process_clock_up_to_date(qualification, client):
    from django.core.signals import request_started

    from choeur.qualification.apps import QualificationConfig

    QualificationConfig.ready(None)  # wired at start-up in qualification; tests run production
    try:
        SimulatedClock.objects.create(pk=1, offset_seconds=3 * 86400)
        clock.reset()
        assert _ahead() < 0.01
        client.get("/")
        assert 2.99 < _ahead() < 3.01
    finally:
        request_started.disconnect(dispatch_uid="qualification-clock-request")


def test_moving_to_a_date(qualification):
    target = clock.today() + timedelta(days=40)
    moved = clock_control.move_to("cli", target.isoformat())
    assert moved.astimezone(clock.PARIS).date() == target == clock.today()


@pytest.mark.parametrize("days", ["-3", "0", "abc", "1.5", "", "99999"])
def test_bad_days_are_refused_and_change_nothing(qualification, days):
    with pytest.raises(errors.ClockDaysInvalid):
        clock_control.advance("cli", days)
    assert not SimulatedClock.objects.exists()


def test_the_clock_never_goes_back(qualification):
    clock_control.advance("cli", 10)
    for day in (clock.today(), clock.today() - timedelta(days=1)):
        with pytest.raises(errors.ClockBackwards) as caught:
            clock_control.move_to("cli", day)
        assert "ne recule pas" in caught.value.message("fr")
    with pytest.raises(errors.ClockDateInvalid):
        clock_control.move_to("cli", "31/12/2030")
    assert SimulatedClock.objects.get().offset_seconds == 10 * 86400


def test_timers_are_queued_at_once(qualification):
    from django_tasks_db.models import DBTaskResult

    clock_control.advance("cli", 15)
    queued = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert any("apply_tacit_validations" in path for path in queued), queued


def test_the_cli(qualification, capsys):
    assert main(["clock"]) == 0
    assert "0 day(s) ahead" in capsys.readouterr().out
    assert main(["clock", "--advance", "7"]) == 0
    assert "7 day(s) ahead" in capsys.readouterr().out
    assert main(["clock", "--advance", "-1"]) == 1
    assert "QUAL_CLOCK_DAYS_INVALID" in capsys.readouterr().err
    assert main(["clock", "--to", "2000-01-01"]) == 1
    assert "QUAL_CLOCK_BACKWARDS" in capsys.readouterr().err
    assert SimulatedClock.objects.get().offset_seconds == 7 * 86400


def test_the_portal_page_and_the_banner(qualification, client, admin):
    client.force_login(admin)
    page = client.get("/qualification/horloge/")
    assert page.status_code == 200 and 'data-testid="clock-status"' in page.content.decode()
    assert 'data-testid="simulated-date"' not in page.content.decode()
    response = client.post("/qualification/horloge/", {"action": "advance", "days": "20"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'data-testid="simulated-date"' in page
    assert clock.today().strftime("%d/%m/%Y") in page
    refused = client.post("/qualification/horloge/", {"action": "advance", "days": "-5"})
    assert "QUAL_CLOCK_DAYS_INVALID" in refused.content.decode()
    assert SimulatedClock.objects.get().offset_seconds == 20 * 86400


def test_only_platform_administrators(qualification, client, django_user_model):
    user = django_user_model.objects.create_user("jean@example.fr", PASSWORD)
    client.force_login(user)
    assert client.get("/qualification/horloge/").status_code == 403
    assert client.post("/qualification/horloge/", {"days": "3"}).status_code == 403
    assert not SimulatedClock.objects.exists()


def test_production_refuses_all_of_it(settings, client, admin, capsys):
    settings.CHOEUR_ENVIRONMENT = "production"
    client.force_login(admin)
    assert client.get("/qualification/horloge/").status_code == 404
    assert client.post("/qualification/horloge/", {"days": "3"}).status_code == 404
    with pytest.raises(errors.QualificationOnly):
        clock_control.advance(admin, 3)
    assert main(["clock", "--advance", "3"]) == 1
    assert "QUAL_QUALIFICATION_ONLY" in capsys.readouterr().err
    assert main(["clock"]) == 1
    assert not SimulatedClock.objects.exists()
    assert "Horloge de qualification" not in client.get("/administration/").content.decode()


def test_short_lived_credentials_keep_real_time_when_the_date_moves(qualification, admin,
                                                                   user):
    """An authenticator app, a link just e-mailed and a login code count real time: moving
    the instance 30 days forward voids none of them (the API's tokens: test_matelas_api)."""
    import pyotp
    from django.db import transaction

    from choeur.accounts import services as accounts
    from choeur.accounts.tokens import recovery_tokens

    with transaction.atomic():
        setup = accounts.start_totp(user)
        totp = pyotp.TOTP(setup.secret)
        accounts.confirm_totp(user, totp.now())
    link = recovery_tokens.make_token(user)
    with transaction.atomic():
        clock_control.advance(admin, 30)
    assert _ahead() > 29
    assert recovery_tokens.check_token(user, link)
    with transaction.atomic():  # the next 30-second step of the app (the last one is used)
        next_code = totp.at(clock.wall_now().timestamp() + totp.interval)
        assert accounts.verify_login_code("test", user, next_code) == user
