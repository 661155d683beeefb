"""Batches: read the files of a zip or tar(.gz/.bz2/.xz) archive, safely. Pure library.

`iter_archive` never raises and never trusts what an archive says about itself: sizes are counted
while decompressing (a bounded decompressor, never more than a chunk ahead of the checks), the
compression ratio is measured against the compressed bytes actually consumed, and the limits
stop the reading at once. A bomb, too many files or a corrupt archive refuses the whole archive
(FATAL, no member returned); an unsafe, encrypted, nested or oversized member is skipped with an
ERROR and the others are returned, in archive order. Directories are ignored silently.
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field

from choeur.formats.findings import Finding, Layer, Severity

MAX_FILES = 500
MAX_TOTAL = 200 * 1024 * 1024  # uncompressed, all members
MAX_FILE = 10 * 1024 * 1024  # uncompressed, one member
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # the ratio is judged once this much came out (small files vary)
STREAM_RATIO_FACTOR = 5  # a compressed tar stream as a whole may reach 5 × max_ratio
CHUNK = 64 * 1024
_INPUT_CHUNK = 16 * 1024
_ZIP_READ = 8 * 1024

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_GZIP_MAGIC = b"\x1f\x8b"
_BZ2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_OTHER_ARCHIVE_MAGIC = (
    b"7z\xbc\xaf\x27\x1c",  # 7-Zip
    b"Rar!\x1a\x07",  # RAR
    b"\x28\xb5\x2f\xfd",  # zstd
    b"MSCF",  # cabinet
)


@dataclass
class ArchiveResult:
    kind: str = ""  # "zip", "tar", "tar.gz", "tar.bz2", "tar.xz"; "" when not an archive
    members: list[tuple[str, bytes]] = field(default_factory=list)  # in archive order
    findings: list[Finding] = field(default_factory=list)  # layer INPUT

    @property
    def readable(self) -> bool:
        return not any(f.severity == Severity.FATAL for f in self.findings)


def archive_kind(data: bytes) -> str:
    """The archive format from the magic bytes, "" if none (names are never trusted)."""
    if data[:4] in _ZIP_MAGIC:
        return "zip"
    if data[:2] == _GZIP_MAGIC:
        return "tar.gz"
    if data[:3] == _BZ2_MAGIC:
        return "tar.bz2"
    if data[:6] == _XZ_MAGIC:
        return "tar.xz"
    if data[257:262] == b"ustar":
        return "tar"
    return ""


def is_archive(data: bytes) -> bool:
    """Whether the bytes start like an archive or a compressed file (any known format)."""
    return bool(archive_kind(data)) or data.startswith(_OTHER_ARCHIVE_MAGIC)


# --- findings -----------------------------------------------------------------------------------

def _finding(rule: str, severity: Severity, fr: str, en: str, hint_fr: str = "",
             hint_en: str = "", location: str = "") -> Finding:
    return Finding(rule=rule, severity=severity, layer=Layer.INPUT, message_fr=fr,
                   message_en=en, location=location, hint_fr=hint_fr, hint_en=hint_en)


def _mb(size: int) -> str:
    return f"{size // (1024 * 1024)}"


class _Refused(Exception):
    """The whole archive is refused."""

    def __init__(self, finding: Finding):
        self.finding = finding


def _bomb(location: str = "") -> _Refused:
    return _Refused(_finding(
        "ARCHIVE_BOMB", Severity.FATAL,
        "L'archive se décompresse de façon anormale (taux de compression hors norme, typique "
        "d'une « bombe de décompression ») : elle est refusée.",
        "The archive decompresses abnormally (an out-of-range compression ratio, typical of a "
        "\"decompression bomb\"): it is refused.",
        "Déposez une archive ordinaire contenant seulement vos factures (PDF ou XML).",
        "Send an ordinary archive containing only your invoices (PDF or XML).",
        location,
    ))


def _too_large(max_total: int) -> _Refused:
    return _Refused(_finding(
        "ARCHIVE_TOO_LARGE", Severity.FATAL,
        f"Une fois décompressée, l'archive dépasse {_mb(max_total)} Mo : elle est refusée.",
        f"Once decompressed, the archive exceeds {_mb(max_total)} MB: it is refused.",
        "Répartissez les factures en plusieurs archives plus petites.",
        "Split the invoices into several smaller archives.",
    ))


def _too_many(max_files: int) -> _Refused:
    return _Refused(_finding(
        "ARCHIVE_TOO_MANY_FILES", Severity.FATAL,
        f"L'archive contient plus de {max_files} fichiers : elle est refusée.",
        f"The archive contains more than {max_files} files: it is refused.",
        f"Répartissez les factures en archives de {max_files} fichiers au plus.",
        f"Split the invoices into archives of at most {max_files} files.",
    ))


def _corrupt(detail: str = "") -> _Refused:
    return _Refused(_finding(
        "ARCHIVE_CORRUPT", Severity.FATAL,
        "L'archive est endommagée ou incomplète (tronquée) : elle ne peut pas être lue.",
        "The archive is damaged or incomplete (truncated): it cannot be read.",
        "Créez de nouveau l'archive et déposez-la une nouvelle fois ; vérifiez que l'envoi "
        "n'a pas été interrompu.",
        "Create the archive again and send it once more; check that the upload was not "
        "interrupted.",
        detail[:200],
    ))


def _unsupported(what_fr: str, what_en: str) -> _Refused:
    return _Refused(_finding(
        "ARCHIVE_UNSUPPORTED", Severity.FATAL,
        f"Le fichier n'est pas une archive acceptée ({what_fr}).",
        f"The file is not an accepted archive ({what_en}).",
        "Formats acceptés : zip, tar, tar.gz (ou .tgz), tar.bz2, tar.xz.",
        "Accepted formats: zip, tar, tar.gz (or .tgz), tar.bz2, tar.xz.",
    ))


def _unsafe(name: str, why_fr: str, why_en: str) -> Finding:
    return _finding(
        "ARCHIVE_UNSAFE_MEMBER", Severity.ERROR,
        f"L'élément « {name} » de l'archive est ignoré : {why_fr}.",
        f"The archive entry \"{name}\" is ignored: {why_en}.",
        "Une archive de factures ne doit contenir que des fichiers ordinaires, rangés sous "
        "des chemins relatifs simples.",
        "An invoice archive must only contain ordinary files, under simple relative paths.",
        name,
    )


def _nested(name: str) -> Finding:
    return _finding(
        "ARCHIVE_NESTED", Severity.ERROR,
        f"Le fichier « {name} » est lui-même une archive (ou un fichier compressé) : il est "
        "ignoré, les archives imbriquées ne sont pas ouvertes.",
        f"The file \"{name}\" is itself an archive (or a compressed file): it is ignored, "
        "nested archives are not opened.",
        "Placez les factures directement dans une seule archive.",
        "Put the invoices directly into a single archive.",
        name,
    )


def _encrypted(name: str) -> Finding:
    return _finding(
        "ARCHIVE_ENCRYPTED", Severity.ERROR,
        f"Le fichier « {name} » de l'archive est protégé par un mot de passe : il est ignoré.",
        f"The file \"{name}\" in the archive is password-protected: it is ignored.",
        "Créez l'archive sans mot de passe ni chiffrement.",
        "Create the archive without password or encryption.",
        name,
    )


def _file_too_large(name: str, max_file: int) -> Finding:
    return _finding(
        "ARCHIVE_FILE_TOO_LARGE", Severity.ERROR,
        f"Le fichier « {name} » de l'archive dépasse {_mb(max_file)} Mo : il est ignoré.",
        f"The file \"{name}\" in the archive exceeds {_mb(max_file)} MB: it is ignored.",
        "Une facture dépasse rarement quelques Mo : vérifiez le fichier, ou allégez ses "
        "pièces jointes.",
        "An invoice rarely exceeds a few MB: check the file, or lighten its attachments.",
        name,
    )


def _unsupported_compression(name: str) -> Finding:
    return _finding(
        "ARCHIVE_UNSUPPORTED_COMPRESSION", Severity.ERROR,
        f"Le fichier « {name} » de l'archive utilise une méthode de compression non prise en "
        "charge : il est ignoré.",
        f"The file \"{name}\" in the archive uses an unsupported compression method: it is "
        "ignored.",
        "Créez l'archive avec la compression standard (« Deflate »).",
        "Create the archive with the standard compression (\"Deflate\").",
        name,
    )


def _empty() -> Finding:
    return _finding(
        "ARCHIVE_EMPTY", Severity.ERROR,
        "L'archive ne contient aucun fichier utilisable.",
        "The archive contains no usable file.",
        "Vérifiez le contenu de l'archive avant de la déposer.",
        "Check the archive's content before sending it.",
    )


# --- names --------------------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    """Undecodable bytes (kept as surrogates) become U+FFFD; "./" prefixes go."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    while name.startswith("./"):
        name = name[2:]
    return name


def _unsafe_path(name: str) -> tuple[str, str] | None:
    if not name or "\x00" in name:
        return "nom vide ou invalide", "empty or invalid name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "chemin absolu", "absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "chemin qui remonte hors de l'archive (..)", "path escaping the archive (..)"
    return None


def _zip_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile decoded it as cp437
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return _clean_name(name)


# --- bounded reading ----------------------------------------------------------------------------

class _Budget:
    def __init__(self, max_total: int, max_ratio: int):
        self.max_total = max_total
        self.max_ratio = max_ratio
        self.total = 0

    def check_ratio(self, produced: int, consumed: int, location: str = "") -> None:
        if produced > RATIO_FLOOR and produced > self.max_ratio * max(consumed, 1):
            raise _bomb(location)


class _CountingReader(io.BytesIO):
    """The archive bytes, counting how many were read (= compressed bytes consumed)."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.consumed += len(out)
        return out


class _Decompressing(io.RawIOBase):
    """A tar stream decompressed on demand, refusing to produce past the limits."""

    def __init__(self, data: bytes, kind: str, budget: _Budget, limit: int):
        self._data = data
        self._pos = 0
        self._kind = kind
        self._budget = budget
        self._limit = limit  # the whole tar stream, headers included
        self._dec = self._new()
        self._done = kind == "tar"
        self.produced = 0

    def _new(self):
        if self._kind == "tar.gz":
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        if self._kind == "tar.bz2":
            return bz2.BZ2Decompressor()
        if self._kind == "tar.xz":
            return lzma.LZMADecompressor()
        return None

    @property
    def consumed(self) -> int:
        """Compressed bytes read so far (approximately: input goes in by chunks)."""
        return self._pos

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        out = self._read(len(buffer))
        buffer[: len(out)] = out
        return len(out)

    def _read(self, size: int) -> bytes:
        size = max(1, min(size, CHUNK))
        if self._kind == "tar":  # plain: bounded by the input itself
            out = self._data[self._pos:self._pos + size]
            self._pos += len(out)
            return out
        while not self._done:
            out = self._step(size)
            if out:
                self.produced += len(out)
                if self.produced > self._limit:
                    raise _too_large(self._budget.max_total)
                # Over the whole stream, similar files share the compression window: a batch
                # of near-identical invoices reaches ~120:1, zeros ~1000:1 (gzip). Members are
                # judged on their own ratio in _read_tar.
                self._budget.check_ratio(self.produced, self._pos * STREAM_RATIO_FACTOR)
                return out
        return b""

    def _next_input(self) -> bytes:
        if self._pos >= len(self._data):
            raise _corrupt("truncated compressed stream")
        chunk = self._data[self._pos:self._pos + _INPUT_CHUNK]
        self._pos += len(chunk)
        return chunk

    def _after_end(self, unused: bytes) -> None:
        """A compressed stream ended: another one may follow (concatenated members)."""
        rest = unused + self._data[self._pos:]
        self._pos = len(self._data)
        if rest.lstrip(b"\x00"):
            self._data = rest
            self._pos = 0
            self._dec = self._new()
        else:
            self._done = True

    def _step(self, size: int) -> bytes:
        dec = self._dec
        if dec.eof:
            self._after_end(dec.unused_data)
            return b""
        if isinstance(dec, bz2.BZ2Decompressor | lzma.LZMADecompressor):
            data = self._next_input() if dec.needs_input else b""
            return dec.decompress(data, size)
        data = dec.unconsumed_tail or self._next_input()
        return dec.decompress(data, size)


def _read_member(fh, name: str, max_file: int, budget: _Budget, consumed,
                 chunk_size: int = CHUNK) -> tuple[bytes | None, Finding | None]:
    """Read one member in chunks; None with a finding when it is skipped."""
    buf = bytearray()
    while True:
        chunk = fh.read(chunk_size)
        if not chunk:
            break
        if not buf and is_archive(chunk[:512]):
            return None, _nested(name)
        buf += chunk
        if budget.total + len(buf) > budget.max_total:
            raise _too_large(budget.max_total)
        if consumed is not None:
            budget.check_ratio(len(buf), consumed(), name)
        if len(buf) > max_file:
            return None, _file_too_large(name, max_file)
    budget.total += len(buf)
    return bytes(buf), None


# --- entry point --------------------------------------------------------------------------------

def iter_archive(data: bytes, *, max_files: int = MAX_FILES, max_total: int = MAX_TOTAL,
                 max_file: int = MAX_FILE, max_ratio: int = MAX_RATIO) -> ArchiveResult:
    """The files of a zip or tar archive, in archive order, with findings. Never raises."""
    result = ArchiveResult(kind=archive_kind(data))
    budget = _Budget(max_total, max_ratio)
    try:
        if result.kind == "zip":
            _read_zip(data, result, budget, max_files, max_file)
        elif result.kind:
            _read_tar(data, result, budget, max_files, max_file)
        else:
            raise _unsupported("format inconnu", "unknown format")
    except _Refused as refused:
        result.members = []
        result.findings = [refused.finding]
        return result
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError,
            OSError, ValueError, struct.error, UnicodeError, OverflowError,
            RuntimeError, NotImplementedError, MemoryError):
        # What the Python reader said (its exception class, its text) is no use to a supplier.
        result.members = []
        result.findings = [_corrupt().finding]
        return result
    if not result.members and not result.findings:
        result.findings.append(_empty())
    return result


def _read_zip(data: bytes, result: ArchiveResult, budget: _Budget, max_files: int,
              max_file: int) -> None:
    reader = _CountingReader(data)
    with zipfile.ZipFile(reader) as zf:
        infos = zf.infolist()
        if sum(1 for info in infos if not info.is_dir()) > max_files or (
                len(infos) > 10 * max_files):
            raise _too_many(max_files)
        # Declared sizes give a quicker refusal; they are never trusted to accept anything.
        for info in infos:
            if info.file_size > RATIO_FLOOR and (
                    info.file_size > budget.max_ratio * max(info.compress_size, 1)):
                raise _bomb(_zip_name(info))
        if sum(info.file_size for info in infos) > budget.max_total:
            raise _too_large(budget.max_total)
        for info in infos:
            if info.is_dir():
                continue
            name = _zip_name(info)
            file_type = stat.S_IFMT(info.external_attr >> 16)  # Unix mode, when there is one
            if info.create_system == 3 and file_type not in (0, stat.S_IFREG):
                kind_fr, kind_en = (("lien symbolique", "symbolic link")
                                    if file_type == stat.S_IFLNK
                                    else ("fichier spécial", "special file"))
                result.findings.append(_unsafe(name, kind_fr, kind_en))
                continue
            unsafe = _unsafe_path(name)
            if unsafe:
                result.findings.append(_unsafe(name, *unsafe))
                continue
            if info.flag_bits & 0x1:
                result.findings.append(_encrypted(name))
                continue
            if info.file_size > max_file:
                result.findings.append(_file_too_large(name, max_file))
                continue
            try:
                fh = zf.open(info)
            except NotImplementedError:
                result.findings.append(_unsupported_compression(name))
                continue
            with fh:
                start = reader.consumed
                # small reads: zipfile then reads ahead little compressed data, and the
                # ratio (output / compressed bytes read) is judged early
                content, finding = _read_member(fh, name, max_file, budget,
                                                lambda start=start: reader.consumed - start,
                                                _ZIP_READ)
            if finding:
                result.findings.append(finding)
            else:
                result.members.append((name, content))


def _read_tar(data: bytes, result: ArchiveResult, budget: _Budget, max_files: int,
              max_file: int) -> None:
    # The tar stream adds 512-byte headers and padding to the members: allow for them.
    limit = budget.max_total + 2048 * (10 * max_files + 10)
    stream = _Decompressing(data, result.kind, budget, limit)
    try:
        tf = tarfile.open(fileobj=io.BufferedReader(stream, CHUNK), mode="r|",
                          encoding="utf-8", errors="surrogateescape")
    except tarfile.ReadError as exc:
        if result.kind != "tar" and stream.produced:
            raise _unsupported("fichier compressé qui ne contient pas une archive tar",
                               "compressed file that does not hold a tar archive") from exc
        raise
    files = entries = 0
    with tf:
        for info in tf:
            entries += 1
            if entries > 10 * max_files:
                raise _too_many(max_files)
            name = _clean_name(info.name)
            if info.isdir():
                continue
            files += 1
            if files > max_files:
                raise _too_many(max_files)
            if info.issym() or info.islnk():
                result.findings.append(_unsafe(name, "lien symbolique ou physique",
                                               "symbolic or hard link"))
                continue
            if not info.isreg() or info.issparse():
                result.findings.append(_unsafe(name, "fichier spécial (périphérique, tube…)",
                                               "special file (device, pipe…)"))
                continue
            unsafe = _unsafe_path(name)
            if unsafe:
                result.findings.append(_unsafe(name, *unsafe))
                continue
            if info.size > max_file:
                result.findings.append(_file_too_large(name, max_file))
                continue
            fh = tf.extractfile(info)
            if fh is None:
                continue
            start = stream.consumed
            content, finding = _read_member(fh, name, max_file, budget,
                                            lambda start=start: stream.consumed - start)
            if finding:
                result.findings.append(finding)
            else:
                result.members.append((name, content))
