"""Screenshots of the pages a browser test walks through, to look at them: into
$CHOEUR_TEST_SCREENSHOTS, or test-artifacts/screens/ (beside the failure screenshots)."""

import os
from pathlib import Path

from tests.conftest import ARTIFACTS


def shoot(page, name: str) -> Path:
    folder = Path(os.environ.get("CHOEUR_TEST_SCREENSHOTS", ARTIFACTS / "screens"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
