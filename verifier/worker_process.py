"""What each of carbonledger's worker processes does first (the log's check workers, a shipment's verifiers).

It leaves SIGINT to its parent: a terminal's Ctrl-C reaches the whole process group, and the parent then
stops its workers. It also exits as soon as the parent is gone, which it sees by polling ``os.getppid()``
(an orphan is re-parented, so its parent id changes). ``prctl(PR_SET_PDEATHSIG)`` is not used: it fires when
the *thread* that spawned the worker exits, and a pool spawns workers from whichever thread submits work (a
sequencer's thread may end long before its process does).
"""

from __future__ import annotations

import os
import signal
import threading
import time

__all__ = ["PARENT_POLL_S", "become_worker"]

PARENT_POLL_S = 0.5  # how often a worker looks whether the process that started it is still there


def become_worker(parent_pid: int, poll_s: float = PARENT_POLL_S) -> None:
    """Requires the id of the process that started this one. Call once, first thing in the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_when_orphaned, args=(parent_pid, poll_s), name="carbonledger-parent-watch", daemon=True
    ).start()


def _exit_when_orphaned(parent_pid: int, poll_s: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(poll_s)
    os._exit(0)  # the parent is gone: nobody will read this worker's results
