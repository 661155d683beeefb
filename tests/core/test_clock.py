from datetime import UTC, date, datetime, timedelta

import pytest

from choeur.core import clock


def test_now_is_aware_and_close_to_wall_clock():
    now = clock.now()
    assert now.tzinfo is not None
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_freeze_and_advance():
    at = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    with clock.frozen(at):
        assert clock.now() == at
        clock.advance(timedelta(days=15))
        assert clock.now() == at + timedelta(days=15)
    assert clock.now() != at + timedelta(days=15)


def test_today_is_the_french_date():
    # 23:30 UTC on 31 January is already 1 February in Paris.
    with clock.frozen(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 2, 1)


def test_shifted_moves_a_running_clock():
    with clock.shifted(timedelta(days=7)):
        assert (clock.now() - datetime.now(UTC)) > timedelta(days=6, hours=23)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


def test_naive_datetimes_refused():
    with pytest.raises(ValueError):
        clock.freeze(datetime(2026, 1, 1))  # noqa: DTZ001


def test_models_take_their_default_time_from_the_clock(db, frozen_now):
    from choeur.accounts.models import User

    assert User.objects.create_user("a@example.fr", "x").date_joined == frozen_now
