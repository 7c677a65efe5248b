"""Server processes the tests start themselves: found on disk, run in a temp dir, stopped by PID.

Every server runs under ``setpriv --pdeathsig`` so that it dies with the pytest process even when
pytest is killed without running its teardown; nothing is left behind on the machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HOST = "127.0.0.1"
READY_TIMEOUT = 30.0
MAKE_HINT = "run `make test`, which installs the test servers with apt"
_SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class ServerMissing(RuntimeError):
    """A server binary the tests need is not installed."""


class ServerFailed(RuntimeError):
    """A server exited or did not become ready; the message carries the end of its log."""


def find_binary(name: str, *dirs: str) -> str:
    """The absolute path of *name*, looking in *dirs*, then PATH and the usual system folders.

    Raises:
        ServerMissing: nowhere to be found (the message says how to install it).
    """
    search = os.pathsep.join([*dirs, os.environ.get("PATH", ""), *_SYSTEM_DIRS])
    path = shutil.which(name, path=search)
    if path is None:
        raise ServerMissing(f"{name} is not installed; {MAKE_HINT}")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def make_workdir(root: Path, name: str, owner: str | None = None) -> Path:
    """A fresh folder under *root* that a server running as *owner* may use."""
    path = root / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    path.chmod(0o755)
    if owner is not None:
        shutil.chown(path, owner, owner)
    return path


class ServerProcess:
    """One external process, started with a parent-death signal and stopped by its PID."""

    def __init__(self, name: str, argv: Sequence[str], *, log: Path, stop_signal: int = signal.SIGTERM,
                 setpriv: Sequence[str] = (), stop_group: bool = False) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.stop_signal = stop_signal
        self.stop_group = stop_group  # signal the whole process group: the server's children too
        self._setpriv = list(setpriv)
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> None:
        """Spawn the process (without waiting for it to be ready)."""
        sig = signal.Signals(self.stop_signal).name.removeprefix("SIG")
        argv = [find_binary("setpriv"), *self._setpriv, f"--pdeathsig={sig}", "--", *self.argv]
        with self.log.open("ab") as out:
            # Its own session: Ctrl+C reaches pytest only (which stops servers in order), and a
            # process group of its own to signal as a whole.
            self.popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_stop(self) -> None:
        """Ask the process to stop; :meth:`wait_stopped` waits for it."""
        if self.running():
            assert self.popen is not None
            if self.stop_group:
                os.killpg(self.popen.pid, self.stop_signal)
            else:
                self.popen.send_signal(self.stop_signal)

    def wait_stopped(self, timeout: float = 10.0) -> None:
        """Wait for the process to exit, killing it when it takes longer than *timeout*."""
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def stop(self, timeout: float = 10.0) -> None:
        self.signal_stop()
        self.wait_stopped(timeout)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = READY_TIMEOUT) -> None:
        """Poll *ready* until it is true.

        Raises:
            ServerFailed: the process exited first or *timeout* passed.
        """
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.running():
                raise ServerFailed(f"{self.name} exited before {what}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerFailed(f"{self.name} not {what} after {timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(0.02)


def run_checked(argv: Sequence[str], what: str, timeout: float = 60.0) -> str:
    """Run a short helper command; its stdout, or :class:`ServerFailed` with its output."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise ServerFailed(f"{what} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def tcp_greeting(port: int, expect: bytes, send: bytes = b"") -> bool:
    """True when a TCP server on *port* answers (after *send*) with a line starting with *expect*."""
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            if send:
                sock.sendall(send)
            return sock.recv(512).startswith(expect)
    except OSError:
        return False
