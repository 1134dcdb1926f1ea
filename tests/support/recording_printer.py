"""A print command for tests: it notes the arguments of each call and keeps a copy of
the file it was given (its last argument), so a test sees how many times cdtui printed,
with what, and exactly which bytes."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from pypdf import PdfReader


class RecordingPrinter:
    """``command`` (set it as CDTUI_PRINT_COMMAND), ``calls`` (the arguments of each
    call, the file last), ``copy(n)`` / ``pdf(n)`` (what call n, from 1, was given)."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.log = folder / "print-calls.jsonl"
        self.copies = folder / "printed"
        self.copies.mkdir()
        script = folder / "record-print.py"
        script.write_text(
            "import json, shutil, sys, pathlib\n"
            f"log = pathlib.Path({str(self.log)!r})\n"
            "with log.open('a') as f:\n"
            "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
            "n = len(log.read_text().splitlines())\n"
            f"shutil.copy(sys.argv[-1], pathlib.Path({str(self.copies)!r}) / f'{{n}}.bin')\n"
        )
        self.command = " ".join([sys.executable, str(script), *args])

    @property
    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def copy(self, n: int) -> bytes:
        return (self.copies / f"{n}.bin").read_bytes()

    def pdf(self, n: int) -> PdfReader:
        return PdfReader(io.BytesIO(self.copy(n)))
