"""What kind of file is this? By its first bytes, never by its name."""

from __future__ import annotations

import re

_XML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<")


def kind(data: bytes) -> str:
    """One of "empty", "pdf", "xml", "zip", "tar", "unknown"."""
    if not data or not data.strip():
        return "empty"
    head = data[:1024]
    if b"%PDF-" in head:  # PDF readers accept junk before the header, within 1024 bytes
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "tar"  # gzip: a tar.gz batch (archives.py checks what is inside)
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    if _XML_START.match(head) or head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        return "xml"
    return "unknown"
