"""Worker processes that end with the app, however the app ended.

The email workers' pool processes block on their task queue, whose write end they hold
themselves, so an app killed with SIGKILL (or by the out-of-memory killer) used to leave them,
its forkserver and its resource tracker running for ever (and the IMAP sessions they hold). Each
pool process now watches the app's process id (a pidfd on Linux, polling elsewhere) and exits when
it is gone; the forkserver and the resource tracker then end too, and the tracker removes any
shared-memory batch left behind. (The store writer process ends when its socket closes, which
the kernel does for a dead app.)
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time


def exit_with(pid: int) -> None:
    """Pool initializer: end this process when process *pid* (the app) ends.

    Ctrl+C in the terminal reaches every process of the group: the app shuts its pools down, so a
    worker ignores SIGINT rather than print a ``KeyboardInterrupt`` traceback of its own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch, args=(pid,), name="exit-with-app", daemon=True).start()


def _watch(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except OSError:  # already gone, or no pidfd here
        while alive(pid):
            time.sleep(1.0)
    else:
        select.select([fd], [], [])
    os._exit(0)


def alive(pid: int) -> bool:
    """Whether process *pid* exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
