"""Start JupyterLab the way ``make lab`` does, for a browser test, and get Debian's chromium.

:func:`ensure_chromium` installs the Debian ``chromium`` package with apt when
``/usr/bin/chromium`` is missing and the test runs as root (never a
Playwright browser download). :class:`LabServer` runs
:func:`enforcement_crime.teaching.lab_command` (the command of ``make lab``)
with ``--no-browser``, a free localhost port, a random token and temporary
runtime, settings and workspace folders (optionally as the student lab, or
serving another folder), waits (bounded) until the server answers, and stops
it on :meth:`LabServer.stop`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ensure_chromium(timeout: float = 900) -> str | None:
    """Return None when ``/usr/bin/chromium`` is usable (installing it as root if needed), else a skip reason."""
    if CHROMIUM.is_file():
        return None
    if os.geteuid() != 0:
        return f"{CHROMIUM} is missing and the test is not root, so it cannot `apt-get install -y chromium`"
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and apt-get is not available to install Debian's chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(cmd)}` failed ({done.returncode}): {done.stderr[-2000:]}"
            )
    if not CHROMIUM.is_file():
        raise RuntimeError(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab started with ``make lab``'s command plus test-only arguments."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str] | None = None,
        *,
        student: bool = False,
        root: Path | None = None,
    ) -> None:
        """``student``: the student lab (``lab --student``); ``root``: serve this folder instead.

        ``env`` must agree with the test process's environment where the
        command depends on it (the student lab's root follows
        ``ENFORCEMENT_CRIME_REPORTS``).
        """
        from enforcement_crime import teaching

        self.workdir = Path(workdir)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        runtime = self.workdir / "runtime"
        for sub in ("runtime", "lab-settings", "lab-workspaces"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.settings_file = teaching.install_lab_settings()  # as `make lab` does
        self.command = teaching.lab_command(
            [
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
            ],
            student=student,
        )
        if root is not None:
            self.command = [
                f"--ServerApp.root_dir={root}" if a.startswith("--ServerApp.root_dir=") else a
                for a in self.command
            ]
        self.root = next(
            Path(a.split("=", 1)[1]) for a in self.command if a.startswith("--ServerApp.root_dir=")
        )
        self.env = {
            # as `make lab` does: no inherited MPLBACKEND (it would hide the kernel's figures)
            **{k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
            "JUPYTER_RUNTIME_DIR": str(runtime),
            # a fresh user state, so that nothing in ~/.jupyter decides how .py files open
            "JUPYTERLAB_SETTINGS_DIR": str(self.workdir / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.workdir / "lab-workspaces"),
            **(env or {}),
        }
        self.log = self.workdir / "lab.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> LabServer:
        """Start the server and wait (at most ``timeout`` s) until ``/api/status`` answers."""
        fh = self.log.open("w")
        self.proc = subprocess.Popen(
            self.command, env=self.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with {self.proc.returncode}:\n{self.log_text()}"
                )
            try:
                with urllib.request.urlopen(
                    f"{self.base}/api/status?token={self.token}", timeout=2
                ) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s:\n{self.log_text()}")

    def url(self, path: str, workspace: str | None = None) -> str:
        """``/lab/tree/<path>`` with the token; in its own ``workspace`` (no tab of another page) when named."""
        where = f"/lab/workspaces/{workspace}" if workspace else "/lab"
        return f"{self.base}{where}/tree/{path}?token={self.token}"

    def log_text(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.is_file() else ""

    def stop(self, timeout: float = 15) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL after ``timeout`` s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
