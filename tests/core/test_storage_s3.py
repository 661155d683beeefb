"""Blobs in an S3 bucket (CHOEUR_STORAGE=s3://..., the settings of choeur/settings.py), on
moto's in-process mock: stored by their fingerprint, read back checked, one object per file
even when two nodes store the same bytes at once (issue 19: several nodes, one bucket)."""

import hashlib

import pytest
from django.core.files.storage import storages

from choeur.config import S3Storage
from choeur.core import storage
from choeur.core.models import Blob
from tests.s3 import mocked_bucket

pytestmark = pytest.mark.django_db

BUCKET, PREFIX = "choeur-blobs", "instance"
DATA = b"<rsm:CrossIndustryInvoice>F2026-0001</rsm:CrossIndustryInvoice>\n" * 50


@pytest.fixture
def bucket(settings):
    """Blobs in an S3 bucket (moto's mock): the boto3 client."""
    with mocked_bucket(settings, BUCKET, PREFIX) as client:
        yield client


def keys(client) -> list[str]:
    return sorted(item["Key"] for item in
                  client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_blobs_go_to_the_bucket_by_their_fingerprint_and_read_back(bucket):
    assert storage.local_path(storages["blobs"], "x") is None  # no local folder at all
    blob = storage.put(DATA, content_type="application/xml")
    sha256 = hashlib.sha256(DATA).hexdigest()
    assert keys(bucket) == [f"{PREFIX}/blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"]
    assert storage.read(blob.sha256) == DATA and storage.verify(blob.sha256)
    names = storage.put_many([DATA, b"autre facture"])
    assert names[0] == sha256 and len(keys(bucket)) == 2
    assert Blob.objects.count() == 2


def test_two_nodes_storing_the_same_bytes_at_once_leave_one_object(bucket, monkeypatch):
    storage.put(DATA)
    # The second node looked (its first question) before the first node's object was there:
    # it writes it again, and the object store, asked again, now has it.
    real, asked = type(storages["blobs"]).exists, []

    def exists(self, name):
        asked.append(name)
        return len(asked) > 1 and real(self, name)

    monkeypatch.setattr(type(storages["blobs"]), "exists", exists)
    storage.put(DATA)
    monkeypatch.undo()
    assert len(keys(bucket)) == 1  # the same object, not a copy under a made-up name
    assert storage.read(hashlib.sha256(DATA).hexdigest()) == DATA


def test_unreferenced_blobs_leave_the_bucket(bucket):
    from django.db import transaction

    blob = storage.put(DATA)
    with transaction.atomic():
        assert storage.remove_unreferenced([blob.sha256]) == 1
    assert keys(bucket) == [] and not Blob.objects.exists()


def test_an_unreachable_store_is_reported_in_seconds(settings):
    """A node that lost the store: /healthz says so at once (not after botocore's minutes),
    and a read fails instead of hanging."""
    pytest.importorskip("storages", reason="the s3 extra (django-storages[s3]) is needed")
    import socket
    import time

    from choeur.core import health

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nobody listens there once closed
    s3 = S3Storage(bucket=BUCKET, prefix=PREFIX, endpoint_url=f"http://127.0.0.1:{port}",
                   region="us-east-1", access_key="k", secret_key="s").django_storage()
    options = s3["OPTIONS"]["client_config"]
    assert (options.connect_timeout, options.retries["max_attempts"]) == (5, 3)
    settings.STORAGES = {**settings.STORAGES, "default": s3, "blobs": s3}
    started = time.monotonic()
    check = health.check_storage()
    assert check["ok"] is False and check["state"] == "down"
    assert time.monotonic() - started < 10
