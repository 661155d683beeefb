import hashlib
import io
import os

import pytest
from django.core.files.storage import storages

from choeur.core import storage
from choeur.core.errors import BlobCorrupted, BlobMissing, FileTooLarge
from choeur.core.models import Blob

pytestmark = pytest.mark.django_db

DATA = b"%PDF-1.7 facture F2026-0001\n" * 100


def test_put_names_the_file_by_its_sha256_and_reads_back():
    blob = storage.put(DATA, content_type="application/pdf")
    assert blob.sha256 == hashlib.sha256(DATA).hexdigest()
    assert blob.size == len(DATA)
    assert storage.read(blob.sha256) == DATA
    assert storage.verify(blob.sha256)


def test_same_bytes_stored_once_never_rewritten():
    first = storage.put(DATA)
    path = storages["blobs"].path(first.storage_name)
    mtime = os.stat(path).st_mtime_ns
    second = storage.put(io.BytesIO(DATA))
    assert second.sha256 == first.sha256
    assert Blob.objects.count() == 1
    assert os.stat(path).st_mtime_ns == mtime
    # no stray copy under an alternative name beside the original
    assert os.listdir(os.path.dirname(path)) == [first.sha256]


def test_streams_are_hashed_while_copied():
    stream = io.BytesIO(b"x" * (3 * storage.CHUNK + 17))
    blob = storage.put(stream)
    assert blob.size == 3 * storage.CHUNK + 17


def test_size_limit_stores_nothing():
    with pytest.raises(FileTooLarge):
        storage.put(io.BytesIO(b"y" * 2048), max_size=1024)
    with pytest.raises(FileTooLarge):
        storage.put(b"y" * 2048, max_size=1024)
    assert not Blob.objects.exists()


def test_no_temporary_file_left_behind():
    blob = storage.put(DATA)
    directory = os.path.dirname(storages["blobs"].path(blob.storage_name))
    storage.put(DATA)
    assert os.listdir(directory) == [blob.sha256]


def test_only_fingerprints_name_files():
    for forged in ("../../secret_key", "A" * 64, "", None):
        with pytest.raises(BlobMissing):
            storage.open_blob(forged)


def test_missing_and_corrupted_files_are_detected():
    blob = storage.put(DATA)
    with open(storages["blobs"].path(blob.storage_name), "wb") as fh:
        fh.write(b"tampered")
    assert not storage.verify(blob.sha256)
    with pytest.raises(BlobCorrupted):
        storage.read(blob.sha256)
    with pytest.raises(BlobMissing):
        storage.read("0" * 64)
    assert not storage.verify("0" * 64)
    with pytest.raises(BlobCorrupted):
        storage.copy_verified(blob.sha256, io.BytesIO())
    with pytest.raises(BlobMissing):
        storage.copy_verified("0" * 64, io.BytesIO())


def test_copy_verified_streams_a_file_whole():
    data = os.urandom(storage.CHUNK * 2 + 17)
    blob = storage.put(data)
    target = io.BytesIO()
    assert storage.copy_verified(blob.sha256, target) == len(data)
    assert target.getvalue() == data


def test_put_many_stores_each_file_once_synced_and_whole():
    """A batch (a flux's invoices, a routing's certificates): every file under its sha256,
    duplicates once, the files already there untouched, no temporary file left; and a
    folder emptied behind the process's back is made again."""
    first = storage.put(DATA)
    path = storages["blobs"].path(first.storage_name)
    mtime = os.stat(path).st_mtime_ns
    contents = [b"facture %d\n" % n * 50 for n in range(70)] + [DATA, b"facture 3\n" * 50]
    names = storage.put_many(contents, "application/xml")
    assert names == [hashlib.sha256(c).hexdigest() for c in contents]
    assert os.stat(path).st_mtime_ns == mtime
    assert Blob.objects.count() == 71
    for name, content in zip(names, contents, strict=True):
        assert storage.read(name) == content
        folder = os.path.dirname(storages["blobs"].path(Blob(sha256=name).storage_name))
        assert not [f for f in os.listdir(folder) if f.startswith(".tmp-")]

    gone = names[5]
    gone_path = storages["blobs"].path(Blob(sha256=gone).storage_name)
    os.unlink(gone_path)
    os.rmdir(os.path.dirname(gone_path))  # (its fan-out folder holds it alone)
    Blob.objects.filter(sha256=gone).delete()
    assert storage.put_many([contents[5]]) == [gone]
    assert storage.read(gone) == contents[5]
