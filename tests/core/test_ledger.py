"""The ledger (core/ledger.py): each object's chain, its hashes, the seals over them; an
invoice's status changes are written there with their history rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from choeur.core import clock, ledger
from choeur.core.errors import OutsideTransaction
from choeur.core.models import LedgerEntry, LedgerSeal

pytestmark = pytest.mark.django_db


def _append(*args, **kwargs):
    with transaction.atomic():
        return ledger.append(*args, **kwargs)


def test_a_chain_links_each_entry_to_the_previous():
    first = _append("test.thing", 7, "CREATED", {"b": 2, "a": "é"})
    second = _append("test.thing", 7, "CHANGED", {"amount": Decimal("1.50")})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == ledger.genesis("test.thing", 7)
    assert second.prev_hash == first.hash
    assert first.payload == '{"a":"é","b":2}'
    assert second.payload == '{"amount":"1.50"}'
    stored = LedgerEntry.objects.get(pk=second.pk)
    assert ledger.entry_hash(stored.prev_hash, stored.kind, stored.at, stored.payload) \
        == stored.hash
    other = _append("test.thing", 8, "CREATED", {})
    assert other.seq == 1  # its own chain


@pytest.mark.django_db(transaction=True)
def test_appending_needs_the_callers_transaction():
    with pytest.raises(OutsideTransaction):
        ledger.append("test.thing", 1, "CREATED", {})


def test_a_sequence_number_is_given_once():
    _append("test.thing", 1, "CREATED", {})
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(object_type="test.thing", object_id="1", seq=1,
                                   kind="FORK", at=clock.now(), payload="{}", prev_hash="x",
                                   hash="y")


def test_many_objects_at_once():
    _append("test.thing", 1, "CREATED", {})
    with transaction.atomic():
        entries = ledger.append_many("test.thing", [(1, "CHANGED", {}), (2, "CREATED", {})])
    assert [(e.object_id, e.seq) for e in entries] == [("1", 2), ("2", 1)]
    assert entries[0].prev_hash == ledger.chain("test.thing", 1)[0].hash


def test_seals_chain_what_was_written():
    for n in range(5):
        _append("test.thing", n, "CREATED", {"n": n})
    assert ledger.seal_pending() is None  # younger than SEAL_DELAY: a commit may be missing
    with clock.shifted(ledger.SEAL_DELAY + timedelta(seconds=1)):
        first = ledger.seal_pending(limit=3)
        second = ledger.seal_pending()
        assert ledger.seal_pending() is None
    assert (first.count, second.count) == (3, 2)
    assert first.prev_hash == ledger.GENESIS_SEAL and second.prev_hash == first.hash
    hashes = list(LedgerEntry.objects.filter(seal=first).order_by("id")
                  .values_list("hash", flat=True))
    assert first.digest == ledger.seal_digest(hashes)
    assert first.hash == ledger.seal_hash(first.prev_hash, first.digest, first.count)
    assert not LedgerEntry.objects.filter(seal__isnull=True).exists()
    assert LedgerSeal.objects.count() == 2 and ledger.head() == second


def test_a_late_commit_in_a_seals_range_rolls_the_seal_back(monkeypatch):
    entries = [_append("test.thing", n, "CREATED", {"n": n}) for n in range(3)]
    late = entries[1]
    LedgerEntry.objects.filter(pk=late.pk).delete()  # not committed yet when the seal reads
    real_create = LedgerSeal.objects.create

    def create_while_it_commits(**values):
        sealed = real_create(**values)
        late.save(force_insert=True)  # commits now, inside the seal's id range
        return sealed

    monkeypatch.setattr(LedgerSeal.objects, "create", create_while_it_commits)
    with clock.shifted(ledger.SEAL_DELAY + timedelta(seconds=1)):
        with pytest.raises(ledger.SealRace):
            ledger.seal_pending()
        assert ledger.seal_all() == 0  # the timer's run stops quietly
        monkeypatch.undo()
        assert LedgerSeal.objects.count() == 0  # both attempts rolled back
        late.save(force_insert=True)  # (its commit, rolled back with them here)
        sealed = ledger.seal_pending()  # the next run takes all three
    assert sealed.count == 3
