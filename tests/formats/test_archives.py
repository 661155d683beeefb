"""Batches (choeur.formats.archives): ordinary archives, bombs, unsafe members, all in memory."""

from __future__ import annotations

import gzip
import io
import random
import struct
import tarfile
import time
import zipfile
import zlib

import pytest

from choeur.formats.archives import archive_kind, is_archive, iter_archive
from choeur.formats.findings import Layer, Severity

GB = 1024 * 1024 * 1024
MB = 1024 * 1024
XML = b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:' \
      b'Invoice-2"/>'


def noise(size: int, seed: int = 0) -> bytes:
    """Incompressible bytes."""
    return random.Random(seed).randbytes(size)


def rules(result) -> list[str]:
    return [f.rule for f in result.findings]


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_tar(members, compression: str = "") -> bytes:
    """members: (TarInfo, data or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:" + compression, format=tarfile.GNU_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def tar_entry(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def raw_zip(entries: list[dict]) -> bytes:
    """A zip written by hand, so that sizes, flags and attributes can lie."""
    out = bytearray()
    central = bytearray()
    for entry in entries:
        name = entry["name"]
        flags = entry.get("flags", 0)
        method = entry.get("method", 8)
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21,
                           entry["crc"], entry["csize"], entry["usize"], len(name), 0)
        out += name + entry["data"]
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02",
                               (entry.get("system", 0) << 8) | 20, 20, flags, method, 0, 0x21,
                               entry["crc"], entry["csize"], entry["usize"], len(name), 0, 0,
                               0, 0, entry.get("attr", 0), offset)
        central += name
    cd_offset = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                       len(central), cd_offset, 0)
    return bytes(out)


def deflated_zeros(size: int, prefix: bytes = b"") -> tuple[bytes, int]:
    """Raw deflate of `prefix` + `size` zero bytes, built in milliseconds: one full-flushed
    block of 1 MB of zeros (independent of any history) repeated, then an empty final block.
    Returns the deflate data and the CRC-32 of the uncompressed data."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH) if prefix else b""
    block_maker = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block_maker.compress(bytes(MB)) + block_maker.flush(zlib.Z_FULL_FLUSH)
    assert size % MB == 0
    crc = zlib.crc32(prefix)
    chunk = bytes(MB)
    for _ in range(size // MB):
        crc = zlib.crc32(chunk, crc)
    return first + block * (size // MB) + b"\x03\x00", crc


@pytest.fixture(scope="module")
def zeros_1gb() -> tuple[bytes, int]:
    return deflated_zeros(GB)


def gb_zip(zeros, declared: int = GB) -> bytes:
    data, crc = zeros
    return raw_zip([{"name": b"zeros.xml", "data": data, "crc": crc, "csize": len(data),
                     "usize": declared}])


def gb_tar_gz() -> bytes:
    header = tarfile.TarInfo("zeros.xml")
    header.size = GB
    header_bytes = header.tobuf(format=tarfile.GNU_FORMAT)
    data, crc = deflated_zeros(GB, prefix=header_bytes)
    isize = (len(header_bytes) + GB) & 0xFFFFFFFF
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + data
            + struct.pack("<2L", crc, isize))


# --- ordinary archives --------------------------------------------------------------------------

def test_zip_members_in_archive_order_directories_ignored():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lot/", b"")
        zf.writestr("lot/b.xml", XML)
        zf.writestr("a.pdf", b"%PDF-1.7 ...")
    result = iter_archive(buf.getvalue())
    assert result.kind == "zip"
    assert result.findings == []
    assert result.members == [("lot/b.xml", XML), ("a.pdf", b"%PDF-1.7 ...")]
    assert result.readable


@pytest.mark.parametrize("compression, kind", [("", "tar"), ("gz", "tar.gz"),
                                                ("bz2", "tar.bz2"), ("xz", "tar.xz")])
def test_tar_members(compression, kind):
    dir_info = tarfile.TarInfo("lot")
    dir_info.type = tarfile.DIRTYPE
    data = make_tar([(dir_info, None), tar_file("lot/1.xml", XML), tar_file("./2.xml", b"<b/>")],
                    compression)
    result = iter_archive(data)
    assert result.kind == kind == archive_kind(data)
    assert result.findings == []
    assert result.members == [("lot/1.xml", XML), ("2.xml", b"<b/>")]


def test_detection_is_by_magic_bytes():
    assert archive_kind(make_zip({"a": b"x"})) == "zip"
    assert archive_kind(b"%PDF-1.7") == ""
    assert is_archive(b"7z\xbc\xaf\x27\x1c....")
    result = iter_archive(b"%PDF-1.7 not an archive")
    assert rules(result) == ["ARCHIVE_UNSUPPORTED"]
    assert result.findings[0].severity == Severity.FATAL
    assert result.findings[0].layer == Layer.INPUT


def test_gzip_of_something_else_is_not_a_batch():
    result = iter_archive(gzip.compress(XML * 10))
    assert rules(result) == ["ARCHIVE_UNSUPPORTED"] or rules(result) == ["ARCHIVE_CORRUPT"]
    assert result.members == []


def test_empty_zip():
    result = iter_archive(make_zip({}))
    assert rules(result) == ["ARCHIVE_EMPTY"]


def test_non_utf8_names():
    # zip: UTF-8 bytes without the UTF-8 flag, and cp437 bytes that are not UTF-8
    utf8 = "facture-é.xml".encode()
    crc = zlib.crc32(XML)
    data = raw_zip([
        {"name": utf8, "data": XML, "crc": crc, "csize": len(XML), "usize": len(XML),
         "method": 0},
        {"name": b"fa\x82ture.xml", "data": XML, "crc": crc, "csize": len(XML),
         "usize": len(XML), "method": 0},
    ])
    result = iter_archive(data)
    assert result.findings == []
    assert [name for name, _ in result.members] == ["facture-é.xml", "faéture.xml"]
    # tar: raw Latin-1 bytes
    tar = make_tar([tar_file("factur\udce9.xml", XML)])
    result = iter_archive(tar)
    assert result.findings == []
    assert result.members == [("factur\ufffd.xml", XML)]


# --- bombs --------------------------------------------------------------------------------------

def test_one_gigabyte_of_zeros_zip_is_refused_fast(zeros_1gb):
    data = gb_zip(zeros_1gb)
    assert len(data) < 2 * MB
    started = time.monotonic()
    result = iter_archive(data)
    assert time.monotonic() - started < 2
    assert rules(result) == ["ARCHIVE_BOMB"]  # declared 1 GB in 1 MB: refused unread
    assert result.findings[0].severity == Severity.FATAL
    assert result.members == []


def test_zip_bomb_lying_about_its_size_is_caught_while_streaming(zeros_1gb):
    started = time.monotonic()
    result = iter_archive(gb_zip(zeros_1gb, declared=5 * MB))
    assert time.monotonic() - started < 2
    assert rules(result) == ["ARCHIVE_BOMB"]
    assert result.findings[0].severity == Severity.FATAL
    assert result.members == []


def test_tar_gz_bomb_is_refused_fast():
    started = time.monotonic()
    result = iter_archive(gb_tar_gz())
    assert time.monotonic() - started < 5
    assert rules(result) == ["ARCHIVE_BOMB"]
    assert result.members == []


def test_total_over_the_limit_is_refused():
    files = {f"f{i}.xml": noise(600_000, i) for i in range(5)}
    result = iter_archive(make_zip(files), max_total=2 * MB)
    assert rules(result) == ["ARCHIVE_TOO_LARGE"]
    assert result.members == []
    tar = make_tar([tar_file(name, data) for name, data in files.items()], "gz")
    assert rules(iter_archive(tar, max_total=2 * MB)) == ["ARCHIVE_TOO_LARGE"]


def test_ratio_is_judged_on_compressed_bytes_actually_read():
    # 4 MB of zeros compress ~1000:1: over a ratio of 100 once past the 1 MB floor
    result = iter_archive(make_zip({"ok.xml": XML, "zeros.xml": bytes(4 * MB)}))
    assert rules(result) == ["ARCHIVE_BOMB"]
    # a small highly compressible file is fine
    result = iter_archive(make_zip({"small.xml": bytes(200_000)}))
    assert result.findings == []


def test_batch_of_near_identical_invoices_is_not_a_bomb():
    # one compression window across similar files: ~120:1 over the whole tar.gz
    invoice = XML + b"<!--" + noise(3000, 7).hex().encode() + b"-->"
    members = [tar_file(f"inv{i}.xml", invoice.replace(b"?>", b"?><!-- %d -->" % i, 1))
               for i in range(500)]
    data = make_tar(members, "gz")
    assert len(invoice) * 500 / len(data) > 100
    result = iter_archive(data)
    assert result.findings == []
    assert len(result.members) == 500


def test_nested_archives_42_zip_like():
    inner = make_zip({"x.xml": XML})
    for _ in range(3):
        inner = make_zip({f"{i}.zip": inner for i in range(4)})
    result = iter_archive(inner)
    assert result.members == []
    assert rules(result) == ["ARCHIVE_NESTED"] * 4
    assert all(f.severity == Severity.ERROR for f in result.findings)
    assert result.findings[0].location == "0.zip"


def test_nested_tar_gz_in_tar_is_skipped():
    inner = make_tar([tar_file("x.xml", XML)], "gz")
    result = iter_archive(make_tar([tar_file("inner.tgz", inner), tar_file("ok.xml", XML)]))
    assert rules(result) == ["ARCHIVE_NESTED"]
    assert result.members == [("ok.xml", XML)]


def test_too_many_files():
    assert rules(iter_archive(make_zip({f"{i}.xml": b"<a/>" for i in range(501)}))) == [
        "ARCHIVE_TOO_MANY_FILES"]
    assert iter_archive(make_zip({f"{i}.xml": b"<a/>" for i in range(500)})).findings == []
    tar = make_tar([tar_file(f"{i}.xml", b"<a/>") for i in range(11)], "gz")
    result = iter_archive(tar, max_files=10)
    assert rules(result) == ["ARCHIVE_TOO_MANY_FILES"]
    assert result.members == []


def test_member_over_max_file_is_skipped():
    big = noise(2 * MB)
    result = iter_archive(make_zip({"big.pdf": big, "ok.xml": XML}), max_file=MB)
    assert rules(result) == ["ARCHIVE_FILE_TOO_LARGE"]
    assert result.members == [("ok.xml", XML)]
    result = iter_archive(make_tar([tar_file("big.pdf", big), tar_file("ok.xml", XML)], "gz"),
                          max_file=MB)
    assert rules(result) == ["ARCHIVE_FILE_TOO_LARGE"]
    assert result.members == [("ok.xml", XML)]


# --- unsafe members -----------------------------------------------------------------------------

def test_tar_with_traversal_links_and_devices():
    data = make_tar([
        tar_file("../evil.xml", XML),
        tar_file("/etc/passwd", b"root"),
        tar_file("a/../../b.xml", XML),
        tar_entry("link.xml", tarfile.SYMTYPE, "/etc/passwd"),
        tar_entry("hard.xml", tarfile.LNKTYPE, "ok.xml"),
        tar_entry("dev", tarfile.CHRTYPE),
        tar_entry("fifo", tarfile.FIFOTYPE),
        tar_file("ok.xml", XML),
    ], "gz")
    result = iter_archive(data)
    assert rules(result) == ["ARCHIVE_UNSAFE_MEMBER"] * 7
    assert [f.location for f in result.findings][:3] == ["../evil.xml", "/etc/passwd",
                                                          "a/../../b.xml"]
    assert result.members == [("ok.xml", XML)]
    assert result.readable


def test_zip_with_traversal_and_symlink():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil.xml", XML)
        zf.writestr("C:/windows/evil.xml", XML)
        link = zipfile.ZipInfo("link.xml")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("ok.xml", XML)
    result = iter_archive(buf.getvalue())
    assert rules(result) == ["ARCHIVE_UNSAFE_MEMBER"] * 3
    assert result.members == [("ok.xml", XML)]


def test_encrypted_zip_member():
    data = raw_zip([
        {"name": b"secret.xml", "data": b"\x00" * 40, "crc": 0, "csize": 40, "usize": 28,
         "flags": 0x1},
        {"name": b"ok.xml", "data": XML, "crc": zlib.crc32(XML), "csize": len(XML),
         "usize": len(XML), "method": 0},
    ])
    result = iter_archive(data)
    assert rules(result) == ["ARCHIVE_ENCRYPTED"]
    assert result.findings[0].severity == Severity.ERROR
    assert result.members == [("ok.xml", XML)]


# --- corrupt archives ---------------------------------------------------------------------------

@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_truncated_tar(compression):
    data = make_tar([tar_file(f"{i}.xml", bytes(range(256)) * 40) for i in range(5)],
                    compression)
    result = iter_archive(data[: len(data) // 2])
    assert rules(result) == ["ARCHIVE_CORRUPT"]
    assert result.members == []
    assert result.findings[0].message_fr and result.findings[0].hint_en


def test_truncated_and_garbled_zip():
    data = make_zip({"a.xml": XML * 50, "b.xml": XML})
    assert rules(iter_archive(data[: len(data) // 2])) == ["ARCHIVE_CORRUPT"]
    garbled = bytearray(data)
    garbled[40:60] = b"\xff" * 20  # inside the first member's compressed data
    assert rules(iter_archive(bytes(garbled))) == ["ARCHIVE_CORRUPT"]


def test_every_finding_speaks_both_languages():
    data = make_tar([tar_file("../x", XML), tar_entry("l", tarfile.SYMTYPE, "x")])
    for finding in iter_archive(data).findings + iter_archive(b"junk").findings:
        assert finding.rule.startswith("ARCHIVE_")
        assert finding.message_fr and finding.message_en and finding.hint_fr and finding.hint_en
