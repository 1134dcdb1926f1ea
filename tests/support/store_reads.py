"""Which order files a store parses: a spy on ``_FileStorage._read_file``."""

from __future__ import annotations

from typing import Any

import pytest

from cdtui.storage.tinyfile import _FileStorage


def order_files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the order files parsed from now on (``meta.json`` left out; rows
    files and the sync index are not read through ``_FileStorage``)."""
    seen: list[str] = []
    real = _FileStorage._read_file

    def spy(self: _FileStorage) -> Any:
        if self.path.name != "meta.json":
            seen.append(self.path.name)
        return real(self)

    monkeypatch.setattr(_FileStorage, "_read_file", spy)
    return seen
