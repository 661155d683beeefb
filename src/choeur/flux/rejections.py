"""The rejection files of the EDI drop folders: `<flux root>/rejets/<login>/<YYYY-MM-DD>.csv`
(`;`-separated, UTF-8), one line per file refused at deposit (`edi`) or invoice rejected at
integration (`services`, once a flux of the EDI channel concludes). Apart from `edi` so that
the integration, which `edi` calls to deposit, writes them without importing it back.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from django.conf import settings

from choeur.core import clock
from choeur.flux.models import Flux

logger = logging.getLogger("choeur.flux.edi")

HEADER = ["horodatage", "numeroFluxDepot", "nomFichier", "position", "numeroDP",
          "codeErreur", "libelleErreur"]


def flux_root() -> Path:
    """The root of the drop folders (`depot/`, `en_cours/`, `traites/`, `rejets/`)."""
    configured = getattr(settings, "CHOEUR_FLUX_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "flux"


def append_rejections(root: Path, login: str, rows: list[list[str]]) -> Path:
    """Add rows (numeroFluxDepot, nomFichier, position, numeroDP, code, message) to today's
    rejection file of the sender."""
    folder = root / "rejets" / login
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{clock.today().isoformat()}.csv"
    new = not path.exists()
    stamp = clock.now().astimezone(clock.PARIS).isoformat(timespec="seconds")
    with open(path, "a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        if new:
            writer.writerow(HEADER)
        for row in rows:
            writer.writerow([stamp, *[str(value).replace("\n", " ") for value in row]])
    return path


def write_flux_rejections(flux_id: int, root: Path | str | None = None) -> Path | None:
    """The rejected invoices of a concluded EDI flux, in its sender's rejection file."""
    flux = Flux.objects.select_related("technical_account").filter(pk=flux_id).first()
    if flux is None or flux.technical_account is None:
        return None
    rows = []
    for item in flux.items.filter(accepted=False):
        for error in item.errors or [{}]:
            rows.append([flux.numero, item.name, item.position, item.number,
                         error.get("code", ""), error.get("message_fr", "")])
    if not rows:
        return None
    try:
        return append_rejections(Path(root) if root else flux_root(),
                                 flux.technical_account.login, rows)
    except OSError:
        logger.exception("could not write the rejection file of flux %s", flux.numero)
        return None
