import pytest
from django.db import transaction

from choeur.core import audit
from choeur.core.errors import OutsideTransaction
from choeur.core.models import AuditEvent


@pytest.mark.django_db
def test_record_describes_actor_object_and_details(user, frozen_now):
    event = audit.record(user, "accounts.profile_changed", user, field="last_name")
    assert event.at == frozen_now
    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "accounts.user", str(user.pk), user.email)
    assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))
    assert event.details == {"field": "last_name"}
    assert list(audit.history(user)) == [event]


@pytest.mark.django_db(transaction=True)
def test_audit_line_rolls_back_with_the_change(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(user, "test.action", user)
        raise RuntimeError("the use case failed after writing its audit line")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_write_outside_a_transaction(user):
    with pytest.raises(OutsideTransaction):
        audit.record(user, "test.action", user)


@pytest.mark.django_db
def test_system_actor():
    event = audit.record("cli", "core.something")
    assert (event.actor_type, event.actor_label) == ("system", "cli")
