"""Where documents are saved: ``<labels>/documents/<date>/<kind>-<HHMMSS>.pdf``,
private (folders 0700, files 0600: they carry customers' names and addresses)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cdtui.errors import CdtuiError
from cdtui.label_files import inside, write_file_atomically

#: the kinds of document and the start of their file names
PICKLIST, SLIPS = "picklist", "slips"


def documents_folder(labels_path: Path, now: datetime) -> Path:
    """The folder of the day's documents under the labels folder."""
    return labels_path / "documents" / f"{now:%Y-%m-%d}"


def save_document(folder: Path, kind: str, now: datetime, data: bytes) -> Path:
    """Writes ``data`` as ``<kind>-<HHMMSS>.pdf`` in ``folder`` (``-2``, ``-3``… when
    that name is taken); ``CdtuiError`` when the disk refuses."""
    base = f"{kind}-{now:%H%M%S}"
    name, n = f"{base}.pdf", 2
    while (folder / name).exists():
        name, n = f"{base}-{n}.pdf", n + 1
    return write_to(inside(folder, name), data)


def write_to(path: Path, data: bytes) -> Path:
    """Writes ``data`` at ``path`` privately; its folder must exist unless it is under
    cdtui's own folders (``save_document`` creates those)."""
    try:
        write_file_atomically(path, data)
    except OSError as exc:
        raise CdtuiError(f"Could not write {path}: {exc.strerror or exc}.") from None
    return path
