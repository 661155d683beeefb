"""Child processes of `choeur serve` stop when their parent dies, however it dies."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int | None) -> None:
    """Get SIGTERM when the process `parent_pid` is gone (even after a SIGKILL).

    Uses Linux's PR_SET_PDEATHSIG; elsewhere, a thread polls the parent pid. Call it before
    starting threads of one's own or forking workers (gunicorn's workers watch their master).
    """
    if not parent_pid:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl failed")
    except (OSError, AttributeError):
        threading.Thread(target=_poll_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before we could ask to be told
        os.kill(os.getpid(), signal.SIGTERM)


def _poll_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)
