"""Real `choeur` processes in tests (kill tests, several nodes): the bench's world seeded
through `choeur manage shell`, and a process group stopped as a process manager would."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def with_bench(env: dict) -> dict:
    """`env` with the project root on PYTHONPATH, so that a process's shell imports `bench`."""
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [
        os.environ.get("PYTHONPATH"), str(BENCH.parent)]))}


def seed_script(body: str) -> str:
    """A `manage shell -c` script: the bench's ingestion world (a supplier, its technical
    account and client: `bench.api.ingestion_world`) and one CII invoice of theirs as
    `template` (numbered `BENCHNUMBER000000`), then `body`."""
    return (f"import base64, json, sys\nsys.path.insert(0, {str(BENCH)!r})\n"
            "import api as bench\n"
            "supplier, account = bench.ingestion_world()\n"
            "template = bench.template_cii(supplier, account)\n" + body)


def stop(process: subprocess.Popen, grace: float = 30) -> str | None:
    """SIGTERM to the process's group, SIGKILL after `grace` seconds; its output when it was
    piped (read while waiting: a full pipe would keep it from exiting)."""
    piped = process.stdout is not None
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output = process.communicate(timeout=grace)[0] if piped else process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0] if piped else process.wait()
    return output if piped else None
