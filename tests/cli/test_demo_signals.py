"""`cdtui demo` in a real terminal: a hang-up or a kill ends it cleanly, as `q` does."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals and signals")


def _drain(fd: int, seconds: float) -> bytes:
    """Read what the app paints for ``seconds`` (a terminal must be read, or it blocks)."""
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
    return out


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["hangup", "terminate"])
def test_demo_ends_cleanly_on_a_signal_and_removes_its_folder(
    tmp_path: Path, sig: signal.Signals
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDTUI_")}
    env.update(TMPDIR=str(tmp_path), TERM="xterm-256color", COLUMNS="100", LINES="30")
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdtui", "demo"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    try:
        painted = b""
        deadline = time.monotonic() + 60
        while b"demo" not in painted.lower() and time.monotonic() < deadline:
            painted += _drain(main, 0.5)
        folders = list(tmp_path.glob("cdtui-demo-*"))
        assert len(folders) == 1 and (folders[0] / "data").is_dir(), painted[-2000:]
        proc.send_signal(sig)
        _drain(main, 0.5)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert code == 0
    assert list(tmp_path.glob("cdtui-demo-*")) == []
