"""The EDI channel: a drop folder per technical account, watched by `choeur worker`.

    <CHOEUR_DATA_DIR>/flux/depot/<login of a technical account>/   files to deposit
    <CHOEUR_DATA_DIR>/flux/traites/<login>/                       taken (prefixed by the time)
    <CHOEUR_DATA_DIR>/flux/rejets/<login>/<YYYY-MM-DD>.csv         the day's rejections

(`settings.CHOEUR_FLUX_DIR` replaces `<CHOEUR_DATA_DIR>/flux` when set.) Every five minutes
the worker's timers run `scan_drop_folders`: each regular file (no link, no hidden or `.part`
/ `.tmp` file, untouched for `MIN_AGE` seconds so a transfer in progress is left alone) is
moved aside first (a rename: two workers never take the same file), deposited as a flux of
that technical account (`Canal.EDI`, the same service as the API), then moved to `traites/`.
The same file dropped again within `services.RESEND_WINDOW` is a re-send: filed under
`traites/` with no new flux (the first one stands; nothing is written to the rejections).
A file refused at deposit, and every invoice rejected at integration, add a line to the
sender's rejection file of the day (CSV, `;`-separated, UTF-8: `flux/rejections.py`, which
the integration writes through without importing this module).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

from django.db import transaction

from choeur.core import clock
from choeur.core.errors import ChoeurError
from choeur.flux import services
from choeur.flux.models import Canal, Flux
from choeur.flux.rejections import append_rejections, flux_root
from choeur.organisations.models import TechnicalAccount

logger = logging.getLogger("choeur.flux.edi")

MIN_AGE = 30  # seconds without change before a file is taken
MAX_NAME = 50  # characters kept of a dropped file's name (4 bytes each at worst, + the prefix)
STALE_TAKEN = 30 * 60  # a file left in en_cours/ this long was being taken by a dead worker


def _ignored(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.endswith((".part", ".tmp", ".filepart", "~"))


def scan_drop_folders(root: Path | str | None = None, *, min_age: float = MIN_AGE) -> list[Flux]:
    """Deposit the new files of every technical account's drop folder; return the flux."""
    root = Path(root) if root else flux_root()
    depot = root / "depot"
    depot.mkdir(parents=True, exist_ok=True, mode=0o700)
    deposited: list[Flux] = []
    for folder in sorted(depot.iterdir()):
        if folder.is_symlink() or not folder.is_dir() or folder.name.startswith("."):
            continue
        account = (TechnicalAccount.objects.select_related("structure")
                   .filter(login=folder.name).first())
        if account is None:
            logger.warning("drop folder %s names no technical account: ignored", folder)
            continue
        # One sender's odd file or folder must not stop the others (nor the timers after).
        try:
            _recover(root, account)
        except Exception:
            logger.exception("drop folder %s: recovery failed, left for the next scan", folder)
        for path in sorted(folder.iterdir()):
            if path.is_symlink() or not path.is_file() or _ignored(path):
                continue
            try:
                if time.time() - path.stat().st_mtime < min_age:
                    continue
                flux = take(root, account, path)
            except FileNotFoundError:
                continue
            except Exception:
                logger.exception("drop folder %s: a file could not be taken", folder)
                continue
            if flux is not None and not flux.is_resend:
                deposited.append(flux)
    return deposited


def _kept_name(name: str) -> str:
    """The name a dropped file is deposited under: printable, short enough for the time
    prefix within the file system's 255 bytes; recovery matches on the same."""
    return "".join(c for c in name if c.isprintable()).strip()[:MAX_NAME] or "flux"


def _stamp() -> str:
    return clock.now().astimezone(clock.PARIS).strftime("%Y%m%dT%H%M%S%f")


def take(root: Path, account: TechnicalAccount, path: Path) -> Flux | None:
    """Move one file aside, deposit it, file it under `traites/`."""
    taking = root / "en_cours" / account.login
    taking.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The name kept is the one deposited and the one recovery matches on; cut to fit the
    # file system's 255 bytes with the time prefix.
    name = _kept_name(path.name)
    taken = taking / f"{_stamp()}-{name}"
    try:
        os.rename(path, taken)  # atomic: another worker taking the same file loses here
    except FileNotFoundError:
        return None
    return _deposit_taken(root, account, taken, name)


def _deposit_taken(root: Path, account: TechnicalAccount, taken: Path,
                   name: str) -> Flux | None:
    flux = None
    try:
        content = _read(taken)
        with transaction.atomic():
            flux = services.deposit(account, account.structure, content, name,
                                    channel=Canal.EDI)
    except ChoeurError as exc:
        append_rejections(root, account.login, [
            ["", name, "", "", exc.code, exc.message("fr")]])
    except Exception:
        # Not the file's fault (storage, database): left under en_cours/, recovery deposits
        # it again later — nothing was committed.
        logger.exception("drop folder of %s: %s could not be deposited now", account.login,
                         taken.name)
        return None
    done = root / "traites" / account.login
    done.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(taken, done / taken.name)
    return flux


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        content = fh.read(services.MAX_ARCHIVE + 1)
    if len(content) > services.MAX_ARCHIVE:
        from choeur.flux.errors import FluxArchiveTooLarge

        raise FluxArchiveTooLarge(limit=services.MAX_ARCHIVE // services.MB,
                                  size=path.stat().st_size)
    return content


def _recover(root: Path, account: TechnicalAccount) -> None:
    """Files a dead worker left half-taken: deposited already (same bytes, same name, same
    account) → filed; otherwise deposited now."""
    import hashlib

    taking = root / "en_cours" / account.login
    if not taking.is_dir():
        return
    for taken in sorted(taking.iterdir()):
        try:
            status = os.lstat(taken)  # never follows a link swapped in meanwhile
            if not stat.S_ISREG(status.st_mode) or time.time() - status.st_mtime < STALE_TAKEN:
                continue
            content = _read(taken)
        except (FileNotFoundError, ChoeurError):
            continue
        name = taken.name.split("-", 1)[-1]
        sha256 = hashlib.sha256(content).hexdigest()
        if Flux.objects.filter(technical_account=account, sha256=sha256,
                               filename=_kept_name(name)).exists():
            done = root / "traites" / account.login
            done.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(taken, done / taken.name)
        else:
            _deposit_taken(root, account, taken, name)
